"""`Source`: where one exact package version comes from, as recorded in the lock, and `fetch`,
which turns it into a directory of the package's files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from nupm.errors import NupmError
from nupm.paths import Home


@dataclass(frozen=True)
class Source:
    kind: str  # "registry", "path", "git" or "archive"
    registry: str | None = None  # registry name (kind registry)
    index: str | None = None  # registry location: its directory, file or URL (kind registry)
    path: str | None = None  # absolute directory (registry-local and path kinds)
    url: str | None = None  # git url (git kind, or registry rows of type git)
    rev: str | None = None  # full commit sha
    subdir: str = ""  # package directory inside the repository or archive
    archive: str | None = None  # archive URL (archive kind, or registry rows of type archive)
    sha256: str | None = None  # the archive's sha256

    @property
    def is_git(self) -> bool:
        return self.url is not None

    @property
    def is_archive(self) -> bool:
        return self.archive is not None

    def describe(self) -> str:
        if self.kind == "registry":
            return f"registry {self.registry}"
        if self.kind == "path":
            return f"path {self.path}"
        if self.kind == "archive":
            return f"archive {self.archive}"
        return f"git {self.url}@{self.rev[:12] if self.rev else '?'}"

    def to_lock(self, project_root: Path | None) -> dict:
        """Paths are written relative to the project, so a lock moves with its project; with no
        project (a global environment) they stay absolute."""
        out: dict = {}
        if self.kind == "registry":
            out["registry"] = self.registry
            out["index"] = _portable(self.index, project_root)
        if self.path is not None:
            out["path"] = _portable(self.path, project_root)
        if self.url is not None:
            out["git"] = self.url
            out["rev"] = self.rev
        if self.archive is not None:
            out["archive"] = self.archive
            out["sha256"] = self.sha256
        if self.subdir and (self.url is not None or self.archive is not None):
            out["subdir"] = self.subdir
        return out

    @classmethod
    def from_lock(cls, table: dict, project_root: Path) -> Source:
        kind = next(k for k in ("registry", "git", "archive", "path") if k in table)
        text = {k: (str(v) if v is not None else None) for k, v in table.items()}
        return cls(kind=kind, registry=text.get("registry"),
                   index=_absolute(text.get("index"), project_root),
                   path=_absolute(text.get("path"), project_root),
                   url=text.get("git"), rev=text.get("rev"), subdir=text.get("subdir") or "",
                   archive=text.get("archive"), sha256=text.get("sha256"))


def _portable(path: str | None, root: Path | None) -> str | None:
    if path is None or "://" in path or root is None:
        return path
    rel = os.path.relpath(path, root)
    return Path(rel).as_posix()


def _absolute(path: str | None, root: Path) -> str | None:
    if path is None or "://" in path:
        return path
    return os.path.normpath(root / path)


def is_cached(home: Home, source: Source) -> bool:
    """Whether `fetch` would find the files already here (nothing to download or export)."""
    if source.is_archive:
        from nupm.sources.archive import unpacked_dir

        return bool(source.sha256) and unpacked_dir(home, source.sha256, source.subdir).is_dir()
    if source.is_git:
        from nupm.sources.git import export_dir

        return bool(source.rev) and export_dir(home, source.url, source.rev, source.subdir).is_dir()
    return True


def fetch(home: Home, source: Source) -> Path:
    """A directory holding the package's files (a cached git export or archive, or the local directory)."""
    if source.is_archive:
        from nupm.sources import archive, network

        if not source.sha256:
            raise NupmError(f"{source.archive}: no sha256 recorded")
        return archive.checkout(home, network.current(), source.archive, source.sha256, source.subdir)
    if source.is_git:
        from nupm.sources import git

        if not source.rev:
            raise NupmError(f"{source.url}: no commit recorded")
        return git.checkout(home, source.url, source.rev, source.subdir)
    path = Path(source.path)
    if not path.is_dir():
        raise NupmError(f"package directory {path} does not exist")
    return path
