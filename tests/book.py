"""What the tests (and tests/execute.py) know about the book's layout.

One place that reads _toc.yml and the chapter notebooks, so no test
re-implements it.
"""

import json
import os
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"


def cut_network() -> None:
    """Make every Python process started from now on (kernels too) load
    tests/offline/sitecustomize.py, which refuses non-loopback connections."""
    offline = str(Path(__file__).parent / "offline")
    others = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != offline]
    os.environ["PYTHONPATH"] = os.pathsep.join([offline, *others])


def toc_files() -> list[str]:
    """Every `file:` entry of _toc.yml (root included), as written, without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))
            walk(entry.get("chapters", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    return files


def source_of(toc_entry: str) -> Path | None:
    """The file a toc entry points at (.ipynb or .md), or None if there is none."""
    for suffix in (".ipynb", ".md"):
        candidate = ROOT / (toc_entry + suffix)
        if candidate.exists():
            return candidate
    return None


def toc_notebooks() -> list[Path]:
    """The notebooks the table of contents lists, in reading order."""
    found = (source_of(entry) for entry in toc_files())
    return [path for path in found if path is not None and path.suffix == ".ipynb"]


def chapter_notebooks() -> list[Path]:
    """Every notebook under chapters/, whether listed or not."""
    return sorted(p for p in CHAPTERS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def code_cells(notebook: dict) -> list[dict]:
    return [c for c in notebook["cells"] if c["cell_type"] == "code" and source(c).strip()]


def markdown(notebook: dict) -> str:
    return "\n".join(source(c) for c in notebook["cells"] if c["cell_type"] == "markdown")


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def output_texts(cell: dict) -> list[str]:
    """Every text an output of this cell shows a reader (streams, results, errors)."""
    texts = []
    for output in cell.get("outputs", []):
        kind = output["output_type"]
        if kind == "stream":
            texts.append(source({"source": output["text"]}))
        elif kind in ("execute_result", "display_data"):
            for mime, data in output.get("data", {}).items():
                if mime.startswith("text/") or mime == "image/svg+xml":
                    texts.append(source({"source": data}))
        elif kind == "error":
            texts.append(f"{output['ename']}: {output['evalue']}")
            texts.extend(output.get("traceback", []))
    return texts
