"""`make test` runs notebooks on several workers (pytest-xdist, --dist loadscope):
the book's additions must work there as in series. Probe notebooks run in a
subprocess, as in test_nbval_is_strict.py."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from book import ROOT
from nbval_book import DURATIONS_KEY, PLATFORM_SENSITIVE
from probes import PROBE_FOLDER, cell, notebook_of, stdout


def probe_notebook(path: Path, tagged: bool) -> None:
    made = cell("print(6 * 7)", [stdout("42\n")], (PLATFORM_SENSITIVE,) if tagged else ())
    made.execution_count = 1
    nbformat.write(notebook_of([made]), path)


def pytest_run(*args: str) -> str:
    run = subprocess.run([sys.executable, "-m", "pytest", *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run.stdout


def test_two_workers_report_durations_and_platform_sensitive_cells():
    with tempfile.TemporaryDirectory(prefix="_probe", dir=PROBE_FOLDER) as folder:
        plain, tagged = Path(folder) / "plain.ipynb", Path(folder) / "tagged.ipynb"
        probe_notebook(plain, tagged=False)
        probe_notebook(tagged, tagged=True)
        report = pytest_run("-n", "2", "--dist", "loadscope", "-p", "no:cacheprovider", str(plain), str(tagged))
    assert "2 passed" in report, report
    assert "notebook durations (nbval)" in report and "plain.ipynb" in report.split("notebook durations")[1], report
    sensitive = report.split(f"{PLATFORM_SENSITIVE} cells: ")[1]
    assert sensitive.startswith("1 ") and "tagged.ipynb::Cell 0" in sensitive, report
    assert "plain.ipynb::Cell" not in sensitive, report


def test_files_run_heaviest_first_by_the_last_run():
    with tempfile.TemporaryDirectory(prefix="_probe", dir=PROBE_FOLDER) as folder:
        light, heavy = Path(folder) / "a_light.ipynb", Path(folder) / "b_heavy.ipynb"
        probe_notebook(light, tagged=False)
        probe_notebook(heavy, tagged=False)
        cache = Path(folder) / "cache"
        recorded = cache / "v" / DURATIONS_KEY
        recorded.parent.mkdir(parents=True)
        recorded.write_text(json.dumps({str(light.relative_to(ROOT)): 1.0, str(heavy.relative_to(ROOT)): 9.0}))
        listed = pytest_run("--collect-only", "-q", "-o", f"cache_dir={cache}", str(light), str(heavy))
    order = [line for line in listed.splitlines() if "::Cell" in line]
    assert [Path(line.split("::")[0]).name for line in order] == ["b_heavy.ipynb", "a_light.ipynb"], listed
