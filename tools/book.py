"""What the maintainer tools and the tests know about the book.

One place that reads _toc.yml and the chapter notebooks, and that says how a
notebook kernel is started (offline, with the kernel policy and one cell
timeout), so no test or tool re-implements it.
"""

import ast
import contextlib
import functools
import json
import os
import platform
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
# The built HTML site (`make book`), which the site, browser, Colab and PDF checks read.
SITE = ROOT / "_build" / "html"
TOOLS = ROOT / "tools"

# The longest one notebook cell may run, under nbval and under `make execute`.
CELL_TIMEOUT_S = 120

# The first code cell of every chapter, exactly: reproducibility plumbing, folded
# on the page (tag hide-input). Only the seed differs: it is the chapter number.
# The chapter's own installs (Colab only) and imports go in the cell after it.
SETUP_CELL = """\
# Reproducible set-up: the same in every chapter but for SEED.
import os

import matplotlib.pyplot as plt
import torch

# cuBLAS reads this when CUDA starts; deterministic mode needs it on a GPU.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
SEED = {chapter}
torch.manual_seed(SEED)
torch.use_deterministic_algorithms(True)
# Float sums depend on the thread count: one thread keeps digits repeatable.
torch.set_num_threads(1)
torch.set_printoptions(precision=4, sci_mode=False)
# Errors print as one short line, without file paths.
get_ipython().InteractiveTB.set_mode(mode="Minimal")
plt.style.use("tableau-colorblind10")
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(f"torch {{torch.__version__.split('+')[0]}} on {{device}}, seed {{SEED}}")"""


def setup_cell(chapter: int) -> str:
    """The exact first code cell of chapter `chapter`."""
    return SETUP_CELL.format(chapter=chapter)


# The folder whose sitecustomize.py refuses network connections off this machine.
NETWORK_GUARD = TOOLS / "offline"

# The kernel policy. PyTorch (ATen), MKL and oneDNN pick their CPU kernels by
# instruction set, and AVX-512, AVX2 and plain-SSE kernels round differently in the
# last digits. On x86-64 every kernel the project starts (nbval, `make execute`,
# CI) is pinned to one set; the stored outputs are made with it.
# BOOK_KERNELS=native|default chooses another for `make test-portable`.
KERNEL_POLICIES = {
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
             "MKL_CBWR": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "default": {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
                "MKL_CBWR": "SSE4_2", "ONEDNN_MAX_CPU_ISA": "SSE41"},
    "native": {},  # whatever the processor offers (AVX-512 on the machines we test on)
}
REFERENCE_KERNELS = "avx2"


def is_x86_64() -> bool:
    return platform.machine().lower() in ("x86_64", "amd64")


@functools.cache  # asked for every notebook cell; the processor does not change
def cpu_has_avx2() -> bool:
    flags = Path("/proc/cpuinfo")
    return flags.exists() and " avx2" in flags.read_text()


def kernels() -> str:
    """The kernel policy of this run: BOOK_KERNELS, else avx2 on x86-64, else native."""
    chosen = os.environ.get("BOOK_KERNELS") or (REFERENCE_KERNELS if is_x86_64() else "native")
    if chosen not in KERNEL_POLICIES:
        raise ValueError(f"BOOK_KERNELS={chosen!r}: choose one of {sorted(KERNEL_POLICIES)}")
    if chosen != "native" and not is_x86_64():
        raise ValueError(f"BOOK_KERNELS={chosen!r} pins x86-64 instruction sets; this is {platform.machine()}")
    return chosen


def on_reference_platform() -> bool:
    """Whether this run computes as the stored outputs were computed: an x86-64
    Linux processor with AVX2, under the avx2 kernel policy. Only there are
    all outputs compared exactly (see tools/nbval_book.py)."""
    return is_x86_64() and platform.system() == "Linux" and cpu_has_avx2() and kernels() == REFERENCE_KERNELS


def kernel_env() -> dict[str, str]:
    """The environment a notebook kernel starts with: a copy of os.environ in which
    Python loads tools/offline/sitecustomize.py first (no network), with the
    kernel policy's variables set."""
    env = dict(os.environ)
    others = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(NETWORK_GUARD)]
    env["PYTHONPATH"] = os.pathsep.join([str(NETWORK_GUARD), *others])
    env.update(KERNEL_POLICIES[kernels()])
    return env


@contextlib.contextmanager
def kernel_environment() -> Iterator[None]:
    """Inside this block, processes started with the inherited environment
    (nbval's kernels, which take no env argument) get kernel_env()."""
    saved = dict(os.environ)
    os.environ.update(kernel_env())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@functools.cache
def config() -> dict:
    """_config.yml: the book's settings (repository, Pages address, Colab branch, ...).
    Callers must not change it (make a copy, as tools/pdf.py does)."""
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


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


def figure_outputs(cell: dict) -> list[dict]:
    """The outputs of a cell that show a figure (an image/* MIME type: PNG or SVG)."""
    return [output for output in cell.get("outputs", [])
            if any(mime.startswith("image/") for mime in output.get("data", {}))]


def site_pages() -> list[Path]:
    """Every page of the built site: its *.html files outside _static, sorted."""
    return sorted(path for path in SITE.rglob("*.html") if "_static" not in path.relative_to(SITE).parts)


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


# A helper copied from another chapter says so on the line above its `def` or
# `class`, e.g. `# same as chapter 4: tidy`; tests/test_shared_helpers.py checks
# that the copy is identical to the chapter named.
COPY_MARKER = re.compile(r"^# same as chapter (\d+): (\w+)$")


@dataclass(frozen=True)
class Definition:
    """A top-level function or class of a chapter notebook."""

    name: str
    text: str  # its source, from the `def`/`class` line (or first decorator) on
    copied_from: int | None  # the chapter its copy marker names, if any
    marked_name: str | None  # the name its copy marker gives


def python_of(cell_source: str) -> str:
    """A code cell's source as plain Python: IPython magics and shell lines
    (`%pip ...`, `!ls`) become `pass`, keeping the line numbers."""
    return "\n".join(re.sub(r"^(\s*)[%!].*", r"\1pass", line) for line in cell_source.splitlines())


def definitions(notebook: dict) -> list[Definition]:
    found = []
    for cell in code_cells(notebook):
        text = python_of(source(cell))
        lines = text.splitlines()
        for node in ast.parse(text).body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            marker = COPY_MARKER.match(lines[first - 2].strip()) if first >= 2 else None
            found.append(Definition(
                name=node.name,
                text="\n".join(lines[first - 1:node.end_lineno]),
                copied_from=int(marker.group(1)) if marker else None,
                marked_name=marker.group(2) if marker else None,
            ))
    return found


def draws_graphs(path: Path) -> bool:
    """Whether a notebook imports graphviz or torchviz, and so needs Graphviz's
    `dot` to run (the Makefile's NEEDS_DOT greps for the same imports)."""
    return any(re.search(r"^\s*(import|from) (graphviz|torchviz)\b", source(cell), re.M)
               for cell in code_cells(load(path)))


def chapter_number(path: Path) -> int:
    return int(path.name[:2])
