"""Where the test time goes: `make bench` (all chapters) or `make bench NB=...`.

For each chapter notebook it measures, in seconds:

- start: a fresh kernel, started as nbval starts it, until the setup cell has run;
- bare: the whole notebook run by nbclient with no comparison (start included);
- nbval: what pytest spent on the notebook in a serial run (kernel start, every
  cell, the comparison of every output and figure), as tools/nbval_book.py
  records it;

then the serial sum of the nbval column, the wall time of the same notebooks under
`pytest -n CORES --dist loadscope` (what `make test` does), the ideal (serial sum
divided by the cores) and the ratio of the wall time to that ideal. The table also
goes to _build/bench.json; the previous one, if any, is printed alongside.

Times are a benchmark, never a test: nothing here passes or fails.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from book import ROOT, toc_notebooks
from execute import run_notebook
from nbval_book import DURATIONS_KEY

RESULT = ROOT / "_build" / "bench.json"


def start_seconds(path: Path) -> float:
    """A fresh kernel until the setup cell (the first code cell) has run."""
    notebook = nbformat.read(path, as_version=4)
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    return run_notebook(nbformat.v4.new_notebook(cells=[first], metadata=notebook.metadata), path.parent)


def bare_seconds(path: Path) -> float:
    return run_notebook(nbformat.read(path, as_version=4), path.parent)


def pytest_seconds(paths: list[Path], cache: Path, workers: int) -> tuple[float, dict[str, float]]:
    """Wall time of one pytest run over the notebooks, and the seconds per notebook it recorded."""
    parallel = ["-n", str(workers), "--dist", "loadscope"] if workers > 1 else []
    command = [sys.executable, "-m", "pytest", "-q", "-o", f"cache_dir={cache}", *parallel,
               *[str(path.relative_to(ROOT)) for path in paths]]
    started = time.perf_counter()
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if finished.returncode != 0:
        print(finished.stdout[-3000:], finished.stderr[-3000:], sep="\n")
        raise SystemExit(f"the notebooks failed under pytest ({' '.join(command)}): fix that first")
    recorded = json.loads((cache / "v" / DURATIONS_KEY).read_text())
    return wall, recorded


def main(args: list[str]) -> None:
    paths = [Path(arg).resolve() for arg in args] or toc_notebooks()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    previous = json.loads(RESULT.read_text()) if RESULT.exists() else None
    rows = {}
    for path in paths:
        name = str(path.relative_to(ROOT))
        rows[name] = {"start": start_seconds(path), "bare": bare_seconds(path)}
        print(f"ran {name}: start {rows[name]['start']:.1f} s, bare {rows[name]['bare']:.1f} s", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder)
        serial_wall, per_notebook = pytest_seconds(paths, cache, workers=1)
        print(f"ran pytest in series: {serial_wall:.1f} s", flush=True)
        parallel_wall, _ = pytest_seconds(paths, cache, workers=cores)  # heaviest first, from the serial run
        print(f"ran pytest on {cores} workers: {parallel_wall:.1f} s", flush=True)
    for name, row in rows.items():
        row["nbval"] = per_notebook[name]
        row["overhead"] = row["nbval"] / row["bare"]
    serial_sum = sum(row["nbval"] for row in rows.values())
    summary = {"cores": cores, "serial_sum": serial_sum, "serial_wall": serial_wall,
               "parallel_wall": parallel_wall, "ideal": serial_sum / cores,
               "parallel_over_ideal": parallel_wall / (serial_sum / cores),
               "parallel_over_serial_sum": parallel_wall / serial_sum}
    RESULT.parent.mkdir(exist_ok=True)
    RESULT.write_text(json.dumps({"chapters": rows, "summary": summary}, indent=1) + "\n")

    before = (previous or {}).get("chapters", {})
    print(f"\n{'notebook':44s} {'start':>6s} {'bare':>6s} {'nbval':>6s} {'nbval/bare':>10s}"
          + ("  nbval last bench" if before else ""))
    for name, row in rows.items():
        last = f"  {before[name]['nbval']:6.1f}" if name in before else ""
        print(f"{name:44s} {row['start']:6.1f} {row['bare']:6.1f} {row['nbval']:6.1f} "
              f"{row['overhead']:10.2f}{last}")
    bare_sum = sum(row["bare"] for row in rows.values())
    print(f"{'sum':44s} {sum(r['start'] for r in rows.values()):6.1f} {bare_sum:6.1f} {serial_sum:6.1f} "
          f"{serial_sum / bare_sum:10.2f}")
    print(f"\nserial sum of nbval times      {serial_sum:6.1f} s (one pytest in series: {serial_wall:.1f} s wall)")
    print(f"parallel wall, {cores} workers     {parallel_wall:6.1f} s")
    print(f"ideal (serial sum / {cores} cores)   {summary['ideal']:6.1f} s")
    print(f"parallel / ideal               {summary['parallel_over_ideal']:6.2f}"
          f"   (parallel / serial sum {summary['parallel_over_serial_sum']:.2f})")
    if previous:
        print(f"last bench: serial sum {previous['summary']['serial_sum']:.1f} s, "
              f"parallel wall {previous['summary']['parallel_wall']:.1f} s")
    print(f"written to {RESULT.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
