"""`nupm gc`, `nupm store list|verify`, `nupm cache clean`."""

from __future__ import annotations

import json

from nupm import maintenance
from nupm.commands import status
from nupm.paths import Home
from nupm.progress import human_size as _human


def run_gc(args) -> int:
    home = Home.current()
    dead, leftovers = maintenance.collect(home, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for entry in dead:
        print(f"{verb} {entry.name}")
    for path in leftovers:
        print(f"{verb} {path} (left by an interrupted nupm)")
    status(f"{verb} {len(dead)} store entr{'y' if len(dead) == 1 else 'ies'}"
           + (f" and {len(leftovers)} leftover{'s' if len(leftovers) != 1 else ''}" if leftovers else ""))
    return 0


def run_store(args) -> int:
    home = Home.current()
    if args.store_command == "list":
        rows = [{"name": e.name, "path": str(e.path), "complete": e.complete, "size": e.size()}
                for e in maintenance.entries(home)]
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            for row in rows:
                mark = "" if row["complete"] else "  (incomplete)"
                print(f"{row['name']}  {_human(row['size'])}{mark}")
        return 0
    problems = maintenance.verify(home)
    failed = 0
    for problem in problems:
        print(f"{problem.entry.name}: {problem.what}")
        if args.repair and problem.entry.complete:
            why = maintenance.repair(home, problem.entry)
            print(f"  {'repaired' if why is None else 'not repaired: ' + why}")
            failed += why is not None
        elif args.repair:
            maintenance.remove_incomplete(home, problem.entry)
            print("  removed (the next install that needs it builds it again)")
        else:
            failed += 1
    status(f"{len(maintenance.entries(home))} entries checked, {len(problems)} problem(s)")
    return 1 if failed else 0


def run_cache(args) -> int:
    freed = maintenance.clean_cache(Home.current())
    status(f"cache emptied ({_human(freed)} freed)")
    return 0
