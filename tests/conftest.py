"""Shared test set-up: the notebook parameter, the kernel environment for
processes a test starts, and a per-notebook timing report. (The book's nbval
plugin is registered by the conftest.py at the repository root, so that it also
applies when a notebook is tested on its own.)"""

from collections import Counter

import pytest

from book import ROOT, chapter_notebooks, kernel_env
from nbval_book import reports_of, seconds_per_file, test_file


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--nb", action="append", default=[], metavar="NOTEBOOK",
                     help="run the per-notebook structure tests for this notebook only (repeatable); "
                          "`make test NB=...` passes it")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests that take `notebook_path` run once per chapter notebook (or per --nb)."""
    if "notebook_path" in metafunc.fixturenames:
        chosen = [(ROOT / name).resolve() for name in metafunc.config.getoption("nb")] or chapter_notebooks()
        metafunc.parametrize("notebook_path", chosen, ids=[path.stem for path in chosen])


@pytest.fixture
def offline() -> dict[str, str]:
    """The environment nbval's and `make execute`'s kernels start with: no network,
    the kernel policy (tools/book.py's kernel_env)."""
    return kernel_env()


def pytest_terminal_summary(terminalreporter) -> None:
    """After the run, print how long each notebook took under nbval (kernel start and all its cells)."""
    reports = reports_of(terminalreporter)
    seconds = {path: s for path, s in seconds_per_file(reports).items() if path.endswith(".ipynb")}
    cells = Counter(test_file(report.nodeid) for report in reports if getattr(report, "when", None) == "call")
    if seconds:
        terminalreporter.section("notebook durations (nbval)")
        for path in sorted(seconds):
            terminalreporter.write_line(f"{seconds[path]:6.1f} s  {cells[path]:3d} cells  {path}")
