"""Resolution: the manifest's requirements become one exact version (and source) per package.

resolvelib does the search and the backtracking; this module supplies the package universe
(`PackageFinder`: registries, git, paths), the provider that ties it to resolvelib, and the text
that explains a failure as chains from the project to the clashing requirements.

Identifiers are package names, so one version of each package per environment. A later step that
lets incompatible module versions coexist changes `identify` (e.g. to name@major) and the lock's
dependency edges, not the callers.
"""

from __future__ import annotations

import difflib
import itertools
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from resolvelib import AbstractProvider, BaseReporter, Resolver
from resolvelib.resolvers import ResolutionImpossible, ResolutionTooDeep

from nupm import manifest as manifest_mod
from nupm.errors import NupmError, UsageError
from nupm.fsutil import tree_hash
from nupm.manifest import Manifest, Requirement
from nupm.paths import Home, config_file
from nupm.sources.registry import IndexEntry, LocalRegistry
from nupm.sources.source import Source, fetch
from nupm.versions import Range, Version, VersionError


class ResolutionError(NupmError):
    pass


class Need:
    """A requirement together with the directory its manifest lives in (for relative paths)."""

    __slots__ = ("req", "base", "verdicts")

    def __init__(self, req: Requirement, base: Path):
        self.req, self.base = req, base
        # candidate serial -> satisfied?  resolvelib re-checks every pin each round (O(n^2) calls).
        self.verdicts: dict[int, bool] = {}

    @property
    def name(self) -> str:
        return self.req.name

    @property
    def abs_path(self) -> str | None:
        return str((self.base / self.req.path).resolve()) if self.req.path is not None else None


_serials = itertools.count()


@dataclass(eq=False)
class Candidate:
    name: str
    version: Version
    source: Source
    entry: IndexEntry | None = None
    manifest: Manifest | None = None
    _hash: str | None = None
    serial: int = field(default_factory=lambda: next(_serials))

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
    """Knows every version of every package the configured sources offer."""

    home: Home
    registries: list[LocalRegistry]
    named_registries: dict[str, LocalRegistry] = field(default_factory=dict)
    preferred: dict[str, str] = field(default_factory=dict)  # name -> locked version to keep
    _known: dict[tuple, Candidate] = field(default_factory=dict)

    # -- candidates ----------------------------------------------------------------------------
    def candidates(self, name: str, needs: list[Need]) -> list[Candidate]:
        pinned = {self._pin_key(n) for n in needs if n.req.kind != "registry"}
        if len(pinned) > 1:
            return []
        if pinned:
            need = next(n for n in needs if n.req.kind != "registry")
            return [self._pinned_candidate(need)]
        found = [self._registry_candidate(e) for e in self._entries(name, needs)]
        preferred = self.preferred.get(name)
        found.sort(key=lambda c: (str(c.version) == preferred, c.version), reverse=True)
        return found

    def _entries(self, name: str, needs: list[Need]) -> list[IndexEntry]:
        pins = {n.req.registry for n in needs if n.req.registry}
        if len(pins) > 1:
            return []
        if pins:
            return self.registry_named(pins.pop()).versions(name)
        for registry in self.registries:
            if entries := registry.versions(name):
                return entries
        return []

    def registry_named(self, name: str) -> LocalRegistry:
        for registry in (*self.registries, *self.named_registries.values()):
            if registry.name == name:
                return registry
        known = ", ".join(r.name for r in self.registries) or "none configured"
        raise UsageError(f"unknown registry {name!r} (known: {known})")

    def _registry_candidate(self, entry: IndexEntry) -> Candidate:
        key = ("registry", entry.registry, entry.name, entry.version)
        if key not in self._known:
            source = Source(kind="registry", registry=entry.registry,
                            index=str(self.registry_named(entry.registry).location),
                            path=entry.path if entry.kind == "local" else None,
                            url=entry.url, rev=None, subdir=entry.path if entry.kind == "git" else "")
            self._known[key] = Candidate(entry.name, entry.version, source, entry=entry, _hash=entry.hash)
        return self._known[key]

    def _pin_key(self, need: Need) -> tuple:
        if need.req.kind == "path":
            return ("path", need.abs_path)
        ref = need.req.git_ref or (None, None)
        return ("git", need.req.git, *ref)

    def _pinned_candidate(self, need: Need) -> Candidate:
        key = self._pin_key(need)
        if key not in self._known:
            if need.req.kind == "path":
                source = Source(kind="path", path=need.abs_path)
            else:
                from nupm.sources import git

                kind, ref = need.req.git_ref or (None, None)
                source = Source(kind="git", url=need.req.git, rev=git.resolve_ref(self.home, need.req.git, kind, ref))
            found = self._load_manifest(source, need.name)
            self._known[key] = Candidate(need.name, Version(found.version), source, manifest=found)
        return self._known[key]

    # -- metadata ------------------------------------------------------------------------------
    def package_dir(self, cand: Candidate) -> Path:
        source = cand.source
        if source.is_git and not source.rev:
            from nupm.sources import git

            rev = git.resolve_ref(self.home, source.url, "rev" if cand.entry.revision else None,
                                  cand.entry.revision)
            cand.source = source = Source(**{**source.__dict__, "rev": rev})
        return fetch(self.home, source)

    def _load_manifest(self, source: Source, name: str) -> Manifest:
        directory = fetch(self.home, source)
        path = manifest_mod.manifest_in(directory)
        if path is None:
            raise ResolutionError(f"{name} ({source.describe()}) has no nupm.toml or nupm.nuon")
        found = manifest_mod.load(path)
        if found.name != name:
            raise ResolutionError(f"{source.describe()} holds package {found.name!r}, not {name!r}")
        return found

    def manifest_of(self, cand: Candidate) -> Manifest:
        if cand.manifest is None:
            self.package_dir(cand)
            cand.manifest = self._load_manifest(cand.source, cand.name)
            if Version(cand.manifest.version) != cand.version:
                raise ResolutionError(f"registry {cand.source.registry} lists {cand} but its manifest says "
                                      f"version {cand.manifest.version}")
        return cand.manifest

    def dependencies(self, cand: Candidate) -> list[Need]:
        entry = cand.entry
        if entry is not None and entry.dependencies is not None and entry.type is not None:
            base = Path(entry.path) if entry.kind == "local" else Path("/")
            try:
                return [Need(Requirement(n, Range(r)), base) for n, r in sorted(entry.dependencies.items())]
            except VersionError as e:
                raise ResolutionError(f"registry {entry.registry}: {cand}: {e}") from None
        found = self.manifest_of(cand)
        base = self.package_dir(cand)
        if cand.source.is_git and any(r.kind == "path" for r in found.dependencies.values()):
            raise ResolutionError(f"{cand} comes from git but has path dependencies")
        return [Need(r, base) for _, r in sorted(found.dependencies.items())]

    def package_type(self, cand: Candidate) -> str:
        if cand.entry is not None and cand.entry.type:
            return cand.entry.type
        return self.manifest_of(cand).type

    def hash(self, cand: Candidate) -> str:
        if cand._hash is None:
            cand._hash = tree_hash(self.package_dir(cand))
        else:
            self.package_dir(cand)  # pins the git revision of registry rows
        return cand._hash


class _Provider(AbstractProvider):
    def __init__(self, finder: PackageFinder):
        self.finder = finder
        self.edges: dict[Candidate, list[Need]] = {}
        self.root_needs: list[Need] = []

    def identify(self, requirement_or_candidate):
        return requirement_or_candidate.name

    def get_preference(self, identifier, resolutions, candidates, information, backtrack_causes):
        pinned = any(info.requirement.req.kind != "registry" for info in information[identifier])
        causes = {c.requirement.name for c in backtrack_causes}
        return (not pinned, identifier not in causes, identifier)

    def find_matches(self, identifier, requirements, incompatibilities):
        needs = list(requirements[identifier])
        bad = set(incompatibilities[identifier])
        return [c for c in self.finder.candidates(identifier, needs)
                if c not in bad and all(self.is_satisfied_by(n, c) for n in needs)]

    def is_satisfied_by(self, requirement: Need, candidate: Candidate) -> bool:
        found = requirement.verdicts.get(candidate.serial)
        if found is None:
            found = requirement.verdicts[candidate.serial] = self._satisfies(requirement, candidate)
        return found

    def _satisfies(self, requirement: Need, candidate: Candidate) -> bool:
        req = requirement.req
        if req.range is not None and not req.range.admits(candidate.version):
            return False
        if req.kind == "path":
            return candidate.source.kind == "path" and candidate.source.path == requirement.abs_path
        if req.kind == "git":
            return candidate.source.kind == "git" and candidate.source.url == req.git
        if req.registry and candidate.source.kind == "registry":
            return candidate.source.registry == req.registry
        return True

    def get_dependencies(self, candidate: Candidate):
        needs = self.finder.dependencies(candidate)
        self.edges[candidate] = needs
        return needs


@dataclass
class Resolution:
    packages: dict[str, Candidate]
    dependencies: dict[str, list[Need]]  # name -> what that package requires


def resolve(root: Manifest, finder: PackageFinder) -> Resolution:
    needs = [Need(r, root.root) for _, r in sorted(root.dependencies.items())]
    provider = _Provider(finder)
    provider.root_needs = needs
    try:
        result = Resolver(provider, BaseReporter()).resolve(needs, max_rounds=20000)
    except ResolutionImpossible as e:
        raise ResolutionError(explain(root, e.causes, provider, finder)) from None
    except ResolutionTooDeep:
        raise ResolutionError("resolution gave up after too many steps; pin some versions") from None
    packages = dict(sorted(result.mapping.items()))
    deps = {name: provider.edges[cand] if cand in provider.edges else finder.dependencies(cand)
            for name, cand in packages.items()}
    return Resolution(packages, deps)


# -- explaining failures -------------------------------------------------------------------------
def explain(root: Manifest, causes, provider: _Provider, finder: PackageFinder) -> str:
    name = causes[0].requirement.name
    root_label = f"{root.name} {root.version}"
    lines = [f"cannot resolve {name}"]
    seen = set()
    for cause in causes:
        chain = _chain(cause.parent, provider, root_label) + [_edge(cause.parent, cause.requirement, root_label)]
        line = "  " + "  →  ".join(chain)
        if line not in seen:
            seen.add(line)
            lines.append(line)
    lines.append("  " + _verdict(name, [c.requirement for c in causes], finder))
    return "\n".join(lines)


def _edge(parent: Candidate | None, need: Need, root_label: str) -> str:
    who = root_label if parent is None else str(parent)
    return f"{who} depends on {need.name} {need.req.describe()}"


def _chain(target: Candidate | None, provider: _Provider, root_label: str) -> list[str]:
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
    if len(texts) > 1:
        joined = " and ".join(texts) if len(texts) == 2 else ", ".join(texts[:-1]) + " and " + texts[-1]
        return f"no version of {name} satisfies {'both ' if len(texts) == 2 else 'all of '}{joined}"
    need = needs[0]
    if need.req.kind != "registry":
        return f"{name} from {need.req.describe()} does not fit"
    try:
        entries = finder._entries(name, needs)
    except UsageError as e:
        return str(e)
    if not entries:
        names = sorted({n for r in finder.registries for n in r.names()})
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        if not finder.registries:
            return (f"no package named {name}: no registries are configured "
                    f"(name one in {config_file()} or pass --registry PATH)")
        where = ", ".join(r.name for r in finder.registries)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return f"no package named {name} in {where}{hint}"
    available = ", ".join(str(e.version) for e in sorted(entries, key=lambda e: e.version))
    return f"no version of {name} matches {texts[0]} (available: {available})"
