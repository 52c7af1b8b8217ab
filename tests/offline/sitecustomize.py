"""Loaded by every Python process the tests start (conftest.py puts this folder
on PYTHONPATH), notebook kernels included: it refuses network connections to
anything but this machine, so a notebook that tries to download data or
weights fails its test here instead of passing on a networked laptop.

Loopback stays open: Jupyter kernels talk to nbval over 127.0.0.1.
"""

import ipaddress
import socket

_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex


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


def _guarded_connect(self, address):
    if not _is_local(address):
        _refuse(address)
    return _connect(self, address)


def _guarded_connect_ex(self, address):
    if not _is_local(address):
        _refuse(address)
    return _connect_ex(self, address)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex
