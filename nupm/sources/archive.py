"""Archive sources: a `.tar.gz` / `.tgz` / `.tar` or `.zip` by URL, with its sha256 known in advance.

The archive is downloaded through the HTTP cache, checked against its sha256 before anything is
unpacked, and unpacked into the cache once. Unpacking refuses absolute paths, `..`, links of any kind,
devices and other special files, and stops past a size and a file-count limit, so an archive can only
ever create plain files below its own directory. A single top-level directory (`pkg-1.0/`) is
stripped, as pip and cargo do.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from nupm import digest
from nupm.errors import NupmError
from nupm.fsutil import built_beside
from nupm.paths import Home

MAX_BYTES = 1024 * 1024 * 1024  # unpacked: a Nushell release (nu and its plugins) is about 250 MB
MAX_FILES = 20_000


class ArchiveError(NupmError):
    pass


def unpacked_dir(home: Home, sha256: str, subdir: str = "") -> Path:
    """Where the archive's files (of `subdir`) are (or will be) unpacked in the cache."""
    subdir = subdir.strip("/")
    key = f"archive-{sha256[:32]}" + (f"-{digest.sha256(subdir.encode()).hexdigest()[:8]}" if subdir else "")
    return home.checkouts / key


# Archives this process already downloaded to check them (an npm Nushell tarball, checked against npm's sha512
# while locking): the install that follows in the same process unpacks these bytes instead of a second download.
_fetched: dict[str, bytes] = {}


def remember(url: str, data: bytes) -> None:
    _fetched[url] = data


def checkout(home: Home, network, url: str, sha256: str, subdir: str = "") -> Path:
    """The files of `subdir` inside the archive at `url`, unpacked into the cache once."""
    subdir = subdir.strip("/")
    target = unpacked_dir(home, sha256, subdir)
    if target.is_dir():
        return target
    data = _fetched.pop(url, None) or network.client.get(url)
    actual = digest.sha256(data).hexdigest()
    if actual != sha256:
        raise ArchiveError(f"{url}: sha256 {actual} does not match the expected {sha256}; refusing it")
    with built_beside(target) as tmp:
        _unpack(_zip_members(data) if _is_zip(url, data) else _tar_members(data), tmp, subdir, url)
    return target


def _is_zip(url: str, data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04" or url.lower().endswith(".zip")


def _tar_members(data: bytes):
    """(name, kind, mode, reader) per member; kind is "file", "dir" or what it is instead."""
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data))
    except (tarfile.TarError, EOFError, OSError) as e:
        raise ArchiveError(f"not a tar or zip archive ({e})") from None
    # Left open (it reads from memory): members are read after all of them were checked.
    try:
        for m in tar:
            if m.type in (tarfile.XGLTYPE, tarfile.XHDTYPE) or m.name == "pax_global_header":
                continue
            kind = "file" if m.isfile() else "dir" if m.isdir() else (
                "link" if m.issym() or m.islnk() else "special file")
            yield m.name, kind, m.mode, m.size, (lambda m=m: _read_member(tar, m))
    except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
        raise ArchiveError(f"damaged archive ({e})") from None


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    try:
        return tar.extractfile(member).read()
    except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
        raise ArchiveError(f"damaged archive ({e})") from None


def _zip_members(data: bytes):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as e:
        raise ArchiveError(f"not a zip archive ({e})") from None
    for info in archive.infolist():
        mode = info.external_attr >> 16
        kind = "dir" if info.is_dir() else "link" if stat.S_ISLNK(mode) else (
            "file" if not mode or stat.S_ISREG(mode) else "special file")
        yield info.filename, kind, mode, info.file_size, (lambda i=info: _read_zip(archive, i))


def _read_zip(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as e:
        raise ArchiveError(f"damaged archive ({e})") from None


def _unpack(members, dest: Path, subdir: str, url: str) -> None:
    entries = []
    total = 0
    for name, kind, mode, size, read in members:
        path = PurePosixPath(name.replace("\\", "/"))
        if name.startswith("/") or path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
            raise ArchiveError(f"{url}: refusing path {name!r} in archive")
        if kind == "dir":
            continue
        if kind != "file":
            raise ArchiveError(f"{url}: refusing {kind} {name!r} in archive")
        total += size
        if len(entries) >= MAX_FILES or total > MAX_BYTES:
            raise ArchiveError(f"{url}: archive is larger than nupm unpacks ({MAX_FILES} files, "
                               f"{MAX_BYTES // 2**20} MiB)")
        entries.append((path, mode, read))
    prefix = _common_top(entries)
    wanted = PurePosixPath(*prefix, *PurePosixPath(subdir).parts) if subdir else PurePosixPath(*prefix)
    found = False
    for path, mode, read in entries:
        rel = path.relative_to(wanted) if _below(path, wanted) else None
        if rel is None:
            continue
        found = True
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        content = read()
        if len(content) > MAX_BYTES:
            raise ArchiveError(f"{url}: a member is larger than nupm unpacks")
        out.write_bytes(content)
        os.chmod(out, 0o755 if mode & 0o100 else 0o644)
    if not found:
        raise ArchiveError(f"{url}: no files{f' under {subdir}' if subdir else ''} in the archive")


def _common_top(entries) -> tuple[str, ...]:
    tops = {p.parts[0] for p, _, _ in entries if len(p.parts) > 1}
    loose = any(len(p.parts) == 1 for p, _, _ in entries)
    return (tops.pop(),) if len(tops) == 1 and not loose else ()


def _below(path: PurePosixPath, base: PurePosixPath) -> bool:
    return not base.parts or path.parts[:len(base.parts)] == base.parts
