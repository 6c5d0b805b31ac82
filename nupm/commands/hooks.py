"""`nupm hook SHELL` and `nupm setup [SHELL] [--undo] [-y]`."""

from __future__ import annotations

import sys

from nupm import hooks, shells
from nupm.cli import subcommands
from nupm.commands import status
from nupm.commands.confirm import confirm
from nupm.paths import Home


def run_hook(args) -> int:
    sys.stdout.write(hooks.render(shells.get(args.shell), Home.current(), subcommands()))
    return 0


def run_setup(args) -> int:
    shell = shells.detect(args.shell)
    setup = hooks.plan(shell, Home.current(), subcommands())
    if args.undo:
        changed = hooks.undo(setup)
        status(f"{'removed nupm block from' if changed else 'no nupm block in'} {setup.config}")
        return 0
    confirm(setup.block.splitlines(), f"add this block to {setup.config}", args.yes)
    changed = hooks.apply(setup)
    status(f"{'updated' if changed else 'already set up:'} {setup.config}; open a new {shell.name} to use it")
    return 0
