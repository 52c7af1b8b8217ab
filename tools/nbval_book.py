"""The book's additions to nbval, loaded as a pytest plugin by tests/conftest.py.

- Every notebook kernel nbval starts runs offline (tools/offline/), and each
  cell gets the book's one timeout (book.CELL_TIMEOUT_S) unless the command
  line sets `--nbval-cell-timeout`.
- Figures are compared too. nbval leaves `image/png` out of its comparison; here,
  once nbval has found a cell's other outputs equal, each stored PNG is decoded
  and compared with the fresh one by the root-mean-square difference of their
  pixels, as pytest-mpl and matplotlib's own tests do. A changed curve, colour,
  label or figure size fails with the cell named, and the stored, fresh and
  difference images are written under _build/figure-diffs/; anti-aliasing noise
  below the tolerance passes. The same nbval run does this: nothing is executed
  twice.
"""

import base64
import io
from pathlib import Path

import numpy as np
import pytest
from matplotlib.testing.compare import calculate_rms, save_diff_image
from nbval.plugin import IPyNbCell, IPyNbFile
from PIL import Image

from book import CELL_TIMEOUT_S, ROOT, network_cut

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


def compare_outputs_and_figures(self: IPyNbCell, test: list[dict], ref: list[dict], skip_compare=None) -> bool:
    """nbval's comparison, then the figures'."""
    if not _nbval_compare_outputs(self, test, ref, skip_compare):
        return False
    name = f"{Path(str(self.fspath)).stem}-cell{self.cell_num}"
    problems = figure_differences(pngs(ref), pngs(test), name)
    self.comparison_traceback = [f"Figures differ: {problem}" for problem in problems]
    return not problems


def start_kernel_offline(self: IPyNbFile) -> None:
    with network_cut():
        _nbval_file_setup(self)


_nbval_compare_outputs = IPyNbCell.compare_outputs
_nbval_file_setup = IPyNbFile.setup


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    IPyNbCell.compare_outputs = compare_outputs_and_figures
    IPyNbFile.setup = start_kernel_offline
    if not any(arg.startswith("--nbval-cell-timeout") for arg in config.invocation_params.args):
        config.option.nbval_cell_timeout = CELL_TIMEOUT_S


def pytest_unconfigure(config: pytest.Config) -> None:
    IPyNbCell.compare_outputs = _nbval_compare_outputs
    IPyNbFile.setup = _nbval_file_setup
