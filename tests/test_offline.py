"""Notebooks run offline: the guard that the tests install really blocks the network."""

import subprocess
import sys

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


def run_probe(host: str) -> str:
    # The child inherits PYTHONPATH set by conftest.py's cut_network(), like a kernel.
    result = subprocess.run([sys.executable, "-c", PROBE.format(host=host)],
                            capture_output=True, text=True, timeout=60)
    return result.stdout.strip()


def test_connections_to_other_machines_are_refused():
    assert run_probe("93.184.215.14").startswith("refused: network access is disabled")


def test_loopback_is_not_blocked():
    """Kernels talk to the test runner over 127.0.0.1; the guard must let that through."""
    assert not run_probe("127.0.0.1").startswith("refused: network access is disabled")


def test_notebook_kernels_are_offline_too():
    """The guard reaches the kernels that nbval starts, not only plain subprocesses."""
    import nbformat
    from nbclient import NotebookClient

    cell = nbformat.v4.new_code_cell(PROBE.format(host="93.184.215.14"))
    notebook = nbformat.v4.new_notebook(cells=[cell])
    NotebookClient(notebook, kernel_name="python3", timeout=60).execute()
    printed = "".join(output.get("text", "") for output in notebook.cells[0].outputs)
    assert printed.startswith("refused: network access is disabled"), printed
