"""Shared pytest set-up: the notebook parameters and a per-notebook timing report."""

import sys
from collections import defaultdict
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from book import chapter_notebooks, cut_network  # noqa: E402

CHAPTERS = chapter_notebooks()

cut_network()  # nbval's kernels, and every other process the tests start, run offline


@pytest.fixture(params=CHAPTERS, ids=[p.stem for p in CHAPTERS])
def notebook_path(request) -> Path:
    """Each chapter notebook in turn."""
    return request.param


def pytest_terminal_summary(terminalreporter) -> None:
    """After the run, print how long each notebook took under nbval (all its cells added up)."""
    seconds: dict[str, float] = defaultdict(float)
    cells: dict[str, int] = defaultdict(int)
    for reports in terminalreporter.stats.values():
        for report in reports:
            path = getattr(report, "nodeid", "").split("::")[0]
            if path.endswith(".ipynb") and hasattr(report, "when"):  # setup (kernel start), call, teardown
                seconds[path] += report.duration
                cells[path] += report.when == "call"
    if seconds:
        terminalreporter.section("notebook durations (nbval)")
        for path in sorted(seconds):
            terminalreporter.write_line(f"{seconds[path]:6.1f} s  {cells[path]:3d} cells  {path}")
