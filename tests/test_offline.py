"""Notebooks run offline: the guard in tools/offline/ really blocks the network.

nbval's kernels and `make execute`'s kernels get the same environment
(book.kernel_env); tests/test_nbval_is_strict.py checks an nbval kernel itself.
"""

import subprocess
import sys

import nbformat
from nbclient import NotebookClient

PROBE = """
import socket
try:
    socket.create_connection(("{host}", 80), timeout=5)
    print("connected")
except ConnectionRefusedError as error:
    print("refused:", error)
except OSError as error:
    print("other error:", type(error).__name__)
"""
REFUSED = "refused: network access is disabled"


def run_probe(host: str, env: dict[str, str]) -> str:
    result = subprocess.run([sys.executable, "-c", PROBE.format(host=host)],
                            capture_output=True, text=True, timeout=60, env=env)
    return result.stdout.strip()


def test_connections_to_other_machines_are_refused(offline):
    assert run_probe("93.184.215.14", offline).startswith(REFUSED)


def test_loopback_is_not_blocked(offline):
    """Kernels talk to the test runner over 127.0.0.1; the guard must let that through."""
    assert not run_probe("127.0.0.1", offline).startswith(REFUSED)


def test_notebook_kernels_started_like_make_execute_are_offline(offline):
    cell = nbformat.v4.new_code_cell(PROBE.format(host="93.184.215.14"))
    notebook = nbformat.v4.new_notebook(cells=[cell])
    NotebookClient(notebook, kernel_name="python3", timeout=60).execute(env=offline)
    printed = "".join(output.get("text", "") for output in notebook.cells[0].outputs)
    assert printed.startswith(REFUSED), printed
