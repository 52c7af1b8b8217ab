"""The notebook comparison bites: run our exact nbval set-up on a small notebook
whose stored outputs are partly wrong, and check which cells fail.

This guards the configuration in pytest.ini and tests/nbval_sanitize.cfg:
a lax mode, a sanitizer that swallows numbers, or a lost `raises-exception`
comparison would all make this test fail.
"""

import re
import subprocess
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from book import ROOT


def cell(code: str, output: dict, tags: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    made = new_code_cell(code, execution_count=None, outputs=[output])
    made.metadata["tags"] = list(tags)
    return made


def stdout(text: str) -> dict:
    return new_output("stream", name="stdout", text=text)


def error(name: str, message: str) -> dict:
    return new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


# (cell, whether nbval must accept it)
PROBES = {
    "right number": (cell("print(6.5)", stdout("6.5\n")), True),
    "changed number": (cell("print(2 + 2)", stdout("5\n")), False),
    "object address (sanitized)": (cell("print(object())", stdout("<object object at 0x7f00deadbeef>\n")), True),
    "same error": (cell("raise ValueError('shape mismatch')", error("ValueError", "shape mismatch"), ("raises-exception",)), True),
    "changed error message": (cell("raise ValueError('new wording')", error("ValueError", "old wording"), ("raises-exception",)), False),
    "output vanished": (cell("x = 1", stdout("1\n")), False),
}


def test_nbval_fails_exactly_the_cells_whose_output_changed(tmp_path):
    notebook = new_notebook(cells=[probe for probe, _ in PROBES.values()])
    for count, probe in enumerate(notebook.cells, start=1):
        probe.execution_count = count  # stored as if run top to bottom
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "probe.ipynb"
    nbformat.write(notebook, path)

    run = subprocess.run([sys.executable, "-m", "pytest", "-c", str(ROOT / "pytest.ini"), "--rootdir", str(ROOT),
                          "-v", "-p", "no:cacheprovider", str(path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    verdicts = dict(re.findall(r"::Cell (\d+) (PASSED|FAILED)", run.stdout))

    expected = {str(i): "PASSED" if ok else "FAILED" for i, (_, ok) in enumerate(PROBES.values())}
    names = {str(i): name for i, name in enumerate(PROBES)}
    wrong = [f"{names[i]}: nbval said {verdicts.get(i, 'nothing')}, expected {want}"
             for i, want in expected.items() if verdicts.get(i) != want]
    assert not wrong, "\n".join(wrong) + "\n\n" + run.stdout[-3000:]
