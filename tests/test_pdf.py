"""The whole book as one PDF (`make pdf`, tools/pdf.py) is complete and prints well.

Marker `pdf`: `make pdf` runs these right after tools/pdf.py has written
_build/pdf/deep-learning-nlp-diagnosis.pdf. Each check is a function that returns what
is wrong, so that test_checks_flag_a_badly_printed_book can show every one of them
failing on a small page printed the wrong way (raw LaTeX, no contents, no page breaks).
"""

import os
import re
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path

import pytest
from pypdf import PdfReader

from book import (
    ROOT,
    code_cells,
    figure_outputs,
    load,
    markdown,
    output_texts,
    source,
    source_of,
    tags,
    toc_files,
    toc_notebooks,
)
from pdf import CONFIG, PDF, PDF_NAME, print_pdf

pytestmark = pytest.mark.pdf

# Pages per line of content (content_lines(): prose, code, text outputs, figures),
# measured on the nine chapters of 2026-11-30: 333 pages for 17,300 lines (0.0193).
# The count must stay within 30% of that, so the bounds follow the book as it grows.
# The same page printed without print.css (Letter paper, screen sizes) gave 525
# pages, 58% more: flagged. A lost chapter is caught by the title checks.
PAGES_PER_LINE = 0.0193
PAGE_COUNT_TOLERANCE = 0.30
# One figure takes about this many lines of a page.
FIGURE_LINES = 25
# Text lines of prose, at about this many characters a printed line.
PROSE_COLUMNS = 110

# What maths and MyST look like when nothing rendered them: TeX delimiters, the TeX
# commands the chapters' maths uses most, directive fences and roles. The PDF may only
# show one where the code or an output on the page prints it verbatim (allowed_counts).
RAW_LATEX = ["$$", "\\(", "\\)", "\\[", "\\]", "\\begin{", "\\end{", "\\frac", "\\tfrac", "\\mathbf",
             "\\boldsymbol", "\\mathrm", "\\mathbb", "\\text{", "\\partial", "\\sigma", "\\sum", "\\sqrt",
             "\\times", "\\cdot", "\\top", "\\hat", "\\varepsilon", "\\operatorname"]
RAW_MYST = ["```{", ":::{", "{cite}", "{ref}", "{eq}", "{numref}", "{doc}", "{exercise}", "{solution-start}",
            "{solution-end}", "{admonition}", "{glue"]

# print.css writes this above every code cell the site folds (tag hide-input).
FOLDED_LABEL = "Code folded on the website:"


def norm(text: str) -> str:
    """Whitespace-insensitive text: line breaks and runs of spaces become one space."""
    return " ".join(text.split())


def title_of(path: Path) -> str:
    """A page's title: the first `# ` heading of its notebook or Markdown file."""
    text = markdown(load(path)) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("# "):
            return norm(line[2:].replace("`", ""))
    raise AssertionError(f"{path.relative_to(ROOT)} has no `# ` title")


@cache
def chapter_titles() -> tuple[str, ...]:
    """The title of every page the contents list (every toc entry after the root)."""
    return tuple(title_of(source_of(entry)) for entry in toc_files()[1:])


def shown_cells() -> list[dict]:
    """Every code cell whose input the book shows (all but remove-input / remove-cell)."""
    return [cell for path in toc_notebooks() for cell in code_cells(load(path))
            if not {"remove-input", "remove-cell"} & set(tags(cell))]


def _texts_of(args: tuple[str, int, int]) -> list[str]:
    path, start, stop = args
    pages = PdfReader(path).pages
    return [pages[i].extract_text() for i in range(start, stop)]


def page_texts(path: Path) -> list[str]:
    """The text of every page, extracted on all cores (pypdf needs about 0.1 s a page)."""
    count = len(PdfReader(path).pages)
    workers = max(1, min(os.cpu_count() or 1, 8))
    step = -(-count // (workers * 4))
    chunks = [(str(path), start, min(start + step, count)) for start in range(0, count, step)]
    if workers == 1 or count < 20:
        return [text for chunk in chunks for text in _texts_of(chunk)]
    with ProcessPoolExecutor(workers) as pool:
        return [text for texts in pool.map(_texts_of, chunks) for text in texts]


def body(text: str, number: int) -> str:
    """A page's text without its page number (the footer, extracted first or last)."""
    lines = text.strip().splitlines()
    if lines and lines[0].strip() == str(number):
        lines = lines[1:]
    if lines and lines[-1].strip() == str(number):
        lines = lines[:-1]
    return norm("\n".join(lines))


# ---- the checks: each returns a list of problems ----

def check_page_count(pages: int, content_lines: int) -> list[str]:
    expected = PAGES_PER_LINE * content_lines
    low, high = expected * (1 - PAGE_COUNT_TOLERANCE), expected * (1 + PAGE_COUNT_TOLERANCE)
    if low <= pages <= high:
        return []
    return [f"{pages} pages, expected {low:.0f} to {high:.0f} for {content_lines} lines of content"]


def check_titles(texts: list[str], titles: tuple[str, ...]) -> list[str]:
    everything = norm(" ".join(texts))
    return [f"title {title!r} is nowhere in the text" for title in titles if title not in everything]


def top_text(page) -> str:
    """A page's text from the top down (by position on the page, not by the order the
    PDF draws it in: the bibliography draws its column of labels first)."""
    fragments = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            fragments.append((-round(y, 1), x, text))

    page.extract_text(visitor_text=visit)
    return norm(" ".join(text for _, _, text in sorted(fragments)))


def chapter_starts(reader: PdfReader, texts: list[str], titles: tuple[str, ...]) -> tuple[dict[str, int], list[str]]:
    """The page (1-based) each title starts, as the topmost text of that page, in order."""
    starts, problems, after = {}, [], 1
    for title in titles:
        found = [n for n in range(after, len(texts) + 1)
                 if title in norm(texts[n - 1]) and top_text(reader.pages[n - 1]).startswith(title)]
        if found:
            starts[title] = after = found[0]
        else:
            problems.append(f"no page after page {after} starts with {title!r}")
    return starts, problems


def check_contents(texts: list[str], titles: tuple[str, ...], starts: dict[str, int]) -> list[str]:
    """A contents page comes before the first chapter, lists every title, and each
    title's page number there is the page that chapter starts on."""
    first_chapter = min(starts.values(), default=len(texts) + 1)
    contents = [n for n in range(1, first_chapter) if body(texts[n - 1], n).startswith("Contents")]
    if not contents:
        return [f"no page before the first chapter (page {first_chapter}) starts with 'Contents'"]
    listing = " ".join(body(texts[n - 1], n) for n in range(contents[0], first_chapter))
    problems = []
    for title in titles:
        number = re.search(re.escape(title) + r" (\d+)\b", listing)
        if not number:
            problems.append(f"the contents do not list {title!r} with a page number")
        elif title in starts and int(number.group(1)) != starts[title]:
            problems.append(f"the contents say {title!r} is on page {number.group(1)}, it starts on {starts[title]}")
    return problems


def allowed_counts(tokens: list[str]) -> dict[str, int]:
    """How often each token is printed verbatim by the book's code cells and their outputs."""
    verbatim = "\n".join(text for cell in shown_cells() for text in [source(cell), *output_texts(cell)])
    return {token: verbatim.count(token) for token in tokens}


def check_raw_markup(texts: list[str], allowed: dict[str, int]) -> list[str]:
    everything = "\n".join(texts)
    return [f"{token!r} appears {everything.count(token)} times, the code and outputs print it {limit}"
            for token, limit in allowed.items() if everything.count(token) > limit]


def check_bookmarks(reader: PdfReader, starts: dict[str, int]) -> list[str]:
    """One top-level bookmark per chapter, with its exact title, opening its first page."""
    top = {}
    for item in reader.outline:
        if not isinstance(item, list):
            top[norm(item.title)] = reader.get_destination_page_number(item) + 1
    problems = []
    for title, page in starts.items():
        if title not in top:
            problems.append(f"no bookmark {title!r} (bookmarks: {sorted(top)})")
        elif top[title] != page:
            problems.append(f"bookmark {title!r} opens page {top[title]}, the chapter starts on {page}")
    return problems


def image_count(reader: PdfReader) -> int:
    """Distinct image XObjects drawn on the pages (inside form XObjects too)."""
    images, forms = set(), set()

    def walk(resources) -> None:
        for ref in ((resources or {}).get("/XObject") or {}).values():
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Image":
                images.add(ref.idnum)
            elif xobject.get("/Subtype") == "/Form" and ref.idnum not in forms:
                forms.add(ref.idnum)
                walk(xobject.get("/Resources"))

    for page in reader.pages:
        walk(page.get("/Resources"))
    return len(images)


def svg_labels() -> list[str]:
    """The longest text label of each SVG figure (Chromium draws SVG as vectors and text)."""
    labels = []
    for path in toc_notebooks():
        for cell in code_cells(load(path)):
            for output in cell.get("outputs", []):
                svg = output.get("data", {}).get("image/svg+xml")
                if svg:
                    tree = ElementTree.fromstring(source({"source": svg}))
                    texts = [norm("".join(t.itertext())) for t in tree.iter() if t.tag.endswith("}text")]
                    labels.append(max(texts, key=len, default=""))
    return labels


def png_count() -> int:
    return sum("image/png" in output.get("data", {}) for path in toc_notebooks()
               for cell in code_cells(load(path)) for output in cell.get("outputs", []))


def check_figures(reader: PdfReader, texts: list[str], pngs: int, labels: list[str]) -> list[str]:
    problems = []
    if image_count(reader) < pngs:
        problems.append(f"{image_count(reader)} images in the PDF, the notebooks show {pngs} PNG figures")
    everything = norm(" ".join(texts))
    problems += [f"SVG figure with label {label!r} is missing" for label in labels if label not in everything]
    return problems


def check_open_blocks(texts: list[str], solutions: int, folded: int, first_lines: list[str]) -> list[str]:
    """Solutions and folded code cells are printed open: every solution's title, a label
    above every folded cell, and the first line of every code cell the book shows."""
    everything = norm(" ".join(texts))
    problems = []
    if everything.count("Solution to") < solutions:
        problems.append(f"{everything.count('Solution to')} solutions printed, the notebooks have {solutions}")
    if everything.count(FOLDED_LABEL) != folded:
        problems.append(f"{everything.count(FOLDED_LABEL)} folded code cells printed open, expected {folded}")
    missing = [line for line in first_lines if line not in everything]
    if missing:
        problems.append(f"{len(missing)} code cells not printed, e.g. {missing[:3]}")
    return problems


def content_lines() -> int:
    """Lines of content in the book: prose (wrapped), code, text outputs, figures."""
    lines = 0
    for entry in toc_files():
        path = source_of(entry)
        prose = markdown(load(path)) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
        lines += sum(1 + len(line) // PROSE_COLUMNS for line in prose.splitlines() if line.strip())
        if path.suffix != ".ipynb":
            continue
        for cell in code_cells(load(path)):
            lines += len(source(cell).splitlines())
            lines += sum(len(text.splitlines()) for text in output_texts(cell) if not text.lstrip().startswith("<"))
            lines += FIGURE_LINES * len(figure_outputs(cell))
    return lines


# ---- the book's PDF ----

@pytest.fixture(scope="module")
def reader() -> PdfReader:
    if not PDF.exists():
        pytest.fail(f"no {PDF.relative_to(ROOT)}: run `make pdf`")
    return PdfReader(PDF)


@pytest.fixture(scope="module")
def texts(reader) -> list[str]:
    return page_texts(PDF)


@pytest.fixture(scope="module")
def starts(reader, texts) -> dict[str, int]:
    found, problems = chapter_starts(reader, texts, chapter_titles())
    assert not problems, problems
    return found


def test_page_count_is_sane(reader):
    assert not check_page_count(len(reader.pages), content_lines())


def test_every_chapter_title_is_in_the_text(texts):
    assert not check_titles(texts, chapter_titles())


def test_each_chapter_starts_a_page(texts, starts):
    assert list(starts) == list(chapter_titles())
    assert starts[chapter_titles()[0]] > 2, "the cover and the contents come before the first chapter"


def test_contents_list_every_chapter_with_its_page(texts, starts):
    assert not check_contents(texts, chapter_titles(), starts)


def test_no_raw_latex_or_myst(texts):
    assert not check_raw_markup(texts, allowed_counts(RAW_LATEX + RAW_MYST))


def test_bookmarks_open_each_chapter(reader, starts):
    assert not check_bookmarks(reader, starts)


def test_every_figure_is_embedded(reader, texts):
    assert not check_figures(reader, texts, png_count(), svg_labels())


def test_solutions_and_folded_code_are_printed_open(texts):
    notebooks = [load(path) for path in toc_notebooks()]
    solutions = sum(markdown(nb).count("{solution-start}") for nb in notebooks)
    folded = sum("hide-input" in tags(cell) for nb in notebooks for cell in code_cells(nb))
    first_lines = [norm(source(cell).strip().splitlines()[0]) for cell in shown_cells()]
    assert solutions and folded
    assert not check_open_blocks(texts, solutions, folded, first_lines)


def test_cover_says_what_and_where(texts):
    cover = norm(texts[0])
    for wanted in (CONFIG["title"], CONFIG["author"], CONFIG["html"]["baseurl"], CONFIG["repository"]["url"]):
        assert wanted in cover, f"the cover lacks {wanted!r}"


def test_intro_and_readme_link_the_pdf():
    url = CONFIG["html"]["baseurl"].rstrip("/") + "/" + PDF_NAME
    for name in ("intro.md", "README.md"):
        assert url in (ROOT / name).read_text(encoding="utf-8"), f"{name} does not link the PDF ({url})"


# ---- the checks bite ----

BAD_BOOK = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>bad</title></head><body>
<h1>A wrong title</h1>
<p>Maths nobody rendered: $$\\sum_i \\frac{a}{b}$$ and \\(\\mathbf{x}\\), a role {cite}`lhotte2026notes`.</p>
<details><summary>Solution to Exercise 1</summary><pre>print("hidden")</pre></details>
<h2>TITLE</h2><p>This chapter does not start a page, nor has a bookmark of its own.</p>
</body></html>"""


def test_checks_flag_a_badly_printed_book(tmp_path):
    """A page printed the way the book must not be: maths and roles raw, no contents,
    a chapter title in the middle of a page, no figure, a folded solution."""
    titles = chapter_titles()
    html = tmp_path / "bad.html"
    html.write_text(BAD_BOOK.replace("TITLE", titles[0]), encoding="utf-8")
    pdf = tmp_path / "bad.pdf"
    print_pdf(html, pdf)
    reader = PdfReader(pdf)
    texts = page_texts(pdf)

    assert check_page_count(len(reader.pages), content_lines())
    assert len(check_titles(texts, titles)) == len(titles) - 1   # only the first title is there
    starts, problems = chapter_starts(reader, texts, titles)
    assert not starts and len(problems) == len(titles)           # and it starts no page
    assert check_contents(texts, titles, {titles[0]: 1})
    assert check_bookmarks(reader, {titles[0]: 1})
    flagged = " ".join(check_raw_markup(texts, allowed_counts(RAW_LATEX + RAW_MYST)))
    for token in ("'$$'", "'\\\\sum'", "'\\\\('", "'{cite}'"):   # one \frac is allowed: chapter 4 prints one
        assert token in flagged, (token, flagged)
    assert check_figures(reader, texts, png_count(), svg_labels())
    assert len(check_open_blocks(texts, 2, 1, ['print("shown")'])) == 3


def test_allowed_counts_come_from_the_code():
    """A token the code prints may appear that often (chapter 4 prints a `\\frac` label)."""
    allowed = allowed_counts(["\\frac", "{cite}"])
    assert allowed["{cite}"] == 0
    assert check_raw_markup(["x \\frac y"], {"\\frac": 1}) == []
    assert check_raw_markup(["x \\frac y \\frac"], {"\\frac": 1})
