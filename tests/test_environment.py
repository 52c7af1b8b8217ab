"""The installed tools fit together (guards against a version bump that breaks one)."""

import shutil
import subprocess
import sys
from pathlib import Path

from book import chapter_notebooks, draws_graphs


def test_jupyterlab_myst_extension_is_enabled_and_compatible():
    """`make lab` renders MyST only if this JupyterLab accepts jupyterlab-myst."""
    jupyter = Path(sys.executable).with_name("jupyter")
    listing = subprocess.run([str(jupyter), "labextension", "list"], capture_output=True, text=True, timeout=120)
    text = listing.stdout + listing.stderr
    myst = [line for line in text.splitlines() if "jupyterlab-myst" in line]
    assert myst and "enabled" in myst[0] and "OK" in myst[0] and "not compatible" not in text, text


def test_graphviz_dot_is_installed_when_a_chapter_draws_graphs():
    drawing = [path.name for path in chapter_notebooks() if draws_graphs(path)]
    assert not drawing or shutil.which("dot"), (
        f"{drawing} draw graphs, and Graphviz's dot is missing: "
        "run `make graphviz` (or apt-get/brew/conda install graphviz)")
