"""Registries in Nushell nupm's format, read as they are, plus nupm's optional richer index.

    registry.nuon        table: name, path[, hash]       one row per package
    <pkg>.nuon           table: name, version, path, type (git|local), info ({url, revision} | null)
    nupm-index.json      optional: per version, the package type, content hash, dependencies and source
                         ({"type": "local", "path": ...} or {"type": "git", "url", "revision", "path"});
                         with it, resolution reads one file instead of one per package

A `local` row's path is relative to the directory of its `.nuon` file; a `git` row's path is the
package's directory inside the repository.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from nupm import nuon
from nupm.errors import BadInput, NupmError, UsageError
from nupm.versions import Version, VersionError

REGISTRY_FILE = "registry.nuon"
INDEX_FILE = "nupm-index.json"
_PKG_COLUMNS = ("name", "version", "path", "type")


@dataclass(frozen=True)
class IndexEntry:
    """One published version of a package, and where its files are."""

    registry: str
    name: str
    version: Version
    kind: str  # "local" or "git"
    path: str  # local: absolute directory; git: directory inside the repository
    url: str | None = None
    revision: str | None = None
    hash: str | None = None
    type: str | None = None
    dependencies: dict[str, str] | None = None  # name -> range text, when the index knows them


@dataclass
class LocalRegistry:
    name: str
    file: Path  # the registry.nuon
    _rows: dict[str, dict] | None = field(default=None, repr=False)
    _index: dict | None = field(default=None, repr=False)
    _cache: dict[str, list[IndexEntry]] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, name: str, location: str | Path) -> LocalRegistry:
        if isinstance(location, str) and "://" in location:
            raise UsageError(f"registry {name!r}: {location} is a URL; only local registries are supported yet")
        path = Path(location)
        file = path / REGISTRY_FILE if path.is_dir() else path
        if not file.is_file():
            raise NupmError(f"registry {name!r}: no {REGISTRY_FILE} at {path}")
        return cls(name, file.absolute())

    @property
    def location(self) -> Path:
        return self.file.parent

    def rows(self) -> dict[str, dict]:
        if self._rows is None:
            table = nuon.load(self.file)
            if not isinstance(table, list) or not all(isinstance(r, dict) and "name" in r and "path" in r
                                                      for r in table):
                raise BadInput(self.file, 1, 1, "expected a table with columns name, path[, hash]")
            self._rows = {r["name"]: r for r in table}
        return self._rows

    def names(self) -> list[str]:
        return list(self.rows())

    def index(self) -> dict:
        if self._index is None:
            path = self.location / INDEX_FILE
            self._index = _read_index(path) if path.is_file() else {}
        return self._index

    def versions(self, name: str) -> list[IndexEntry]:
        if name not in self._cache:
            known = self.index().get(name)
            if known and all("source" in v for v in known.values()):
                self._cache[name] = [self._indexed(name, v, data) for v, data in known.items()]
            else:
                row = self.rows().get(name)
                self._cache[name] = self._load_package(name, row) if row else []
        return self._cache[name]

    def _indexed(self, name: str, version: str, data: dict) -> IndexEntry:
        """An entry from nupm-index.json alone: no per-package .nuon file to read."""
        where = self.location / INDEX_FILE
        try:
            source = data["source"]
            common = dict(registry=self.name, name=name, version=Version(version), hash=data.get("hash"),
                          type=data.get("type"), dependencies=data.get("dependencies"))
            if source["type"] == "local":
                return IndexEntry(kind="local", path=str((self.location / source["path"]).resolve()), **common)
            return IndexEntry(kind="git", path=source.get("path") or "", url=source["url"],
                              revision=source.get("revision"), **common)
        except (KeyError, TypeError, VersionError) as e:
            raise BadInput(where, 1, 1, f"bad entry for {name} {version}: {e}") from None

    def _load_package(self, name: str, row: dict) -> list[IndexEntry]:
        pkg_file = (self.location / str(row["path"])).absolute()
        if not pkg_file.is_file():
            raise NupmError(f"registry {self.name!r}: package file {pkg_file} for {name} is missing")
        table = nuon.load(pkg_file)
        if not isinstance(table, list):
            raise BadInput(pkg_file, 1, 1, "expected a table with columns name, version, path, type, info")
        known = self.index().get(name, {})
        return [self._entry(pkg_file, r, known) for r in table if isinstance(r, dict) and r.get("name") == name]

    def _entry(self, pkg_file: Path, row: dict, known: dict) -> IndexEntry:
        missing = [c for c in _PKG_COLUMNS if c not in row]
        if missing:
            raise BadInput(pkg_file, 1, 1, f"row for {row.get('name')} lacks {', '.join(missing)}")
        try:
            version = Version(str(row["version"]))
        except VersionError as e:
            raise BadInput(pkg_file, 1, 1, str(e)) from None
        extra = known.get(str(version), {})
        common = dict(registry=self.name, name=row["name"], version=version, hash=extra.get("hash"),
                      type=extra.get("type"), dependencies=extra.get("dependencies"))
        if row["type"] == "local":
            path = Path(str(row["path"]))
            path = path if path.is_absolute() else (pkg_file.parent / path)
            return IndexEntry(kind="local", path=str(path.resolve()), **common)
        if row["type"] == "git":
            info = row.get("info") or {}
            if not isinstance(info, dict) or "url" not in info:
                raise BadInput(pkg_file, 1, 1, f"git row for {row['name']} {version} needs info {{url, revision}}")
            return IndexEntry(kind="git", path=str(row["path"] or ""), url=str(info["url"]),
                              revision=(str(info["revision"]) if info.get("revision") else None), **common)
        raise BadInput(pkg_file, 1, 1, f"type must be git or local, not {row['type']!r}")


def _read_index(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise BadInput(path, e.lineno, e.colno, e.msg) from None
    packages = data.get("packages") if isinstance(data, dict) else None
    if not isinstance(packages, dict):
        raise BadInput(path, 1, 1, 'expected {"version": 1, "packages": {name: {version: {...}}}}')
    return packages


def open_registries(configured: dict[str, str], override: str | None) -> list[LocalRegistry]:
    """The registries to search, in order; `override` is a configured name or a path."""
    if override:
        if override in configured:
            return [LocalRegistry.open(override, configured[override])]
        path = Path(override)
        if path.exists():
            return [LocalRegistry.open(_registry_name(path), path.absolute())]
        known = ", ".join(configured) or "none configured"
        raise UsageError(f"--registry {override}: neither a configured registry ({known}) nor a path")
    return [LocalRegistry.open(name, loc) for name, loc in configured.items()]


def _registry_name(path: Path) -> str:
    path = path.absolute()
    return (path if path.is_dir() else path.parent).name or "registry"
