"""The shared, content-addressed store under NUPM_HOME.

An entry `store/<name>-<version>-<hash12>/` is built in a temp dir beside it, its source hash
verified, made read-only and renamed into place; the marker `<entry>.json` is written last, so an
entry without a marker is incomplete and is redone. A file lock per entry lets any number of nupm
processes install the same packages at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from nupm import manifest as manifest_mod
from nupm import nushell
from nupm.activation.quoting import quote_nu
from nupm.errors import NupmError
from nupm.fsutil import (
    atomic_write,
    built_beside,
    copy_tree,
    file_lock,
    make_read_only,
    pause_point,
    remove_tree,
    scratch_dir,
    tree_hash,
)
from nupm.lock import LockedPackage
from nupm.paths import Home
from nupm.sources.source import fetch

MARKER_VERSION = 1


class HashMismatch(NupmError):
    pass


@dataclass(frozen=True)
class StoreEntry:
    """A complete store entry and what it provides to an environment."""

    path: Path
    name: str
    version: str
    type: str
    hash: str
    modules: dict[str, str]  # module name -> path relative to the entry
    scripts: dict[str, str]  # command -> .nu file relative to the entry (run through nu)
    binaries: dict[str, str]  # command -> executable relative to the entry
    collections: dict[str, str] = field(default_factory=dict)  # module dir without mod.nu: `use name/file.nu`
    plugins: dict[str, str] = field(default_factory=dict)  # Nushell plugin name -> executable relative to the entry

    @classmethod
    def read(cls, path: Path, marker: Path) -> StoreEntry | None:
        try:
            raw = marker.read_bytes()
        except FileNotFoundError:
            return None
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None  # empty or cut short (nupm killed, or the machine stopped, while writing it): redo
        if not isinstance(data, dict) or data.get("marker") != MARKER_VERSION or not os.path.isdir(path):
            return None
        return cls.of(path, data)

    @classmethod
    def of(cls, path: Path, data: dict) -> StoreEntry:
        return cls(path=path, name=data["name"], version=data["version"], type=data["type"], hash=data["hash"],
                   modules=data["modules"], scripts=data["scripts"], binaries=data["binaries"],
                   collections=data.get("collections", {}), plugins=data.get("plugins", {}))


def lookup(home: Home, pkg: LockedPackage) -> StoreEntry | None:
    entry = home.entry(pkg.name, pkg.version, pkg.hash)
    return StoreEntry.read(entry, home.entry_marker(entry))


def ensure(home: Home, pkg: LockedPackage) -> tuple[StoreEntry, bool]:
    """The complete entry for `pkg`, installing it if needed; the flag says whether it was new."""
    if found := lookup(home, pkg):
        return found, False
    entry = home.entry(pkg.name, pkg.version, pkg.hash)
    with file_lock(home.entry_lock(entry)):
        if found := lookup(home, pkg):
            return found, False
        if os.path.lexists(entry):
            remove_tree(entry)  # left by an interrupted install: redo it
        return _install(home, pkg, entry), True


def _build(home: Home, pkg: LockedPackage, entry: Path, out: Path, source_dir: Path) -> tuple[dict, str]:
    """Fill `out` with a verified, read-only copy of the package (built, for custom ones); its layout and
    the tree hash of `out` as it now is."""
    if pkg.type == "custom":
        with scratch_dir(home.store, f".tmp-{entry.name}-source-") as copy:
            _verified_copy(source_dir, copy, pkg)
            run_build(copy, out)
        layout = describe_layout(out, pkg)
        make_read_only(out)
        return layout, tree_hash(out)
    # The copy is the entry: its files are made read-only as they are written, and its hash is taken from
    # the bytes as they are written (make_read_only keeps exec bits, so the hash stays that of the entry).
    stored = _verified_copy(source_dir, out, pkg, read_only=True)
    return describe_layout(out, pkg), stored


# The file work of building entries (copy, hash, marker: hundreds of small syscalls) is done by one thread of a
# process at a time. Installs run on a thread pool so that fetches (git, archives) overlap; the local work
# gains nothing from threads, and each syscall hands the GIL to another thread: with 8 threads that convoy
# costs more than the work itself. Custom builds (a nu process each) still run side by side.
_file_work = threading.Lock()


def _one_at_a_time(pkg: LockedPackage):
    return contextlib.nullcontext() if pkg.type == "custom" else _file_work


def _verified_copy(source_dir: Path, dest: Path, pkg: LockedPackage, read_only: bool = False) -> str:
    actual = copy_tree(source_dir, dest, read_only=read_only)
    if actual != pkg.hash:
        raise HashMismatch(f"{pkg.name} {pkg.version}: content hash {actual} does not match the lock's "
                           f"{pkg.hash} ({pkg.source.describe()}); the source changed since it was locked")
    return actual


def _marker(pkg: LockedPackage, layout: dict, stored: str) -> dict:
    return {"marker": MARKER_VERSION, "name": pkg.name, "version": pkg.version, "type": pkg.type,
            "hash": pkg.hash, "tree_hash": stored, "source": pkg.source.describe(),
            # Enough to fetch the package again (`nupm store verify --repair`); paths are absolute.
            "lock_source": pkg.source.to_lock(None), **layout}


def _marker_text(marker: dict) -> str:
    # One line: without `indent`, json encodes in C (with it, in Python: a tenth of an entry's install).
    return json.dumps(marker, sort_keys=True) + "\n"


def _install(home: Home, pkg: LockedPackage, entry: Path) -> StoreEntry:
    source_dir = fetch(home, pkg.source)
    with _one_at_a_time(pkg):
        with built_beside(entry) as tmp:
            layout, stored = _build(home, pkg, entry, tmp, source_dir)
            pause_point("store-built")
        pause_point("store-renamed")
        marker = _marker(pkg, layout, stored)
        # No fsync: a marker lost in a crash only means "incomplete: redo" (`StoreEntry.read`), and an fsync
        # of it (~4 ms, the costliest step of a cold install) never made the entry's own files durable anyway.
        atomic_write(home.entry_marker(entry), _marker_text(marker), mode=0o644, durable=False)
    return StoreEntry.of(entry, marker)


def reinstall(home: Home, pkg: LockedPackage) -> StoreEntry:
    """Fetch and build the entry again and swap it in whole: users of the old copy never see a gap."""
    entry = home.entry(pkg.name, pkg.version, pkg.hash)
    with file_lock(home.entry_lock(entry)):
        source_dir = fetch(home, pkg.source)
        with built_beside(entry, replace=True) as tmp:
            layout, stored = _build(home, pkg, entry, tmp, source_dir)
        # A complete marker may be there: replace it atomically, so readers see the old one or the new one.
        atomic_write(home.entry_marker(entry), _marker_text(_marker(pkg, layout, stored)))
    return lookup(home, pkg)


def describe_layout(root: Path, pkg: LockedPackage) -> dict:
    """What a package tree offers: modules, nu scripts, binaries and Nushell plugins (names relative to
    `root`)."""
    from nupm.plugins import plugin_name

    modules, scripts, binaries, plugins = {}, {}, {}, {}
    if pkg.type == "nushell":
        return {"modules": {}, "scripts": {}, "binaries": nushell_binaries(root)}
    if pkg.type == "custom":
        # What build.nu put in $NUPM_PREFIX: modules/, bin/ and plugins/; a nu_plugin_* executable in bin/ (where
        # Nushell's nupm has `cargo install` put plugins) is a plugin, not a command.
        for sub in ("modules", "bin", "plugins"):
            base = root / sub
            for item in sorted(base.iterdir()) if base.is_dir() else []:
                name = plugin_name(item.name) if sub != "modules" else None
                if name:
                    plugins[name] = f"{sub}/{item.name}"
                elif sub != "plugins":
                    (modules if sub == "modules" else binaries)[item.name] = f"{sub}/{item.name}"
        return {"modules": modules, "scripts": {}, "binaries": binaries, **({"plugins": plugins} if plugins else {})}
    path = manifest_mod.manifest_in(root)
    found = manifest_mod.load(path) if path else None
    extra = found.scripts if found else []
    for plugin in found.plugins if found else []:
        if not (root / plugin).is_file():
            raise NupmError(f"{pkg.name} {pkg.version}: plugin {plugin} is missing")
        plugins[plugin_name(Path(plugin).name)] = Path(plugin).as_posix()
    collections = {}
    if pkg.type == "module":
        if (root / pkg.name / "mod.nu").is_file():
            modules[pkg.name] = pkg.name
        elif (root / pkg.name).is_dir() and any((root / pkg.name).glob("*.nu")):
            # A collection of module files (themes, hooks) that Nushell's nupm installs as they are.
            collections[pkg.name] = pkg.name
        else:
            raise NupmError(f"{pkg.name} {pkg.version}: module package lacks {pkg.name}/mod.nu "
                            f"(or a {pkg.name}/ directory of .nu files)")
    else:
        extra = [f"{pkg.name}.nu", *extra]
    for script in extra:
        if not (root / script).is_file():
            raise NupmError(f"{pkg.name} {pkg.version}: script {script} is missing")
        scripts[Path(script).name.removesuffix(".nu")] = Path(script).as_posix()
    return {"modules": modules, "scripts": scripts, "binaries": binaries, "collections": collections,
            **({"plugins": plugins} if plugins else {})}


def run_build(source: Path, prefix: Path) -> None:
    """Run a custom package's build.nu with `NUPM_PREFIX` (and Nushell nupm's `$env.nupm.home`)."""
    build = source / "build.nu"
    if not build.is_file():
        raise NupmError(f"custom package in {source} has no build.nu")
    import subprocess

    package_file = manifest_mod.manifest_in(source)
    env = {**os.environ, "NUPM_PREFIX": str(prefix)}
    # `source` needs a parse-time constant path, so the paths are embedded as nu string literals.
    code = (f"$env.nupm = {{home: $env.NUPM_PREFIX}}; source {quote_nu(str(build))}; "
            f"main {quote_nu(str(package_file or source))}")
    try:
        proc = subprocess.run([nushell.binary(), "--no-config-file", "-c", code], cwd=source, env=env,
                              capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise NupmError("nu is not installed; custom packages need it to run build.nu") from None
    if proc.returncode != 0:
        raise NupmError(f"build.nu failed (exit {proc.returncode}):\n{proc.stderr.strip() or proc.stdout.strip()}")


def nushell_binaries(root: Path) -> dict[str, str]:
    """`nu` and the plugins a Nushell release ships (`nu_plugin_*`), at the top of its archive (GitHub's
    layout) or in bin/ (npm's)."""
    for where in ("", "bin"):
        base = root / where if where else root
        if (base / "nu").is_file():
            return {p.name: p.relative_to(root).as_posix() for p in sorted(base.iterdir())
                    if p.is_file() and (p.name == "nu" or p.name.startswith("nu_plugin_")) and os.access(p, os.X_OK)}
    raise NupmError(f"{root}: no nu executable in this Nushell release")
