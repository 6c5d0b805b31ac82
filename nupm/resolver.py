"""Resolution: the manifest's requirements become one exact version (and source) per package.

`nupm.solver` (PubGrub) does the search; this module supplies the package universe (`PackageFinder`:
registries, git, paths), the view of it the solver works on (`_Universe`: candidates as numbered lists,
requirements as bitmasks), and the text that explains a failure as chains from the project to the
clashing requirements.

Identifiers are package names, so one version of each package per environment. A later step that
lets incompatible module versions coexist changes `identify` (e.g. to name@major) and the lock's
dependency edges, not the callers.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from nupm import manifest as manifest_mod
from nupm.errors import BadInput, NupmError, UsageError
from nupm.fsutil import tree_hash
from nupm.manifest import Manifest, Requirement
from nupm.paths import Home, config_file
from nupm.solver import ROOT, NoSolution, Solver
from nupm.sources.registry import IndexEntry, Registry
from nupm.sources.source import Source, fetch, is_cached
from nupm.versions import Label, Range, Version, VersionError

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor


class ResolutionError(NupmError):
    pass


class NuOffer:
    """The Nushell versions an environment can run, as the solver's candidates for the package `nushell`:
    the versions a Nushell source offers within `[tool] nu` (installed into the store like a package), or
    the one nu found here (nothing to install: such a candidate never reaches the lock)."""

    def __init__(self, versions: list[Version] | None, releases=None, running: str | None = None):
        self.releases, self.running = releases, running
        self._versions = None if versions is None else sorted(versions, reverse=True)

    @property
    def versions(self) -> list[Version]:
        """Newest first."""
        if self._versions is None:  # the nu found here, asked only once something needs Nushell
            from nupm.nushell import running_version

            here = running_version()
            self._versions = [here] if here is not None else []
        return self._versions

    def available(self) -> bool:
        return self.releases is not None or bool(self.versions)

    def candidates(self) -> list[Candidate]:
        if self.releases is None:
            return [Candidate(manifest_mod.NUSHELL, v, Source(kind="path", path=self.running)) for v in self.versions]
        return [Candidate(manifest_mod.NUSHELL, v, Source(kind="archive", archive=self.releases.archive_url(str(v))))
                for v in self.versions]

    def pinned(self, cand: Candidate) -> Source:
        """The archive source of a pinned Nushell with its sha256 (as the release's checksums state it)."""
        return Source(kind="archive", archive=cand.source.archive, subdir=cand.source.subdir,
                      sha256=self.releases.sha256(str(cand.version)))

    def describe(self) -> str:
        shown = self.versions[:8]
        listed = ", ".join(str(v) for v in shown) + (", …" if len(self.versions) > len(shown) else "") or "none"
        return f"the nu found here is {listed}" if self.releases is None else f"{self.releases.name} offers {listed}"


class Need:
    """A requirement together with the directory its manifest lives in (for relative paths)."""

    __slots__ = ("req", "base")

    def __init__(self, req: Requirement, base: Path):
        self.req, self.base = req, base

    @property
    def name(self) -> str:
        return self.req.name

    @property
    def abs_path(self) -> str | None:
        return str((self.base / self.req.path).resolve()) if self.req.path is not None else None




@dataclass(frozen=True, eq=False)
class Candidate:
    """One version of a package from one source, immutable. `source` is as the registry states it (a git
    row's revision not yet a commit); what is learned about it later lives in the finder: the pinned source
    (`PackageFinder.source_of`), its manifest (`manifest_of`) and content hash (`hash`)."""

    name: str
    version: Version
    source: Source
    entry: IndexEntry | None = None
    manifest: Manifest | None = None  # known from the start for a path or git requirement
    index_hash: str | None = None  # the content hash the registry index states

    @property
    def label(self) -> str:
        """`name@version`, as messages about one registry row say it."""
        return f"{self.name}@{self.version}"

    @property
    def key(self) -> tuple:
        return (self.name, self.version, self.source)

    def __eq__(self, other) -> bool:
        return isinstance(other, Candidate) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


@dataclass
class PackageFinder:
    """Knows every version of every package the configured sources offer.

    Fetching a package (a git clone, an archive) happens on a bounded pool of `jobs` threads: while
    the solver works through one package, the likeliest versions of the packages it just learned about
    are already being fetched (`prefetch`)."""

    home: Home
    registries: list[Registry]
    named_registries: dict[str, Registry] = field(default_factory=dict)
    preferred: dict[str, str] = field(default_factory=dict)  # name -> locked version to keep
    # (name, version, url, subdir) -> the commit a registry git row was locked at: kept until `update`, as
    # cargo keeps a branch's locked commit, so a re-lock neither moves nor even asks about the branch.
    locked_commits: dict[tuple, str] = field(default_factory=dict)
    jobs: int = 8
    on_fetched: object = None  # called with (candidate, directory) after each fetch, for progress
    notes: list[str] = field(default_factory=list)  # things the user should know, in order, once each
    # The Nushell versions this environment can run: the ones `[tool] nu` pins (from `nu_source`), or the nu
    # found here; None (no pin, no nu) leaves requirements on Nushell unchecked.
    nu_offer: NuOffer | None = None
    _known: dict[tuple, Candidate] = field(default_factory=dict)
    _dirs: dict[tuple, Future] = field(default_factory=dict)
    _pins: dict[tuple, Source] = field(default_factory=dict)
    _manifests: dict[tuple, Manifest] = field(default_factory=dict)
    _hashes: dict[tuple, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pool: ThreadPoolExecutor | None = None

    def note(self, text: str) -> None:
        with self._lock:
            if text not in self.notes:
                self.notes.append(text)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    # -- candidates ----------------------------------------------------------------------------
    def candidates(self, name: str, needs: list[Need]) -> list[Candidate]:
        if name == manifest_mod.NUSHELL:
            return self.nu_offer.candidates() if self.nu_offer is not None else []
        pinned = {self._pin_key(n) for n in needs if n.req.kind != "registry"}
        if len(pinned) > 1:
            return []
        if pinned:
            need = next(n for n in needs if n.req.kind != "registry")
            return [self._pinned_candidate(need)]
        entries = self.entries(name, needs)
        wants_label = any(n.req.range is not None and n.req.range.label for n in needs)
        if not wants_label:
            for e in entries:
                if e.is_label:
                    self.note(f"note: {name}: registry {e.registry} has a row with version {str(e.version)!r}, which "
                              f"is not SemVer; ranges skip it (ask for it as {name}@{e.version})")
        found = [self._registry_candidate(e) for e in entries]
        preferred = self.preferred.get(name)
        found.sort(key=lambda c: (str(c.version) == preferred, c.version), reverse=True)
        return found

    def entries(self, name: str, needs: list[Need]) -> list[IndexEntry]:
        pins = {n.req.registry for n in needs if n.req.registry}
        if len(pins) > 1:
            return []
        if pins:
            return self.registry_named(pins.pop()).versions(name)
        for registry in self.registries:
            if entries := registry.versions(name):
                return entries
        return []

    def registry_named(self, name: str) -> Registry:
        for registry in (*self.registries, *self.named_registries.values()):
            if registry.name == name:
                return registry
        known = ", ".join(r.name for r in self.registries) or "none configured"
        raise UsageError(f"unknown registry {name!r} (known: {known})")

    def _registry_candidate(self, entry: IndexEntry) -> Candidate:
        key = ("registry", entry.registry, entry.name, entry.version)
        if key not in self._known:
            source = Source(kind="registry", registry=entry.registry,
                            index=self.registry_named(entry.registry).location,
                            path=entry.path if entry.kind == "local" else None,
                            url=entry.url if entry.kind == "git" else None, rev=None,
                            subdir=entry.path if entry.kind != "local" else "",
                            archive=entry.url if entry.kind == "archive" else None, sha256=entry.sha256)
            self._known[key] = Candidate(entry.name, entry.version, source, entry=entry, index_hash=entry.hash)
        return self._known[key]

    def _pin_key(self, need: Need) -> tuple:
        if need.req.kind == "path":
            return ("path", need.abs_path)
        if need.req.kind == "archive":
            return ("archive", need.req.url, need.req.sha256)
        ref = need.req.git_ref or (None, None)
        return ("git", need.req.git, *ref)

    def _pinned_candidate(self, need: Need) -> Candidate:
        key = self._pin_key(need)
        if key not in self._known:
            if need.req.kind == "path":
                source = Source(kind="path", path=need.abs_path)
            elif need.req.kind == "archive":
                source = Source(kind="archive", archive=need.req.url, sha256=need.req.sha256)
            else:
                from nupm.sources import git

                kind, ref = need.req.git_ref or (None, None)
                source = Source(kind="git", url=need.req.git, rev=git.resolve_ref(self.home, need.req.git, kind, ref))
            found = self._load_manifest(source, need.name)
            self._known[key] = Candidate(need.name, Version(found.version), source, manifest=found)
        return self._known[key]

    # -- fetching -------------------------------------------------------------------------------
    def _executor(self) -> ThreadPoolExecutor:
        # concurrent.futures is imported only here and for a fetch: a resolution over local registries never
        # needs it, and its import (with logging) is a tenth of a cold start.
        from concurrent.futures import ThreadPoolExecutor

        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=max(1, self.jobs), thread_name_prefix="nupm-fetch")
            return self._pool

    def source_of(self, cand: Candidate) -> Source:
        """The candidate's source with a registry git row's revision pinned to a commit (fetches it)."""
        self.package_dir(cand)
        return self._pins.get(cand.key, cand.source)

    def package_dir(self, cand: Candidate) -> Path:
        """The package's files; fetched once, on this thread or already on the pool."""
        if not (cand.source.is_git or cand.source.is_archive):
            return fetch(self.home, cand.source)  # on this machine: nothing to fetch or wait for
        from concurrent.futures import Future

        with self._lock:
            future = self._dirs.get(cand.key)
            if future is None:
                future = self._dirs[cand.key] = Future()
                mine = True
            else:
                mine = False
        if mine:
            self._run_fetch(cand, future)
        return future.result()

    def prefetch(self, cands: list[Candidate]) -> None:
        """Start fetching these candidates on the pool, if nothing has yet."""
        if self.jobs <= 1:
            return
        for cand in cands:
            if cand.source.kind == "path" or (cand.source.kind == "registry" and cand.source.path):
                continue  # local: nothing to fetch
            from concurrent.futures import Future

            with self._lock:
                if cand.key in self._dirs:
                    continue
                future = self._dirs[cand.key] = Future()
            self._executor().submit(self._run_fetch, cand, future)

    def _run_fetch(self, cand: Candidate, future: Future) -> None:
        try:
            directory, fresh = self._fetch(cand)
        except BaseException as e:  # handed to whoever waits for it
            future.set_exception(e)
            return
        future.set_result(directory)
        if fresh and self.on_fetched is not None:
            self.on_fetched(cand, directory)

    def _fetch(self, cand: Candidate) -> tuple[Path, bool]:
        """The package's files, and whether they had to be downloaded or exported now."""
        from nupm.sources import git
        from nupm.sources.archive import ArchiveError
        from nupm.sources.http import NetworkError

        source = cand.source
        try:
            if cand.name == manifest_mod.NUSHELL and source.is_archive and not source.sha256:
                source = self.nu_offer.pinned(cand)
                self._pins[cand.key] = source
            if source.is_git and not source.rev:
                revision = cand.entry.revision if cand.entry else None
                kept = self.locked_commits.get((cand.name, str(cand.version), source.url, source.subdir))
                rev = kept or git.resolve_ref(self.home, source.url, "rev" if revision else None, revision)
                source = Source(**{**source.__dict__, "rev": rev})
                self._pins[cand.key] = source
            fresh = not is_cached(self.home, source)
            return fetch(self.home, source), fresh
        except (git.GitError, ArchiveError, NetworkError) as e:
            if cand.entry is None:
                raise
            raise ResolutionError(f"{cand.label}: cannot fetch it from {cand.entry.describe_row()} "
                                  f"(registry {cand.entry.registry}):\n{e}") from None

    # -- metadata ------------------------------------------------------------------------------
    def _load_manifest(self, source: Source, name: str, cand: Candidate | None = None) -> Manifest:
        directory = self.package_dir(cand) if cand is not None else fetch(self.home, source)
        where = f"{cand.label} ({cand.entry.describe_row()}, registry {cand.entry.registry})" \
            if cand is not None and cand.entry is not None else f"{name} ({source.describe()})"
        path = manifest_mod.manifest_in(directory)
        if path is None:
            raise ResolutionError(f"{where} has no nupm.toml or nupm.nuon")
        try:
            found = manifest_mod.load(path)
        except BadInput as e:
            # A cache path at 1:1 means nothing to the user: say which package and registry row it was.
            raise ResolutionError(f"{where}: {path.name}:{e.line}:{e.col}: {e.what}") from None
        if found.name != name:
            raise ResolutionError(f"{where} holds package {found.name!r}, not {name!r}")
        return found

    def manifest_of(self, cand: Candidate) -> Manifest:
        if cand.manifest is not None:
            return cand.manifest
        if cand.key not in self._manifests:
            found = self._load_manifest(cand.source, cand.name, cand)
            if not isinstance(cand.version, Label) and Version(found.version) != cand.version:
                raise ResolutionError(f"registry {cand.source.registry} lists {cand} but its manifest says "
                                      f"version {found.version}")
            self._manifests[cand.key] = found
        return self._manifests[cand.key]

    def dependencies(self, cand: Candidate) -> list[Need]:
        if cand.name == manifest_mod.NUSHELL:
            return []
        entry = cand.entry
        if entry is not None and entry.dependencies is not None and entry.type is not None:
            base = Path(entry.path) if entry.kind == "local" else Path("/")
            deps = dict(entry.dependencies)
            nushell = self.nushell_need(cand, deps.pop(manifest_mod.NUSHELL, None), base)
            try:
                return [*nushell, *(Need(Requirement(n, Range(r)), base) for n, r in sorted(deps.items()))]
            except VersionError as e:
                raise ResolutionError(f"registry {entry.registry}: {cand}: {e}") from None
        found = self.manifest_of(cand)
        base = self.package_dir(cand)
        if cand.source.kind != "path" and not (cand.source.kind == "registry" and cand.source.path) and any(
                r.kind == "path" for r in found.dependencies.values()):
            raise ResolutionError(f"{cand} comes from {cand.source.describe()} but has path dependencies")
        needs = self.nushell_need(cand, found.nu_version, base)
        if found.nu_written_for:
            self._written_for(cand, found.nu_written_for)
        for _, req in sorted(found.dependencies.items()):
            if found.is_nuon and req.kind == "registry" and not self._is_package(req.name):
                self._check_tool(cand, req)  # Nushell nupm's manifests list tools (git, fzf) among dependencies
            else:
                needs.append(Need(req, base))
        return needs

    def _is_package(self, name: str) -> bool:
        from nupm.sources.http import NetworkError

        for registry in self.registries:
            try:
                if registry.versions(name):
                    return True
            except NetworkError as e:
                self.note(f"note: could not ask registry {registry.name} whether {name} is a package ({e})")
        return False

    def _check_tool(self, cand: Candidate, req: Requirement) -> None:
        import shutil

        if shutil.which(req.name) is None:
            self.note(f"warning: {cand} needs the tool {req.name} {req.describe()}, which is not on PATH")

    def nushell_need(self, cand: Candidate | None, wanted: str | None, base: Path) -> list[Need]:
        """The requirement on Nushell that `wanted` states (for `cand`, or the project when None): one the
        solver checks against the Nushell versions on offer; with none on offer, a note at most."""
        if not wanted:
            return []
        who = str(cand) if cand is not None else "the project"
        try:
            allowed = Range(wanted)
        except VersionError:
            self.note(f"warning: {who} asks for Nushell {wanted!r}, which is not a version range")
            return []
        if self.nu_offer is None or not self.nu_offer.available():
            self.note(f"note: {who} needs Nushell {wanted}; no nu was found to check it against")
            return []
        return [Need(Requirement(manifest_mod.NUSHELL, allowed), base)]

    def _written_for(self, cand: Candidate, version: str) -> None:
        """Say when a package names a Nushell (the one its author used) of another minor than the one here:
        what it uses may have changed meaning since, and `nupm check` can tell."""
        from nupm.nushell import running_version

        here = running_version()
        try:
            then = Version(version)
        except VersionError:
            return
        if here is not None and here.key[:2] != then.key[:2]:
            self.note(f"note: {cand} was written for Nushell {version} and the nu here is {here}; "
                      "`nupm check` in a project using it says whether its files still parse")

    def package_type(self, cand: Candidate) -> str:
        if cand.name == manifest_mod.NUSHELL:
            return "nushell"
        if cand.entry is not None and cand.entry.type:
            return cand.entry.type
        return self.manifest_of(cand).type

    def hash(self, cand: Candidate) -> str:
        directory = self.package_dir(cand)  # also pins the git revision of registry rows
        if cand.index_hash is not None:
            return cand.index_hash
        if cand.key not in self._hashes:
            self._hashes[cand.key] = tree_hash(directory)
        return self._hashes[cand.key]

    def hash_all(self, cands: list[Candidate]) -> dict[Candidate, str]:
        """Content hash of each candidate, fetching on the pool in parallel."""
        self.prefetch(cands)
        return {c: self.hash(c) for c in cands}


# A private copy's name for the solver: `<package>@<dependant>`. Package names cannot hold "@".
PRIVATE = "@"


def real_name(name: str) -> str:
    """The package a solver name stands for (a private copy's name without its dependant)."""
    return name.split(PRIVATE, 1)[0]


class _Universe:
    """The solver's view of the finder: per package name, its candidates best first (a fixed list for one
    solve), which of them satisfy each requirement (as a bitmask), and each candidate's dependencies.

    Candidates come from the first registry that has the name, from any registry a requirement names, and
    from path, git or archive requirements. A requirement met mid-solve that brings a candidate the list
    lacks grows the list and restarts the solve (`Grown`): rare, and what was fetched stays fetched."""

    def __init__(self, finder: PackageFinder):
        self.finder = finder
        self.cands: dict[str, list[Candidate]] = {}
        self.needs_seen: dict[str, list[Need]] = {}
        self.matches: dict[tuple, int] = {}
        self.edges: dict[Candidate, list[Need]] = {}
        self.shared: dict[str, dict[tuple, int]] = {}
        self.root_needs: list[Need] = []
        # Private copies: (dependant's solver name, package) -> the copy's solver name, once regrouped; and the
        # modules split (a copy for each dependant) in the order met, those never to regroup in `whole`.
        self.private: dict[tuple[str, str], str] = {}
        self.split: list[str] = []
        self.whole: set[str] = set()
        self.regrouped: set[str] = set()

    def route(self, dependant: str, name: str) -> str:
        """The solver name of the package `dependant`'s requirement on `name` is about."""
        if name in self.split:
            return f"{name}{PRIVATE}{dependant}"
        return self.private.get((dependant, name), name)

    def split_for(self, name: str, root: Manifest) -> bool:
        """Split `name` after a failure over it; False when copies cannot help: the project requires it (what
        `use NAME` means in its own shell must be one version), it is Nushell, or it is split already."""
        if name == manifest_mod.NUSHELL or any(n.name == name for n in self.root_needs) or name in self.whole:
            return False
        if name in self.split:
            return False  # a copy for each dependant and still no solution: copies are not the answer
        if name in self.regrouped:
            self.whole.add(name)  # its regrouping failed: each dependant keeps a copy of its own
        self.private = {k: v for k, v in self.private.items() if k[1] != name}
        self.split.append(name)
        return True

    def regroup(self, name: str, chosen: dict[str, int]) -> None:
        """Merge the copies of split `name` in a solution into the fewest versions: greedily, the version
        that serves most dependants still unserved (the newest of equals); the largest group gets the
        shared version, each other group a copy named after its first dependant."""
        masks: dict[str, int] = {}
        for dependant, index in chosen.items():
            for need in self.edges.get(self.cands[dependant][index], []) if dependant != ROOT else []:
                if need.name == name:
                    masks[dependant] = masks.get(dependant, -1) & self.matching(name, need)
        groups: list[list[str]] = []
        left = set(masks)
        while left:
            best = max(range(len(self.cands[name])), key=lambda i: (sum(masks[d] >> i & 1 for d in left), -i))
            group = sorted(d for d in left if masks[d] >> best & 1) or sorted(left)
            groups.append(group)
            left -= set(group)
        self.split.remove(name)
        self.regrouped.add(name)
        for group in groups[1:]:  # greedy picks the largest group first
            for dependant in group:
                self.private[(dependant, name)] = f"{name}{PRIVATE}{group[0]}"

    def count(self, name: str) -> int:
        if name not in self.cands:
            found = self.finder.candidates(real_name(name), self.needs_seen.get(name, []))
            self.cands[name] = self._order(name, found)
        return len(self.cands[name])

    def _order(self, name: str, cands: list[Candidate]) -> list[Candidate]:
        preferred = self.finder.preferred.get(name)  # a private copy keeps no locked version: it may differ
        unique = list(dict.fromkeys(cands))
        return sorted(unique, key=lambda c: (str(c.version) == preferred, c.version), reverse=True)

    def matching(self, name: str, need: Need) -> int:
        key = (name, *_need_key(need))
        found = self.matches.get(key)
        if found is None:
            self.count(name)
            self._widen(name, need)
            found = 0
            for i, cand in enumerate(self.cands[name]):
                if _satisfies(need, cand):
                    found |= 1 << i
            self.matches[key] = found
        return found

    def _widen(self, name: str, need: Need) -> None:
        """Make sure the candidates a pinned or registry-naming requirement brings are in the list."""
        if need.req.kind == "registry" and not need.req.registry:
            return
        self.needs_seen.setdefault(name, []).append(need)
        extra = [c for c in self.finder.candidates(real_name(name), [need]) if c not in set(self.cands[name])]
        if extra:
            self.cands[name] = self._order(name, self.cands[name] + extra)
            self.matches = {k: v for k, v in self.matches.items() if k[0] != name}
            self.shared.pop(name, None)
            raise Grown(name)

    def dependencies(self, name: str, index: int) -> list[tuple]:
        if name == ROOT:
            return [(n.name, n) for n in self.root_needs]
        cand = self.cands[name][index]
        needs = self.edges.get(cand)
        if needs is None:
            needs = self.edges[cand] = self.finder.dependencies(cand)
            self._warm(needs)
        if not _index_knows(cand):
            return [(self.route(name, n.name), n) for n in needs]
        shared = self._shared(name)
        return [(self.route(name, n.name), n, shared.get((n.name, str(n.req.range)), 0)) for n in needs]

    def _shared(self, name: str) -> dict[tuple, int]:
        """(dependency, range text) -> the candidates of `name` whose index row lists exactly that dependency."""
        found = self.shared.get(name)
        if found is None:
            found = self.shared[name] = {}
            for i, cand in enumerate(self.cands[name]):
                if _index_knows(cand):
                    for dep, text in cand.entry.dependencies.items():
                        found[dep, text] = found.get((dep, text), 0) | 1 << i
        return found

    def _warm(self, needs: list[Need]) -> None:
        """Fetch in the background the best candidate of each new dependency whose index row lacks its
        dependencies (git and archive packages): the solver will most likely take it next."""
        best = []
        for need in needs:
            if need.req.kind != "registry":
                continue
            try:
                self.count(need.name)
            except NupmError:
                continue  # reported when the solver gets there
            first = next((c for c in self.cands[need.name] if _satisfies(need, c)), None)
            if first is not None and (first.entry is None or first.entry.dependencies is None):
                best.append(first)
        self.finder.prefetch(best)

    def is_satisfied_by(self, need: Need, cand: Candidate) -> bool:
        return _satisfies(need, cand)


def _index_knows(cand: Candidate) -> bool:
    """The finder takes this candidate's dependencies from its index row, as written there."""
    entry = cand.entry
    return entry is not None and entry.dependencies is not None and entry.type is not None


class Grown(Exception):
    """A package's candidate list grew mid-solve: solve again with the longer list."""


def _need_key(need: Need) -> tuple:
    req = need.req
    return (req.kind, str(req.range) if req.range is not None else None, req.registry, need.abs_path, req.git,
            req.git_ref, req.url, req.sha256)


def _satisfies(need: Need, cand: Candidate) -> bool:
    req = need.req
    if req.range is not None and not req.range.admits(cand.version):
        return False
    if req.kind == "path":
        return cand.source.kind == "path" and cand.source.path == need.abs_path
    if req.kind == "git":
        return cand.source.kind == "git" and cand.source.url == req.git
    if req.kind == "archive":
        return cand.source.kind == "archive" and cand.source.archive == req.url
    if req.registry and cand.source.kind == "registry":
        return cand.source.registry == req.registry
    return True


@dataclass
class Resolution:
    packages: dict[str, Candidate]  # solver name (a private copy's is `<package>@<dependant>`) -> candidate
    dependencies: dict[str, list[Need]]  # solver name -> what that package requires
    users: dict[str, list[str]] = field(default_factory=dict)  # a private copy -> the dependants it serves


def resolve(root: Manifest, finder: PackageFinder) -> Resolution:
    universe = _Universe(finder)
    universe.root_needs = [Need(r, root.root) for _, r in sorted(root.dependencies.items())]
    if root.nu_pin:
        # The pinned Nushell is installed into the environment whether or not a package asks for it.
        universe.root_needs.append(Need(Requirement(manifest_mod.NUSHELL, Range(root.nu_pin)), root.root))
    universe.root_needs += finder.nushell_need(None, root.nu_version, root.root)
    chosen = _solve(root, universe, finder)
    packages = {name: universe.cands[name][index] for name, index in sorted(chosen.items())}
    users: dict[str, list[str]] = {}
    for name, cand in packages.items():
        for need in universe.edges[cand]:
            if (target := universe.route(name, need.name)) != need.name and name not in users.get(target, []):
                users.setdefault(target, []).append(name)
    users = {copy: sorted(who) for copy, who in sorted(users.items())}
    # A copy whose dependants were not chosen after all serves no one.
    packages = {name: cand for name, cand in packages.items() if PRIVATE not in name or name in users}
    _check_private(packages, users, finder)
    return Resolution(packages, {name: universe.edges[cand] for name, cand in packages.items()}, users)


def _solve(root: Manifest, universe: _Universe, finder: PackageFinder) -> dict[str, int]:
    """Solve with one version of each package. When that fails over a module that only packages require,
    give each of its dependants a copy of its own (`split`) and solve again; once solved, merge the copies
    of one module into the fewest versions that serve all its dependants (`regroup`), checked by another
    solve. One shared version is thus always preferred: copies exist only when no solution shares."""
    for _ in range(1000):  # each round adds a candidate, splits or regroups a module; far fewer happen
        try:
            chosen = Solver(universe).solve(universe.dependencies(ROOT, 0))
            pending = [n for n in universe.split if n not in universe.whole]
            if not pending:
                return chosen
            universe.regroup(pending[0], chosen)
        except Grown:
            continue
        except NoSolution as e:
            if not universe.split_for(_clash(e), root):
                raise ResolutionError(explain(root, e, universe, finder)) from None
    raise ResolutionError("resolution restarted too often; this is a bug in nupm")


def _clash(failure: NoSolution) -> str:
    """The package a failure is about: the one whose requirements clash (most distinct ranges), else the one
    met last (nearest to the conflict); its real name."""
    ranges: dict[str, set[str]] = {}
    for _, _parent, _index, dep, need in failure.facts():
        ranges.setdefault(real_name(dep), set()).add(need.req.describe())
    order = list(ranges)
    if manifest_mod.NUSHELL in ranges:
        return manifest_mod.NUSHELL  # Nushell depends on nothing: when the proof needs it, it is the clash
    return max(order, key=lambda n: (len(ranges[n]), order.index(n)))


def _check_private(packages: dict[str, Candidate], users: dict[str, list[str]], finder: PackageFinder) -> None:
    """Only a module can be private: a script package's commands exist once per environment."""
    for copy, cand in packages.items():
        if PRIVATE in copy and finder.package_type(cand) != "module":
            shared = packages.get(real_name(copy))
            who = ", ".join(real_name(u) for u in users[copy])
            raise ResolutionError(
                f"cannot resolve {cand.name}: {who} need{'s' if len(users[copy]) == 1 else ''} {cand}, other "
                f"packages {shared or 'another version'}; {cand.name} is a {finder.package_type(cand)} package, whose "
                "commands exist once in an environment, so it cannot have a version of its own for each dependant")


# -- explaining failures -------------------------------------------------------------------------
@dataclass(frozen=True)
class _Cause:
    parent: Candidate | None  # None: the project itself
    requirement: Need


def explain(root: Manifest, failure: NoSolution, universe: _Universe, finder: PackageFinder) -> str:
    """The requirements the proof of failure rests on, told as chains from the project down to the package
    whose requirements cannot all be met, and why they cannot."""
    causes: dict[str, list[_Cause]] = {}
    for _, parent, index, dep, need in failure.facts():
        cause = _Cause(None if parent == ROOT else universe.cands[parent][index], need)
        if cause not in causes.setdefault(real_name(dep), []):
            causes[real_name(dep)].append(cause)
    name = _clash(failure)
    root_label = f"{root.name} {root.version}"
    lines = [f"cannot resolve {'Nushell' if name == manifest_mod.NUSHELL else name}"]
    seen = set()
    for cause in causes[name]:
        chain = _chain(cause.parent, universe, root_label) + [_edge(cause.parent, cause.requirement, root_label)]
        line = "  " + "  →  ".join(chain)
        if line not in seen:
            seen.add(line)
            lines.append(line)
    lines.append("  " + _verdict(name, [c.requirement for c in causes[name]], finder))
    if name != manifest_mod.NUSHELL and any(c.parent is None for c in causes[name]) and any(
            c.parent is not None for c in causes[name]):
        lines.append(f"  (a package may get a private version of a module only when the project does not require it "
                     f"itself: `use {name}` in the project's shell must mean one version)")
    return "\n".join(lines)


def _edge(parent: Candidate | None, need: Need, root_label: str) -> str:
    who = root_label if parent is None else str(parent)
    if need.name == manifest_mod.NUSHELL:
        return f"{who} needs Nushell {need.req.describe()}"
    return f"{who} depends on {need.name} {need.req.describe()}"


def _chain(target: Candidate | None, provider: _Universe, root_label: str) -> list[str]:
    """Edges from the project down to `target`, shortest first (breadth-first over seen packages)."""
    if target is None:
        return []
    queue: deque = deque([(None, [])])
    visited: set = set()
    while queue:
        node, path = queue.popleft()
        children = provider.root_needs if node is None else provider.edges.get(node, [])
        for need in children:
            for cand in list(provider.edges):
                if cand.name != need.name or cand in visited or not provider.is_satisfied_by(need, cand):
                    continue
                step = path + [_edge(node, need, root_label)]
                if cand == target:
                    return step
                visited.add(cand)
                queue.append((cand, step))
    return []


def _verdict(name: str, needs: list[Need], finder: PackageFinder) -> str:
    texts = sorted({n.req.describe() for n in needs})
    if name == manifest_mod.NUSHELL:
        return _nushell_verdict(texts, finder)
    if len(texts) > 1:
        joined = " and ".join(texts) if len(texts) == 2 else ", ".join(texts[:-1]) + " and " + texts[-1]
        return f"no version of {name} satisfies {'both ' if len(texts) == 2 else 'all of '}{joined}"
    need = needs[0]
    if need.req.kind != "registry":
        return f"{name} from {need.req.describe()} does not fit"
    try:
        entries = finder.entries(name, needs)
    except UsageError as e:
        return str(e)
    if not entries:
        names = sorted({n for r in finder.registries for n in _names_or_nothing(r)})
        import difflib

        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        if not finder.registries:
            return (f"no package named {name}: no registries are configured "
                    f"(name one in {config_file()} or pass --registry PATH)")
        where = ", ".join(r.name for r in finder.registries)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return f"no package named {name} in {where}{hint}"
    available = ", ".join(str(e.version) for e in sorted(entries, key=lambda e: e.version))
    return f"no version of {name} matches {texts[0]} (available: {available})"


def _nushell_verdict(texts: list[str], finder: PackageFinder) -> str:
    joined = " and ".join(texts) if len(texts) <= 2 else ", ".join(texts[:-1]) + " and " + texts[-1]
    offer = finder.nu_offer.describe() if finder.nu_offer is not None else "no Nushell is known"
    both = "both " if len(texts) == 2 else "all of " if len(texts) > 2 else ""
    hint = "" if finder.nu_offer is None or finder.nu_offer.releases is not None else \
        "; pin one that fits with [tool] nu = \"VERSION\" in nupm.toml, and nupm installs it"
    return f"no Nushell version satisfies {both}{joined} ({offer}){hint}"


def _names_or_nothing(registry: Registry) -> list[str]:
    """Names for a did-you-mean hint; the hint is not worth a second error (offline, unreachable)."""
    try:
        return registry.names()
    except NupmError:
        return []
