"""Sphinx extension: fixes to the generated HTML that the browser checks found (`make check-site`).

Each fix is made where the markup is generated, so the pages keep their meaning; no axe rule is
switched off and no console message is filtered. Registered in _config.yml under
`sphinx: local_extensions`. What each fixes (measured with axe-core 4.14 and Chromium):

- Console error "Got invalid theme mode: ." on a reader's first page. pydata-sphinx-theme writes
  its `default_mode` template variable into the page's first script, and the book never set it, so
  a reader with nothing in localStorage started from mode "" until the theme's script reset it
  (with that error). Setting it to "auto" (follow the system's colour scheme; the theme's own
  fallback) is what the theme documents: `html_context["default_mode"]`.
- Uncaught "SyntaxError: Identifier 'THEBE_JS_URL' has already been declared" on every page.
  Sphinx 7.4 adds an inline script registered after the builder started (sphinx-thebe's and
  sphinx-togglebutton's settings) twice: once with filename None, once with "" (fixed upstream in
  Sphinx 8.2, sphinx-doc/sphinx#13402; Jupyter Book 1 pins Sphinx < 8). Each page's script list
  is de-duplicated with the same rule.
- axe label-content-name-mismatch (WCAG 2.5.3), every page: the theme's search field and
  colour-mode button, overridden in tools/site_templates/ (each file says how), and myst-nb's
  "Show code cell source" toggle, whose <summary> carried aria-label "Toggle hidden content"
  instead of its visible text: rendered here without that aria-label.
- axe aria-deprecated-role and aria-required-children, bibliography page: docutils 0.21 writes each
  citation as <div role="doc-biblioentry"> (a role deprecated in DPUB-ARIA 1.1) inside
  <div role="list">, which then has no list items. Written here as role="listitem", so the
  bibliography stays a list of entries.
"""

from html import escape
from pathlib import Path

from docutils import nodes
from myst_nb.sphinx_ import HideCodeCellNode
from sphinx.application import Sphinx
from sphinx.config import Config

TEMPLATES = Path(__file__).resolve().parent / "site_templates"


def set_theme_defaults(app: Sphinx, config: Config) -> None:
    config.html_context.setdefault("default_mode", "auto")
    # Before the themes' own component folders, which they add to templates_path too.
    config.templates_path.insert(0, str(TEMPLATES))


def deduplicate_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Drop the second copy of a script that differs only by filename None against "" (Sphinx 7.4)."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        filename = getattr(script, "filename", script) or ""
        attributes = tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items()))
        key = (filename, getattr(script, "priority", 500), attributes)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def visit_hide_cell_input(self, node: HideCodeCellNode) -> None:
    """myst-nb 1.4's visit_HideCellInput, without the aria-label that hid the visible text."""
    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n')
    self.body.append("<summary>\n")
    self.body.append(f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n')
    self.body.append(f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n')
    self.body.append("</summary>\n")


def depart_hide_cell_input(self, node: HideCodeCellNode) -> None:
    self.body.append("</details>\n")


def visit_citation(self, node: nodes.citation) -> None:
    """docutils 0.21's HTML5 visit_citation, each entry a list item of the citation list."""
    if not isinstance(node.previous_sibling(), type(node)):
        self.body.append('<div role="list" class="citation-list">\n')
    self.body.append(self.starttag(node, "div", classes=[node.tagname], role="listitem"))


def depart_citation(self, node: nodes.citation) -> None:
    self.body.append("</div>\n")
    if not isinstance(node.next_node(descend=False, siblings=True), type(node)):
        self.body.append("</div>\n")


def setup(app: Sphinx) -> dict:
    app.setup_extension("myst_nb")  # its HTML visitors must be registered before ours replace one
    app.connect("config-inited", set_theme_defaults)
    app.connect("html-page-context", deduplicate_scripts, priority=900)  # after every extension added its own
    app.add_node(HideCodeCellNode, override=True, html=(visit_hide_cell_input, depart_hide_cell_input))
    app.add_node(nodes.citation, override=True, html=(visit_citation, depart_citation))
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
