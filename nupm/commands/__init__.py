"""One module per command family; each `run_<command>(args)` parses nothing itself, calls the domain and
prints what it returns, and returns an exit code."""

import sys


def status(message: str) -> None:
    """A line for the user that is not the command's output: stderr, so stdout stays clean for --json."""
    print(message, file=sys.stderr)
