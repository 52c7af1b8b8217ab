"""Loaded by every notebook kernel that `make test` (nbval) and `make execute`
start, and by the processes tests/test_offline.py starts: tools/book.py's
kernel_env() puts this folder first on their PYTHONPATH. It refuses network
connections to anything but this machine, so a notebook that tries to download
data or weights fails its test here instead of passing on a networked laptop.

Loopback stays open: Jupyter kernels talk to nbval over 127.0.0.1.
"""

import ipaddress
import socket


def _is_local(address) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths and the like
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:  # a host name: only localhost is allowed
        return False


def _refuse(address) -> None:
    raise ConnectionRefusedError(
        f"network access is disabled while testing the book (tried {address!r}); "
        "notebooks must run offline"
    )


def _guarded(connect):
    """Wrap a socket connect method so it refuses addresses off this machine."""
    def guarded(self, address):
        if not _is_local(address):
            _refuse(address)
        return connect(self, address)
    return guarded


socket.socket.connect = _guarded(socket.socket.connect)
socket.socket.connect_ex = _guarded(socket.socket.connect_ex)
