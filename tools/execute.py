"""Re-run chapter notebooks in place, so their stored outputs are fresh.

    python tools/execute.py                      # every notebook in _toc.yml
    python tools/execute.py chapters/02_x.ipynb  # just these

Used by `make execute`. Each notebook runs top to bottom in a fresh kernel
started in its own folder, offline, exactly as nbval will run it. A cell that
raises stops the run, unless it is tagged `raises-exception`.
"""

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from book import CELL_TIMEOUT_S, ROOT, kernel_env, toc_notebooks


def merge_streams(notebook: nbformat.NotebookNode) -> None:
    """Join consecutive stdout (or stderr) chunks of a cell into one output.

    The kernel flushes a stream whenever it likes, so one print can be split
    across outputs at a different place on every run; merged, the stored file is
    stable and the page shows no stray line breaks.
    """
    for cell in notebook.cells:
        merged = []
        for output in cell.get("outputs", []):
            previous = merged[-1] if merged else None
            if (output.output_type == "stream" and previous is not None
                    and previous.output_type == "stream" and previous.name == output.name):
                previous.text += output.text
            else:
                merged.append(output)
        if "outputs" in cell:
            cell.outputs = merged


def run_notebook(notebook: nbformat.NotebookNode, folder: Path) -> float:
    """Run every cell in a fresh kernel started in `folder`, offline under the kernel
    policy, as under make test; outputs go into `notebook`. Returns the seconds taken."""
    started = time.perf_counter()
    NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
        record_timing=False,  # no timestamps in the files: diffs show only real changes
    ).execute(env=kernel_env())
    return time.perf_counter() - started


def execute(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    seconds = run_notebook(notebook, path.parent)
    merge_streams(notebook)
    nbformat.write(notebook, path)
    return seconds


def main(args: list[str]) -> None:
    paths = [Path(arg).resolve() for arg in args] or toc_notebooks()
    for path in paths:
        print(f"{path.relative_to(ROOT)}: ran in {execute(path):.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
