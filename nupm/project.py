"""A project and the pipeline over it: manifest -> resolve -> lock -> store -> environment.

Commands call these functions and print what they return; they hold no logic of their own. What happens
meanwhile (fetches, notes, waiting for a lock) is reported through `nupm.progress`, never printed here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nupm import lock as lock_mod
from nupm import manifest as manifest_mod
from nupm.description import Description, require_built
from nupm.errors import NupmError, UsageError
from nupm.fsutil import exclusive, pause_point, tree_hash, write_if_changed
from nupm.lock import Lock, LockedPackage
from nupm.manifest import Manifest
from nupm.paths import ENV_DIR, LOCKFILE, MANIFEST, SHIMS, VIEWS, Home


class NoProject(NupmError):
    pass


@dataclass
class Project:
    manifest: Manifest
    home: Home  # the NUPM_HOME whose store, locks and trust records it uses

    @property
    def root(self) -> Path:
        return self.manifest.root

    @property
    def lock_path(self) -> Path:
        return self.root / LOCKFILE

    @property
    def env_dir(self) -> Path:
        return self.root / ENV_DIR


@contextlib.contextmanager
def held(start: Path, home: Home) -> Iterator[Project]:
    """The project at or above `start`, read while holding its lock, which is held until the block ends:
    two nupm processes never read-modify-write one project at once."""
    path = manifest_mod.find_manifest(start)
    if path is None:
        raise NoProject(f"no {MANIFEST} in {start} or any parent directory (run `nupm init` to create one)")
    with exclusive(home.project_lock(path.parent), f"project {path.parent}", _note):
        yield Project(manifest_mod.load(path), home)


def find(start: Path, home: Home) -> Project:
    path = manifest_mod.find_manifest(start)
    if path is None:
        raise NoProject(f"no {MANIFEST} in {start} or any parent directory (run `nupm init` to create one)")
    return Project(manifest_mod.load(path), home)


def _note(message: str) -> None:
    from nupm import progress

    progress.current().note(message)


# -- lock ----------------------------------------------------------------------------------------
def read_lock(project: Project) -> Lock | None:
    if not project.lock_path.is_file():
        return None
    return lock_mod.read(project.lock_path, project.root)


def path_hashes(lock: Lock) -> dict[str, str]:
    """Current content hashes of path packages: the only locked sources that can change in place."""
    return {p.id: tree_hash(Path(p.source.path)) for p in lock.packages
            if p.source.kind == "path" and Path(p.source.path).is_dir()}


def stale_reasons(project: Project, lock: Lock | None) -> list[str]:
    if lock is None:
        return [f"{LOCKFILE} does not exist"]
    return lock_mod.stale_reasons(project.manifest, lock, path_hashes(lock))


def registry_locations(manifest: Manifest | None) -> dict[str, str]:
    """Every registry to search, by name, in order: the project's own, then the user's configuration."""
    from nupm.config import load_config, search_order

    return search_order(manifest.registries if manifest else {}, load_config().registries)


def open_registries(manifest: Manifest | None, registry: str | None = None) -> list:
    from nupm.paths import registry_cache_dir
    from nupm.sources import network
    from nupm.sources.registry import is_url
    from nupm.sources.registry import open_registries as open_all

    locations = registry_locations(manifest)
    online = any(is_url(where) for where in (*locations.values(), registry or ""))
    client = network.current().client if online else None  # the HTTP stack only when a registry is online
    return open_all(locations, registry, client, registry_cache_dir())


def make_finder(home: Home, registry: str | None, preferred: dict[str, str], manifest: Manifest | None = None):
    from nupm.resolver import PackageFinder
    from nupm.sources import network

    registries = open_registries(manifest, registry)
    named = {r.name: r for r in open_registries(manifest)} if registry else {}
    return PackageFinder(home, registries, named_registries=named, preferred=preferred,
                         jobs=network.current().jobs, on_fetched=_report_fetched, nu_offer=nu_offer(manifest))


def nu_offer(manifest: Manifest | None):
    """The Nushell versions the environment can run (`resolver.NuOffer`): those its `[tool] nu` pins, as
    the configured Nushell source offers them, or else the nu found here (asked only when needed)."""
    from nupm.nushell import binary
    from nupm.resolver import NuOffer
    from nupm.versions import Range, Version

    if manifest is None or not manifest.nu_pin:
        return NuOffer(None, running=binary())
    from nupm.config import nu_source
    from nupm.sources import network
    from nupm.sources.nu_releases import open_releases

    releases = open_releases(nu_source(), network.current().client)
    pin = Range(manifest.nu_pin)
    if manifest.nu_pin.startswith("="):
        return NuOffer([Version(manifest.nu_pin[1:])], releases)  # an exact pin asks the source nothing yet
    listed = releases.versions()
    if listed is None:
        raise UsageError(f"[tool] nu = {manifest.nu_pin!r}: {releases.name} cannot list its versions; pin an "
                         "exact version (nu = \"0.107.0\"), or set nu-source to \"npm\" or a directory")
    return NuOffer([v for v in listed if pin.admits(v)], releases)


def _report_fetched(cand, directory: Path) -> None:
    from nupm import progress

    what = cand.entry.describe_row() if cand.entry is not None else cand.source.describe()
    progress.current().done(cand.name, f"Fetched {cand.name} {cand.version} ({what})", _size(directory))


def _report_traffic() -> None:
    from nupm.progress import human_size
    from nupm.sources import network

    traffic = network.current().traffic()
    if traffic is not None and traffic.requests:
        _note(f"HTTP: {traffic.requests} request{'s' if traffic.requests != 1 else ''} "
               f"({traffic.not_modified} not modified), {human_size(traffic.downloaded)} downloaded")


def _size(directory: Path) -> int:
    """Bytes below `directory`, for a progress display that shows them (a walk the others need not pay)."""
    from nupm import progress

    if not progress.current().shows_bytes:
        return 0
    return sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())


def resolve_lock(project: Project, registry: str | None = None, keep: Lock | None = None,
                 unlock: set[str] | None = None) -> Lock:
    """Resolve the manifest into a new lock, keeping `keep`'s versions except those in `unlock`."""
    from nupm import progress
    from nupm.resolver import resolve

    kept = [p for p in (keep.packages if keep else []) if p.name not in (unlock or set())]
    preferred = {p.id: p.version for p in kept}  # a private copy's id is its name while resolving
    finder = make_finder(project.home, registry, preferred, project.manifest)
    finder.locked_commits = {(p.name, p.version, p.source.url, p.source.subdir): p.source.rev for p in kept
                             if p.source.kind == "registry" and p.source.url and p.source.rev}
    progress.current().start("Resolving")
    try:
        resolution = resolve(project.manifest, finder)
        # The nu found here (a Nushell candidate that is no archive) was checked against: nothing to install.
        chosen = {name: cand for name, cand in resolution.packages.items()
                  if name != manifest_mod.NUSHELL or cand.source.is_archive}
        hashes = finder.hash_all(list(chosen.values()))
        packages = []
        for name, cand in chosen.items():
            deps = {n.name: n.req.describe() for n in resolution.dependencies[name]}
            private = name if name in resolution.users else None
            packages.append(LockedPackage(name=cand.name, version=str(cand.version), type=finder.package_type(cand),
                                          source=finder.source_of(cand), hash=hashes[cand], dependencies=deps,
                                          copy=private, serves=tuple(resolution.users.get(name, ()))))
    finally:
        finder.close()
        progress.current().finish()
        for note in finder.notes:
            _note(note)
        _report_traffic()
    return Lock(requirements=lock_mod.requirement_table(project.manifest), packages=packages,
                nu=project.manifest.nu_pin, nu_version=project.manifest.nu_version)


@dataclass
class Addition:
    text: str  # the manifest with the requirements added
    lock: Lock
    added: list  # the requirements as written: open ranges became ^<locked version>


def resolve_addition(home: Home, text: str, reqs: list, load, registry: str | None, keep: Lock | None,
                     unlock: set[str]) -> Addition:
    """Add `reqs` to the manifest `text` (`load` turns a text into its Manifest) and resolve it: a trial
    with open ranges first, then each open range recorded as `^<locked version>` (as cargo add and uv add
    do), the lock's requirement table matching that final text. Nothing is written."""
    from dataclasses import replace

    from nupm.manifest_edit import caret_ranges, with_dependencies
    from nupm.versions import Range

    opened = [replace(r, range=r.range or Range("*")) if r.kind == "registry" else r for r in reqs]
    trial = Project(load(with_dependencies(text, opened)), home)
    lock = resolve_lock(trial, registry, keep=keep, unlock=unlock)
    added = caret_ranges(reqs, {name: p.version for name, p in lock.by_name().items()})
    final = with_dependencies(text, added)
    lock.requirements = lock_mod.requirement_table(load(final))
    return Addition(final, lock, added)


def write_lock(project: Project, lock: Lock) -> bool:
    return write_if_changed(project.lock_path, lock_mod.render(lock, project.root))


# -- store and environment -----------------------------------------------------------------------
@dataclass
class InstallReport:
    packages: int
    fetched: int
    env_changed: bool


@contextlib.contextmanager
def using_store(home: Home, lock: Lock) -> Iterator[tuple[list, int]]:
    """Each locked package with its store entry (installing what is missing) and how many were new, kept
    live for `nupm gc` from before the first look-up until the block ends: write the environment and its
    permanent root inside the block, and no gc can remove an entry in between."""
    from nupm import roots

    with roots.installing(home, lock.packages):
        pause_point("install-found")
        yield _fill_store(home, lock)


def _unchanged(project: Project, lock: Lock, home: Home) -> InstallReport | None:
    """The no-op path: every entry in the store and .nupm/ already exactly this environment, its root
    registered. Then env.json already names these entries, so gc keeps them without a temporary root."""
    from nupm import environment, roots, store

    installed = [(pkg, store.lookup(home, pkg)) for pkg in lock.packages]
    if not all(entry for _, entry in installed) or not roots.is_registered(home, project.env_dir):
        return None
    description = environment.describe(project.manifest, installed, project.env_dir)
    if not environment.is_current(project.env_dir, environment.generated_files(description), description):
        return None
    return InstallReport(len(installed), 0, False)


def install_lock(project: Project, lock: Lock) -> InstallReport:
    from nupm import environment, roots

    home = project.home
    report = _unchanged(project, lock, home)
    if report is None:
        with using_store(home, lock) as (installed, fetched):
            description = environment.describe(project.manifest, installed, project.env_dir)
            changed = environment.write(project.env_dir, description)
            roots.register_root(home, project.env_dir)
            environment.check_links(project.env_dir, description)
        report = InstallReport(len(installed), fetched, changed)
    mark_current(project)
    return report


def apply(project: Project, lock: Lock, manifest_text: tuple[str, str] | None = None) -> InstallReport:
    """Make `lock` (and, for an edit, the manifest `(text, newline)` it was resolved from) the project's state:
    the store entries and environment first, so a failure leaves the old manifest, lock and environment
    working; then the manifest and the lock; then the environment is marked current against them."""
    from nupm.fsutil import write_edited

    report = install_lock(project, lock)
    if manifest_text is not None:
        write_edited(project.manifest.path, *manifest_text)
    write_lock(project, lock)
    mark_current(project)
    return report


def update(project: Project, names: set[str], registry: str | None) -> tuple[InstallReport, list[tuple]]:
    """`nupm update [NAMES]`: re-resolve those packages (default: all) to the newest versions allowed;
    the report and each change as (name, old version or None, new version)."""
    old = read_lock(project)
    locked = {p.id: p.version for p in (old.packages if old else [])}
    in_lock = {p.name for p in (old.packages if old else [])}
    unknown = names - in_lock if old is not None else set()
    if unknown:
        raise NupmError(f"not in {project.lock_path.name}: {', '.join(sorted(unknown))}")
    lock = resolve_lock(project, registry, keep=old, unlock=names or in_lock)
    report = apply(project, lock)
    return report, [(p.id, locked.get(p.id), p.version) for p in lock.packages if locked.get(p.id) != p.version]


def mark_current(project: Project) -> None:
    """The environment matches the manifest and lock as they are now on disk: the hooks must neither call it
    out of date nor refuse it (nupm built it, or checked it is what nupm builds). Call it again after
    writing the manifest or the lock."""
    from nupm import environment, trust

    environment.touch_stamp(project.env_dir, [project.manifest.path, project.lock_path])
    trust.vouch(project.home, project.root, project.env_dir)


def _waits(home: Home, missing: list[LockedPackage]) -> int:
    """How many of these installs wait on something other than this process: a download, a clone, a build.
    Only those gain from threads; copying from this machine is file work under the GIL, where threads take
    turns (a cold install of 200 local packages: 0.78 s on one thread, 0.90 s on eight)."""
    from nupm.sources.source import is_cached

    return sum(p.type == "custom" or not is_cached(home, p.source) for p in missing)


def _fill_store(home: Home, lock: Lock) -> tuple[list, int]:
    """Install what the store lacks, `jobs` packages at a time (callers hold `using_store`): each locked
    package with its entry, and how many entries are new."""
    from nupm import progress, store
    from nupm.sources import network

    found = [(p, store.lookup(home, p)) for p in lock.packages]
    missing = [p for p, entry in found if entry is None]
    if not missing:
        return found, 0
    shown = progress.current()
    shown.start("Installing", total=len(missing))

    def one(pkg, entry):
        if entry is not None:  # found above: not read again
            return entry, False
        if store.lookup(home, pkg) is None:  # another nupm may have installed it meanwhile
            shown.begin(pkg.id)
        entry, new = store.ensure(home, pkg)
        if new:
            private = f", private to {', '.join(pkg.serves)}" if pkg.copy else ""
            shown.done(pkg.id, f"Installed {pkg.name} {pkg.version} ({pkg.source.describe()}){private}",
                       _size(entry.path))
        return entry, new

    try:
        jobs = max(1, min(network.current().jobs, _waits(home, missing)))
        if jobs == 1:
            results = [one(pkg, entry) for pkg, entry in found]
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="nupm-install") as pool:
                results = list(pool.map(lambda item: one(*item), found))
    finally:
        shown.finish()
    return [(p, e) for p, (e, _) in zip(lock.packages, results, strict=True)], sum(new for _, new in results)


def sync(project: Project, registry: str | None = None, locked: bool = False, frozen: bool = False,
         unlock: set[str] | None = None, force_resolve: bool = False, quiet: bool = False) -> InstallReport:
    """Bring lock, store and environment in line with the manifest (`nupm install`), under the project's lock
    (the manifest is read again under it: another nupm may have changed it meanwhile)."""
    with held(project.root, project.home) as project:
        report, lock = _sync(project, registry, locked, frozen, unlock, force_resolve, quiet)
        if not frozen:  # --frozen did not check the lock against the manifest: nothing to vouch for
            _remember(project, lock)
        return report


def _remember(project: Project, lock: Lock) -> None:
    """Record for the no-op fast path (nupm.fastpath) what this sync found in line, and its answers."""
    import os

    from nupm import fastpath, roots, shells, trust
    from nupm.description import read

    description = read(project.env_dir)
    if description is None:
        return
    home, env_dir = project.home, project.env_dir
    entries = [home.entry(p.name, p.version, p.hash) for p in lock.packages]
    # Everything in .nupm/, lib/ and bin/ as it is now (the record itself is rewritten in place).
    made = [os.path.join(d, name) for d in (env_dir, env_dir / "lib", env_dir / "bin", env_dir / "plugins")
            if d.is_dir() for name in os.listdir(d) if name != fastpath.STATE]
    for private in (env_dir / VIEWS, env_dir / SHIMS):  # private versions: nupm.views
        made += [os.path.join(d, name) for d, dirs, files in os.walk(private) for name in dirs + files]
    # The nu that registered the plugins: another build of it there means registering them again.
    registrar = [description.plugin_nu] if description.plugin_nu else []
    watched = [project.manifest.path, project.lock_path, *made, *registrar,
               *entries, *(home.entry_marker(e) for e in entries),
               roots.root_file(home, env_dir), trust.record_path(home, project.root)]
    trees = [p.source.path for p in lock.packages if p.source.kind == "path"]
    answers = {
        "packages": len(lock.packages),
        "activate": {shell.name: shell.activation_line(env_dir, description) for shell in shells.every()},
        "path": list(description.path), "variables": description.variables, "name": description.name,
        "root": description.root, "lib_dirs": list(description.lib_dirs), "tasks": project.manifest.tasks,
    }
    fastpath.record(str(env_dir), [str(p) for p in watched], trees, answers)


def synced_description(project: Project) -> Description:
    """Sync quietly (as `uv run` does before running anything) and return the environment's description."""
    sync(project, quiet=True)
    return require_built(project.env_dir)


def _sync(project: Project, registry: str | None, locked: bool, frozen: bool, unlock: set[str] | None,
          force_resolve: bool, quiet: bool) -> tuple[InstallReport, Lock]:
    lock = read_lock(project)
    if frozen:
        if lock is None:
            raise NupmError(f"--frozen needs {LOCKFILE}, which does not exist")
        return install_lock(project, lock), lock
    reasons = stale_reasons(project, lock)
    if reasons and locked:
        raise NupmError(f"{LOCKFILE} is out of date (--locked):\n" + "\n".join(f"  {r}" for r in reasons))
    if reasons or force_resolve:
        lock = resolve_lock(project, registry, keep=lock, unlock=unlock)
        if write_lock(project, lock) and not quiet:
            _note(f"Locked {len(lock.packages)} package{'s' if len(lock.packages) != 1 else ''}")
    return install_lock(project, lock), lock
