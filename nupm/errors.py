"""Errors that the CLI turns into a message on stderr and an exit code.

1 means the operation failed (conflict, not found); 2 means usage or bad input.
"""

from __future__ import annotations

import os


class NupmError(Exception):
    """An operation failed; the message is shown to the user as is."""

    exit_code = 1


class UsageError(NupmError):
    """The command line or the input files are wrong."""

    exit_code = 2


def display_path(path: str | os.PathLike) -> str:
    """A path as the user would type it: relative to the cwd when below it; a URL as it is."""
    if isinstance(path, str) and "://" in path:
        return path
    from pathlib import Path  # here: the no-op fast path imports this module, and pathlib costs 4 ms

    path = Path(path)
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)


class BadInput(UsageError):
    """A malformed file, reported as `file:line:col: what`."""

    def __init__(self, path: str | os.PathLike, line: int, col: int, what: str):
        from pathlib import Path

        self.path = path if isinstance(path, str) and "://" in path else Path(path)
        self.line, self.col, self.what = line, col, what
        super().__init__(f"{display_path(path)}:{line}:{col}: {what}")
