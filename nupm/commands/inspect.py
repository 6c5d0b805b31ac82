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
             "direct": p.name in project.manifest.dependencies and p.copy is None, "hash": p.hash,
             **_private(p)} for p in lock.packages]
    if args.json:
        _emit_json(rows)
        return 0
    if not rows:
        print("(no dependencies)")
    widths = [max((len(str(r[k])) for r in rows), default=0) for k in ("name", "version", "type")]
    by_id = lock.by_id()
    for r in rows:
        private = f"  (private to {_names(r['for'], by_id)})" if "private" in r else ""
        print(f"{r['name']:<{widths[0]}}  {r['version']:<{widths[1]}}  {r['type']:<{widths[2]}}  {r['source']}"
              f"{private}")
    return 0


def _private(pkg) -> dict:
    """A private copy's id and the ids it serves, for --json."""
    return {"private": pkg.copy, "for": list(pkg.serves)} if pkg.copy else {}


def _names(ids, by_id) -> str:
    """Package ids as a reader knows them: name and version."""
    return ", ".join(f"{by_id[i].name} {by_id[i].version}" if i in by_id else i for i in ids)


class _Graph:
    """The lock as a graph of package ids: a dependency edge leads where `Lock.routes` says."""

    def __init__(self, lock: Lock):
        self.routes = lock.routes()
        self.by_id = self.routes.by_id

    def children(self, ident: str) -> list[tuple[str, str]]:
        """(dependency's id, requirement as declared), sorted by name."""
        deps = self.by_id[ident].dependencies
        return [(t.id, req) for name, req in sorted(deps.items()) if (t := self.routes.target(ident, name))]

    def step(self, ident: str, declared: str) -> dict:
        pkg = self.by_id[ident]
        return {"name": pkg.name, "version": pkg.version, "requirement": declared, **_private(pkg)}


def _node(graph: _Graph, ident: str, declared: str, seen: tuple[str, ...]) -> dict:
    node = {**graph.step(ident, declared), "dependencies": []}
    if ident in seen:
        node["cycle"] = True
        return node
    node["dependencies"] = [_node(graph, d, r, (*seen, ident)) for d, r in graph.children(ident)]
    return node


def run_tree(args) -> int:
    project, lock = _load()
    m = project.manifest
    graph = _Graph(lock)
    deps = [_node(graph, n, r.describe(), ()) for n, r in sorted(m.dependencies.items()) if n in graph.by_id]
    tree = {"name": m.name, "version": m.version, "dependencies": deps}
    if args.json:
        _emit_json(tree)
        return 0
    print(f"{m.name} {m.version}")
    _print_children(deps, "")
    if any(p.copy for p in lock.packages):
        print("(private: a version of a module that only the packages above it use; `nupm why NAME` says why)")
    return 0


def _label(step: dict) -> str:
    private = ", private" if "private" in step else ""
    return f"{step['name']} {step['version']} ({step['requirement']}{private})"


def _print_children(children: list[dict], prefix: str) -> None:
    for i, child in enumerate(children):
        last = i == len(children) - 1
        mark = " (cycle)" if child.get("cycle") else ""
        print(f"{prefix}{'└── ' if last else '├── '}{_label(child)}{mark}")
        _print_children(child["dependencies"], prefix + ("    " if last else "│   "))


def _paths_to(target: str, project: proj.Project, graph: _Graph) -> list[list[dict]]:
    """Every chain of requirements from the project to a package named `target` (any of its versions)."""
    found: list[list[dict]] = []

    def walk(ident: str, declared: str, trail: list[dict], seen: tuple[str, ...]) -> None:
        if ident in seen:
            return
        trail = [*trail, graph.step(ident, declared)]
        if graph.by_id[ident].name == target:
            found.append(trail)
            return
        for dep, req in graph.children(ident):
            walk(dep, req, trail, (*seen, ident))

    for name, req in sorted(project.manifest.dependencies.items()):
        if name in graph.by_id:
            walk(name, req.describe(), [], ())
    return found


def run_why(args) -> int:
    project, lock = _load()
    graph = _Graph(lock)
    versions = [p for p in lock.packages if p.name == args.name]
    if not versions:
        raise NupmError(f"{args.name} is not in this environment")
    paths = _paths_to(args.name, project, graph)
    m = project.manifest
    if args.json:
        shared = next((p for p in versions if p.copy is None), versions[0])
        _emit_json({"name": args.name, "version": shared.version, "paths": paths,
                    "versions": [{"version": p.version, **_private(p)} for p in versions]})
        return 0
    for path in paths:
        print(f"{m.name} {m.version} → " + " → ".join(_label(s) for s in path))
    for pkg in versions:
        if pkg.copy:
            shared = lock.by_name().get(pkg.name)
            needs = [f"{_names([d], graph.by_id)} ({graph.by_id[d].dependencies.get(pkg.name, '*')})"
                     for d in pkg.serves if d in graph.by_id]
            print(f"{pkg.name} {pkg.version} is private to {' and '.join(needs)}"
                  + (f"; the others share {pkg.name} {shared.version}" if shared else ""))
    return 0
