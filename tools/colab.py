"""The Colab edition of the chapter notebooks: `make colab`.

    python tools/colab.py [OUTDIR]     # writes OUTDIR/chapters/NN_slug.ipynb (default _build/colab)

Colab and GitHub's notebook view render CommonMark with `$` maths, not MyST: a
chapter opened there would show its exercises, solutions and pitfall boxes as raw
fenced blocks and its citations as `{cite}` text. This tool writes a copy of each
chapter whose Markdown is plain:

- each markdown cell is parsed with myst-parser's own markdown-it set-up (the
  extensions of _config.yml's `parse:`); the constructs the parser finds are
  replaced in the source text by line range (directives, targets) or by the
  exact span the parser consumed (roles), so everything else stays verbatim
  (maths included);
- `{admonition}` (and the named admonitions) become a blockquote led by the bold
  title; `{exercise}` a blockquote led by "Exercise N.k (title)";
  `{solution-start}` / `{solution-end}` bold "Solution to exercise N.k" and
  "End of the solution" lines; `(label)=` targets are dropped (see below);
- {ref}`text <label>` becomes a link to that label on the published site (the
  built site's objects.inv; the label's title when no text is given);
  {cite}`a,b` becomes "(A, 2017; B *et al.*, 2018)", each linked to its entry on
  the site's bibliography page, with sphinxcontrib-bibtex's own author-year text;
- code cells between a solution's start and end get a first line
  `#@title Solution to exercise N.k` and `cellView: form` (Colab folds them), and
  so do the cells the site folds or hides (tags hide-input, remove-input), titled
  by their first comment line; every other code cell and every output is copied
  untouched; a figure's caption (myst-nb metadata, which Colab ignores) follows
  its cell as a Markdown cell "**Figure.** ...";
- a first Markdown cell says what the copy is and links to the chapter's page
  and to its source on GitHub.

Anything it cannot express (an unknown directive or role, a label or citation
key the site does not have) stops it with ConversionError.

The built site is read, not rebuilt: `make colab` builds it first when it is
missing or older than a source. The same module gives the tests their
Colab-like kernel (colab_kernel_env): the google.colab module present, imports
limited to COLAB_RUNTIME plus the notebook's own Colab installs, network off, and
stand-ins for the pretrained weights a chapter downloads on Colab.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import pickle
import posixpath
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from mdit_py_plugins.myst_role.index import myst_role
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser
from pybtex.backends.markdown import Backend as MarkdownBackend
from sphinx.util.inventory import InventoryFile
from sphinx.util.nodes import split_explicit_title

from book import NETWORK_GUARD, ROOT, SITE, chapter_number, config, kernel_env, source, tags, toc_notebooks

CONFIG = config()
SITE_URL = CONFIG["html"]["baseurl"].rstrip("/") + "/"  # where the deploy workflow publishes the site
REPOSITORY_URL = CONFIG["repository"]["url"].rstrip("/")
BRANCH = CONFIG["repository"]["branch"]
BUILD = ROOT / "_build"
ENVIRONMENT = BUILD / ".doctrees" / "environment.pickle"  # Sphinx's record of the same build
OUTDIR = BUILD / "colab"

# The top-level modules a notebook cell may import on Colab without installing
# them: what a fresh Colab runtime ships (Python 3 and a CPU or GPU), as we know
# it in 2026. The list is ours, not Colab's: Colab publishes no such list and
# changes its images; when a chapter needs something new, check a fresh runtime
# (`pip list` in a new Colab notebook) before adding it here. Anything else must
# be installed by the notebook's `if "google.colab" in sys.modules:` guard.
COLAB_RUNTIME = frozenset({
    "IPython", "PIL", "google", "graphviz", "huggingface_hub", "ipykernel", "ipywidgets", "matplotlib",
    "numpy", "pandas", "requests", "safetensors", "scipy", "seaborn", "skimage", "sklearn", "threadpoolctl",
    "tokenizers", "torch", "torchaudio", "torchvision", "tqdm", "transformers", "yaml",
})

# Labels `(x)=` are dropped, not turned into `<a id="x"></a>`: nothing in the copy
# links to them (every {ref} goes to the site, where the anchors are the ones
# Sphinx made), Colab makes its own anchors for headings, and raw HTML is the one
# thing Colab's and GitHub's Markdown sanitisers may each treat differently.

# Directives the copy can express. Named admonitions get their name as title.
ADMONITIONS = {
    "admonition": None, "attention": "Attention", "caution": "Caution", "danger": "Danger", "error": "Error",
    "hint": "Hint", "important": "Important", "note": "Note", "seealso": "See also", "tip": "Tip",
    "warning": "Warning",
}
# The options each directive may carry; they only style the site, so the copy drops them.
OPTIONS = {"exercise": {"label", "nonumber", "class"}, "solution-start": {"class", "label"},
           "solution-end": set(), **{name: {"class", "name"} for name in ADMONITIONS}}
# Block and inline tokens of MyST syntax this converter does not translate.
UNSUPPORTED = {"substitution_block", "substitution_inline", "footnote_ref", "footnote_block_open",
               "myst_block_break", "front_matter", "amsmath"}
EXERCISE_TITLE = re.compile(r"(?P<number>\d+\.\d+)\s+(?P<title>.+)", re.S)
SOLUTION_TITLE = "Solution to exercise {number}"


class ConversionError(ValueError):
    """MyST that the Colab edition cannot express faithfully: the conversion stops."""


# --- what the converter reads from the built site ----------------------------------------------


@dataclass(frozen=True)
class Target:
    url: str   # absolute URL on the published site
    text: str  # Markdown: what the site shows for it


@dataclass
class Site:
    """The published site's targets: {ref} labels (lower-case, as Sphinx stores them)
    and bibliography keys."""

    labels: dict[str, Target]
    citations: dict[str, Target]  # in the order of the site's bibliography

    @classmethod
    def from_build(cls, site: Path = SITE, environment: Path = ENVIRONMENT, url: str = SITE_URL) -> Site:
        """Read the labels from the built site's objects.inv and each citation's anchor
        (sphinxcontrib-bibtex numbers them id1, id2, ...) and entry from the pickled
        Sphinx environment of the same build."""
        for needed in (site / "objects.inv", environment):
            if not needed.exists():
                raise ConversionError(f"{needed.relative_to(ROOT)} is missing: build the site first (make book)")
        with (site / "objects.inv").open("rb") as stream:
            inventory = InventoryFile.load(stream, "", posixpath.join)
        labels = {name: Target(url + uri, title) for name, (_, _, uri, title) in inventory["std:label"].items()}
        pages = {name: uri for name, (_, _, uri, _) in inventory["std:doc"].items()}
        with environment.open("rb") as stream:
            env = pickle.load(stream)  # noqa: S301 (our own build's output)
        style = author_year_style(env.config.bibtex_reference_style)
        citations = {}
        for citation in env.domaindata["cite"]["citations"]:
            page = pages[citation.bibliography_key.docname]
            citations[citation.key] = Target(f"{url}{page}#{citation.citation_id}", style(citation.entry))
        return cls(labels, citations)

    def ref(self, content: str) -> str:
        """{ref}`label` or {ref}`text <label>` as a Markdown link to the site."""
        explicit, text, label = split_explicit_title(content)
        target = self.labels.get(label.lower())
        if target is None:
            raise ConversionError(f"{{ref}}`{content}`: the site has no label {label!r}")
        if not explicit:
            if target.text in ("", "-"):
                raise ConversionError(f"{{ref}}`{content}`: label {label!r} has no title; give the text")
            text = target.text
        return f"[{escape(text)}]({target.url})"

    def cite(self, content: str) -> str:
        """{cite}`a,b` as "(A, 2017; B, 2018)", each linked to its bibliography entry."""
        if "{" in content:
            raise ConversionError(f"{{cite}}`{content}`: pre- and post-text are not supported")
        keys = {part.strip(): None for part in content.split(",")}
        for key in keys:
            if key not in self.citations:
                raise ConversionError(f"{{cite}}`{content}`: no bibliography entry {key!r} on the site")
        # In the order the site shows them: that of the bibliography (sphinxcontrib-bibtex).
        targets = [target for key, target in self.citations.items() if key in keys]
        return "(" + "; ".join(f"[{target.text}]({target.url})" for target in targets) + ")"


class _LinkText(MarkdownBackend):
    """pybtex's Markdown backend, escaping only what CommonMark needs inside link text,
    and keeping the non-breaking spaces the site shows ("van der Walt")."""

    symbols = {**MarkdownBackend.symbols, "nbsp": "\u00a0", "ndash": "\u2013"}

    def format_str(self, text: str) -> str:
        return escape(text)


def author_year_style(name: str) -> Callable:
    """The "Author, year" (or "Author *et al.*, year") text of sphinxcontrib-bibtex's
    parenthetical citations in reference style `name`, the site's setting."""
    from sphinxcontrib.bibtex.plugin import find_plugin
    from sphinxcontrib.bibtex.style.template import join, year

    parenthetical = find_plugin("sphinxcontrib.bibtex.style.referencing", name)().role_style["p"]
    template = join(sep=parenthetical.author_year_sep)[
        parenthetical.person.author_or_editor_or_title(full=False), year]
    backend = _LinkText()
    return lambda entry: template.format_data({"entry": entry, "style": parenthetical}).render(backend)


def escape(text: str) -> str:
    """Text as CommonMark shows it literally inside link text."""
    return re.sub(r"([\\`*_\[\]<])", r"\\\1", text)


# --- parsing ---------------------------------------------------------------------------------


def _with_span(rule: Callable) -> Callable:
    """An inline rule that also records, on the token it makes, the span of the
    inline source it consumed (meta["span"]), so the converter can replace exactly it."""
    def rule_with_span(state, silent: bool) -> bool:
        start, count = state.pos, len(state.tokens)
        found = rule(state, silent)
        if found and not silent:
            for token in state.tokens[count:]:
                if token.type == "myst_role":
                    token.meta["span"] = (start, state.pos)
        return found
    return rule_with_span


@functools.cache
def parser() -> MarkdownIt:
    """myst-parser's markdown-it, with the MyST extensions the site is built with."""
    config = MdParserConfig(enable_extensions=set(CONFIG["parse"]["myst_enable_extensions"]))
    md = create_md_parser(config, RendererHTML)
    md.inline.ruler.at("myst_role", _with_span(myst_role))
    return md


def directive_parts(token: Token) -> tuple[str, str, dict[str, str], str]:
    """(name, argument, options, body) of a ```{name} or :::{name} fence."""
    match = re.fullmatch(r"\{([^}]+)\}\s*(.*)", token.info.strip(), re.S)
    name, argument = match.group(1), match.group(2).strip()
    lines = token.content.split("\n")
    options: dict[str, str] = {}
    if lines and lines[0].strip() == "---":  # options as a YAML block
        end = lines.index("---", 1)
        options = {key: str(value) for key, value in (yaml.safe_load("\n".join(lines[1:end])) or {}).items()}
        lines = lines[end + 1:]
    else:
        while lines and (option := re.match(r":([\w-]+):\s*(.*)$", lines[0])):
            options[option.group(1)] = option.group(2).strip()
            lines.pop(0)
    return name, argument, options, "\n".join(lines).strip("\n")


def is_directive(token: Token) -> bool:
    return token.type in ("fence", "colon_fence") and token.info.strip().startswith("{")


def line_offsets(lines: list[str]) -> list[int]:
    offsets, total = [], 0
    for line in lines:
        offsets.append(total)
        total += len(line) + 1
    return offsets


def inline_bases(token: Token, lines: list[str], in_table: bool, cursor: dict[int, int]) -> list[int]:
    """For each line of an inline token's content, its offset in the parsed text.
    The content is the source lines less their block prefixes (indentation, `> `,
    list markers, heading marks): each line is found in its source line, as its end
    (paragraphs) or, in a table row, after the cells already placed."""
    offsets = line_offsets(lines)
    bases = []
    for i, piece in enumerate(token.content.split("\n")):
        number = token.map[0] + i
        line = lines[number]
        if not in_table and line.rstrip().endswith(piece):
            column = len(line.rstrip()) - len(piece)
        elif not in_table and line.endswith(piece):
            column = len(line) - len(piece)
        else:
            column = line.find(piece, cursor.get(number, 0))
        if column < 0:
            raise ConversionError(f"line {number + 1}: cannot place {piece!r} in {line!r}")
        cursor[number] = column + len(piece)
        bases.append(offsets[number] + column)
    return bases


# --- conversion --------------------------------------------------------------------------------


@dataclass
class Chapter:
    """One notebook's conversion: its exercises, and whether a solution is open."""

    number: int
    site: Site
    exercises: dict[str, str] = field(default_factory=dict)  # label -> "N.k"
    solved: list[str] = field(default_factory=list)           # labels, in the order of their solutions
    open_solution: str | None = None

    def markdown(self, text: str, depth: int = 0) -> str:
        """A MyST Markdown text as plain Markdown."""
        lines = text.split("\n")
        offsets = line_offsets(lines) + [len(text) + 1]
        edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in `text`

        def block(token: Token, replacement: str) -> None:
            if token.level:
                raise ConversionError(f"line {token.map[0] + 1}: {token.info or token.type} inside a list or quote")
            first, last = token.map
            before = first > 0 and lines[first - 1].strip()
            after = last < len(lines) and lines[last].strip()
            if replacement:  # a blank line on each side keeps it a block of its own
                replacement = ("\n" if before else "") + replacement + "\n" + ("\n" if after else "")
            elif before and after:
                replacement = "\n"  # a dropped line must not join two paragraphs
            edits.append((offsets[first], min(offsets[last], len(text)), replacement))

        in_table = False
        cursor: dict[int, int] = {}
        for token in parser().parse(text):
            if token.type in UNSUPPORTED:
                raise ConversionError(f"line {token.map[0] + 1}: MyST {token.type} is not supported")
            in_table = {"table_open": True, "table_close": False}.get(token.type, in_table)
            if token.type in ("myst_target", "myst_line_comment"):
                block(token, "")
            elif is_directive(token):
                block(token, self.directive(token, depth))
            elif token.type == "inline":
                bases = None
                for child in token.children or []:
                    if child.type in UNSUPPORTED:
                        raise ConversionError(f"line {token.map[0] + 1}: MyST {child.type} is not supported")
                    if child.type == "myst_role":
                        bases = bases or inline_bases(token, lines, in_table, cursor)
                        start, end = child.meta["span"]
                        edits.append((to_offset(token.content, bases, start), to_offset(token.content, bases, end),
                                      self.role(child.meta["name"], child.content)))
        out, position = [], 0
        for start, end, replacement in sorted(edits):
            if start < position:
                raise ConversionError(f"overlapping MyST constructs near {text[start:start + 40]!r}")
            out += [text[position:start], replacement]
            position = end
        out.append(text[position:])
        return "".join(out).strip("\n")

    def inline(self, text: str) -> str:
        """One line of MyST inline syntax (a title) as plain Markdown."""
        if "\n" in text:
            raise ConversionError(f"a title on several lines: {text!r}")
        edits = []
        for token in parser().parseInline(text):
            for child in token.children or []:
                if child.type in UNSUPPORTED:
                    raise ConversionError(f"{text!r}: MyST {child.type} is not supported")
                if child.type == "myst_role":
                    edits.append((*child.meta["span"], self.role(child.meta["name"], child.content)))
        for start, end, replacement in sorted(edits, reverse=True):
            text = text[:start] + replacement + text[end:]
        return text

    def role(self, name: str, content: str) -> str:
        if name == "ref":
            return self.site.ref(content)
        if name in ("cite", "cite:p"):
            return self.site.cite(content)
        raise ConversionError(f"unknown role {{{name}}}`{content}`")

    def directive(self, token: Token, depth: int) -> str:
        name, argument, options, body = directive_parts(token)
        where = f"line {token.map[0] + 1}, {{{name}}}"
        unknown = set(options) - OPTIONS.get(name, set())
        if name not in OPTIONS:
            raise ConversionError(f"{where}: unknown directive")
        if unknown:
            raise ConversionError(f"{where}: unsupported options {sorted(unknown)}")
        if name in ADMONITIONS:
            title = argument or ADMONITIONS[name]
            if not title:
                raise ConversionError(f"{where}: an admonition needs a title")
            return quote(f"**{self.inline(title)}**", self.markdown(body, depth + 1))
        if depth:
            raise ConversionError(f"{where}: exercises and solutions must not be nested in another directive")
        if self.open_solution and name != "solution-end":
            raise ConversionError(f"{where}: the solution to {self.open_solution} is still open")
        if name == "exercise":
            return self.exercise(where, argument, options, body)
        if name == "solution-start":
            label = argument
            if label not in self.exercises:
                raise ConversionError(f"{where}: no exercise {label!r} before this solution in the chapter")
            self.open_solution = label
            self.solved.append(label)
            heading = f"**{SOLUTION_TITLE.format(number=self.exercises[label])}**"
            return heading + (f"\n\n{self.markdown(body, depth + 1)}" if body else "")
        # solution-end
        if not self.open_solution or body or argument:
            raise ConversionError(f"{where}: no solution is open, or the end marker has content")
        number, self.open_solution = self.exercises[self.open_solution], None
        return f"*End of the solution to exercise {number}.*"

    def exercise(self, where: str, argument: str, options: dict[str, str], body: str) -> str:
        """The book's exercises are unnumbered, titled "N.k Title" (CONTRIBUTING.md)."""
        title = EXERCISE_TITLE.fullmatch(argument)
        if "nonumber" not in options or not title or int(title["number"].split(".")[0]) != self.number:
            raise ConversionError(f"{where}: expected `:nonumber:` and a title '{self.number}.k Title', "
                                  f"got {argument!r}")
        label = options.get("label") or ""
        if not label or label in self.exercises:
            raise ConversionError(f"{where}: every exercise needs its own :label:")
        self.exercises[label] = title["number"]
        heading = f"**Exercise {title['number']} ({self.inline(title['title'])})**"
        return quote(heading, self.markdown(body, 1))


def to_offset(content: str, bases: list[int], position: int) -> int:
    """The offset in the parsed text of `position` in an inline token's content."""
    line = content.count("\n", 0, position)
    return bases[line] + position - (content.rfind("\n", 0, position) + 1)


def quote(heading: str, body: str) -> str:
    """A blockquote: the bold heading, then the body. Every line gets `>`, so
    nothing after it can join it lazily, and `$$` lines stay lines of their own."""
    lines = [heading, *([""] + body.split("\n") if body.strip() else [])]
    return "\n".join(f"> {line}".rstrip() for line in lines)


# --- notebooks ---------------------------------------------------------------------------------


def note(path: Path) -> str:
    """The first cell of a copy: what it is, where the chapter and its source are."""
    relative = path.relative_to(ROOT).as_posix()
    page = SITE_URL + relative.removesuffix(".ipynb") + ".html"
    return (f"*Colab edition of chapter {chapter_number(path)}, generated by `make colab` from "
            f"[{relative}]({REPOSITORY_URL}/blob/{BRANCH}/{relative}). Exercises and boxes are plain "
            "Markdown; the code of each solution, like the code the site folds, is folded under its title "
            "(click the title to show it); each figure's caption follows it; references link to "
            f"[the chapter on the book's site]({page}). To suggest a change, edit the source notebook, "
            "not this copy.*")


# Code the site folds (hide-input) or hides (remove-input): plumbing, or a checker that holds a
# reference answer. Colab folds it too, under its first comment line, or this title.
FOLDED_ON_SITE = frozenset({"hide-input", "remove-input"})
FOLDED_TITLE = "Code folded on the book's site"


def folded_title(code: str) -> str:
    """The #@title of a cell the site folds: its first line when that is a comment."""
    first = code.split("\n", 1)[0]
    return first.lstrip("#").strip() or FOLDED_TITLE if first.startswith("#") else FOLDED_TITLE


def fold(cell: nbformat.NotebookNode, title: str) -> None:
    """Fold a code cell in Colab: a `#@title` first line and the form view."""
    if cell.source.startswith("%%"):  # a cell magic must stay the first line
        raise ConversionError("a folded cell starting with a cell magic cannot take a #@title line")
    cell.source = f"#@title {title}\n{cell.source}"
    cell.metadata["cellView"] = "form"


def figure_caption(cell: nbformat.NotebookNode) -> str | None:
    """The caption the site shows under a code cell's figure (myst-nb metadata), if any."""
    return cell.metadata.get("mystnb", {}).get("figure", {}).get("caption")


CAPTION_ID = "{id}-caption"   # the id of the Markdown cell that carries a figure's caption


def convert_notebook(path: Path, site: Site) -> nbformat.NotebookNode:
    """The Colab edition of one chapter notebook."""
    notebook = nbformat.read(path, as_version=4)
    chapter = Chapter(chapter_number(path), site)
    cells = [nbformat.v4.new_markdown_cell(note(path), id="colab-edition")]
    for cell in notebook.cells:
        try:
            if cell.cell_type == "markdown":
                cell.source = chapter.markdown(cell.source)
                if not cell.source.strip():
                    continue
            elif cell.cell_type == "code" and chapter.open_solution:
                fold(cell, SOLUTION_TITLE.format(number=chapter.exercises[chapter.open_solution]))
            elif cell.cell_type == "code" and FOLDED_ON_SITE & set(tags(cell)):
                fold(cell, folded_title(cell.source))
            cells.append(cell)
            # Colab ignores myst-nb's figure metadata: the caption follows as a Markdown cell.
            if cell.cell_type == "code" and figure_caption(cell):
                caption = chapter.markdown(figure_caption(cell))
                cells.append(nbformat.v4.new_markdown_cell(f"**Figure.** {caption}", id=CAPTION_ID.format(id=cell.id)))
        except ConversionError as error:
            raise ConversionError(f"{path.relative_to(ROOT)}, cell {cell.get('id')}: {error}") from None
    if chapter.open_solution:
        raise ConversionError(f"{path.relative_to(ROOT)}: the solution to {chapter.open_solution} never ends")
    notebook.cells = cells
    notebook.metadata["colab"] = {"name": path.name, "toc_visible": True}
    nbformat.validate(notebook)
    return notebook


def write_edition(outdir: Path, site: Site | None = None) -> list[Path]:
    """Write the Colab edition of every chapter in the table of contents under outdir."""
    site = site or Site.from_build()
    folder = outdir / "chapters"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.ipynb"):  # a renamed chapter must not leave its old copy behind
        stale.unlink()
    written = []
    for path in toc_notebooks():
        target = outdir / path.relative_to(ROOT)
        nbformat.write(convert_notebook(path, site), target)
        written.append(target)
    return written


# --- a Colab-like kernel, for the tests --------------------------------------------------------


def guard_installs(notebook: dict) -> list[str]:
    """The requirements a notebook's `%pip install` lines name (CONTRIBUTING.md: only
    inside its `if "google.colab" in sys.modules:` guard), e.g. ["torchviz==0.0.3"]."""
    found = []
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            for line in source(cell).splitlines():
                if (install := re.match(r"\s*%pip install\s+(.*)", line)):
                    found += [word for word in install.group(1).split() if not word.startswith("-")]
    return found


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_modules(requirements: list[str]) -> set[str]:
    """The top-level modules the distributions named by `requirements` provide here."""
    wanted = {_normalise(re.split(r"[=<>!~\[;\s]", requirement)[0]) for requirement in requirements}
    return {module for module, distributions in importlib.metadata.packages_distributions().items()
            if wanted & {_normalise(d) for d in distributions}}


def allowed_imports(notebook: dict) -> set[str]:
    return set(COLAB_RUNTIME) | set(sys.stdlib_module_names) | installed_modules(guard_installs(notebook))


SITECUSTOMIZE = '''\
"""A Colab-like kernel for tests/test_colab.py, written by tools/colab.py (colab_kernel_env).

First on PYTHONPATH, so Python loads it instead of the network guard, which it
loads itself; then, as on Colab, google.colab is imported before any cell runs;
then notebook cells may import only ALLOWED top-level modules (Colab's runtime
and the notebook's own installs); what those modules import is their business.
"""

import importlib.util
import json
import os
import sys

_guard = importlib.util.spec_from_file_location("book_network_guard", {guard!r})
_guard.loader.exec_module(importlib.util.module_from_spec(_guard))

if os.environ.get("BOOK_COLAB_LOG"):  # which processes ran here (the %pip installs among them)
    with open(os.environ["BOOK_COLAB_LOG"], "a", encoding="utf-8") as _log:
        _log.write(json.dumps(sys.argv) + "\\n")

import google.colab  # noqa: E402,F401

ALLOWED = frozenset({allowed!r})


def _from_a_cell() -> bool:
    """Whether the import being resolved was written in a notebook cell."""
    frame = sys._getframe(2)
    while frame is not None and (frame.f_code.co_filename.startswith("<frozen importlib")
                                 or "importlib" in frame.f_code.co_filename.split(os.sep)):
        frame = frame.f_back
    if frame is None or os.path.exists(frame.f_code.co_filename):  # a module's file: not a cell
        return False
    getipython = sys.modules.get("IPython.core.getipython")
    shell = getipython.get_ipython() if hasattr(getipython, "get_ipython") else None
    return bool(shell and shell.compile.format_code_name(frame.f_code.co_filename))


class ColabRuntimeOnly:
    def find_spec(self, name, path=None, target=None):
        if path is None and name not in ALLOWED and _from_a_cell():
            raise ModuleNotFoundError(
                f"No module named {{name!r}} on a bare Colab runtime (tools/colab.py, COLAB_RUNTIME): "
                "install it in the notebook's google.colab guard", name=name)
        return None


sys.meta_path.insert(0, ColabRuntimeOnly())
'''


def stand_in_downloads(notebook: dict, torch_home: Path) -> list[Path]:
    """On Colab a chapter may download pretrained torchvision weights (chapter 7's
    ResNet-18, `ResNet18_Weights.DEFAULT` inside its google.colab branch); offline,
    each is stood in for by a checkpoint of the same model with random weights, in
    the cache torch.hub reads first (TORCH_HOME/hub/checkpoints/<file of the URL>).
    Enough to run the notebook; its numbers are not compared anyway."""
    import torch
    import torchvision.models

    named = {name for cell in notebook["cells"] if cell["cell_type"] == "code"
             for name in re.findall(r"\b(\w+_Weights)\b", source(cell))}
    written = []
    for model in torchvision.models.list_models():
        weights = torchvision.models.get_model_weights(model)
        if weights.__name__ in named:
            checkpoint = torch_home / "hub" / "checkpoints" / posixpath.basename(weights.DEFAULT.url)
            if not checkpoint.exists():
                checkpoint.parent.mkdir(parents=True, exist_ok=True)
                torch.save(torchvision.models.get_model(model, weights=None).state_dict(), checkpoint)
            written.append(checkpoint)
    return written


def colab_kernel_env(folder: Path, notebook: dict, log: Path | None = None) -> dict[str, str]:
    """The environment of a Colab-like kernel for `notebook`, with its files in `folder`:
    kernel_env() (network guard, kernel policy) plus a stub google.colab and an
    import blocker, both loaded by a sitecustomize.py first on PYTHONPATH, and a
    torch.hub cache holding stand-ins for the weights the notebook downloads on Colab."""
    colab = folder / "google" / "colab"  # `google` stays a namespace package, as on Colab
    colab.mkdir(parents=True, exist_ok=True)
    (colab / "__init__.py").write_text('"""Stands in for Colab\'s google.colab in tests."""\n', encoding="utf-8")
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE.format(
        guard=str(NETWORK_GUARD / "sitecustomize.py"), allowed=sorted(allowed_imports(notebook))), encoding="utf-8")
    env = kernel_env()
    env["PYTHONPATH"] = os.pathsep.join([str(folder), env["PYTHONPATH"]])
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["TORCH_HOME"] = str(folder / "torch")
    stand_in_downloads(notebook, folder / "torch")
    env.pop("BOOK_COLAB_LOG", None)
    if log:
        env["BOOK_COLAB_LOG"] = str(log)
    return env


def main(args: list[str]) -> None:
    outdir = Path(args[0]).resolve() if args else OUTDIR
    for path in write_edition(outdir):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        folded = [source(cell).split("\n", 1)[0] for cell in notebook["cells"]
                  if cell["metadata"].get("cellView") == "form"]
        solutions = sum(title.startswith(f"#@title {SOLUTION_TITLE.format(number='')}") for title in folded)
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
              f"{solutions} solution cells and {len(folded) - solutions} other cells folded")


if __name__ == "__main__":
    main(sys.argv[1:])
