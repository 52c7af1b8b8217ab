"""Loaded by pytest for every path under the repository (chapters/ included, also
when a notebook is tested alone): registers the book's nbval plugin,
tools/nbval_book.py (offline kernels under the kernel policy, the cell timeout,
the figure comparison and the portable tolerance). Test fixtures live in
tests/conftest.py."""

pytest_plugins = ["nbval_book"]
