"""The shared, content-addressed store under NUPM_HOME.

An entry `store/<name>-<version>-<hash12>/` is built in a temp dir beside it, its source hash
verified, made read-only and renamed into place; the marker `<entry>.json` is written last, so an
entry without a marker is incomplete and is redone. A file lock per entry lets any number of nupm
processes install the same packages at once.
"""

from __future__ import annotations

import json
import os
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

    @classmethod
    def read(cls, path: Path, marker: Path) -> StoreEntry | None:
        try:
            data = json.loads(marker.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        if data.get("marker") != MARKER_VERSION or not path.is_dir():
            return None
        return cls(path=path, name=data["name"], version=data["version"], type=data["type"], hash=data["hash"],
                   modules=data["modules"], scripts=data["scripts"], binaries=data["binaries"],
                   collections=data.get("collections", {}))


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
        _install(home, pkg, entry)
        return lookup(home, pkg), True


def _build(home: Home, pkg: LockedPackage, entry: Path, out: Path) -> dict:
    """Fill `out` with a verified, read-only copy of the package (built, for custom ones); its layout."""
    source_dir = fetch(home, pkg.source)
    if pkg.type == "custom":
        with scratch_dir(home.store, f".tmp-{entry.name}-source-") as copy:
            _verified_copy(source_dir, copy, pkg)
            run_build(copy, out)
    else:
        _verified_copy(source_dir, out, pkg)
    layout = describe_layout(out, pkg)
    make_read_only(out)
    return layout


def _verified_copy(source_dir: Path, dest: Path, pkg: LockedPackage) -> None:
    copy_tree(source_dir, dest)
    actual = tree_hash(dest)
    if actual != pkg.hash:
        raise HashMismatch(f"{pkg.name} {pkg.version}: content hash {actual} does not match the lock's "
                           f"{pkg.hash} ({pkg.source.describe()}); the source changed since it was locked")


def _write_marker(home: Home, pkg: LockedPackage, entry: Path, layout: dict) -> None:
    marker = {"marker": MARKER_VERSION, "name": pkg.name, "version": pkg.version, "type": pkg.type,
              "hash": pkg.hash, "tree_hash": tree_hash(entry), "source": pkg.source.describe(),
              # Enough to fetch the package again (`nupm store verify --repair`); paths are absolute.
              "lock_source": pkg.source.to_lock(None), **layout}
    atomic_write(home.entry_marker(entry), json.dumps(marker, indent=1, sort_keys=True) + "\n")


def _install(home: Home, pkg: LockedPackage, entry: Path) -> None:
    with built_beside(entry) as tmp:
        layout = _build(home, pkg, entry, tmp)
        pause_point("store-built")
    pause_point("store-renamed")
    _write_marker(home, pkg, entry, layout)


def reinstall(home: Home, pkg: LockedPackage) -> StoreEntry:
    """Fetch and build the entry again and swap it in whole: users of the old copy never see a gap."""
    entry = home.entry(pkg.name, pkg.version, pkg.hash)
    with file_lock(home.entry_lock(entry)):
        with built_beside(entry, replace=True) as tmp:
            layout = _build(home, pkg, entry, tmp)
        _write_marker(home, pkg, entry, layout)
    return lookup(home, pkg)


def describe_layout(root: Path, pkg: LockedPackage) -> dict:
    """What a package tree offers: modules, nu scripts and binaries (names relative to `root`)."""
    modules, scripts, binaries = {}, {}, {}
    if pkg.type == "custom":
        for sub, table in (("modules", modules), ("bin", binaries)):
            base = root / sub
            if base.is_dir():
                for item in sorted(base.iterdir()):
                    table[item.name] = f"{sub}/{item.name}"
        return {"modules": modules, "scripts": {}, "binaries": binaries}
    path = manifest_mod.manifest_in(root)
    found = manifest_mod.load(path) if path else None
    extra = found.scripts if found else []
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
    return {"modules": modules, "scripts": scripts, "binaries": binaries, "collections": collections}


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
