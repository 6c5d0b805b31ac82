"""`nupm lock [--check]`."""

from __future__ import annotations

from pathlib import Path

from nupm import project as proj
from nupm.commands import status
from nupm.paths import LOCKFILE, Home
from nupm.progress import count


def run_lock(args) -> int:
    with proj.held(Path.cwd(), Home.current()) as project:
        return _lock(args, project)


def _lock(args, project: proj.Project) -> int:
    old = proj.read_lock(project)
    reasons = proj.stale_reasons(project, old)
    if args.check:
        if reasons:
            print(f"{LOCKFILE} is out of date:")
            for reason in reasons:
                print(f"  {reason}")
            return 1
        status(f"{LOCKFILE} is up to date")
        return 0
    lock = old if not reasons else proj.resolve_lock(project, args.registry, keep=old)
    changed = proj.write_lock(project, lock)
    status(f"{'Locked' if changed else 'Up to date:'} {count(len(lock.packages), 'package')}")
    return 0
