"""`make pdf`: the whole book as one PDF, _build/pdf/deep-learning-nlp-diagnosis.pdf.

    python tools/pdf.py

Students print and annotate. The PDF has a cover (title, author, where the book
lives), a contents page with page numbers, each chapter starting on a new page,
maths rendered by the site's own offline MathJax, every figure, bookmarks (one per
chapter, with its sections), and every exercise solution and folded code cell
printed open: the site folds them, and a folded box on paper is an empty box.

1. Jupyter Book builds the single-page HTML (builder singlehtml), strictly like
   `make book` (-W -n), into _build/pdf/_build/singlehtml: its own output folder,
   hence its own doctrees, so it never races `make book` over _build/.doctrees.
   It reads a copy of _config.yml (_build/pdf/_config.yml) that adds this module
   as a Sphinx extension: see setup().
2. print_copy() writes print.html beside that page: the same page with the cover,
   page numbers in the theme's printed contents, every folded block opened and
   each chapter title made an h1 (a top-level bookmark).
3. Headless Chromium (CHROMIUM, default `chromium`; never downloaded, no network)
   prints it with the book's print stylesheet, _static/print.css: first a draft
   (untagged, quicker) whose link destinations say on which page each chapter starts,
   then the book (tagged: bookmarks, readable by screen readers) with those numbers in
   its contents, reprinted (at most twice more) until every chapter stays on its page.
4. tests/test_pdf.py (marker pdf, run by `make pdf` after this) checks the result.
"""

import copy
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from bs4 import BeautifulSoup
from pypdf import PdfReader

from book import ROOT, TOOLS, config, toc_files

PDF_NAME = "deep-learning-nlp-diagnosis.pdf"
OUT = ROOT / "_build" / "pdf"
PDF = OUT / PDF_NAME
SINGLE = OUT / "_build" / "singlehtml"
PRINT_HTML = SINGLE / "print.html"
CONFIG = config()

# Chromium without anything that reaches the network: no sync, no component or
# safe-browsing updates, a fresh profile, and every host name unresolvable.
# --no-sandbox: Chromium refuses to start as root without it (our CI runs as root; on
# GitHub's Ubuntu runners AppArmor forbids its sandbox);
# it only ever opens the book's own local page.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
    "--disable-extensions", "--host-resolver-rules=MAP * ~NOTFOUND",
    "--no-pdf-header-footer",
]
# MathJax typesets after the page has loaded. Virtual time only runs while the page
# is idle (none of it passes while a script is still loading), so a generous budget
# costs nothing; tests/test_pdf.py proves no raw LaTeX is left in the PDF.
VIRTUAL_TIME_BUDGET_MS = 30_000
PRINT_TIMEOUT_S = 600
# The contents page is printed with this placeholder first: as wide as any real number.
PLACEHOLDER = "000"


def setup(app):
    """Sphinx extension, loaded only by the PDF build (step 1).

    Sphinx gives a builder the node visitors registered under its name, else those
    of its format. sphinx-exercise registers its nodes for `singlehtml` by name, so
    that builder loses every visitor other extensions registered for `html` (myst-nb's
    folded code cell fails with "unknown node type: HideCodeCellNode"). Give
    singlehtml the html visitors it lacks.
    """

    def share_html_visitors(app):
        if app.builder.name == "singlehtml":
            handlers = app.registry.translation_handlers
            single = handlers.setdefault("singlehtml", {})
            for node, visitors in handlers.get("html", {}).items():
                single.setdefault(node, visitors)

    app.connect("builder-inited", share_html_visitors)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def build_single_page() -> Path:
    """Jupyter Book's singlehtml build of the whole book; returns its page."""
    settings = copy.deepcopy(CONFIG)
    settings.setdefault("sphinx", {})
    # Jupyter Book finds a local extension relative to the config file: this copy lives
    # in _build/pdf, so every path becomes absolute.
    extensions = {name: str((ROOT / path).resolve())
                  for name, path in (settings["sphinx"].get("local_extensions") or {}).items()}
    settings["sphinx"]["local_extensions"] = {**extensions, Path(__file__).stem: str(TOOLS)}
    OUT.mkdir(parents=True, exist_ok=True)
    derived = OUT / "_config.yml"
    derived.write_text("# Written by tools/pdf.py: _config.yml plus the PDF build's extension.\n"
                       + yaml.safe_dump(settings, sort_keys=False, allow_unicode=True), encoding="utf-8")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    subprocess.run([str(jupyter_book), "build", "--all", "-W", "-n", "--keep-going", "-q",
                    "--builder", "singlehtml", "--path-output", str(OUT), "--config", str(derived), str(ROOT)],
                   check=True, cwd=ROOT)
    page = SINGLE / f"{toc_files()[0]}.html"   # the root page
    if not page.exists():
        raise SystemExit(f"the singlehtml build wrote no {page.relative_to(ROOT)}")
    return page


def git_version() -> str | None:
    """'commit abc1234 of 2026-11-30' for the cover, or None outside a git clone."""
    try:
        found = subprocess.run(["git", "log", "-1", "--format=%h %cs"], cwd=ROOT, capture_output=True,
                               text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if found.returncode != 0 or len(found.stdout.split()) != 2:
        return None
    commit, date = found.stdout.split()
    return f"commit {commit} of {date}"


def one(found: list, what: str):
    """The single element the theme's markup should have; stops with a clear message if not."""
    if len(found) != 1:
        raise SystemExit(f"tools/pdf.py: expected one {what} in the single page, found {len(found)}: "
                         "the theme's markup changed, update print_copy()")
    return found[0]


def print_copy(page: Path, pages: dict[str, int] | None = None) -> dict[str, str]:
    """Write PRINT_HTML: `page` made into a printed book (see the module's docstring).

    `pages` maps each chapter's anchor (the contents' link target) to its page
    number; without it the contents show PLACEHOLDER. Returns the anchor → chapter
    title map of the contents, in reading order.
    """
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    soup.body["class"] = [*soup.body.get("class", []), "pdf-book"]

    # The theme's print-only header: the book's title and its whole table of contents.
    header = one(soup.select("#jb-print-docs-body"), "#jb-print-docs-body (the theme's print header)")
    title = one(header.find_all("h1"), "title in the print header")
    cover = soup.new_tag("div", attrs={"class": "pdf-cover"})
    lines = [("pdf-title", CONFIG["title"], None), ("pdf-author", f"by {CONFIG['author']}", None),
             ("pdf-where", "Read it online, run it in Colab, download the notebooks: ", CONFIG["html"]["baseurl"]),
             ("pdf-where", "Source: ", CONFIG["repository"]["url"])]
    version = git_version()
    note = ("This PDF is the website printed: the code, outputs and figures stored in the notebooks, "
            "with every exercise solution and every folded code cell printed open.")
    lines.append(("pdf-note", note + (f" Printed from {version}." if version else "")
                  + f" © {CONFIG.get('copyright', '')}", None))
    for css_class, text, link in lines:
        paragraph = soup.new_tag("p", attrs={"class": css_class})
        paragraph.append(text)
        if link:
            anchor = soup.new_tag("a", href=link)
            anchor.append(link)
            paragraph.append(anchor)
        cover.append(paragraph)
    title.replace_with(cover)

    toc = one(header.select("#jb-print-toc"), "#jb-print-toc (the printed contents)")
    contents = one(toc.find_all("h2"), "Contents heading")
    contents.name = "h1"
    contents.string = "Contents"
    chapters = {}
    for link in toc.select("nav a[href^='#document-']"):
        anchor = link["href"][1:]
        chapters[anchor] = link.get_text(" ", strip=True)
        number = soup.new_tag("span", attrs={"class": "pdf-toc-page"})
        number.append(str(pages[anchor]) if pages else PLACEHOLDER)
        link.append(number)
    if not chapters:
        raise SystemExit("tools/pdf.py: the printed contents list no chapter")

    # Each document of the single page: a page break before it (print.css), its title an h1.
    for anchor in chapters:
        marker = one(soup.find_all("span", id=anchor), f"span#{anchor}")
        section = marker.find_next_sibling("section")
        heading = section.find(["h1", "h2"]) if section else None
        if heading is None:
            raise SystemExit(f"tools/pdf.py: no title after span#{anchor}")
        heading.name = "h1"

    # Folded blocks open: hidden code cells (<details>), and dropdown admonitions (exercise
    # solutions) are no longer dropdowns, so sphinx-togglebutton leaves them open.
    for details in soup.find_all("details"):
        details["open"] = ""
    for box in soup.select("div.admonition.dropdown"):
        box["class"] = [c for c in box["class"] if c != "dropdown"] + (
            ["pdf-solution"] if "solution" in box["class"] else [])

    PRINT_HTML.write_text(str(soup), encoding="utf-8")
    return chapters


def chromium() -> str:
    name = os.environ.get("CHROMIUM", "chromium")
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"Chromium not found ({name}): run `make chromium`, or set CHROMIUM=/path/to/chrome")
    return found


def print_pdf(html: Path, pdf: Path, *, bookmarks: bool = True) -> None:
    """Print a local HTML page to `pdf` with headless Chromium, offline.

    With bookmarks, the PDF is tagged (its structure tree is what Chromium builds the
    bookmarks from, and what a screen reader reads): about three times the size and
    half again the time of an untagged print, so drafts go without.
    """
    pdf.unlink(missing_ok=True)
    extra = ["--generate-pdf-document-outline"] if bookmarks else ["--disable-pdf-tagging"]
    with tempfile.TemporaryDirectory(prefix="pdf-chromium-") as profile:
        done = subprocess.run([chromium(), *CHROMIUM_FLAGS, *extra, f"--user-data-dir={profile}",
                               f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}", f"--print-to-pdf={pdf}",
                               html.resolve().as_uri()],
                              capture_output=True, text=True, timeout=PRINT_TIMEOUT_S)
    if done.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
        raise SystemExit(f"Chromium printed nothing (exit {done.returncode}):\n{done.stderr[-3000:]}")


def anchor_pages(reader: PdfReader) -> dict[str, int]:
    """Anchor (HTML id) → page number (1-based), from the PDF's named destinations:
    Chromium writes one for every id that a link of the page points to."""
    return {name.lstrip("/"): reader.get_destination_page_number(destination) + 1
            for name, destination in reader.named_destinations.items()}


def chapter_pages(pdf: Path, chapters: dict[str, str]) -> dict[str, int]:
    """The page each chapter starts on (its anchor is the contents' link target)."""
    found = anchor_pages(PdfReader(pdf))
    missing = [anchor for anchor in chapters if anchor not in found]
    if missing:
        raise SystemExit(f"tools/pdf.py: {pdf} has no destination for {missing}")
    return {anchor: found[anchor] for anchor in chapters}


def main() -> None:
    started = time.perf_counter()
    page = build_single_page()
    built = time.perf_counter()
    # A draft (untagged: quicker) says where the chapters start; the book is printed with
    # those page numbers in its contents, and must keep them.
    draft = OUT / "draft.pdf"
    chapters = print_copy(page)
    print_pdf(PRINT_HTML, draft, bookmarks=False)
    pages = chapter_pages(draft, chapters)
    draft.unlink()
    for prints in range(2, 5):
        print_copy(page, pages)
        print_pdf(PRINT_HTML, PDF)
        printed = chapter_pages(PDF, chapters)
        if printed == pages:
            break
        pages = printed
    else:
        raise SystemExit(f"tools/pdf.py: the chapters' first pages moved on every print: {pages}")
    reader = PdfReader(PDF)
    print(f"{PDF.relative_to(ROOT)}: {len(reader.pages)} pages, {PDF.stat().st_size / 1e6:.1f} MB "
          f"(singlehtml build {built - started:.0f} s, {prints} prints {time.perf_counter() - built:.0f} s)")


if __name__ == "__main__":
    main()
