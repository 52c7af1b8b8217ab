"""Probe notebooks for the tests that run our nbval set-up in a subprocess
(test_nbval_is_strict.py, test_parallel.py): cells with stored outputs, as if run."""

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from book import ROOT

PROBE_FOLDER = ROOT / "tests"  # inside tests/, so the inner run loads tests/conftest.py as `make test` does


def cell(code: str, outputs: list[dict], tags: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    made = new_code_cell(code, execution_count=None, outputs=outputs)
    made.metadata["tags"] = list(tags)
    return made


def stdout(text: str) -> dict:
    return new_output("stream", name="stdout", text=text)


def error(name: str, message: str) -> dict:
    return new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


def notebook_of(cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook
