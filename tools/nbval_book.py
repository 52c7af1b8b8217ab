"""The book's additions to nbval, loaded as a pytest plugin by tests/conftest.py.

- Every notebook kernel nbval starts runs offline (tools/offline/) under the
  kernel policy (book.kernel_env), and each cell gets the book's one timeout
  (book.CELL_TIMEOUT_S) unless the command line sets `--nbval-cell-timeout`.
- On the reference platform (book.on_reference_platform: x86-64 Linux, AVX2
  kernels, as the stored outputs were made) every output is compared exactly.
  Elsewhere (another processor, or `make test-portable`'s other kernels) two
  things are allowed, and nothing else: a printed number may differ from the
  stored one by at most one unit in its last printed digit (a rounding-boundary
  flip; the padding next to it may change width), and cells tagged
  `platform-sensitive` (chaotic by nature: sampled text, long training runs)
  still run but are reported as skipped instead of compared.
- Figures are compared too. nbval leaves `image/png` out of its comparison; here,
  once nbval has found a cell's other outputs equal, each stored PNG is decoded
  and compared with the fresh one by the root-mean-square difference of their
  pixels, as pytest-mpl and matplotlib's own tests do. A changed curve, colour,
  label or figure size fails with the cell named, and the stored, fresh and
  difference images are written under _build/figure-diffs/; anti-aliasing noise
  below the tolerance passes. The same nbval run does this: nothing is executed
  twice.
- Runs in parallel (pytest-xdist, `--dist loadscope`: one notebook, one worker)
  and in series alike: test files are ordered heaviest first, by the seconds
  each took in the last run (kept in pytest's cache; file size before any run),
  so a long notebook starts first rather than last; the list of
  platform-sensitive cells travels with the test reports, so the controller
  prints it too.
"""

import base64
import copy
import io
import platform
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from matplotlib.testing.compare import calculate_rms, save_diff_image
from nbval.plugin import IPyNbCell, IPyNbFile
from PIL import Image

from book import CELL_TIMEOUT_S, ROOT, kernel_environment, kernels, on_reference_platform

# Cells whose outputs are compared only on the reference platform. Keep them few:
# the cell next to one prints the relation that must hold on every machine.
PLATFORM_SENSITIVE = "platform-sensitive"
# Seconds each test file took in the last run (setup, call and teardown of all
# its tests), in pytest's cache: the order of the next run.
DURATIONS_KEY = "book/seconds-per-file"

# Largest RMS pixel difference (0-255 scale, RGBA) allowed between two renderings
# of the same figure; pytest-mpl's default. Measured on a 556x413 line plot: drawn
# again, 0.00; one of three points moved by 0.005 (under a pixel), 3.40; by 0.1, 12.08.
FIGURE_RMS_TOLERANCE = 2.0
DIFF_FOLDER = ROOT / "_build" / "figure-diffs"


def pngs(outputs: list[dict]) -> list[str]:
    """The base64 PNGs among a cell's outputs, in order."""
    return [output["data"]["image/png"] for output in outputs if "image/png" in output.get("data", {})]


def pixels(png: str) -> np.ndarray:
    # base64 in a notebook may be split over lines; b64decode skips the newlines.
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(png))).convert("RGBA"))


def figure_differences(stored: list[str], fresh: list[str], name: str) -> list[str]:
    """What differs between stored and fresh figures, one message each; writes
    the images of each differing figure to DIFF_FOLDER, named after `name`."""
    if len(stored) != len(fresh):
        return [f"the cell drew {len(fresh)} figure(s); the notebook stores {len(stored)}"]
    problems = []
    for number, (old, new) in enumerate(zip(stored, fresh), start=1):
        expected, actual = pixels(old), pixels(new)
        if expected.shape != actual.shape:
            problems.append(f"figure {number}: size changed from {expected.shape[1]}x{expected.shape[0]} "
                            f"to {actual.shape[1]}x{actual.shape[0]} pixels")
            continue
        rms = calculate_rms(expected.astype(np.int16), actual.astype(np.int16))
        if rms > FIGURE_RMS_TOLERANCE:
            written = save_figures(f"{name}-figure{number}", expected, actual)
            problems.append(f"figure {number}: RMS pixel difference {rms:.2f} > {FIGURE_RMS_TOLERANCE} "
                            f"(stored, fresh and diff images: {written})")
    return problems


def save_figures(stem: str, expected: np.ndarray, actual: np.ndarray) -> str:
    DIFF_FOLDER.mkdir(parents=True, exist_ok=True)
    paths = {kind: DIFF_FOLDER / f"{stem}-{kind}.png" for kind in ("stored", "fresh", "diff")}
    Image.fromarray(expected).save(paths["stored"])
    Image.fromarray(actual).save(paths["fresh"])
    save_diff_image(str(paths["stored"]), str(paths["fresh"]), str(paths["diff"]))
    return str(paths["diff"].relative_to(ROOT).parent / f"{stem}-*.png")


# A printed number: optional sign, digits with an optional fraction, optional
# exponent; not part of a name (conv2d), a version (2.14.1) or a hex address.
NUMBER = re.compile(r"(?<![\w.])[-+]?(?>\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?(?!\w|\.\d)")
TEXT_TYPES = ("text/plain", "text/html", "text/latex", "text/markdown", "image/svg+xml")


def last_digit_unit(number: str) -> Decimal:
    """The value of one unit in the last printed digit: 0.01 for '3.14', 1e-6 for '3.4e-05'."""
    return Decimal(1).scaleb(Decimal(number).as_tuple().exponent)


def within_last_digit(stored: str, fresh: str) -> bool:
    """Whether `fresh` prints the same text as `stored` but for numbers that differ by
    at most one unit in their last printed digit (printed to the same precision), and
    whitespace (the padding that a wider or signed number changes)."""
    stored_numbers, fresh_numbers = NUMBER.findall(stored), NUMBER.findall(fresh)
    if len(stored_numbers) != len(fresh_numbers):
        return False
    if re.sub(r"\s+", "", NUMBER.sub("#", stored)) != re.sub(r"\s+", "", NUMBER.sub("#", fresh)):
        return False  # other text changed, not only the padding
    return all(last_digit_unit(old) == last_digit_unit(new)
               and abs(Decimal(old) - Decimal(new)) <= last_digit_unit(old)
               for old, new in zip(stored_numbers, fresh_numbers))


def within_tolerance(test: list[dict], ref: list[dict]) -> list[dict]:
    """Off the reference platform: a copy of the fresh outputs in which each text that is
    within_last_digit of its stored counterpart is replaced by the stored text, so that
    nbval's exact comparison passes it; anything else is left to fail."""
    accepted = copy.deepcopy(test)
    for fresh, stored in zip(accepted, ref):
        if fresh.get("output_type") != stored.get("output_type"):
            continue
        if fresh.get("output_type") == "stream" and fresh.get("name") == stored.get("name"):
            if within_last_digit(stored["text"], fresh["text"]):
                fresh["text"] = stored["text"]
        for mime in TEXT_TYPES:
            old, new = stored.get("data", {}).get(mime), fresh.get("data", {}).get(mime)
            if isinstance(old, str) and isinstance(new, str) and within_last_digit(old, new):
                fresh["data"][mime] = old
    return accepted


def compare_outputs_and_figures(self: IPyNbCell, test: list[dict], ref: list[dict], skip_compare=None) -> bool:
    """nbval's comparison (within the portable tolerance off the reference platform),
    then the figures'."""
    if not on_reference_platform():
        test = within_tolerance(test, ref)
    if not _nbval_compare_outputs(self, test, ref, skip_compare):
        return False
    name = f"{Path(str(self.fspath)).stem}-cell{self.cell_num}"
    problems = figure_differences(pngs(ref), pngs(test), name)
    self.comparison_traceback = [f"Figures differ: {problem}" for problem in problems]
    return not problems


def start_kernel_in_kernel_env(self: IPyNbFile) -> None:
    with kernel_environment():
        _nbval_file_setup(self)


def run_cell(self: IPyNbCell) -> None:
    """A platform-sensitive cell off the reference platform runs (later cells need it)
    but is not compared: it is reported as skipped, with the reason."""
    if PLATFORM_SENSITIVE in self.cell.metadata.get("tags", []) and not on_reference_platform():
        self.options["check"] = False
        _nbval_runtest(self)
        pytest.skip(f"{PLATFORM_SENSITIVE}: its output is compared only on the reference platform "
                    f"(x86-64 Linux, avx2 kernels; this run: {platform_description()}); it ran without error")
    _nbval_runtest(self)


def platform_description() -> str:
    return f"{platform.machine()} {platform.system()}, {kernels()} kernels"


def test_file(nodeid: str) -> str:
    return nodeid.split("::")[0]


def reports_of(terminalreporter) -> list:
    """Every test report of the run (on the controller too, under xdist)."""
    return [report for found in terminalreporter.stats.values() for report in found if hasattr(report, "nodeid")]


def seconds_per_file(reports) -> dict[str, float]:
    """Seconds each test file took: setup (a notebook's kernel start), call and
    teardown of every one of its tests."""
    seconds: dict[str, float] = {}
    for report in reports:
        if hasattr(report, "when") and hasattr(report, "duration"):
            path = test_file(report.nodeid)
            seconds[path] = seconds.get(path, 0.0) + report.duration
    return seconds


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    """Heaviest test files first (each file's tests stay together and in order), and
    mark platform-sensitive cells so that their reports say so."""
    cache = getattr(config, "cache", None)  # absent under -p no:cacheprovider
    last_run = cache.get(DURATIONS_KEY, {}) if cache is not None else {}

    weight = {}
    for path in {test_file(item.nodeid) for item in items}:
        size = (ROOT / path).stat().st_size if (ROOT / path).is_file() else 0
        weight[path] = (-last_run.get(path, 0.0), -size)
    items.sort(key=lambda item: weight[test_file(item.nodeid)])  # stable: a file's tests keep their order
    for item in items:
        if isinstance(item, IPyNbCell) and PLATFORM_SENSITIVE in item.cell.metadata.get("tags", []):
            item.user_properties.append((PLATFORM_SENSITIVE, True))


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """Name the cells that are compared only on the reference platform (keep them few),
    and remember how long each test file took, for the order of the next run."""
    reports = reports_of(terminalreporter)
    cells = sorted({report.nodeid for report in reports
                    if any(tuple(prop) == (PLATFORM_SENSITIVE, True)  # a list once xdist sent it
                           for prop in getattr(report, "user_properties", []))},
                   key=lambda nodeid: (test_file(nodeid), int(re.sub(r"\D", "", nodeid.split("::")[-1]) or 0)))
    if cells:
        terminalreporter.section(f"{PLATFORM_SENSITIVE} cells: {len(cells)}")
        where = "compared exactly here" if on_reference_platform() else "run but not compared here"
        for nodeid in cells:
            terminalreporter.write_line(f"{nodeid} ({where})")
    if getattr(config, "cache", None) is not None and not hasattr(config, "workerinput"):
        remembered = config.cache.get(DURATIONS_KEY, {})
        config.cache.set(DURATIONS_KEY, remembered | seconds_per_file(reports))


def pytest_report_header(config: pytest.Config) -> str:
    if on_reference_platform():
        return f"notebook outputs: exact comparison (reference platform: {platform_description()})"
    return (f"notebook outputs: portable comparison ({platform_description()}): printed numbers may differ by one "
            f"unit in their last digit; {PLATFORM_SENSITIVE} cells run but are not compared")


_nbval_compare_outputs = IPyNbCell.compare_outputs
_nbval_file_setup = IPyNbFile.setup
_nbval_runtest = IPyNbCell.runtest


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    IPyNbCell.compare_outputs = compare_outputs_and_figures
    IPyNbCell.runtest = run_cell
    IPyNbFile.setup = start_kernel_in_kernel_env
    if not any(arg.startswith("--nbval-cell-timeout") for arg in config.invocation_params.args):
        config.option.nbval_cell_timeout = CELL_TIMEOUT_S


def pytest_unconfigure(config: pytest.Config) -> None:
    IPyNbCell.compare_outputs = _nbval_compare_outputs
    IPyNbCell.runtest = _nbval_runtest
    IPyNbFile.setup = _nbval_file_setup
