"""The notebook comparison bites: run our exact nbval set-up (pytest.ini,
tests/conftest.py, tools/nbval_book.py, tests/nbval_sanitize.cfg) on small
probe notebooks whose stored outputs are partly wrong, and check which cells
fail.

A lax mode, a sanitizer that swallows numbers, a lost `raises-exception`
comparison, a kernel that can reach the network or a figure comparison that
lets a changed plot through would each make one of these tests fail.
"""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from book import ROOT, is_x86_64, kernel_env, on_reference_platform
from probes import PROBE_FOLDER, cell, error, notebook_of, stdout


def nbval_verdicts(cells: list[nbformat.NotebookNode], kernels: str | None = None) -> tuple[dict[int, str], str]:
    """Run `pytest` as `make test` does (with BOOK_KERNELS=kernels if given) on a
    notebook of these cells, stored as if run top to bottom; return each cell's
    verdict (PASSED/FAILED/SKIPPED) and the report."""
    notebook = notebook_of(cells)
    for count, probe in enumerate(notebook.cells, start=1):
        probe.execution_count = count
    with tempfile.TemporaryDirectory(prefix="_probe", dir=PROBE_FOLDER) as folder:
        path = Path(folder) / "probe.ipynb"
        nbformat.write(notebook, path)
        env = dict(os.environ, **({"BOOK_KERNELS": kernels} if kernels else {}))
        run = subprocess.run([sys.executable, "-m", "pytest", "-v", "-rs", "-p", "no:cacheprovider", str(path)],
                             cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    verdicts = {int(i): verdict for i, verdict in re.findall(r"::Cell (\d+) (PASSED|FAILED|SKIPPED)", run.stdout)}
    return verdicts, run.stdout


def assert_verdicts(probes: dict[str, tuple[nbformat.NotebookNode, bool | str]], kernels: str | None = None) -> str:
    """Each probe's expected verdict: True (passes), False (fails) or "SKIPPED"."""
    verdicts, report = nbval_verdicts([probe for probe, _ in probes.values()], kernels)
    expected = {name: {True: "PASSED", False: "FAILED"}.get(want, want) for name, (_, want) in probes.items()}
    wrong = [f"{name}: nbval said {verdicts.get(i, 'nothing')}, expected {expected[name]}"
             for i, name in enumerate(probes) if verdicts.get(i) != expected[name]]
    assert not wrong, "\n".join(wrong) + "\n\n" + report[-3000:]
    return report


def test_nbval_fails_exactly_the_cells_whose_text_output_changed():
    assert_verdicts({
        "right number": (cell("print(6.5)", [stdout("6.5\n")]), True),
        "changed number": (cell("print(2 + 2)", [stdout("5\n")]), False),
        "object address (sanitized)": (cell("print(object())", [stdout("<object object at 0x7f00deadbeef>\n")]), True),
        "training time (sanitized)": (cell("print('loss 0.31 [3.2 s]')", [stdout("loss 0.31 [17.9 s]\n")]), True),
        "number beside a training time": (cell("print('loss 0.32 [3.2 s]')", [stdout("loss 0.31 [3.2 s]\n")]), False),
        "same error": (cell("raise ValueError('shape mismatch')", [error("ValueError", "shape mismatch")],
                            ("raises-exception",)), True),
        "changed error message": (cell("raise ValueError('new wording')", [error("ValueError", "old wording")],
                                       ("raises-exception",)), False),
        "output vanished": (cell("x = 1", [stdout("1\n")]), False),
    })


def test_nbval_kernels_cannot_reach_the_network():
    """The stored output is what the offline guard prints; a kernel that connected would differ."""
    probe = ("import socket\n"
             "try:\n"
             "    socket.create_connection(('93.184.215.14', 80), timeout=5)\n"
             "except OSError as failure:\n"
             "    print(type(failure).__name__, str(failure)[:26])\n")
    assert_verdicts({
        "offline kernel": (cell(probe, [stdout("ConnectionRefusedError network access is disabled\n")]), True),
    })


PLOT = "import matplotlib.pyplot as plt\nplt.plot({values}, color='{colour}')\nplt.show()"


def drawn(values: str, colour: str = "C0") -> list[dict]:
    """The outputs a fresh kernel stores for PLOT: the reference figures."""
    notebook = notebook_of([new_code_cell(PLOT.format(values=values, colour=colour))])
    NotebookClient(notebook, kernel_name="python3", timeout=60).execute(env=kernel_env())
    outputs = notebook.cells[0].outputs
    assert any("image/png" in output.get("data", {}) for output in outputs), outputs
    return outputs


def test_figures_are_compared_pixel_by_pixel():
    reference = drawn("[1, 2, 3]")
    report = assert_verdicts({
        "same figure, drawn again": (cell(PLOT.format(values="[1, 2, 3]", colour="C0"), reference), True),
        "one plotted value changed": (cell(PLOT.format(values="[1, 2.1, 3]", colour="C0"), reference), False),
        "axis range changed": (cell(PLOT.format(values="[1, 2, 30]", colour="C0"), reference), False),
        "line colour changed": (cell(PLOT.format(values="[1, 2, 3]", colour="C1"), reference), False),
        "figure vanished": (cell("print('no plot')", [stdout("no plot\n"), *reference]), False),
    })
    assert re.search(r"Figures differ: figure 1: RMS pixel difference \d+\.\d\d > ", report), report
    assert "Figures differ: figure 1: size changed from" in report, report
    assert "_build/figure-diffs/probe-cell1-figure1-*.png" in report, report
    assert (ROOT / "_build" / "figure-diffs" / "probe-cell1-figure1-diff.png").is_file()


# Portability (CONTRIBUTING.md, "Same verdict on every machine"): on the reference
# platform everything is exact; elsewhere a printed number may move by one unit in
# its last digit, and cells tagged platform-sensitive are skipped, not compared.
def sensitive(code: str, stored: str) -> nbformat.NotebookNode:
    return cell(code, [stdout(stored)], ("platform-sensitive",))


@pytest.mark.skipif(not on_reference_platform(), reason="this machine is not the reference platform")
def test_on_the_reference_platform_every_digit_counts():
    assert_verdicts({
        "number one unit off in its last digit": (cell("print(0.4754)", [stdout("0.4753\n")]), False),
        "platform-sensitive cell, same output": (sensitive("print(1.25)", "1.25\n"), True),
        "platform-sensitive cell, changed output": (sensitive("print(1.5)", "1.25\n"), False),
    })


@pytest.mark.skipif(not is_x86_64(), reason="forcing another kernel policy needs an x86-64 processor")
def test_off_the_reference_platform_only_last_digit_flips_pass():
    report = assert_verdicts({
        "number one unit off in its last digit": (cell("print(0.4754)", [stdout("0.4753\n")]), True),
        "numbers one unit off, exponent form": (cell("print('3.5e-05 and 113/114')",
                                                     [stdout("3.4e-05 and 112/114\n")]), True),
        "a sign flip changes the padding": (cell("print('tensor([-0.0000,  1.0000])')",
                                                 [stdout("tensor([ 0.0000,  1.0000])\n")]), True),
        "number two units off": (cell("print(0.4755)", [stdout("0.4753\n")]), False),
        "number printed to another precision": (cell("print(0.475)", [stdout("0.4753\n")]), False),
        "text around the number changed": (cell("print('Loss 0.4753')", [stdout("loss 0.4753\n")]), False),
        "platform-sensitive cell, changed output": (sensitive("print(1.5)", "1.25\n"), "SKIPPED"),
    }, kernels="default")
    assert "platform-sensitive: its output is compared only on the reference platform" in report, report


def test_the_plugin_applies_to_a_notebook_tested_on_its_own():
    """`pytest chapters/NN.ipynb` (no tests/ path) still loads tools/nbval_book.py:
    it is registered by the conftest.py at the repository root."""
    notebook = sorted((ROOT / "chapters").glob("*.ipynb"))[0]
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-p", "no:cacheprovider", str(notebook)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "notebook outputs: " in run.stdout, run.stdout[-2000:]
