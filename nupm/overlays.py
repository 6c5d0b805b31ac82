"""Global environments: named environments under NUPM_HOME/overlays/<name>/, usable from anywhere.

An overlay directory mirrors a project's shape in one place: its manifest (nupm.toml), lock, bin/,
lib/, env.json and activation modules (mod.nu, so `overlay use <name>` finds it once NUPM_HOME/overlays
is in Nushell's lib dirs). Every change rebuilds the whole directory beside it and swaps it in, and is
recorded as a generation (NUPM_HOME/generations/<name>/<n>.toml) that `rollback` can return to.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from nupm import environment, roots
from nupm import lock as lock_mod
from nupm import manifest as manifest_mod
from nupm.errors import BadInput, NupmError, UsageError
from nupm.fsutil import atomic_write, exclusive, pause_point, remove_tree
from nupm.lock import Lock
from nupm.manifest_edit import new_manifest
from nupm.paths import LOCKFILE, MANIFEST, Home

GENERATION = "generation"  # in an overlay's directory: the number of the generation it holds
_GENERATION = re.compile(r"(\d+)\.toml\Z")


def check_name(name: str) -> None:
    if not manifest_mod.valid_name(name):
        raise UsageError(f"invalid environment name {name!r}: use lowercase letters, digits, - and _, "
                         "starting with a letter")


@dataclass(frozen=True)
class Overlay:
    home: Home
    name: str

    @property
    def dir(self) -> Path:
        return self.home.overlays / self.name

    @property
    def manifest_path(self) -> Path:
        return self.dir / MANIFEST

    @property
    def generations_dir(self) -> Path:
        return self.home.generations / self.name

    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def manifest_text(self) -> str:
        return self.manifest_path.read_text(encoding="utf-8")

    def manifest(self, text: str | None = None) -> manifest_mod.Manifest:
        return manifest_mod.load_toml_text(self.manifest_path, self.manifest_text() if text is None else text)

    def lock(self) -> Lock:
        path = self.dir / LOCKFILE
        return lock_mod.read(path, self.dir) if path.is_file() else Lock()

    def is_active(self) -> bool:
        return os.environ.get("NUPM_GLOBAL_ENV") == self.name or (
            os.environ.get("NUPM_ENV_ROOT") == str(self.dir))


@contextlib.contextmanager
def held(home: Home, name: str, say=None) -> Iterator[None]:
    """Hold global environment `name`'s lock: its manifest, lock, generation number and directory swap
    change under it, one nupm at a time."""
    check_name(name)
    with exclusive(home.env_lock(name), f"global environment {name}", say):
        yield


def get(home: Home, name: str) -> Overlay:
    check_name(name)
    overlay = Overlay(home, name)
    if not overlay.exists():
        raise NupmError(f"no global environment {name!r} (create it with `nupm overlay new {name}`)")
    return overlay


def all_overlays(home: Home) -> list[Overlay]:
    if not home.overlays.is_dir():
        return []
    # Only valid names: a temp dir a killed nupm left (`work.tmp-…`) is never an environment.
    return [Overlay(home, p.name) for p in sorted(home.overlays.iterdir())
            if manifest_mod.valid_name(p.name) and (p / MANIFEST).is_file()]


def active(home: Home) -> Overlay | None:
    """The global environment active in the calling shell, from the variables activation exports."""
    name = os.environ.get("NUPM_GLOBAL_ENV")
    root = os.environ.get("NUPM_ENV_ROOT", "")
    if not name and root and Path(root).parent == home.overlays:
        name = Path(root).name
    return Overlay(home, name) if name and Overlay(home, name).exists() else None


def initial_manifest(name: str) -> str:
    return (f"# Global environment {name!r}, kept by nupm: `nupm install PKG --overlay {name}` edits it.\n"
            + new_manifest(name, "module", "0.0.0", "global environment"))


# -- applying a state -----------------------------------------------------------------------------
def apply(overlay: Overlay, manifest_text: str, lock: Lock, change: str, lock_text: str | None = None) -> None:
    """Make (manifest, lock) the overlay's state: store entries, then one directory swap, then a generation."""
    from nupm.project import using_store

    manifest = overlay.manifest(manifest_text)
    lock_text = lock_text if lock_text is not None else lock_mod.render(lock, None)
    overlay.home.overlays.mkdir(parents=True, exist_ok=True)
    with using_store(overlay.home, lock) as (installed, _):
        description = environment.describe(manifest, installed, overlay.dir, kind="global")
        # The record first, then the swap that names it: a kill in between leaves a record that the
        # directory does not name, which history skips and the next change replaces.
        number = record_generation(overlay, manifest_text, lock_text, change)
        pause_point("generation-recorded")
        environment.write(overlay.dir, description,
                          extra={MANIFEST: manifest_text, LOCKFILE: lock_text, GENERATION: f"{number}\n"})
        roots.register_root(overlay.home, overlay.dir)
        environment.check_links(overlay.dir, description)


@dataclass
class Change:
    """A resolved change to a global environment, not yet applied: shown, confirmed, then `commit`ted."""

    overlay: Overlay
    text: str  # the new manifest
    lock: Lock
    summary: str  # which packages come, go and move (describe_change)
    reinstall: list[str]  # packages to fetch and build again although their version stays
    already: list[str]  # packages asked for that were installed already and are left as they are

    @property
    def empty(self) -> bool:
        return self.text == self.overlay.manifest_text() and self.summary == NO_CHANGE and not self.reinstall

    def plan(self) -> list[str]:
        return self.summary.split(", ") + [f"reinstall {n}" for n in self.reinstall]


def plan_change(overlay: Overlay, text: str, registry: str | None, unlock: set[str]) -> Change:
    """`text` as the overlay's new manifest, resolved (keeping locked versions except `unlock`'s).
    Callers hold the environment's lock from before they read what `text` was made from."""
    from nupm.project import Project, resolve_lock

    old = overlay.lock()
    new = resolve_lock(Project(overlay.manifest(text), overlay.home), registry, keep=old, unlock=unlock)
    return Change(overlay, text, new, describe_change(old, new), [], [])


def plan_install(overlay: Overlay, specs: list[str], registry: str | None, update: bool,
                 reinstall: bool) -> Change:
    """`nupm install SPEC... --overlay NAME`: packages not installed yet (or asked for with another range)
    are added with ^<resolved> ranges; the others stay unless `update` (newest allowed) or `reinstall`."""
    from nupm.project import resolve_addition

    manifest = overlay.manifest()
    pause_point("overlay-read")
    reqs = [manifest_mod.spec_requirement(spec) for spec in specs]
    fresh = [r for r in reqs if r.name not in manifest.dependencies
             or (r.range is not None and r.range != manifest.dependencies[r.name].range)]
    unlock = {r.name for r in fresh} | ({r.name for r in reqs} if update else set())
    old = overlay.lock()
    added = resolve_addition(overlay.home, overlay.manifest_text(), fresh, overlay.manifest, registry,
                             keep=old, unlock=unlock)
    already = [] if update or reinstall else [r.name for r in reqs if r not in fresh]
    return Change(overlay, added.text, added.lock, describe_change(old, added.lock),
                  [r.name for r in reqs] if reinstall else [], already)


def commit(change: Change) -> None:
    """Apply a planned change as the overlay's next generation (reinstalled entries swapped in first)."""
    from nupm.store import reinstall

    for pkg in change.lock.packages:
        if pkg.name in change.reinstall:
            reinstall(change.overlay.home, pkg)
    unchanged = change.text == change.overlay.manifest_text() and change.summary == NO_CHANGE
    apply(change.overlay, change.text, change.lock,
          change.summary if not unchanged else "reinstall " + ", ".join(change.reinstall))


def create(home: Home, name: str, say=None) -> Overlay:
    """A new global environment; exclusive: of two nupm creating the same name, one is told it exists."""
    with held(home, name, say):
        overlay = Overlay(home, name)
        if overlay.exists() or overlay.dir.exists():
            raise NupmError(f"global environment {name!r} already exists ({overlay.dir})")
        pause_point("overlay-create")
        apply(overlay, initial_manifest(name), Lock(), "created")
    return overlay


def remove(overlay: Overlay) -> None:
    remove_tree(overlay.dir)
    remove_tree(overlay.generations_dir)


NO_CHANGE = "no package changed"


def describe_change(old: Lock, new: Lock) -> str:
    before = {p.id: p.version for p in old.packages}
    after = {p.id: p.version for p in new.packages}
    parts = [f"+{n} {v}" for n, v in sorted(after.items()) if n not in before]
    parts += [f"-{n} {v}" for n, v in sorted(before.items()) if n not in after]
    parts += [f"{n} {before[n]} -> {v}" for n, v in sorted(after.items()) if n in before and before[n] != v]
    return ", ".join(parts) or NO_CHANGE


# -- generations ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Generation:
    number: int
    date: str
    change: str
    manifest: str
    lock: str
    path: Path


def current_generation(overlay: Overlay) -> int | None:
    """The generation the environment's directory holds (None for a directory from before it said)."""
    try:
        return int((overlay.dir / GENERATION).read_text().strip())
    except (OSError, ValueError):
        return None


def generations(overlay: Overlay) -> list[Generation]:
    """Every generation up to the current one: a record written just before a kill, never swapped in,
    is not part of the history."""
    found = []
    if overlay.generations_dir.is_dir():
        for path in overlay.generations_dir.iterdir():
            if _GENERATION.match(path.name):
                found.append(read_generation(path))
    current = current_generation(overlay)
    return sorted((g for g in found if current is None or g.number <= current), key=lambda g: g.number)


def read_generation(path: Path) -> Generation:
    text = manifest_mod.read_text(path)
    data = manifest_mod.parse_toml(path, text)
    try:
        return Generation(int(data["number"]), data["date"], data["change"], data["manifest"], data["lock"], path)
    except (KeyError, TypeError, ValueError) as e:
        raise BadInput(path, 1, 1, f"not a generation record ({e})") from None


def record_generation(overlay: Overlay, manifest_text: str, lock_text: str, change: str) -> int:
    existing = generations(overlay)
    if existing and existing[-1].manifest == manifest_text and existing[-1].lock == lock_text:
        return existing[-1].number  # nothing changed: no new generation
    number = existing[-1].number + 1 if existing else 1
    stale = overlay.generations_dir / f"{number:06d}.toml"  # recorded once, never swapped in: replaced
    stale.unlink(missing_ok=True)
    overlay.generations_dir.mkdir(parents=True, exist_ok=True)
    date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = (f"number = {number}\ndate = {lock_mod.toml_string(date)}\nchange = {lock_mod.toml_string(change)}\n"
            f"manifest = {lock_mod.toml_string(manifest_text)}\nlock = {lock_mod.toml_string(lock_text)}\n")
    atomic_write(overlay.generations_dir / f"{number:06d}.toml", body)
    return number


def rollback(overlay: Overlay, to: int | None) -> Generation:
    history = generations(overlay)
    if not history:
        raise NupmError(f"{overlay.name} has no generations")
    current = history[-1]
    target_number = to if to is not None else current.number - 1
    target = next((g for g in history if g.number == target_number), None)
    if target is None:
        known = ", ".join(str(g.number) for g in history)
        raise NupmError(f"{overlay.name} has no generation {target_number} (it has {known})")
    lock = lock_mod.read_text_lock(target.lock, target.path, overlay.dir)
    apply(overlay, target.manifest, lock, f"rollback to {target.number}", lock_text=target.lock)
    return target


# -- export and import ----------------------------------------------------------------------------
def export_text(overlay: Overlay) -> str:
    lock_path = overlay.dir / LOCKFILE
    lock_text = lock_path.read_text(encoding="utf-8") if lock_path.is_file() else lock_mod.render(Lock(), None)
    return ("# nupm global environment export: `nupm overlay import FILE` recreates it exactly.\n"
            f"name = {lock_mod.toml_string(overlay.name)}\n"
            f"manifest = {lock_mod.toml_string(overlay.manifest_text())}\n"
            f"lock = {lock_mod.toml_string(lock_text)}\n")


def import_file(home: Home, path: Path, name: str | None, say=None) -> Overlay:
    text = manifest_mod.read_text(path)
    data = manifest_mod.parse_toml(path, text)
    for key in ("name", "manifest", "lock"):
        if not isinstance(data.get(key), str):
            raise BadInput(path, 1, 1, f"not a nupm environment export: {key!r} missing")
    name = name or data["name"]
    check_name(name)
    with held(home, name, say):
        overlay = Overlay(home, name)
        if overlay.exists() or overlay.dir.exists():
            raise NupmError(f"global environment {name!r} already exists")
        manifest_text = _renamed(data["manifest"], name)
        overlay.manifest(manifest_text)  # validate before anything is written
        lock = lock_mod.read_text_lock(data["lock"], path, overlay.dir)
        apply(overlay, manifest_text, lock, f"imported from {path.name}", lock_text=data["lock"])
    return overlay


def _renamed(manifest_text: str, name: str) -> str:
    import tomlkit

    doc = tomlkit.parse(manifest_text)
    if doc.get("package", {}).get("name") == name:
        return manifest_text
    doc["package"]["name"] = name
    return tomlkit.dumps(doc)
