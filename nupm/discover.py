"""Finding packages: `search` across every registry, `info` on one package, `outdated` for a project,
and the package list of one registry (`registry describe`). Registries are read as resolution reads
them (the same cache, offline rules and first-registry-wins order); nothing here prints."""

from __future__ import annotations

import json
from pathlib import Path

from nupm.errors import NupmError
from nupm.manifest import Manifest
from nupm.paths import Home
from nupm.sources.registry import IndexEntry, Registry
from nupm.versions import Label


def _registries(manifest: Manifest | None, registry: str | None = None) -> list[Registry]:
    from nupm.project import open_registries

    return open_registries(manifest, registry)


def newest(entries: list[IndexEntry]) -> IndexEntry | None:
    """The newest SemVer version; a label only when there is nothing else."""
    versions = [e for e in entries if not e.is_label] or entries
    return max(versions, key=lambda e: e.version) if versions else None


def _summary(registry: Registry, name: str, entries: list[IndexEntry]) -> dict:
    top = newest(entries)
    return {"name": name, "registry": registry.name, "newest": str(top.version) if top else None,
            "versions": [str(e.version) for e in sorted(entries, key=lambda e: e.version)],
            "type": (top.type if top else None) or "", "description": top.description if top else ""}


def search(manifest: Manifest | None, term: str, registry: str | None = None) -> list[dict]:
    """Packages whose name or description contains `term` (case-insensitive), first registry wins."""
    needle = term.lower()
    seen: set[str] = set()
    rows = []
    for reg in _registries(manifest, registry):
        index = reg.index()
        for name in reg.names():
            if name in seen:
                continue
            described = _index_description(index.get(name))
            if needle not in name.lower() and needle not in described.lower():
                continue
            seen.add(name)
            rows.append(_summary(reg, name, reg.versions(name)))
    return sorted(rows, key=lambda r: (not r["name"].lower().startswith(needle), r["name"]))


def _index_description(versions: object) -> str:
    if not isinstance(versions, dict):
        return ""
    return " ".join(str(v.get("description") or "") for v in versions.values() if isinstance(v, dict))


def describe_registry(manifest: Manifest | None, name: str) -> list[dict]:
    registry = next((r for r in _registries(manifest) if r.name == name), None)
    if registry is None:
        raise NupmError(f"no registry named {name!r} (see `nupm registry list`)")
    return [_summary(registry, pkg, registry.versions(pkg)) for pkg in registry.names()]


def info(home: Home, manifest: Manifest | None, name: str, registry: str | None = None) -> dict:
    """Everything known of a package: its versions, type, description, license, repository, and which
    environments on this machine have it."""
    for reg in _registries(manifest, registry):
        entries = reg.versions(name)
        if entries:
            break
    else:
        raise NupmError(f"no package named {name} in {', '.join(r.name for r in _registries(manifest, registry))}")
    top = newest(entries)
    facts = {"type": top.type or "", "description": top.description, "license": top.license,
             "repository": top.repository or (top.url if top.kind == "git" else "")}
    if not (facts["type"] and facts["description"]):
        # The manifest fills what the index row leaves empty; every key stays, empty or not.
        fetched = _from_manifest(home, reg, top)
        facts = {**facts, **{k: v for k, v in fetched.items() if v and not facts.get(k)}}
    return {"name": name, "registry": reg.name, "location": reg.location,
            "newest": str(top.version), **facts,
            "versions": [{"version": str(e.version), "source": e.describe_row(), "label": isinstance(e.version, Label)}
                         for e in sorted(entries, key=lambda e: e.version, reverse=True)],
            "installed": installed(home, name)}


def _from_manifest(home: Home, registry: Registry, entry: IndexEntry) -> dict:
    """What the package's own manifest says (Nushell nupm's registries keep type and description there);
    fetching it is worth it for `info`, but its failure is not."""
    from nupm.manifest import load, manifest_in
    from nupm.resolver import PackageFinder

    finder = PackageFinder(home, [registry], jobs=1)
    try:
        cand = finder.candidates(entry.name, [])
        found = next((c for c in cand if c.version == entry.version), None)
        if found is None:
            return {}
        path = manifest_in(finder.package_dir(found))
        manifest = load(path) if path else None
    except NupmError:
        return {}
    finally:
        finder.close()
    if manifest is None:
        return {}
    return {"type": manifest.type, "description": manifest.description}


def installed(home: Home, name: str) -> list[dict]:
    """Every environment (project or global) on this machine whose env.json lists `name`."""
    from nupm.description import read as read_description
    found = []
    if not home.roots.is_dir():
        return found
    for root in sorted(home.roots.glob("*.json")):
        try:
            env_dir = json.loads(root.read_text()).get("env_dir")
            described = read_description(Path(env_dir))
        except (OSError, ValueError, TypeError, AttributeError):
            continue
        for pkg in described.packages if described else ():
            if pkg.name == name:
                found.append({"version": pkg.version, "environment": described.name,
                              "kind": described.kind, "root": described.root})
    return found


def outdated(project) -> list[dict]:
    """Per locked registry package: the locked version, the newest its dependants allow, and the newest."""
    from nupm.project import read_lock
    from nupm.versions import Range, VersionError

    lock = read_lock(project)
    if lock is None:
        raise NupmError("no nupm.lock yet; run `nupm install`")
    wants: dict[str, list[str]] = {}
    for name, req in project.manifest.dependencies.items():
        wants.setdefault(name, []).append(str(req.range or "*"))
    routes = lock.routes()  # a private copy answers to its own dependants' requirements
    for pkg in lock.packages:
        for dep, text in pkg.dependencies.items():
            target = routes.target(pkg.id, dep)
            wants.setdefault(target.id if target else dep, []).append(text)
    registries = {r.name: r for r in _registries(project.manifest)}
    rows = []
    for pkg in lock.packages:
        registry = registries.get(pkg.source.registry or "")
        if pkg.source.kind != "registry" or registry is None:
            continue
        entries = [e for e in registry.versions(pkg.name) if not e.is_label]
        try:
            ranges = [Range(t) for t in wants.get(pkg.id, ["*"])]
        except VersionError:
            ranges = []
        allowed = [e for e in entries if all(r.admits(e.version) for r in ranges)]
        top, best = newest(entries), newest(allowed)
        rows.append({"name": pkg.id, "locked": pkg.version, "allowed": str(best.version) if best else None,
                     "newest": str(top.version) if top else None, "registry": registry.name,
                     "outdated": bool(top and str(top.version) != pkg.version)})
    return rows
