"""The built site (_build/html) works offline and has what a reader needs.

Run by `make book` right after `jupyter-book build` (marker `site`).
"""

from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from book import SITE, config, figure_outputs, load, site_pages, source_of, toc_files

pytestmark = pytest.mark.site

CONFIG = config()
REPOSITORY = CONFIG["repository"]["url"].removeprefix("https://github.com/")
BRANCH = CONFIG["repository"]["branch"]
# The Colab button opens the Colab edition (make colab), published on its own branch.
COLAB_BRANCH = CONFIG["launch_buttons"]["colab_branch"]
# What a page may link to elsewhere (links, never loaded resources).
REMOTE = ("http:", "https:", "mailto:", "//")


class Page(HTMLParser):
    """The ids, links and loaded resources of one HTML page."""

    def __init__(self, path: Path):
        super().__init__()
        self.path = path
        self.ids: set[str] = set()
        self.links: list[str] = []        # <a href>: followed by the reader
        self.resources: list[str] = []    # loaded by the browser with the page
        self.classes: list[str] = []
        self.images: list[tuple[str, str]] = []   # (src, alt) of each <img>
        self.captions = 0                         # <figcaption> elements
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for key in ("id", "name"):
            if attributes.get(key):
                self.ids.add(attributes[key])
        self.classes.append(attributes.get("class") or "")
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag == "img":
            self.images.append((attributes.get("src") or "", attributes.get("alt") or ""))
        if tag == "figcaption":
            self.captions += 1
        if tag in ("script", "img", "iframe", "source") and attributes.get("src"):
            self.resources.append(attributes["src"])
        if tag == "link" and attributes.get("href") and attributes.get("rel") != "canonical":
            self.resources.append(attributes["href"])


@cache
def page(path: Path) -> Page:
    return Page(path)


@pytest.fixture(scope="module")
def pages() -> list[Page]:
    if not (SITE / "index.html").exists():
        pytest.fail("no built site in _build/html: run `make book`")
    return [page(path) for path in site_pages()]


def html_of(toc_entry: str) -> Path:
    return SITE / f"{toc_entry}.html"


def figure_images(chapter: Page) -> list[tuple[str, str]]:
    """(src, alt) of each figure a page shows: the notebook's images, which Sphinx copies to _images/."""
    return [(src, alt) for src, alt in chapter.images if "_images/" in src]


def chapter_entries() -> list[str]:
    return [entry for entry in toc_files() if entry.startswith("chapters/")]


def test_every_toc_entry_has_a_page(pages):
    missing = [entry for entry in toc_files() if not html_of(entry).exists()]
    assert not missing, f"no page built for {missing}"


def test_nothing_is_loaded_from_another_site(pages):
    remote = [(p.path.relative_to(SITE), r) for p in pages for r in p.resources if r.startswith(REMOTE)]
    assert not remote, f"pages load third-party resources: {remote[:10]}"


def test_mathjax_is_served_from_the_site(pages):
    chapter = page(html_of(chapter_entries()[0]))
    scripts = [r for r in chapter.resources if "mathjax" in r.lower()]
    assert scripts, "no MathJax script on the chapter page"
    for script in scripts:
        target = (chapter.path.parent / urlsplit(script).path).resolve()
        assert target.is_file(), f"MathJax script {script} is not in the built site"


def test_internal_links_and_anchors_resolve(pages):
    broken = []
    for p in pages:
        for href in p.links:
            if href.startswith(REMOTE) or href.startswith("javascript:"):
                continue
            parts = urlsplit(href)
            target = (p.path.parent / unquote(parts.path)).resolve() if parts.path else p.path
            if not target.exists():
                broken.append(f"{p.path.relative_to(SITE)}: {href} (no file)")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in page(target).ids:
                broken.append(f"{p.path.relative_to(SITE)}: {href} (no anchor)")
    assert not broken, "broken links:\n" + "\n".join(broken)


@pytest.mark.parametrize("entry", chapter_entries())
def test_chapter_has_colab_and_download_buttons(entry):
    links = page(html_of(entry)).links
    colab = f"https://colab.research.google.com/github/{REPOSITORY}/blob/{COLAB_BRANCH}/{entry}.ipynb"
    assert colab in links, f"{entry}: no Colab button to {colab}"
    assert not [link for link in links if link.startswith("https://colab.") and link != colab], (
        f"{entry}: a Colab link other than {colab}")
    assert f"../_sources/{entry}.ipynb" in links, f"{entry}: no download button for the .ipynb"


@pytest.mark.parametrize("entry", chapter_entries())
def test_chapter_shows_every_figure_and_folds_solutions(entry):
    notebook = load(source_of(entry))
    figures = sum(len(figure_outputs(cell)) for cell in notebook["cells"])
    chapter = page(html_of(entry))
    images = [src for src, _ in figure_images(chapter)]
    assert len(images) == figures, f"{entry}: notebook has {figures} figures, page shows {len(images)}"
    for src in images:
        assert (chapter.path.parent / src).is_file(), f"{entry}: image {src} missing from the site"
    folded = [c for c in chapter.classes if "solution" in c.split() and "dropdown" in c.split()]
    assert folded, f"{entry}: no folded solution on the page"


@pytest.mark.parametrize("entry", chapter_entries())
def test_every_figure_has_alt_text_and_a_caption(entry):
    """A reader who cannot see a figure gets its alt text; every reader gets a
    caption that says what to look at (from the cell's mystnb metadata)."""
    chapter = page(html_of(entry))
    figures = figure_images(chapter)
    for src, alt in figures:
        assert len(alt.split()) >= 8 and not alt.lower().endswith((".png", ".svg")), (
            f"{entry}: image {src} has no real alt text ({alt!r})")
    assert chapter.captions >= len(figures), (
        f"{entry}: {len(figures)} figures but {chapter.captions} captions")
