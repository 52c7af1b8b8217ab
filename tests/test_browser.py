"""The built site as a reader's browser shows it (`make check-site`, marker `browser`).

tools/check_site.mjs serves _build/html on 127.0.0.1, opens every page in headless Chromium (Debian's,
never downloaded) with every request that leaves localhost blocked, in the light and the dark colour
scheme, and writes _build/site-check.json and one full-page screenshot per page, scheme and width
(desktop 1280 px, phone 390 px) under _build/screenshots/. The module runs it once; each test holds
every page to one part of the report. test_the_driver_catches_* runs it on a small broken page.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from book import ROOT, SITE, load, site_pages, source_of, toc_files

pytestmark = pytest.mark.browser

DRIVER = ROOT / "tools" / "check_site.mjs"
REPORT = ROOT / "_build" / "site-check.json"
SCREENSHOTS = ROOT / "_build" / "screenshots"
SCHEMES = ("light", "dark")
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}   # CSS px = image px (device scale 1)
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def site_page_names() -> list[str]:
    """Every page of the built site, as the driver names them (relative to the site)."""
    return sorted(path.relative_to(SITE).as_posix() for path in site_pages())


def run_driver(site: Path, report: Path, screenshots: Path) -> tuple[int, dict, str]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node (Node.js 20 or newer) is not on PATH: install it, then run make check-site")
    process = subprocess.run([node, str(DRIVER), "--site", str(site), "--report", str(report),
                              "--screenshots", str(screenshots)],
                             cwd=ROOT, capture_output=True, text=True, timeout=900)
    if process.returncode not in (0, 1) or not report.is_file():
        pytest.fail(f"tools/check_site.mjs could not check {site} (exit {process.returncode}):\n"
                    f"{process.stderr[-4000:]}")
    return process.returncode, json.loads(report.read_text(encoding="utf-8")), process.stderr


@pytest.fixture(scope="module")
def report() -> dict:
    if not (SITE / "index.html").is_file():
        pytest.fail("no built site in _build/html: run `make book` (make check-site builds it when missing)")
    _, result, _ = run_driver(SITE, REPORT, SCREENSHOTS)
    return result


def records(report: dict, page: str) -> dict:
    assert page in report["pages"], f"{page}: not checked in the browser (not in {REPORT.name})"
    by_scheme = report["pages"][page]
    assert set(by_scheme) == set(SCHEMES), f"{page}: checked in {sorted(by_scheme)}, not in both schemes"
    for scheme, record in by_scheme.items():
        assert not record.get("error"), f"{page} [{scheme}]: the check itself failed: {record['error']}"
    return by_scheme


def png_top(path: Path, rows: int) -> tuple[Image.Image, tuple[int, int]]:
    """The image's full size and its top `rows` rows, decoded alone: a PNG decodes from the top,
    and the site's screenshots add up to about 1.5 gigapixels (15 s to decode in full)."""
    image = Image.open(path)
    width, height = image.size
    rows = min(rows, height)
    decoder, _, offset, args = image.tile[0][:4]
    image.tile = [(decoder, (0, 0, width, rows), offset, args)]
    image._size = (width, rows)
    image.load()
    return image, (width, height)


def test_every_page_is_checked_in_both_schemes(report):
    assert sorted(report["pages"]) == site_page_names(), "the browser check and the built site have different pages"
    assert report["schemes"] == list(SCHEMES)
    assert not report["stray"], f"noticed between pages: {report['stray']}"
    assert report["axe"]["tags"] == ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.mark.parametrize("page", site_page_names())
def test_no_accessibility_violations(report, page):
    """axe-core, WCAG 2.0 and 2.1 A and AA, at desktop width with every folded part opened."""
    problems = []
    for scheme, record in records(report, page).items():
        assert record["axe"] is not None, f"{page} [{scheme}]: axe did not run"
        for v in record["axe"]["violations"]:
            problems.append(f"{page} [{scheme}]: {v['id']} ({v['impact']}, {v['nodes']} nodes): {v['help']}\n"
                            f"    e.g. {' | '.join(v['targets'][:3])}\n    {v.get('summary', '')}")
    assert not problems, "axe violations:\n" + "\n".join(problems)


@pytest.mark.parametrize("page", site_page_names())
def test_no_console_errors(report, page):
    errors = [f"{page} [{scheme}]: {message}" for scheme, record in records(report, page).items()
              for message in record["console_errors"] + [f"uncaught: {e}" for e in record["page_errors"]]]
    assert not errors, "errors in the browser console:\n" + "\n".join(errors)


@pytest.mark.parametrize("page", site_page_names())
def test_nothing_is_requested_from_another_host(report, page):
    requests = [f"{page} [{scheme}]: blocked {url}" for scheme, record in records(report, page).items()
                for url in record["blocked_requests"]]
    requests += [f"{page} [{scheme}]: failed {failure}" for scheme, record in records(report, page).items()
                 for failure in record["failed_requests"]]
    assert not requests, "requests that left localhost or failed:\n" + "\n".join(requests)


@pytest.mark.parametrize("page", site_page_names())
def test_the_colour_scheme_really_shows(report, page):
    for scheme, record in records(report, page).items():
        theme = record["theme"]
        assert theme["theme"] == scheme, f"{page} [{scheme}]: the theme shows {theme['theme']!r} (html[data-theme])"
        assert theme["mode"] in ("auto", scheme), f"{page} [{scheme}]: theme mode {theme['mode']!r}"
        dark = theme["background_luminance"] < 0.2
        assert dark == (scheme == "dark"), f"{page} [{scheme}]: page background {theme['background']}"


@pytest.mark.parametrize("page", site_page_names())
def test_maths_is_rendered(report, page):
    for scheme, record in records(report, page).items():
        math = record["math"]
        if math["elements"] == 0 and not math["raw_delimiters"]:
            continue
        assert math["mathjax"] and not math["error"], f"{page} [{scheme}]: MathJax did not run: {math['error']}"
        assert math["rendered"] >= math["elements"], (
            f"{page} [{scheme}]: {math['rendered']} MathJax outputs for {math['elements']} maths elements")
        assert not math["raw_delimiters"], f"{page} [{scheme}]: raw TeX left in the text: {math['raw_delimiters']}"


@pytest.mark.parametrize("entry", [e for e in toc_files() if e.startswith("chapters/")])
def test_a_chapter_with_maths_has_maths_on_its_page(report, entry):
    """The maths check above is not vacuous: a chapter whose Markdown has $...$ shows maths elements."""
    notebook = load(source_of(entry))
    has_maths = any("$" in "".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    if not has_maths:
        pytest.skip(f"{entry} has no maths in its Markdown")
    for scheme, record in records(report, f"{entry}.html").items():
        assert record["math"]["elements"] > 0, f"{entry} [{scheme}]: the source has maths, the page shows none"


@pytest.mark.parametrize("page", site_page_names())
def test_the_page_fits_a_phone_screen(report, page):
    for scheme, record in records(report, page).items():
        overflow = record["phone_overflow"]
        assert overflow is None, (f"{page} [{scheme}]: at {overflow['viewport']} px the page is "
                                  f"{overflow['page_width']} px wide and scrolls sideways, because of: "
                                  f"{overflow['culprits']}")


@pytest.mark.parametrize("page", site_page_names())
def test_screenshots_exist_and_are_not_blank(report, page):
    Image.MAX_IMAGE_PIXELS = None   # our own full-page screenshots, up to 1280 x 100,000 px
    for scheme, record in records(report, page).items():
        for width_name, (width, height) in WIDTHS.items():
            path = ROOT / record["screenshots"][width_name]
            where = f"{page} [{scheme}, {width_name}]: {path.relative_to(ROOT)}"
            assert path.is_file() and path.parent == SCREENSHOTS, f"{where}: no screenshot"
            with path.open("rb") as png:
                png.seek(-len(PNG_END), 2)
                assert png.read() == PNG_END, f"{where}: not a complete PNG"
            top, size = png_top(path, 2000)
            assert size[0] == width and size[1] >= height, f"{where}: {size[0]} x {size[1]} px, not a full page"
            assert any(low != high for low, high in top.getextrema()), f"{where}: one colour only (blank)"
            brightness = ImageStat.Stat(top.convert("L")).mean[0]
            assert (brightness < 100) == (scheme == "dark"), f"{where}: mean brightness {brightness:.0f} of 255"


def test_the_driver_catches_a_broken_page(tmp_path):
    """Negative check: a page with an image without alt text, a console error, an image from another
    host, maths MathJax never rendered, no theme and a block too wide for a phone: each is reported."""
    site = tmp_path / "site"
    site.mkdir()
    Image.new("RGB", (40, 20), "teal").save(site / "chart.png")
    (site / "index.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Broken</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main>'
        "<h1>A broken page</h1><p>Some text.</p>"
        '<img src="chart.png">'
        '<img src="https://example.org/x.png" alt="a picture from another site">'
        '<p><span class="math notranslate nohighlight">\\(x^2\\)</span></p>'
        '<div style="width: 600px">a block wider than a phone</div>'
        '<script>console.error("deliberate error from the fixture")</script>'
        "</main></body></html>", encoding="utf-8")
    code, result, log = run_driver(site, tmp_path / "report.json", tmp_path / "shots")
    assert code == 1 and not result["ok"], f"the driver passed a broken page:\n{log}"
    for scheme in SCHEMES:
        record = result["pages"]["index.html"][scheme]
        assert "image-alt" in [v["id"] for v in record["axe"]["violations"]], f"[{scheme}] missing alt not reported"
        assert any("deliberate error from the fixture" in e for e in record["console_errors"]), record["console_errors"]
        assert "https://example.org/x.png" in record["blocked_requests"], record["blocked_requests"]
        assert record["math"]["elements"] == 1 and record["math"]["rendered"] == 0, record["math"]
        assert any("MathJax did not start" in p for p in record["problems"]), record["problems"]
        assert record["theme"]["theme"] is None and any("the theme shows" in p for p in record["problems"])
        assert record["phone_overflow"] and record["phone_overflow"]["page_width"] > 390, record["phone_overflow"]
        for width in WIDTHS:
            assert (ROOT / record["screenshots"][width]).is_file(), f"[{scheme}] no {width} screenshot of the fixture"
