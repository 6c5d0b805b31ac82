"""Git sources through the real git CLI: a bare mirror per URL, trees exported per commit.

A tag or branch is resolved to the full commit sha, which is what the lock records.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

from nupm import digest
from nupm.errors import NupmError
from nupm.fsutil import built_beside, file_lock
from nupm.paths import Home

_SHA = 40


class GitError(NupmError):
    pass


class Offline(GitError):
    pass


def _git(*args: str, cwd: Path | None = None, binary: bool = False):
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"}
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, env=env, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed; it is needed for git dependencies") from None
    if proc.returncode != 0:
        # git's own words, every line of them (the last is often only "fatal: …" without the cause).
        words = [line.strip() for line in proc.stderr.decode(errors="replace").splitlines() if line.strip()]
        said = "\n".join(f"  git: {line}" for line in words) or f"  git: exit {proc.returncode}"
        raise GitError(f"git {args[0]} failed:\n{said}")
    return proc.stdout if binary else proc.stdout.decode().strip()


def _offline() -> bool:
    from nupm.sources import network

    return network.current().offline


def _url_key(url: str) -> str:
    return digest.sha256(url.encode()).hexdigest()[:16]


def mirror(home: Home, url: str, refresh: bool) -> Path:
    """The bare mirror of `url`, cloned on first use and fetched when `refresh`."""
    path = home.git_mirrors / _url_key(url)
    with file_lock(home.git_lock(path)):
        if not (path / "HEAD").exists():
            if _offline():
                raise Offline(f"offline: {url} has never been cloned into the cache (run once without --offline)")
            with built_beside(path, replace=True) as tmp:  # replaces a mirror a killed clone left half-made
                _git("clone", "--quiet", "--mirror", "--", url, str(tmp))
        elif refresh and not _offline():
            _git("fetch", "--quiet", "--prune", "--tags", "origin", cwd=path)
    return path


def _has_commit(repo: Path, sha: str) -> bool:
    try:
        _git("cat-file", "-e", f"{sha}^{{commit}}", cwd=repo)
    except GitError:
        return False
    return True


def _is_branch(repo: Path, ref: str) -> bool:
    try:
        _git("show-ref", "--verify", "--quiet", f"refs/heads/{ref}", cwd=repo)
    except GitError:
        return False
    return True


def resolve_ref(home: Home, url: str, kind: str | None, ref: str | None) -> str:
    """Full commit sha for a tag, branch, (possibly short) rev, or the remote's HEAD.

    A registry row's revision (`kind` "rev") may be any of a full or short sha, a tag or a branch: what
    the mirror already has is used without going online, except a branch, which moves."""
    repo = mirror(home, url, refresh=False)
    if kind == "rev" and ref and not _is_branch(repo, ref):
        try:
            return _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=repo)
        except GitError:
            pass
    # Branches move, so they refresh; tags and revisions only when the mirror lacks them.
    if kind in (None, "branch") or kind == "rev":
        repo = mirror(home, url, refresh=True)
    spec = {"tag": f"refs/tags/{ref}", "branch": f"refs/heads/{ref}", "rev": ref, None: "HEAD"}[kind]
    for attempt in range(2):
        try:
            return _git("rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}", cwd=repo)
        except GitError:
            if attempt == 0 and kind in ("tag", "rev"):
                repo = mirror(home, url, refresh=True)
    what = {"tag": "tag", "branch": "branch", "rev": "revision", None: "HEAD"}[kind]
    offline = " (offline: the cached clone may be out of date)" if _offline() else ""
    raise GitError(f"{url}: no {what} {ref or ''}".rstrip() + f" in the repository{offline}")


def export_dir(home: Home, url: str, sha: str, subdir: str = "") -> Path:
    """Where the files of `subdir` at `sha` are (or will be) exported in the cache."""
    subdir = subdir.strip("/")
    key = f"{_url_key(url)}-{sha}" + (f"-{digest.sha256(subdir.encode()).hexdigest()[:8]}" if subdir else "")
    return home.checkouts / key


def checkout(home: Home, url: str, sha: str, subdir: str = "") -> Path:
    """The files of `subdir` at commit `sha`, exported (no .git) into the cache once."""
    subdir = subdir.strip("/")
    target = export_dir(home, url, sha, subdir)
    if target.is_dir():
        return target
    repo = mirror(home, url, refresh=False)
    if not _has_commit(repo, sha):
        repo = mirror(home, url, refresh=True)
        if not _has_commit(repo, sha):
            raise GitError(f"{url}: commit {sha} not found")
    if subdir and not _is_directory(repo, sha, subdir):
        raise GitError(f"{url}: there is no directory {subdir!r} at commit {sha[:12]}")
    archive = _git("archive", "--format=tar", sha, *([subdir] if subdir else []), cwd=repo, binary=True)
    with built_beside(target) as tmp:
        extract_tar(archive, tmp, subdir)
    return target


def _is_directory(repo: Path, sha: str, subdir: str) -> bool:
    try:
        return _git("cat-file", "-t", f"{sha}:{subdir}", cwd=repo) == "tree"
    except GitError:
        return False


def extract_tar(archive: bytes, dest: Path, subdir: str) -> None:
    """Unpack regular files and directories only: links, devices and escaping paths are refused."""
    prefix = subdir + "/" if subdir else ""
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar:
            name = member.name
            parts = Path(name).parts
            if name.startswith("/") or ".." in parts:
                raise GitError(f"refusing path {name!r} in git tree")
            if member.isdir() or member.type == tarfile.XGLTYPE or name == "pax_global_header":
                continue
            if not member.isfile():
                raise GitError(f"refusing {'link' if member.issym() or member.islnk() else 'special file'} "
                               f"{name!r} in git tree")
            rel = name[len(prefix):] if prefix and name.startswith(prefix) else name
            out = dest / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as src, open(out, "wb") as dst:
                dst.write(src.read())
            os.chmod(out, 0o755 if member.mode & 0o100 else 0o644)
