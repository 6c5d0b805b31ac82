"""`nupm list`, `nupm tree`, `nupm why`: read-only views of the lock. Each has --json."""

from __future__ import annotations

import json
from pathlib import Path

from nupm import lock as lock_mod
from nupm import project as proj
from nupm.commands import status
from nupm.errors import NupmError
from nupm.lock import Lock
from nupm.paths import LOCKFILE, Home


def _load() -> tuple[proj.Project, Lock]:
    project = proj.find(Path.cwd(), Home.current())
    lock = proj.read_lock(project)
    if lock is None:
        raise NupmError(f"no {LOCKFILE} yet; run `nupm install`")
    if lock_mod.stale_reasons(project.manifest, lock):  # offline and cheap: no tree hashes of path packages
        status(f"warning: {LOCKFILE} is out of date; run `nupm install`")
    return project, lock


def _emit_json(data) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def run_list(args) -> int:
    project, lock = _load()
    rows = [{"name": p.name, "version": p.version, "type": p.type, "source": p.source.describe(),
             "direct": p.name in project.manifest.dependencies, "hash": p.hash} for p in lock.packages]
    if args.json:
        _emit_json(rows)
        return 0
    if not rows:
        print("(no dependencies)")
    widths = [max((len(str(r[k])) for r in rows), default=0) for k in ("name", "version", "type")]
    for r in rows:
        print(f"{r['name']:<{widths[0]}}  {r['version']:<{widths[1]}}  {r['type']:<{widths[2]}}  {r['source']}")
    return 0


def _node(name: str, declared: str, lock: Lock, seen: tuple[str, ...]) -> dict:
    pkg = lock.by_name()[name]
    node = {"name": name, "version": pkg.version, "requirement": declared, "dependencies": []}
    if name in seen:
        node["cycle"] = True
        return node
    node["dependencies"] = [_node(d, r, lock, (*seen, name)) for d, r in sorted(pkg.dependencies.items())
                            if d in lock.by_name()]
    return node


def run_tree(args) -> int:
    project, lock = _load()
    m = project.manifest
    deps = [_node(n, r.describe(), lock, ()) for n, r in sorted(m.dependencies.items()) if n in lock.by_name()]
    tree = {"name": m.name, "version": m.version, "dependencies": deps}
    if args.json:
        _emit_json(tree)
        return 0
    print(f"{m.name} {m.version}")
    _print_children(deps, "")
    return 0


def _print_children(children: list[dict], prefix: str) -> None:
    for i, child in enumerate(children):
        last = i == len(children) - 1
        mark = " (cycle)" if child.get("cycle") else ""
        print(f"{prefix}{'└── ' if last else '├── '}{child['name']} {child['version']} ({child['requirement']}){mark}")
        _print_children(child["dependencies"], prefix + ("    " if last else "│   "))


def _paths_to(target: str, project: proj.Project, lock: Lock) -> list[list[dict]]:
    by_name = lock.by_name()
    found: list[list[dict]] = []

    def walk(name: str, declared: str, trail: list[dict]) -> None:
        step = {"name": name, "version": by_name[name].version, "requirement": declared}
        if any(s["name"] == name for s in trail):
            return
        trail = [*trail, step]
        if name == target:
            found.append(trail)
            return
        for dep, req in sorted(by_name[name].dependencies.items()):
            if dep in by_name:
                walk(dep, req, trail)

    for name, req in sorted(project.manifest.dependencies.items()):
        if name in by_name:
            walk(name, req.describe(), [])
    return found


def run_why(args) -> int:
    project, lock = _load()
    if args.name not in lock.by_name():
        raise NupmError(f"{args.name} is not in this environment")
    paths = _paths_to(args.name, project, lock)
    m = project.manifest
    if args.json:
        _emit_json({"name": args.name, "version": lock.by_name()[args.name].version, "paths": paths})
        return 0
    for path in paths:
        steps = " → ".join(f"{s['name']} {s['version']} ({s['requirement']})" for s in path)
        print(f"{m.name} {m.version} → {steps}")
    return 0
