"""Asking before changing a global environment: y/N on a terminal, never blocking without one."""

from __future__ import annotations

import sys

from nupm.errors import NupmError, UsageError


class Declined(NupmError):
    pass


def confirm(plan: list[str], action: str, yes: bool) -> None:
    """Show `plan`; proceed with -y, ask on a TTY, and refuse (exit 2) when there is no one to ask.

    `action` reads like "change global environment work".
    """
    for line in plan:
        print(f"  {line}", file=sys.stderr)
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(f"{action}: needs confirmation and there is no terminal to ask on; pass -y")
    print(f"{action[0].upper()}{action[1:]}? [y/N] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise Declined("nothing changed")
