"""Store maintenance: garbage collection, verification and listing (gc roots: nupm.roots).

Every environment that uses the store registers a root (NUPM_HOME/roots/<key>.json naming its env
dir); a root whose env.json is gone is dropped. An install in progress registers a temporary root
holding its process id under the gc lock, so gc, which holds that lock for its whole run, either sees
the install's packages as live or runs before the install starts using anything.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from nupm.description import read as read_description
from nupm.fsutil import debris_in as fsutil_debris
from nupm.fsutil import file_lock, remove_tree, tree_hash
from nupm.lock import LockedPackage
from nupm.paths import Home
from nupm.sources.source import Source


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def generation_entries(home: Home) -> set[str]:
    """Store entries named by any generation of any global environment: rollback must find them."""
    import tomllib

    names: set[str] = set()
    for path in sorted(home.generations.glob("*/*.toml")) if home.generations.is_dir() else []:
        try:
            packages = tomllib.loads(tomllib.loads(path.read_text(encoding="utf-8"))["lock"]).get("package", [])
            names.update(home.entry_name(p["name"], p["version"], p["hash"]) for p in packages)
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError):
            continue
    return names


def live_entries(home: Home, prune: bool) -> set[str]:
    """Store entries some environment, generation or running install uses, or some environment's plugin
    registry names; dead roots dropped if `prune`."""
    live = generation_entries(home)
    if not home.roots.is_dir():
        return live
    with_plugins = []
    for root in sorted(home.roots.glob("*.json")):
        try:
            data = json.loads(root.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if "pid" in data:
            if _pid_alive(data["pid"]):
                live.update(data["entries"])
            elif prune:
                root.unlink(missing_ok=True)
            continue
        env_dir = data.get("env_dir") if isinstance(data, dict) else None
        described = read_description(Path(env_dir)) if isinstance(env_dir, str) else None
        if described is None:
            if prune:
                root.unlink(missing_ok=True)
            continue
        live.update(Path(p.store).name for p in described.packages)
        if described.plugins:
            with_plugins.append((Path(env_dir), described))
    return live | plugin_entries(home, with_plugins)


def plugin_entries(home: Home, described: list) -> set[str]:
    """Store entries holding a plugin that an environment's own plugin registry file names (read by nu: it
    may name more than env.json, a `plugin add --plugin-config` by hand), for each (env dir, description).
    When nu cannot read them, what env.json says the registry holds is kept instead."""
    from nupm.nushell import binary
    from nupm.paths import PLUGIN_REGISTRY
    from nupm.plugins import registered_files

    if not described:
        return set()
    registries = [env_dir / PLUGIN_REGISTRY for env_dir, _ in described if (env_dir / PLUGIN_REGISTRY).is_file()]
    # The user's nu, never one an env.json names: a repository can ship a .nupm/ whose env.json says anything.
    named = registered_files(binary(), registries)
    if named is None:
        print(f"nupm: cannot read the plugin registries {', '.join(map(str, registries))}; keeping the plugins "
              "their env.json names", file=sys.stderr)
        named = {p.target for _, d in described for p in d.plugins.values()}
    store = os.path.realpath(home.store)
    return {os.path.relpath(path, store).split(os.sep)[0] for path in map(os.path.realpath, named)
            if path.startswith(store + os.sep)}


@dataclass(frozen=True)
class Entry:
    name: str
    path: Path
    marker: Path
    complete: bool

    def size(self) -> int:
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file() and not f.is_symlink())


def entries(home: Home) -> list[Entry]:
    if not home.store.is_dir():
        return []
    found = []
    for path in sorted(home.store.iterdir()):
        if path.name.startswith(".") or not path.is_dir():
            continue
        marker = home.entry_marker(path)
        found.append(Entry(path.name, path, marker, marker.is_file()))
    return found


def debris(home: Home) -> list[Path]:
    """Temporary files and directories that killed nupm processes left behind (their owner no longer runs):
    half-built store entries, environment directories and overlays, unpacked git trees, half-written files."""
    places = [home.store, home.overlays, home.checkouts, home.git_mirrors, home.roots, home.locks,
              *(sorted(home.generations.iterdir()) if home.generations.is_dir() else [])]
    for env_dir in _environment_dirs(home):
        places += [env_dir, env_dir.parent]
    found: list[Path] = []
    for place in places:
        found += fsutil_debris(place)
    return sorted(set(found))


def _environment_dirs(home: Home) -> list[Path]:
    dirs = []
    for root in sorted(home.roots.glob("*.json")) if home.roots.is_dir() else []:
        try:
            env_dir = json.loads(root.read_text()).get("env_dir")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(env_dir, str):
            dirs.append(Path(env_dir))
    return dirs


def collect(home: Home, dry_run: bool) -> tuple[list[Entry], list[Path]]:
    """Remove (or with dry_run only list) the store entries nothing uses, and crash debris."""
    with file_lock(home.gc_lock):
        live = live_entries(home, prune=not dry_run)
        dead = [e for e in entries(home) if e.name not in live]
        leftovers = debris(home)
        if not dry_run:
            for entry in dead:
                with file_lock(home.entry_lock(entry.path)):
                    entry.marker.unlink(missing_ok=True)  # marker first: a half-removed entry is incomplete
                    remove_tree(entry.path)
                    home.entry_lock(entry.path).unlink(missing_ok=True)
            for path in leftovers:
                remove_tree(path)
    return dead, leftovers


@dataclass(frozen=True)
class Problem:
    entry: Entry
    what: str


def verify(home: Home) -> list[Problem]:
    problems = []
    for entry in entries(home):
        if not entry.complete:
            problems.append(Problem(entry, "incomplete (no marker); the next install redoes it"))
            continue
        try:
            recorded = json.loads(entry.marker.read_text())["tree_hash"]
        except (OSError, json.JSONDecodeError, KeyError):
            problems.append(Problem(entry, "unreadable marker"))
            continue
        try:
            actual = tree_hash(entry.path)
        except OSError as e:
            problems.append(Problem(entry, f"unreadable: {e}"))
            continue
        if actual != recorded:
            problems.append(Problem(entry, f"content hash {actual} differs from the recorded {recorded}"))
    return problems


def remove_incomplete(home: Home, entry: Entry) -> None:
    """An entry without its marker is a build that never finished: nothing uses it, it can only go."""
    with file_lock(home.entry_lock(entry.path)):
        if not entry.marker.is_file():
            remove_tree(entry.path)


def repair(home: Home, entry: Entry) -> str | None:
    """Fetch an entry again from its recorded source; None on success, else why not."""
    from nupm import store

    try:
        data = json.loads(entry.marker.read_text())
        pkg = LockedPackage(name=data["name"], version=data["version"], type=data["type"],
                            source=Source.from_lock(data["lock_source"], Path("/")), hash=data["hash"])
    except (OSError, json.JSONDecodeError, KeyError):
        return "its marker does not say where it came from; run `nupm install` in a project that uses it"
    entry.marker.unlink(missing_ok=True)
    remove_tree(entry.path)
    try:
        store.ensure(home, pkg)
    except Exception as e:  # noqa: BLE001 -- reported per entry, the others still get repaired
        return str(e)
    return None


def clean_cache(home: Home) -> int:
    """Empty the download caches (git mirrors and checkouts under NUPM_HOME, HTTP responses and registry
    layouts in the user cache dir); returns the bytes freed."""
    from nupm.paths import cache_dir

    freed = 0
    for directory in (home.cache, cache_dir()):
        if not directory.is_dir():
            continue
        freed += sum(f.stat().st_size for f in directory.rglob("*") if f.is_file() and not f.is_symlink())
        for child in directory.iterdir():
            remove_tree(child)
    return freed

