"""The Colab edition of the chapters (tools/colab.py, `make colab`: _build/colab/chapters/)
reads as plain Markdown, keeps every code cell and output, keeps every exercise
with its solution (folded), and runs top to bottom in a Colab-like kernel.

Marker `colab`: `make colab` writes the copies (building the site first if it is
missing or stale), then runs these. Nearly all their time is the nine Colab-like
runs (about 4 min of CPU in all, chapter 9 the longest at about 1 min); `make
colab` spreads them over the cores with pytest-xdist, heaviest first.
"""

import copy as copy_module
import functools
import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import nbformat
import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import colab
from book import CELL_TIMEOUT_S, ROOT, load, source, tags, toc_notebooks

pytestmark = pytest.mark.colab

CHAPTERS = toc_notebooks()
SITE_URL = colab.SITE_URL
GITHUB = colab.REPOSITORY_URL + "/"
BIBLIOGRAPHY = SITE_URL + "bibliography.html#"
# What Colab and GitHub render: CommonMark (tables too), maths between dollars.
COMMONMARK = MarkdownIt("commonmark").enable("table")
WITH_MATHS = MarkdownIt("commonmark").enable("table").use(dollarmath_plugin)


def ids(paths: list[Path]) -> list[str]:
    return [path.stem for path in paths]


def edition_of(path: Path) -> dict:
    copy = colab.OUTDIR / path.relative_to(ROOT)
    if not copy.exists():
        pytest.fail(f"no Colab edition at {copy.relative_to(ROOT)}: run `make colab`")
    return load(copy)


def markdown_cells(notebook: dict) -> list[dict]:
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "markdown"]


# --- a Colab-like kernel -----------------------------------------------------------------------


# First in this file and heaviest first: with `--maxschedchunk 1` (make colab), pytest-xdist
# hands them out one at a time in this order, so the longest runs start first.
@pytest.mark.parametrize("path", CHAPTERS[::-1], ids=ids(CHAPTERS[::-1]))
def test_runs_top_to_bottom_in_a_colab_like_kernel(path, tmp_path):
    """Each copy runs top to bottom (only `raises-exception` cells may raise) in a
    Colab-like kernel: its `%pip install` guard really runs, offline (the pinned
    versions are installed, so pip has nothing to fetch); outputs are not compared
    (make test does that on the sources)."""
    notebook = nbformat.reads(json.dumps(edition_of(path)), as_version=4)
    log, content = tmp_path / "processes.jsonl", tmp_path / "content"
    content.mkdir()
    env = colab.colab_kernel_env(tmp_path / "kernel", notebook, log=log)
    try:
        NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name=notebook.metadata.kernelspec.name,
                       resources={"metadata": {"path": str(content)}}).execute(env=env)
    except CellExecutionError as error:
        pytest.fail(f"{path.name} stops in Colab: {str(error)[-2000:]}")
    installs = colab.guard_installs(notebook)
    started = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    pips = [argv for argv in started if "install" in argv and set(installs) <= set(argv)]
    assert bool(pips) == bool(installs), f"{path.name}: guard installs {installs}, processes {started}"


def test_colab_like_kernel(tmp_path):
    """The kernel the runs above use: google.colab imported at start, the runtime's
    modules importable, anything else refused in a cell (unless the notebook's
    guard installs it), and no network."""
    assert "torchviz" in colab.allowed_imports(load(ROOT / "chapters" / "02_pytorch_essentials.ipynb"))
    probe = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                               "language": "python"}})
    probe.cells = [nbformat.v4.new_code_cell(text) for text in [
        'import sys\nprint("google.colab" in sys.modules)',
        "import numpy\nimport torch.nn\nprint('runtime')",
        "import torchviz",  # installed here, but not on Colab and not by this notebook's guard
        "import myst_parser",
        "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\n"
        "except ConnectionRefusedError as error:\n    print(error)",
    ]]
    assert "torchviz" not in colab.allowed_imports(probe)
    NotebookClient(probe, timeout=CELL_TIMEOUT_S, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute(env=colab.colab_kernel_env(tmp_path, probe))
    outputs = [cell.outputs for cell in probe.cells]
    assert outputs[0][0]["text"] == "True\n" and outputs[1][0]["text"] == "runtime\n"
    for refused in (outputs[2], outputs[3]):
        assert refused[0]["output_type"] == "error" and refused[0]["ename"] == "ModuleNotFoundError"
        assert "bare Colab runtime" in refused[0]["evalue"]
    assert "network access is disabled" in outputs[4][0]["text"]


# --- the checks, and proof that they bite ----------------------------------------------------


def inline_tokens(tokens):
    for token in tokens:
        if token.type == "inline":
            yield token


def myst_left(markdown: str) -> list[str]:
    """MyST syntax that a CommonMark renderer would show raw: directive fences
    (``` or :::), roles ({name}`...`), targets `(x)=`, literal {cite} / {ref}."""
    found = []
    tokens = COMMONMARK.parse(markdown)
    for token in tokens:
        if token.type == "fence" and token.info.strip().startswith("{"):
            found.append(f"directive fence ```{token.info.strip()}")
    for token in inline_tokens(tokens):
        for line in token.content.split("\n"):
            stripped = line.strip()
            if stripped.startswith((":::", "```")) and "{" in stripped:
                found.append(f"directive fence {stripped!r}")
            if stripped.startswith("(") and stripped.endswith(")=") and " " not in stripped:
                found.append(f"target {stripped!r}")
        children = token.children or []
        for child, following in zip(children, [*children[1:], None]):
            if child.type != "text":
                continue
            if "{cite}" in child.content or "{ref}" in child.content:
                found.append(f"literal role name in {child.content!r}")
            tail = child.content.rsplit("{", 1)
            if (following is not None and following.type == "code_inline" and len(tail) == 2
                    and tail[1].endswith("}") and tail[1][:-1].replace(":", "").replace("-", "").isalnum()):
                found.append(f"role {{{tail[1]}`{following.content}`")
    return found


def links(markdown: str) -> list[str]:
    return [token.attrs["href"] for inline in inline_tokens(COMMONMARK.parse(markdown))
            for token in inline.children or [] if token.type == "link_open"]


def maths(tokens) -> list[str]:
    """Display maths as "$$...$$", inline maths as "$...$"."""
    found = [f"$${token.content.strip()}$$" for token in tokens if token.type == "math_block"]
    for token in inline_tokens(tokens):
        found += [f"${child.content.strip()}$" for child in token.children or [] if child.type == "math_inline"]
    return found


def source_maths(text: str) -> list[str]:
    """Every maths span of a MyST text, directive bodies and titles included."""
    tokens = colab.parser().parse(text)
    found = maths(tokens)
    for token in tokens:
        if colab.is_directive(token):
            _, argument, _, body = colab.directive_parts(token)
            found += source_maths(body)
            found += maths(colab.parser().parseInline(argument)) if argument else []
    return found


def test_the_checks_flag_myst():
    """The checker of the generated Markdown finds each MyST construct, and nothing in plain Markdown."""
    for myst in ["```{exercise} 1.1 A title\n:label: ex-a\n\nDo it.\n```",
                 ":::{admonition} Pitfall: a slip\n:class: warning\nText.\n:::",
                 "As {ref}`section 1.2 <sec-1-2>` shows.", "As {cite}`goodfellow2016deep` shows.",
                 "{eq}`my-equation` holds", "(sec-1-2)=\n## 1.2 Title", "the {cite} role"]:
        assert myst_left(myst), f"not flagged: {myst!r}"
    plain = ("> **Pitfall: a slip with $h$**\n>\n> Text, `code {ref}`, [a link](https://example.org) "
             "and $$x$$.\n\n```python\n# {cite}`x` in code is code\n```\n")
    assert myst_left(plain) == []
    assert source_maths(":::{admonition} About $h$\nWith $x$ and\n\n$$\ny\n$$\n:::") == ["$$y$$", "$x$", "$h$"]


def test_converter_output_and_refusals():
    """A sample of every construct converts to the Markdown below; what the converter
    cannot express, or cannot resolve, stops it."""
    site = colab.Site(
        labels={"sec-1-1": colab.Target(SITE_URL + "chapters/x.html#sec-1-1", "1.1 Classes")},
        citations={"a2017": colab.Target(BIBLIOGRAPHY + "id1", "A, 2017"),
                   "b2018": colab.Target(BIBLIOGRAPHY + "id2", "B *et al.*, 2018")})
    sample = "\n".join([
        "(sec-1-1)=", "## 1.1 Classes", "",
        "Write ``{ref}`sec-1-1` `` to get {ref}`sec-1-1`, or {ref}`this <sec-1-1>` {cite}`a2017,b2018`.",
        "| a | {ref}`x <sec-1-1>` |", "|---|---|", "| {cite}`a2017` | b |",
        ":::{admonition} Pitfall: $h$ and {ref}`sec-1-1`", ":class: warning", "Text $x$:", "", "$$", "y", "$$",
        ":::", "After the box.", "",
        "```{exercise} 1.2 Do it", ":label: ex-do", ":nonumber:", "", "- with {cite}`a2017`", "```", "",
        "```{solution-start} ex-do", ":class: dropdown", "```", "Because.", "```{solution-end}", "```"])
    url = SITE_URL + "chapters/x.html#sec-1-1"
    a, b = f"[A, 2017]({BIBLIOGRAPHY}id1)", f"[B *et al.*, 2018]({BIBLIOGRAPHY}id2)"
    expected = "\n".join([
        "## 1.1 Classes", "",
        f"Write ``{{ref}}`sec-1-1` `` to get [1.1 Classes]({url}), or [this]({url}) ({a}; {b}).",
        f"| a | [x]({url}) |", "|---|---|", f"| ({a}) | b |", "",
        f"> **Pitfall: $h$ and [1.1 Classes]({url})**", ">", "> Text $x$:", ">", "> $$", "> y", "> $$", "",
        "After the box.", "",
        "> **Exercise 1.2 (Do it)**", ">", f"> - with ({a})", "",
        "**Solution to exercise 1.2**", "", "Because.", "", "*End of the solution to exercise 1.2.*"])
    chapter = colab.Chapter(1, site)
    assert chapter.markdown(sample) == expected
    assert chapter.solved == ["ex-do"] and chapter.open_solution is None
    assert myst_left(expected) == [] and Counter(maths(WITH_MATHS.parse(expected))) == Counter(source_maths(sample))
    refused = {
        "an unknown directive": "```{figure} a.png\n```",
        "an unknown role": "{eq}`my-equation`",
        "a label the site lacks": "{ref}`nowhere`",
        "a citation key the site lacks": "{cite}`a2017,nobody2020`",
        "a directive inside a list": "- item\n\n  :::{note}\n  Text.\n  :::",
        "a solution before its exercise": "```{solution-start} ex-later\n```",
        "an exercise without its number": "```{exercise} Do it\n:label: ex-x\n:nonumber:\n```",
        "an unsupported option": ":::{admonition} Title\n:hidden:\nText.\n:::",
    }
    for what, myst in refused.items():
        with pytest.raises(colab.ConversionError):
            colab.Chapter(1, site).markdown(myst)
            pytest.fail(f"{what} was converted: {myst!r}")


# --- the generated notebooks -------------------------------------------------------------------


class SiteLinks(HTMLParser):
    """Each <a> of an HTML text: (href, inner text with <em> kept, whether Sphinx made it from {ref})."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, bool]] = []
        self.open: list | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a":
            self.open = [attributes.get("href") or "", "", False]
        elif self.open is not None:
            self.open[1] += "<em>" if tag == "em" else ""
            self.open[2] |= tag == "span" and "std-ref" in (attributes.get("class") or "").split()

    def handle_endtag(self, tag):
        if self.open is not None and tag == "em":
            self.open[1] += "</em>"
        if self.open is not None and tag == "a":
            self.found.append(tuple(self.open))
            self.open = None

    def handle_data(self, data):
        if self.open is not None:
            self.open[1] += data


@functools.cache
def html_of(page: Path) -> str:
    return page.read_text(encoding="utf-8")


# Each check returns what is wrong with a copy (nothing when it is right): the tests
# below run it on every chapter, test_the_notebook_checks_bite on broken copies.


def markdown_problems(path: Path, copy: dict) -> list[str]:
    """MyST left for Colab to show raw; a link that goes neither to the site (to a page
    and anchor of the built site) nor to GitHub, unless the source has it too."""
    problems, written = [], "\n".join(source(cell) for cell in markdown_cells(load(path)))
    for cell in markdown_cells(copy):
        problems += [f"cell {cell['id']}: {problem}" for problem in myst_left(source(cell))]
        for href in links(source(cell)):
            if href.startswith(SITE_URL):
                page, anchor = (href.removeprefix(SITE_URL).split("#") + [""])[:2]
                if not (colab.SITE / page).is_file() or (anchor and f'id="{anchor}"' not in html_of(colab.SITE / page)):
                    problems.append(f"cell {cell['id']}: {href} is not on the built site")
            elif not href.startswith(GITHUB) and href not in written:
                problems.append(f"cell {cell['id']}: a link to {href}")
    return problems


def reference_problems(path: Path, copy: dict) -> list[str]:
    """The copy's citations and cross-references, in order, against the chapter's page
    on the built site: the same targets, the same texts ("Goodfellow <em>et al.</em>, 2016")."""
    page = colab.SITE / path.relative_to(ROOT).with_suffix(".html")
    base = SITE_URL + page.relative_to(colab.SITE).as_posix()
    on_site = [(urljoin(base, href), text) for href, text, is_ref in SiteLinks(html_of(page)).found
               if is_ref or "bibliography.html#" in href]
    in_copy = [(href, text) for cell in markdown_cells(copy)[1:]  # after the note
               for href, text, _ in SiteLinks(COMMONMARK.render(source(cell))).found if href.startswith(SITE_URL)]
    # Sphinx curls the quotes of all text on the site (smartquotes); the copy keeps the
    # source's straight ones, in link texts as everywhere else.
    straight = str.maketrans("\u2018\u2019\u201c\u201d", "''\"\"")
    in_copy, on_site = ([(href, text.translate(straight)) for href, text in found] for found in (in_copy, on_site))
    problems = [f"copy {mine}, site {theirs}" for mine, theirs in zip(in_copy, on_site) if mine != theirs]
    if len(in_copy) != len(on_site):
        problems.append(f"{len(in_copy)} citations and references in the copy, {len(on_site)} on the site")
    if not any(href.startswith(BIBLIOGRAPHY) for href, _ in in_copy):
        problems.append("no citation linked to the bibliography")
    return problems


def solution_cells(notebook: dict) -> dict[str, str]:
    """Source side: id of each code cell inside a solution -> its exercise's number."""
    numbers, inside, found = {}, None, {}
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code" and inside:
            found[cell["id"]] = numbers[inside]
        if cell["cell_type"] != "markdown":
            continue
        for token in colab.parser().parse(source(cell)):
            if colab.is_directive(token):
                name, argument, options, _ = colab.directive_parts(token)
                if name == "exercise":
                    numbers[options["label"]] = argument.split()[0]
                inside = argument if name == "solution-start" else None if name == "solution-end" else inside
    return found


def folded_on_site(cell: dict) -> bool:
    return bool(colab.FOLDED_ON_SITE & set(tags(cell)))


def code_problems(original: dict, copy: dict) -> list[str]:
    """A code cell whose id, source, outputs, execution count or metadata changed, other
    than a solution cell's one first line `#@title Solution to exercise N.k` and its
    `cellView: form` (the same, with its own title, for a cell the site folds); cells
    out of order, or added other than the note and figure captions."""
    solutions = solution_cells(original)
    code = [cell for cell in original["cells"] if cell["cell_type"] == "code"]
    copied = [cell for cell in copy["cells"] if cell["cell_type"] == "code"]
    problems = [] if solutions else ["no solution cells in the source"]
    if [cell["id"] for cell in copied] != [cell["id"] for cell in code]:
        problems.append("the code cells differ")
    for before, after in zip(code, copied):
        expected_source, expected_metadata = source(before), dict(before["metadata"])
        if before["id"] in solutions:
            expected_source = f"#@title Solution to exercise {solutions[before['id']]}\n" + expected_source
            expected_metadata["cellView"] = "form"
        elif folded_on_site(before):
            expected_source = f"#@title {colab.folded_title(expected_source)}\n" + expected_source
            expected_metadata["cellView"] = "form"
        for what, changed in [("source", source(after) != expected_source),
                              ("metadata", after["metadata"] != expected_metadata),
                              ("outputs", after["outputs"] != before["outputs"]),
                              ("execution count", after["execution_count"] != before["execution_count"])]:
            if changed:
                problems.append(f"cell {before['id']}: {what} changed")
    kept = [cell["id"] for cell in copy["cells"] if not cell["id"].endswith("-caption")]
    if kept[:1] != ["colab-edition"] or kept[1:] != [cell["id"] for cell in original["cells"] if cell["id"] in kept]:
        problems.append("cells added, or out of order")
    return problems


# The lines the converter writes for exercises and solutions, as CommonMark renders them.
EVENT = re.compile(r"<blockquote>\s*<p><strong>Exercise (?P<exercise>\d+\.\d+) \("
                   r"|<p><strong>Solution to exercise (?P<solution>\d+\.\d+)</strong></p>"
                   r"|<p><em>End of the solution to exercise (?P<end>\d+\.\d+)\.</em></p>")


def events(notebook: dict) -> list[tuple[str, str]]:
    """The exercises and solutions of a copy as a reader meets them: ("exercise", "1.2"),
    ("solution", "1.2"), ("code", "1.2") for each folded cell, ("end", "1.2")."""
    found = []
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code" and cell["metadata"].get("cellView") == "form":
            title = re.fullmatch(r"#@title (Solution to exercise (\S+)|.*)", source(cell).split("\n")[0])
            if not title or title[2] or not folded_on_site(cell):   # not a cell the site folds
                found.append(("code", title[2] if title and title[2] else "?"))
        elif cell["cell_type"] == "markdown":
            html = COMMONMARK.render(source(cell))
            found += [(match.lastgroup, match[match.lastgroup]) for match in EVENT.finditer(html)]
    return found


def caption_problems(original: dict, copy: dict) -> list[str]:
    """Each figure's caption (myst-nb metadata on the site) must follow its cell as a Markdown
    cell "**Figure.** ..." with the caption's words; no caption cell anywhere else."""
    captions = {cell["id"]: colab.figure_caption(nbformat.from_dict(cell)) for cell in original["cells"]}
    cells, problems = copy["cells"], []
    for before, after in zip(cells, cells[1:]):
        caption = captions.get(before["id"])
        if not caption:
            continue
        words = set(re.findall(r"[A-Za-z]{3,}", caption)) - {"ref", "cite"}
        if after["id"] != colab.CAPTION_ID.format(id=before["id"]) or not source(after).startswith("**Figure.** "):
            problems.append(f"cell {before['id']}: no caption after its figure")
        elif missing := words - set(re.findall(r"[A-Za-z]{3,}", source(after))):
            problems.append(f"cell {before['id']}: the caption lost {sorted(missing)}")
    expected = sum(1 for caption in captions.values() if caption)
    placed = sum(1 for cell in cells if cell["id"].endswith("-caption"))
    if not expected or placed != expected:
        problems.append(f"{expected} captions in the source, {placed} in the copy")
    return problems


def exercise_problems(original: dict, copy: dict) -> list[str]:
    """Each exercise of the source must appear, in order, followed by its solution: the
    bold line, its folded code cells, the end line, before the next exercise."""
    exercises = [colab.directive_parts(token)[1].split()[0] for cell in markdown_cells(original)
                 for token in colab.parser().parse(source(cell))
                 if colab.is_directive(token) and colab.directive_parts(token)[0] == "exercise"]
    seen = events(copy)
    expected = []
    for number in exercises:
        codes = [event for event in seen if event == ("code", number)] or [("code", number)]  # at least one
        expected += [("exercise", number), ("solution", number), *codes, ("end", number)]
    return [] if exercises and seen == expected else [f"expected {expected}, found {seen}"]


def maths_problems(original: dict, copy: dict) -> list[str]:
    """Maths of the source (directive bodies and titles included) that is not maths in
    the copy (CommonMark with dollar maths): escaped, lost, or broken by a blockquote."""
    texts = [source(cell) for cell in markdown_cells(original)]
    texts += [caption for cell in original["cells"] if (caption := colab.figure_caption(nbformat.from_dict(cell)))]
    before = Counter(m for text in texts for m in source_maths(text))
    after = Counter(m for cell in markdown_cells(copy) for m in maths(WITH_MATHS.parse(source(cell))))
    return [] if before and after == before else [f"lost {before - after}, new {after - before}"]


def notebook_problems(path: Path, original: dict, copy: dict) -> list[str]:
    """Invalid nbformat, another kernelspec, no Colab name, or a first cell that does not
    link to the chapter's source on GitHub and to its page."""
    problems = []
    try:
        nbformat.validate(nbformat.reads(json.dumps(copy), as_version=4))
    except nbformat.ValidationError as error:
        problems.append(f"invalid: {error.message}")
    if copy["metadata"]["kernelspec"] != original["metadata"]["kernelspec"]:
        problems.append("kernelspec changed")
    if copy["metadata"].get("colab", {}).get("name") != path.name:
        problems.append("no Colab name")
    relative = path.relative_to(ROOT).as_posix()
    if links(source(copy["cells"][0])) != [f"{GITHUB}blob/{colab.BRANCH}/{relative}",
                                          SITE_URL + relative.replace(".ipynb", ".html")]:
        problems.append("the first cell is not the note")
    return problems


# Every check of a copy against its source notebook: name -> problems(path, original, copy).
CHECKS = {
    "markdown": lambda path, original, copy: markdown_problems(path, copy),     # plain, and its links resolve
    "references": lambda path, original, copy: reference_problems(path, copy),  # read as on the site
    "code": lambda path, original, copy: code_problems(original, copy),         # code cells and outputs unchanged
    "exercises": lambda path, original, copy: exercise_problems(original, copy),  # each keeps its solution
    "captions": lambda path, original, copy: caption_problems(original, copy),  # each figure keeps its caption
    "maths": lambda path, original, copy: maths_problems(original, copy),       # all maths survives
    "notebook": notebook_problems,                                              # valid, with its note first
}


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("path", CHAPTERS, ids=ids(CHAPTERS))
def test_the_copy_keeps_the_source(path, check):
    assert CHECKS[check](path, load(path), edition_of(path)) == []


def test_the_notebook_checks_bite():
    """Each check above finds the fault planted in an otherwise good copy of chapter 1."""
    path = CHAPTERS[0]
    original, good = load(path), edition_of(path)

    def broken(change) -> dict:
        copy = copy_module.deepcopy(good)
        change(copy["cells"])
        return copy

    def markdown_where(text: str):
        return lambda cells: next(c for c in cells if c["cell_type"] == "markdown" and text in source(c))

    def replace(text: str, by: str):
        def change(cells):
            cell = markdown_where(text)(cells)
            cell["source"] = source(cell).replace(text, by, 1)
        return change

    def folded(cells):   # the first solution cell
        return next(c for c in cells if source(c).startswith("#@title Solution to exercise"))

    def setup(cells):    # the setup cell, folded on the site
        return next(c for c in cells if c["cell_type"] == "code")

    def caption(cells):
        return next(c for c in cells if c["id"].endswith("-caption"))

    def first_output(cells):
        return next(c for c in cells if c["cell_type"] == "code" and c["outputs"])["outputs"]

    assert {name: check(path, original, good) for name, check in CHECKS.items()} == dict.fromkeys(CHECKS, [])
    faults = {
        "markdown": [replace("## Summary", "## Summary\n\nSee {ref}`sec-1-1`."),
                     replace("## Summary", "## Summary\n\nSee [the docs](https://pytorch.org)."),
                     replace("#sec-1-3)", "#sec-1-9)")],
        "references": [replace("Baydin *et al.*, 2018", "Baydin, 2018"), replace("#id5)", "#id6)")],
        "code": [lambda cells: first_output(cells).append({"output_type": "stream", "name": "stdout", "text": "x"}),
                 lambda cells: folded(cells).update(source=source(folded(cells)).split("\n", 1)[1]),
                 lambda cells: folded(cells)["metadata"].pop("cellView"),
                 lambda cells: cells.pop(3),
                 lambda cells: setup(cells)["metadata"].pop("cellView"),
                 lambda cells: setup(cells).update(source=source(setup(cells)).split("\n", 1)[1])],
        "captions": [lambda cells: cells.remove(caption(cells)),
                     lambda cells: caption(cells).update(source="**Figure.** A figure."),
                     lambda cells: caption(cells).update(source=source(caption(cells)).removeprefix("**Figure.** "))],
        "exercises": [replace("**Solution to exercise 1.2**", "**Solution**"),
                      replace("*End of the solution to exercise 1.1.*", ""),
                      lambda cells: folded(cells).update(source="#@title Solution\n" + source(folded(cells)))],
        "maths": [replace("$h$", "\\$h\\$"), replace("$$", "$")],
        "notebook": [lambda cells: cells.pop(0), lambda cells: cells[1].update(cell_type="nonsense")],
    }
    for name, changes in faults.items():
        for number, change in enumerate(changes):
            assert CHECKS[name](path, original, broken(change)), f"the {name} check misses fault {number}"
