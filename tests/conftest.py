"""Shared pytest set-up: the notebook parameters and a per-notebook timing report."""

import os
import sys
from collections import defaultdict
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from book import chapter_notebooks  # noqa: E402

CHAPTERS = chapter_notebooks()

# Every process started from here on (nbval's kernels too) loads
# tests/offline/sitecustomize.py, which refuses non-loopback connections.
OFFLINE = str(Path(__file__).parent / "offline")
os.environ["PYTHONPATH"] = os.pathsep.join(
    [OFFLINE, *filter(None, [os.environ.get("PYTHONPATH")])])


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
