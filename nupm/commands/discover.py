"""`nupm search`, `nupm info`, `nupm outdated`: each prints a table, or one JSON document with --json."""

from __future__ import annotations

import json
from pathlib import Path

from nupm import discover
from nupm import project as proj
from nupm.commands import status
from nupm.paths import Home
from nupm.progress import count


def _manifest():
    try:
        return proj.find(Path.cwd(), Home.current()).manifest
    except proj.NoProject:
        return None


def _table(rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)] if rows else []
    for row in rows:
        print("  ".join(f"{cell:<{w}}" for cell, w in zip(row, widths, strict=False)) + "  " + row[-1])


def run_search(args) -> int:
    rows = discover.search(_manifest(), args.term, args.registry)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        status(f"no package matches {args.term!r}")
        return 1
    _table([[r["name"], r["newest"] or "-", r["registry"], r["description"]] for r in rows])
    return 0


def run_info(args) -> int:
    found = discover.info(Home.current(), _manifest(), args.name, args.registry)
    if args.json:
        print(json.dumps(found, indent=2, ensure_ascii=False))
        return 0
    print(f"{found['name']} {found['newest']}  ({found['type'] or 'type unknown'}, registry {found['registry']})")
    for key in ("description", "license", "repository"):
        if found[key]:
            print(f"{key}: {found[key]}")
    print("versions:")
    for v in found["versions"]:
        note = "  (not SemVer: ask for it by name)" if v["label"] else ""
        print(f"  {v['version']}  {v['source']}{note}")
    print("installed:" if found["installed"] else "installed: nowhere")
    for where in found["installed"]:
        print(f"  {where['version']} in {where['kind']} {where['environment']} ({where['root']})")
    return 0


def run_outdated(args) -> int:
    rows = discover.outdated(proj.find(Path.cwd(), Home.current()))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    stale = [r for r in rows if r["outdated"]]
    if not stale:
        status(f"all {count(len(rows), 'registry package')} are at their newest version")
        return 0
    _table([["package", "locked", "allowed", "newest"]]
           + [[r["name"], r["locked"], r["allowed"] or "-", r["newest"] or "-"] for r in stale])
    return 0
