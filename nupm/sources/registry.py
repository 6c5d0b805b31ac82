"""Registries in Nushell nupm's format, read as they are, from a directory or over HTTP, plus nupm's
two richer layouts.

    registry.nuon        table: name, path[, hash]       one row per package; hash = md5-<hex> of the file
    <pkg>.nuon           table: name, version, path, type (git|local), info ({url, revision} | null)
    nupm-index.json      optional, the full index: per package and version the type, content hash,
                         dependencies, description and source; resolution reads one file
    index/config.json    optional, the sparse index (like cargo's): one small file per package at
    index/<p>/<name>.json  a predictable path (`sparse_path`), so a lock fetches only what it needs

A registry location is a directory, a `.nuon` file or the http(s) URL of one; every other file is
relative to it. A `local` row's path is relative to its `.nuon` file; a `git` row's path is the
package's directory inside the repository (null or "." for its root).

Which optional layouts a remote registry has is probed once per version of its registry.nuon and
remembered beside the HTTP cache, so a warm run sends only conditional requests.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

from nupm import digest, nuon
from nupm.errors import BadInput, NupmError, UsageError
from nupm.versions import Label, Version, VersionError, parse_version

REGISTRY_FILE = "registry.nuon"
INDEX_FILE = "nupm-index.json"
SPARSE_DIR = "index"
SPARSE_CONFIG = "index/config.json"
_PKG_COLUMNS = ("name", "version", "path", "type")
LAYOUT_VERSION = 1


class RegistryError(NupmError):
    pass


class Missing(RegistryError):
    """A registry file that does not exist."""


def sparse_path(name: str) -> str:
    """Cargo's sparse-index layout: 1/a, 2/ab, 3/a/abc, ab/cd/abcd…; a `.json` per package."""
    if len(name) <= 2:
        return f"{SPARSE_DIR}/{len(name)}/{name}.json"
    if len(name) == 3:
        return f"{SPARSE_DIR}/3/{name[0]}/{name}.json"
    return f"{SPARSE_DIR}/{name[:2]}/{name[2:4]}/{name}.json"


@dataclass(frozen=True)
class IndexEntry:
    """One published version of a package, and where its files are."""

    registry: str
    name: str
    version: Version
    kind: str  # "local", "git" or "archive"
    path: str  # local: absolute directory; git and archive: directory inside the repository / archive
    url: str | None = None  # git: repository; archive: absolute URL of the .tar.gz / .zip
    revision: str | None = None
    hash: str | None = None
    type: str | None = None
    dependencies: dict[str, str] | None = None  # name -> range text, when the index knows them
    sha256: str | None = None  # archive
    description: str = ""
    license: str = ""
    repository: str = ""
    origin: str = ""  # the file this entry was read from, for messages

    @property
    def is_label(self) -> bool:
        return isinstance(self.version, Label)

    def describe_row(self) -> str:
        """How the registry row reads in messages: url, revision and path."""
        if self.kind == "git":
            return f"git {self.url} revision {self.revision or 'HEAD'} path {self.path or '.'}"
        if self.kind == "archive":
            return f"archive {self.url}"
        return f"local {self.path}"


# -- where registry files come from ------------------------------------------------------------------
class LocalFiles:
    def __init__(self, directory: Path):
        self.directory = directory

    def read(self, rel: str, refresh: bool = False) -> bytes:
        try:
            return (self.directory / rel).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise Missing(f"{self.directory / rel} does not exist") from None

    def where(self, rel: str) -> str:
        return str(self.directory / rel)

    def exists(self, rel: str) -> bool:
        return (self.directory / rel).is_file()

    def is_remote(self) -> bool:
        return False


class RemoteFiles:
    def __init__(self, base_url: str, client):
        self.base_url, self.client = base_url, client
        self._seen: dict[str, bytes | Missing] = {}  # one request per file and run, even when stale

    def read(self, rel: str, refresh: bool = False) -> bytes:
        from nupm.sources.http import NotFound

        if rel not in self._seen or refresh:
            try:
                self._seen[rel] = self.client.get(self.where(rel), refresh=refresh)
            except NotFound as e:
                self._seen[rel] = Missing(str(e))
        found = self._seen[rel]
        if isinstance(found, Missing):
            raise found
        return found

    def where(self, rel: str) -> str:
        return urljoin(self.base_url, rel)

    def exists(self, rel: str) -> bool:
        """Asked with a GET, not a HEAD: the body lands in the HTTP cache for the read that follows."""
        from nupm.sources.http import OfflineMiss

        try:
            self.read(rel)
        except (Missing, OfflineMiss):
            return False
        return True

    def is_remote(self) -> bool:
        return True


# -- one registry ---------------------------------------------------------------------------------------
@dataclass
class Registry:
    name: str
    location: str  # as configured: a directory, a .nuon file or a URL (what the lock records)
    files: LocalFiles | RemoteFiles
    listing: str = REGISTRY_FILE  # the registry file's name, relative to `files`
    state_dir: Path | None = None  # where a remote registry's layout is remembered
    _rows: dict[str, dict] | None = field(default=None, repr=False)
    _listing_bytes: bytes | None = field(default=None, repr=False)
    _layout: dict | None = field(default=None, repr=False)
    _index: dict | None = field(default=None, repr=False)
    _cache: dict[str, list[IndexEntry]] = field(default_factory=dict, repr=False)
    _real_dirs: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def is_remote(self) -> bool:
        return self.files.is_remote()

    # -- the listing ----------------------------------------------------------------------------------
    def listing_bytes(self) -> bytes:
        if self._listing_bytes is None:
            try:
                self._listing_bytes = self.files.read(self.listing)
            except Missing:
                raise RegistryError(f"registry {self.name!r}: no {self.listing} at {self.location}") from None
        return self._listing_bytes

    def rows(self) -> dict[str, dict]:
        if self._rows is None:
            where = self.files.where(self.listing)
            try:
                text = self.listing_bytes().decode("utf-8")
            except UnicodeDecodeError as e:
                raise BadInput(where, 1, 1, f"not UTF-8 text ({e.reason})") from None
            table = nuon.parse(text, where)
            if not isinstance(table, list) or not all(isinstance(r, dict) and isinstance(r.get("name"), str)
                                                      and isinstance(r.get("path"), str) for r in table):
                raise BadInput(where, 1, 1, "expected a table with columns name, path[, hash]")
            self._rows = {r["name"]: r for r in table}
        return self._rows

    def names(self) -> list[str]:
        return sorted(set(self.rows()) | set(self.index()))

    # -- which layouts exist ----------------------------------------------------------------------------
    def layout(self) -> dict:
        """Which of nupm's own layouts this registry offers: {"sparse": bool, "index": bool | None}.

        The full index is only looked for when something needs it (search, or a registry without the
        sparse one), so a lock from a sparse registry never downloads it."""
        if self._layout is None:
            self.listing_bytes()  # the registry itself first: its failure is the one to report
            self._layout = self._remembered_layout() or {"sparse": self._exists(SPARSE_CONFIG), "index": None}
            self._remember()
        return self._layout

    def has_index(self) -> bool:
        layout = self.layout()
        if layout["index"] is None:
            layout["index"] = self._exists(INDEX_FILE)
            self._remember()
        return layout["index"]

    def _exists(self, rel: str) -> bool:
        return self.files.exists(rel)

    def _layout_file(self) -> Path | None:
        if not self.is_remote or self.state_dir is None:
            return None
        return self.state_dir / (digest.sha256(self.files.where(self.listing).encode()).hexdigest()[:24] + ".json")

    def _remembered_layout(self) -> dict | None:
        """What was found out for this very registry.nuon (by its md5): publishing changes registry.nuon,
        so a registry that gains a layout is probed again, and an unchanged one never is."""
        path = self._layout_file()
        if path is None:
            return None
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        listing = digest.md5(self.listing_bytes()).hexdigest()
        if not isinstance(saved, dict) or saved.get("v") != LAYOUT_VERSION or saved.get("listing") != listing:
            return None
        index = saved.get("index")
        return {"sparse": bool(saved.get("sparse")), "index": index if isinstance(index, bool) else None}

    def _remember(self) -> None:
        path = self._layout_file()
        if path is None:
            return
        from nupm.fsutil import atomic_write

        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps({"v": LAYOUT_VERSION, **self._layout,
                                       "listing": digest.md5(self.listing_bytes()).hexdigest()}))

    def index(self) -> dict:
        """The full index (nupm-index.json): {name: {version: data}}; empty when the registry has none."""
        if self._index is None:
            self._index = self._read_index() if self.has_index() else {}
        return self._index

    def _read_index(self) -> dict:
        where = self.files.where(INDEX_FILE)
        data = parse_json(self.files.read(INDEX_FILE), where)
        packages = data.get("packages") if isinstance(data, dict) else None
        if not isinstance(packages, dict):
            raise BadInput(where, 1, 1, 'expected {"version": 1, "packages": {name: {version: {...}}}}')
        return packages

    # -- the versions of one package ----------------------------------------------------------------------
    def versions(self, name: str) -> list[IndexEntry]:
        if name not in self._cache:
            self._cache[name] = self._load_versions(name)
        return self._cache[name]

    def _load_versions(self, name: str) -> list[IndexEntry]:
        # The sparse index when there is one, unless the full index was read already (search reads it).
        if self.layout()["sparse"] and not self._index:
            return self._sparse(name)
        known = self.index().get(name)
        if known and isinstance(known, dict) and all(isinstance(v, dict) and "source" in v for v in known.values()):
            where = self.files.where(INDEX_FILE)
            return [self._indexed(name, v, data, where) for v, data in known.items()]
        row = self.rows().get(name)
        return self._load_package(name, row) if row else []

    def _known_extra(self, name: str) -> dict:
        """Index data for a Nushell-format row; only a registry without the sparse index reads it whole."""
        if self.layout()["sparse"]:
            return {}
        found = self.index().get(name, {})
        return found if isinstance(found, dict) else {}

    def _sparse(self, name: str) -> list[IndexEntry]:
        rel = sparse_path(name)
        try:
            raw = self.files.read(rel)
        except Missing:
            return []
        where = self.files.where(rel)
        data = parse_json(raw, where)
        versions = data.get("versions") if isinstance(data, dict) else None
        if not isinstance(versions, dict) or data.get("name") != name:
            raise BadInput(where, 1, 1, f'expected {{"name": "{name}", "versions": {{version: {{...}}}}}}')
        return [self._indexed(name, v, d, where) for v, d in versions.items()]

    def _indexed(self, name: str, version: str, data: dict, where: str) -> IndexEntry:
        """An entry from nupm's own index (full or sparse): no per-package .nuon file to read."""
        try:
            source = _checked(data, where, name, version)["source"]
            common = dict(registry=self.name, name=name, version=parse_version(version), hash=data.get("hash"),
                          type=data.get("type"), dependencies=data.get("dependencies"), origin=where,
                          **_metadata(data))
            if source["type"] == "local":
                # Relative to the registry's directory, in the full and the sparse index alike.
                return IndexEntry(kind="local", path=self._local_path(self.files.where(INDEX_FILE), source["path"]),
                                  **common)
            if source["type"] == "archive":
                return IndexEntry(kind="archive", path=_subdir(source.get("path")), sha256=source["sha256"],
                                  url=self._absolute_url(source["url"]), **common)
            if source["type"] == "git":
                return IndexEntry(kind="git", path=_subdir(source.get("path")), url=source["url"],
                                  revision=source.get("revision"), **common)
            raise KeyError(f"unknown source type {source['type']!r}")
        except (KeyError, TypeError, VersionError) as e:
            raise BadInput(where, 1, 1, f"bad entry for {name} {version}: {e}") from None

    def _load_package(self, name: str, row: dict) -> list[IndexEntry]:
        rel = str(row["path"])
        where = self.files.where(rel)
        try:
            raw = self.files.read(rel)
        except Missing:
            raise RegistryError(f"registry {self.name!r}: package file {where} for {name} is missing") from None
        expected = row.get("hash")
        if isinstance(expected, str) and expected.startswith("md5-"):
            actual = "md5-" + digest.md5(raw).hexdigest()
            if actual != expected and self.is_remote:
                # Perhaps one of the two came from the cache, revalidated against a validator that could not
                # tell two versions apart: fetch both anew before calling the registry inconsistent.
                row = self._fresh_row(name) or row
                expected = row.get("hash")
                raw = self.files.read(rel, refresh=True)
                actual = "md5-" + digest.md5(raw).hexdigest()
            if actual != expected:
                raise RegistryError(f"registry {self.name!r}: {where} has hash {actual}, but "
                                    f"{self.files.where(self.listing)} says {expected}; refusing it")
        try:
            table = nuon.parse(raw.decode("utf-8"), where)
        except UnicodeDecodeError as e:
            raise BadInput(where, 1, 1, f"not UTF-8 text ({e.reason})") from None
        if not isinstance(table, list):
            raise BadInput(where, 1, 1, "expected a table with columns name, version, path, type, info")
        known = self._known_extra(name)
        return [self._entry(where, r, known) for r in table if isinstance(r, dict) and r.get("name") == name]

    def _fresh_row(self, name: str) -> dict | None:
        self._listing_bytes = self.files.read(self.listing, refresh=True)
        self._rows = None
        return self.rows().get(name)

    def _entry(self, where: str, row: dict, known: dict) -> IndexEntry:
        missing = [c for c in _PKG_COLUMNS if c not in row]
        if missing:
            raise BadInput(where, 1, 1, f"row for {row.get('name')} lacks {', '.join(missing)}")
        try:
            version = parse_version(str(row["version"]))
        except VersionError as e:
            raise BadInput(where, 1, 1, str(e)) from None
        extra = known.get(str(version), {}) if isinstance(known, dict) else {}
        if not isinstance(extra, dict):
            extra = {}
        _checked(extra, self.files.where(INDEX_FILE), row["name"], str(version))
        common = dict(registry=self.name, name=row["name"], version=version, hash=extra.get("hash"),
                      type=extra.get("type"), dependencies=extra.get("dependencies"), origin=where,
                      **_metadata(extra))
        if row["type"] == "local":
            if not isinstance(row["path"], str):
                raise BadInput(where, 1, 1, f"local row for {row['name']} {version} needs a path")
            return IndexEntry(kind="local", path=self._local_path(where, row["path"]), **common)
        if row["type"] == "git":
            info = row.get("info") or {}
            if not isinstance(info, dict) or not isinstance(info.get("url"), str) or not info["url"].isprintable() \
                    or not str(info.get("revision") or "").isprintable() or not str(row["path"] or "").isprintable():
                raise BadInput(where, 1, 1, f"git row for {row['name']} {version} needs info {{url, revision}}")
            revision = info.get("revision")
            return IndexEntry(kind="git", path=_subdir(row["path"]), url=info["url"],
                              revision=str(revision) if revision else None, **common)
        raise BadInput(where, 1, 1, f"type must be git or local, not {row['type']!r}")

    def _local_path(self, where: str, rel: str) -> str:
        if self.is_remote:
            raise RegistryError(f"registry {self.name!r}: {where} has a `local` row, which only a registry on "
                                "this machine can offer (publish git or archive sources to a registry served "
                                "over HTTP)")
        path = os.path.join(os.path.dirname(where), rel)  # an absolute rel stays itself
        return self._real(path)

    def _real(self, path: str) -> str:
        """os.path.realpath, with each directory resolved once: a registry lists thousands of packages in a
        few directories, and resolving each path whole costs a system call per component."""
        if ".." in path.split(os.sep):
            return os.path.realpath(path)  # `..` after a link means the link's parent: leave it to realpath
        parent, base = os.path.split(os.path.normpath(path))
        real_parent = self._real_dirs.get(parent)
        if real_parent is None:
            real_parent = self._real_dirs[parent] = os.path.realpath(parent)
        joined = os.path.join(real_parent, base)
        return os.path.realpath(joined) if os.path.islink(joined) else joined

    def _absolute_url(self, url: str) -> str:
        if "://" in url:
            if self.is_remote and not url.startswith(("http://", "https://")):
                # A registry online names downloads, never files of this machine (file://).
                raise TypeError(f"archive url {url[:80]!r} is not an http(s) URL")
            return url
        if self.is_remote:
            return self.files.where(url)
        return Path(self.files.where(url)).resolve().as_uri()


_HASH = re.compile(r"sha256-[0-9a-f]{64}\Z")
_GOOD_NAMES: set[str] = set()
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")


def _checked(data: dict, where: str, name: str, version: str) -> dict:
    """Index fields whose type and form are checked where they enter, so nothing malformed reaches a lock."""
    from nupm.manifest import PACKAGE_TYPES, valid_name

    def bad(what: str):
        raise BadInput(where, 1, 1, f"bad entry for {name} {version}: {what}")

    found = data.get("hash")
    if found is not None and not (isinstance(found, str) and _HASH.match(found)):
        bad(f"hash must look like sha256-<64 hex digits>, not {str(found)[:40]!r}")
    if data.get("type") is not None and data.get("type") not in PACKAGE_TYPES:
        bad(f"type must be one of {', '.join(PACKAGE_TYPES)}")
    deps = data.get("dependencies")
    if deps is not None:
        # A big registry repeats the same few dependency names: each is checked once per process.
        if not isinstance(deps, dict):
            bad("dependencies must map package names to version ranges")
        for k, v in deps.items():
            if k not in _GOOD_NAMES:
                if not (isinstance(k, str) and (valid_name(k) or k == "nushell")):
                    bad("dependencies must map package names to version ranges")
                _GOOD_NAMES.add(k)
            if type(v) is not str or len(v) > 1024:
                bad("dependencies must map package names to version ranges")
    source = data.get("source")
    if isinstance(source, dict):
        for key in ("url", "revision", "path", "sha256"):
            value = source.get(key)
            if value is not None and not (isinstance(value, str) and len(value) <= 4096 and value.isprintable()):
                bad(f"source {key} must be printable text")
        if source.get("type") == "archive" and not _SHA256.match(str(source.get("sha256", ""))):
            bad("an archive source needs its sha256 (64 hex digits)")
    return data


def _subdir(path: object) -> str:
    """A git or archive row's directory: null, "" and "." all mean the root."""
    text = str(path or "").strip().strip("/")
    return "" if text in ("", ".") else text


def _metadata(data: dict) -> dict:
    return {key: str(data.get(key) or "") for key in ("description", "license", "repository")}


def parse_json(raw: bytes, where: str):
    """A JSON document from outside (a registry, a package source), or BadInput saying where it is wrong."""
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise BadInput(where, 1, 1, f"not UTF-8 text ({e.reason})") from None
    except json.JSONDecodeError as e:
        raise BadInput(where, e.lineno, e.colno, e.msg) from None
    except RecursionError:
        raise BadInput(where, 1, 1, "nested too deeply") from None
    except ValueError:  # a number past Python's digit limit
        raise BadInput(where, 1, 1, "a number is too long") from None


# -- opening registries -----------------------------------------------------------------------------
def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def open_registry(name: str, location: str, client=None, state_dir: Path | None = None) -> Registry:
    """A registry by location: a directory holding registry.nuon, a .nuon file, or an http(s) URL of either.

    Opening reads nothing: a registry that is never asked for a package costs nothing."""
    if is_url(location):
        if client is None:
            raise UsageError(f"registry {name!r}: {location} is a URL, and no HTTP client was set up")
        base, listing = (location, REGISTRY_FILE) if location.endswith("/") else _split_url(location)
        return Registry(name, location, RemoteFiles(base, client), listing, state_dir)
    if "://" in location:
        raise UsageError(f"registry {name!r}: {location}: only http:// and https:// URLs are supported")
    path = Path(location).expanduser().absolute()
    if path.suffix == ".nuon" or path.is_file():
        return Registry(name, str(path), LocalFiles(path.parent), path.name)
    # A directory, or nothing yet: a registry that is missing fails when it is first read, not before.
    return Registry(name, str(path), LocalFiles(path))


def _split_url(url: str) -> tuple[str, str]:
    """`https://host/reg/registry.nuon` -> (`https://host/reg/`, `registry.nuon`); a URL without a .nuon
    file at its end names the registry's directory."""
    head, _, last = url.rpartition("/")
    if last.endswith(".nuon"):
        return head + "/", last
    return url + "/", REGISTRY_FILE


def registry_label(location: str) -> str:
    """A name for a registry given only by its location (`--registry PATH|URL`)."""
    if is_url(location):
        from urllib.parse import urlsplit

        parts = urlsplit(location)
        return (parts.hostname or "registry").replace(".", "-")
    path = Path(location).absolute()
    return (path if path.is_dir() else path.parent).name or "registry"


def open_registries(locations: dict[str, str], override: str | None, client=None,
                    state_dir: Path | None = None) -> list[Registry]:
    """The registries to search, in order; `override` is a configured name, a path or a URL."""
    def one(name: str, location: str) -> Registry:
        return open_registry(name, location, client, state_dir)

    if override:
        if override in locations:
            return [one(override, locations[override])]
        if is_url(override) or Path(override).expanduser().exists():
            location = override if is_url(override) else str(Path(override).expanduser().absolute())
            return [one(registry_label(location), location)]
        known = ", ".join(locations) or "none configured"
        raise UsageError(f"--registry {override}: neither a configured registry ({known}) nor a path or URL")
    return [one(name, location) for name, location in locations.items()]
