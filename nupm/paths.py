"""The one place that knows where nupm keeps things.

NUPM_HOME (default: platformdirs' user_data_dir("nupm")) holds:
  store/<name>-<version>-<hash12>/   read-only package trees, one per locked package
  store/<name>-<version>-<hash12>.json   completion marker, written last
  locks/                             locks: store entries, gc, git mirrors, each project and global environment
  cache/git/                         bare mirrors of git sources
  cache/checkouts/                   exported git trees and unpacked archives, one per commit/archive and subdir
  overlays/                          named global environments
  roots/                             gc roots: one file per environment that uses the store
  generations/<name>/<n>.toml        every state a global environment has had (manifest and lock)
  trusted/<project root>/.nupm-trust the project environments the cd hooks may activate
  hooks/nupm.<shell>                 the rendered cd hooks that `nupm setup` sources
A project keeps its generated environment in <project>/.nupm/.

HTTP responses (registry files, archives; http/) and what each registry offers (registries/) are cached
apart from NUPM_HOME, in the user cache dir (platformdirs' user_cache_dir("nupm"), or NUPM_CACHE_DIR): they
can be thrown away at any time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "nupm.toml"
NUON_MANIFEST = "nupm.nuon"
LOCKFILE = "nupm.lock"
ENV_DIR = ".nupm"
ENV_DESCRIPTION = "env.json"
# An environment's Nushell plugins: its own registry file (what `plugin add` wrote) and the `plugin use` lines
# that load them, both in a directory: no package name can collide with it (the nu module is `<name>.nu`).
PLUGIN_REGISTRY = "plugins/registry.msgpackz"
PLUGIN_USE = "plugins/use.nu"
# Private versions of a module (nupm.views): each package's own lib view, and its module with that view set.
VIEWS = "views"
SHIMS = "shims"


def bundled_dir(installed: str, checkout: str, marker: str) -> Path:
    """A folder nupm ships: installed as nupm/<installed>, or in a source checkout the top-level <checkout>."""
    here = Path(__file__).resolve().parent
    for candidate in (here / installed, here.parent / checkout):
        if (candidate / marker).exists():
            return candidate
    from nupm.errors import NupmError

    raise NupmError(f"nupm's {checkout} folder is missing from this installation")


def nupm_home() -> Path:
    if home := os.environ.get("NUPM_HOME"):
        return Path(home).absolute()
    from platformdirs import user_data_dir

    return Path(user_data_dir("nupm"))


def config_file() -> Path:
    if path := os.environ.get("NUPM_CONFIG"):
        return Path(path).absolute()
    from platformdirs import user_config_dir

    return Path(user_config_dir("nupm")) / "config.toml"


def absolute_location(base: Path, location: str) -> str:
    """A registry location as nupm reads it: a URL as it is, a path relative to `base` (the config file's or
    the project's directory)."""
    if "://" in location:
        return location
    p = Path(location).expanduser()
    return str(p if p.is_absolute() else (base / p).resolve())


def cache_dir() -> Path:
    if path := os.environ.get("NUPM_CACHE_DIR"):
        return Path(path).absolute()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("nupm"))


def http_cache_dir() -> Path:
    """HTTP responses with their validators (CacheControl's file cache)."""
    return cache_dir() / "http"


def registry_cache_dir() -> Path:
    """What each registry location was found to offer (layouts), remembered between runs."""
    return cache_dir() / "registries"


@dataclass(frozen=True)
class Home:
    """Layout of NUPM_HOME."""

    root: Path

    @classmethod
    def current(cls) -> Home:
        return cls(nupm_home())

    @property
    def store(self) -> Path:
        return self.root / "store"

    @property
    def locks(self) -> Path:
        return self.root / "locks"

    @property
    def git_mirrors(self) -> Path:
        return self.root / "cache" / "git"

    @property
    def checkouts(self) -> Path:
        return self.root / "cache" / "checkouts"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def roots(self) -> Path:
        return self.root / "roots"

    @property
    def gc_lock(self) -> Path:
        """Held by gc for its whole run, and briefly by an install to register what it is using."""
        return self.locks / "gc.lock"

    @property
    def generations(self) -> Path:
        return self.root / "generations"

    @property
    def trusted(self) -> Path:
        """Records of the project environments the cd hooks may activate (nupm.trust)."""
        return self.root / "trusted"

    @property
    def overlays(self) -> Path:
        return self.root / "overlays"

    def entry_name(self, name: str, version: str, hash_: str) -> str:
        return f"{name}-{version}-{hash_.removeprefix('sha256-')[:12]}"

    def entry(self, name: str, version: str, hash_: str) -> Path:
        return self.store / self.entry_name(name, version, hash_)

    def entry_marker(self, entry: Path) -> Path:
        return entry.with_name(entry.name + ".json")

    def entry_lock(self, entry: Path) -> Path:
        return self.locks / (entry.name + ".lock")

    def git_lock(self, mirror: Path) -> Path:
        """Held while a git mirror is cloned or fetched."""
        return self.locks / f"git-{mirror.name}.lock"

    @property
    def hooks(self) -> Path:
        """The rendered shell hooks `nupm setup` sources from the shells' config files."""
        return self.root / "hooks"

    def project_lock(self, root: Path) -> Path:
        """Held for every read-modify-write of one project's manifest, lock and .nupm/."""
        import zlib

        raw = os.fsencode(Path(root).absolute())
        return self.locks / f"project-{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}.lock"

    def env_lock(self, name: str) -> Path:
        """Held for every change of one global environment (manifest, lock, generation, directory swap)."""
        return self.locks / f"env-{name}.lock"

