"""Sphinx extension: the Colab button of each chapter opens its Colab edition.

`make colab` writes the Colab edition (tools/colab.py) and the deploy workflow
publishes it on its own branch, `launch_buttons.colab_branch` in _config.yml, at
the same paths (chapters/NN_slug.ipynb). sphinx-book-theme 1.3 builds the Colab
link in its `html-page-context` handler (header_buttons/launch.py, priority 501)
as {colab_url}/github/{org}/{repo}/blob/{repository.branch}/{path}, with no option
for another branch; this handler runs after it (priority 502) and changes the
branch of that one link. The repository, source and download buttons keep
repository.branch. Registered in _config.yml under `sphinx: local_extensions`.
"""

from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)


def point_colab_at_its_branch(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    options = app.config.html_theme_options
    launch = options.get("launch_buttons", {})
    colab_branch = launch.get("colab_branch")
    if not colab_branch or not launch.get("colab_url"):
        return
    branch = f"/blob/{options.get('repository_branch') or 'master'}/"  # the theme's own default
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        colab = [button for button in group.get("buttons", []) if button.get("text") == "Colab"]
        if len(colab) != 1 or colab[0]["url"].count(branch) != 1:
            LOGGER.warning(f"{pagename}: no Colab button with {branch} in its link to point at {colab_branch}; "
                           "has sphinx-book-theme changed how it builds it?")
            continue
        colab[0]["url"] = colab[0]["url"].replace(branch, f"/blob/{colab_branch}/")


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", point_colab_at_its_branch, priority=502)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
