"""Re-run chapter notebooks in place, so their stored outputs are fresh.

    python tests/execute.py                      # every notebook in _toc.yml
    python tests/execute.py chapters/02_x.ipynb  # just these

Used by `make execute`. Each notebook runs top to bottom in a fresh kernel
started in its own folder, exactly as nbval will run it. A cell that raises
stops the run, unless it is tagged `raises-exception`.
"""

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).parent))
from book import ROOT, toc_notebooks  # noqa: E402

CELL_TIMEOUT_S = 120


def execute(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,  # no timestamps in the files: diffs show only real changes
    ).execute()
    nbformat.write(notebook, path)
    return time.perf_counter() - started


def main(args: list[str]) -> None:
    paths = [Path(arg).resolve() for arg in args] or toc_notebooks()
    for path in paths:
        print(f"{path.relative_to(ROOT)}: ran in {execute(path):.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
