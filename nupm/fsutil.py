"""Filesystem primitives every stage uses: atomic writes, atomic directory swaps, tree hashes.

Every write nupm makes goes through here, so an interrupted nupm leaves the old state or the new.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from nupm.errors import NupmError

# Directories that belong to a working copy, never to a package's content.
IGNORED_NAMES = frozenset({".git", ".nupm", ".hg", ".svn"})


class UnsafeTree(NupmError):
    """A package tree holds something nupm refuses to install."""


def atomic_write(path: Path, data: str | bytes, mode: int | None = None, durable: bool = True) -> None:
    """Write a file by temp file + rename; keeps the old file's mode unless told. A symlink is followed:
    the file it points to is replaced, and the link stays a link. `durable=False` skips the fsync, for a
    file whose loss in a crash only means work is redone (a store marker)."""
    path = Path(os.path.realpath(path))
    raw = data.encode() if isinstance(data, str) else data
    if mode is None:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = 0o644
    fd, tmp = _new_file(os.fspath(path.parent), f".{path.name}.{_owner_tag()}", ".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(tmp)
        raise


def read_for_edit(path: Path) -> tuple[str, str]:
    """A user's file as text to edit, and its line ending. Bytes that are not UTF-8 (a Latin-1 ~/.bashrc)
    survive as surrogates, and CRLF is read as LF, so `write_edited` gives back every byte not edited."""
    raw = Path(path).read_bytes()
    newline = "\r\n" if raw.count(b"\r\n") > raw.count(b"\n") / 2 else "\n"
    text = raw.decode("utf-8", "surrogateescape")
    return (text.replace("\r\n", "\n") if newline == "\r\n" else text), newline


def write_edited(path: Path, text: str, newline: str = "\n") -> None:
    """Write text from `read_for_edit` back atomically (through a symlink), in the file's own line ending."""
    if newline != "\n":
        text = text.replace("\r\n", "\n").replace("\n", newline)
    atomic_write(path, text.encode("utf-8", "surrogateescape"))


def write_if_changed(path: Path, data: str) -> bool:
    """Atomically write `data` unless the file already holds exactly it."""
    try:
        if path.read_text() == data:
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    atomic_write(path, data)
    return True


def _unlink_quietly(path: str | Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False where the kernel or libc can't."""
    import ctypes  # here, not at the top: the no-op install must start fast

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    res = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return res == 0


def replace_dir(new: Path, target: Path) -> None:
    """Put directory `new` in place of `target`, which may exist; readers see one or the other."""
    if not target.exists():
        os.rename(new, target)
        return
    if _exchange(new, target):
        remove_tree(new)  # `new` now holds the old content
        return
    old = target.with_name(f"{target.name}.old-{_owner_tag()}0")
    os.rename(target, old)
    os.rename(new, target)
    remove_tree(old)


@contextlib.contextmanager
def exclusive(path: Path, what: str, say=None) -> Iterator[None]:
    """Hold the lock file `path` for a read-modify-write of `what`, writing our pid into it. After a second
    of waiting, `say` is told who holds it (`waiting for … (held by pid N)`), so nobody stares at a silent
    terminal. Re-entrant within one thread."""
    def waiting() -> None:
        if say is not None:
            say(f"waiting for {what} (held by pid {_read_pid(path)})")

    with file_lock(path, waiting) as fd:
        if fd is None:  # this thread holds it already, further out
            yield
            return
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)


_held_files: dict[tuple[int, str], int] = {}  # (thread, lock path) -> depth: re-entrant within a thread


@contextlib.contextmanager
def file_lock(path: Path, waiting=None) -> Iterator[int | None]:
    """Hold the lock file `path` (its directory made first): the one way nupm takes its locks (projects,
    global environments, store entries, gc, git mirrors). Yields the file's descriptor, or None when this
    thread already holds it further out. `waiting` is called once if the lock is still taken after a second.

    flock(2) directly: filelock costs more to import (15-40 ms) than a no-op install may spend, and more per
    lock than copying a small package. A holder may unlink the file (gc drops the locks of the entries it
    removes): a waiter that then wins the flock of the unlinked file takes the one now at the path instead.
    The kernel drops the lock when the process dies, so a crash never leaves it held."""
    import fcntl
    import threading
    import time

    key = (threading.get_ident(), os.fspath(path))
    if key in _held_files:
        _held_files[key] += 1
        try:
            yield None
        finally:
            _held_files[key] -= 1
        return
    deadline = time.monotonic() + 1
    while True:
        try:
            fd = os.open(key[1], os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(key[1]), exist_ok=True)
            continue
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | (fcntl.LOCK_NB if deadline else 0))
                    break
                except BlockingIOError:
                    if time.monotonic() < deadline:
                        time.sleep(0.02)
                        continue
                    deadline = 0  # told once; from now on simply wait
                    if waiting is not None:
                        waiting()
            if os.fstat(fd).st_nlink:
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    _held_files[key] = 1
    try:
        yield fd
    finally:
        del _held_files[key]
        os.close(fd)  # closing drops the flock


def _read_pid(path: Path) -> str:
    try:
        return path.read_text().strip() or "?"
    except OSError:
        return "?"


def pause_point(name: str) -> None:
    """A place where tests stop a running nupm (never used otherwise): with NUPM_PAUSE_AT=name it marks
    `<NUPM_PAUSE_LOCK>.<name>` and waits until the lock the test holds at NUPM_PAUSE_LOCK is free."""
    if os.environ.get("NUPM_PAUSE_AT") != name:
        return
    gate = os.environ["NUPM_PAUSE_LOCK"]
    Path(f"{gate}.{name}").write_text(f"{os.getpid()}\n")
    with file_lock(Path(gate)):
        pass


def make_temp_dir(parent: Path, prefix: str) -> Path:
    parent.mkdir(parents=True, exist_ok=True)
    return Path(_new_name(os.fspath(parent), prefix + _owner_tag(), "", lambda p: os.mkdir(p, 0o700)))


# Temporary names are made here rather than with tempfile: importing tempfile pulls in shutil, random, bz2 and
# lzma, a sixth of a cold install's start-up, for two calls that need only an unused name.
def _new_name(parent: str, prefix: str, suffix: str, make) -> str:
    """`make(path)` for a fresh `<prefix><random><suffix>` in `parent`, retrying names that exist."""
    for _ in range(100):
        path = os.path.join(parent, f"{prefix}{os.urandom(6).hex()}{suffix}")
        try:
            make(path)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(errno.EEXIST, "no unused temporary name", os.path.join(parent, prefix))


def _new_file(parent: str, prefix: str, suffix: str) -> tuple[int, str]:
    """A new file (mode 0600, opened for writing) under a fresh temporary name: (fd, path)."""
    fds = []
    path = _new_name(parent, prefix, suffix, lambda p: fds.append(
        os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)))
    return fds[0], path


# Every temporary name nupm makes ends in `pid<N>-<random>[.tmp]`: whatever a killed nupm left behind can be
# told apart from a live one's work by asking whether process N still runs.
_OWNED = re.compile(r"pid(\d+)-[A-Za-z0-9_]*(?:\.tmp)?\Z")


def _owner_tag() -> str:
    return f"pid{os.getpid()}-"


def is_debris(name: str) -> bool:
    """A temporary name left by a nupm process that no longer runs."""
    found = _OWNED.search(name)
    if found is None or not (".tmp" in name or ".old-" in name):
        return False
    pid = int(found.group(1))
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return False


def debris_in(directory: Path) -> list[Path]:
    try:
        return sorted(p for p in directory.iterdir() if is_debris(p.name))
    except (FileNotFoundError, NotADirectoryError):
        return []


@contextlib.contextmanager
def built_beside(target: Path, replace: bool = False, prefix: str | None = None) -> Iterator[Path]:
    """A temp dir beside `target` to build it in, put in place when the block succeeds and removed when it
    fails (and, if nupm is killed, recognisable as debris by its name). In place means renamed to `target`;
    when `target` exists, swapped for it if `replace` (a reader sees the old tree or the new one, never a
    gap), else dropped: another process built the same content first."""
    tmp = make_temp_dir(target.parent, prefix or f".tmp-{target.name}-")
    try:
        yield tmp
        if replace:
            replace_dir(tmp, target)
        elif target.is_dir():
            remove_tree(tmp)
        else:
            os.rename(tmp, target)
    except BaseException:
        remove_tree(tmp)
        raise


@contextlib.contextmanager
def scratch_dir(parent: Path, prefix: str) -> Iterator[Path]:
    """A temp dir in `parent` for work whose result goes elsewhere; removed however the block ends."""
    tmp = make_temp_dir(parent, prefix)
    try:
        yield tmp
    finally:
        remove_tree(tmp)


def remove_tree(path: Path) -> None:
    """Remove a tree even when nupm made it read-only."""
    if not os.path.lexists(path):
        return
    if path.is_symlink() or not path.is_dir():
        path.unlink()
        return

    def onerror(func, p, _exc):
        os.chmod(os.path.dirname(p), 0o700)
        if os.path.isdir(p) and not os.path.islink(p):
            os.chmod(p, 0o700)
        func(p)

    for dirpath, dirnames, _ in os.walk(path):
        os.chmod(dirpath, 0o700)
        for d in dirnames:
            full = os.path.join(dirpath, d)
            if not os.path.islink(full):
                os.chmod(full, 0o700)
    import shutil  # here: it pulls in bz2 and lzma, which an install that removes nothing does not need

    shutil.rmtree(path, onerror=onerror)


def _walk(root: str) -> list[tuple[str, str]]:
    """(relative posix path, path) of every file below `root`, in no order; refuses links and special files
    (before anything is read or written). Strings, not Paths, and d_type, not stat: this is the hot loop of
    every install, hash and copy."""
    files: list[tuple[str, str]] = []
    stack = [(root, "")]
    while stack:
        directory, prefix = stack.pop()
        with os.scandir(directory) as it:
            for entry in it:
                name = entry.name
                if name in IGNORED_NAMES:
                    continue
                if entry.is_symlink():
                    raise UnsafeTree(f"refusing symlink in package tree: {prefix + name}")
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, prefix + name + "/"))
                elif entry.is_file(follow_symlinks=False):
                    files.append((prefix + name, entry.path))
                else:
                    raise UnsafeTree(f"refusing special file in package tree: {prefix + name}")
    return files


# Opening a file of a package tree: never through a link swapped in after the walk (ELOOP), never blocking on
# a FIFO swapped in (O_NONBLOCK; the fstat then refuses it).
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_CHUNK = 1 << 20


def _open_regular(path: str, rel: str) -> tuple[int, os.stat_result]:
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise UnsafeTree(f"refusing symlink in package tree: {rel}") from None
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise UnsafeTree(f"refusing special file in package tree: {rel}")
    return fd, st


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def open_new(path: str, mode: int | None = None, exclusive: bool = False) -> int:
    """A file opened for writing, truncated (or, if `exclusive`, new): with exactly `mode` when given (the
    umask cannot take bits away), else 0o666 less the umask as open() makes it. Its descriptor."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o666 if mode is None else mode)
    if mode is not None and mode & process_umask():
        try:
            os.fchmod(fd, mode)  # the umask took bits the mode must have: set them as asked
        except BaseException:
            os.close(fd)
            raise
    return fd


def write_new(path: str, data: bytes, mode: int | None = None) -> None:
    """Write a file nobody else sees yet (in a directory being built) with one open, write and close."""
    fd = open_new(path, mode)
    try:
        write_all(fd, data)
    finally:
        os.close(fd)


def _pump(src: int, size: int, digest, dst: int | None) -> None:
    """Read `src` to its end into `digest` (and `dst`): one read() for a file no bigger than the size fstat
    gave, since a short read of a regular file is its end."""
    want = min(size + 1, _CHUNK)
    while True:
        chunk = os.read(src, want)
        if chunk:
            digest.update(chunk)
            if dst is not None:
                write_all(dst, chunk)
        if len(chunk) < want:
            return
        want = _CHUNK


def _line(rel: str, executable: bool, hexdigest: str) -> bytes:
    return f"{rel}\0{'x' if executable else '-'}\0{hexdigest}\n".encode("utf-8", "surrogateescape")


def _combine(lines: list[tuple[str, bytes]]) -> str:
    from nupm.digest import sha256

    lines.sort(key=lambda item: item[0].encode("utf-8", "surrogateescape"))
    return "sha256-" + sha256(b"".join(line for _, line in lines)).hexdigest()


def tree_hash(root: Path) -> str:
    """sha256 over sorted relative paths, exec bits and contents: `sha256-<hex>`."""
    return _combine(list(_hash_files(_walk(os.fspath(root)))))


def copy_tree(src: Path, dst: Path, read_only: bool = False) -> str:
    """Copy a package tree (files and exec bits only) into the empty or missing `dst`; its `tree_hash`.

    Each file is read once: the hash is taken from the bytes as they are written, so it is the hash of the
    copy (the copy's files are new, nobody else writes them). With `read_only` the files are created without
    write bits and the directories lose theirs at the end: `make_read_only` need not walk the tree again."""
    files = _walk(os.fspath(src))
    dst = os.fspath(dst)
    os.makedirs(dst, exist_ok=True)
    made = {""}
    for rel, _ in files:
        parent = rel.rpartition("/")[0]
        if parent not in made:
            _make_parents(dst, parent, made)
    lines = list(_hash_files(files, dst, read_only))
    if read_only:
        for rel in sorted(made, key=len, reverse=True):
            os.chmod(os.path.join(dst, rel) if rel else dst, 0o555)
    return _combine(lines)


_BATCH = 64  # files opened at once, their reads announced together


def _hash_files(files: list[tuple[str, str]], dst: str | None = None,
                read_only: bool = False) -> Iterator[tuple[str, bytes]]:
    """(rel, tree-hash line) of each file, copied into `dst` when given. The files are opened a batch at a time
    and their reads announced (POSIX_FADV_WILLNEED) before the first is read: on a cold page cache the disk
    then fetches a package's files together, not one after another (2-3x faster here); a no-op when cached."""
    from nupm.digest import sha256

    advise = getattr(os, "posix_fadvise", None)
    for start in range(0, len(files), _BATCH):
        batch = files[start:start + _BATCH]
        opened: list[tuple[int, os.stat_result]] = []
        try:
            for rel, path in batch:
                opened.append(_open_regular(path, rel))
            if advise is not None and len(opened) > 1:
                for fd, st in opened:
                    if st.st_size:
                        advise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
            for (rel, _), (fd, st) in zip(batch, opened, strict=False):
                executable = bool(st.st_mode & stat.S_IXUSR)
                digest = sha256()
                if dst is None:
                    _pump(fd, st.st_size, digest, None)
                else:
                    mode = (0o555 if executable else 0o444) if read_only else (0o755 if executable else 0o644)
                    out = open_new(os.path.join(dst, rel), mode, exclusive=True)
                    try:
                        _pump(fd, st.st_size, digest, out)
                    finally:
                        os.close(out)
                yield rel, _line(rel, executable, digest.hexdigest())
        finally:
            for fd, _ in opened:
                os.close(fd)


def _make_parents(dst: str, rel: str, made: set[str]) -> None:
    missing = []
    while rel not in made:
        missing.append(rel)
        rel = rel.rpartition("/")[0]
    for rel in reversed(missing):
        try:
            os.mkdir(os.path.join(dst, rel))
        except FileExistsError:
            pass
        made.add(rel)


_umask_bits: int | None = None


def process_umask() -> int:
    """The process umask, read without changing it (os.umask would race other threads); all bits when it
    cannot be read, so callers set modes explicitly."""
    global _umask_bits
    if _umask_bits is None:
        _umask_bits = 0o777
        try:
            with open("/proc/self/status", "rb") as f:
                for line in f:
                    if line.startswith(b"Umask:"):
                        _umask_bits = int(line[6:].strip(), 8)
                        break
        except (OSError, ValueError):
            pass
    return _umask_bits


def make_read_only(root: Path) -> None:
    """Files and directories lose their write bits; exec bits stay as they were.

    The whole tree is checked first and nothing is changed if it holds a link or a special file: chmod
    follows links, so changing first would reach whatever a link points at, anywhere on the machine. Only
    what still has a write bit is changed."""
    root = os.fspath(root)
    changes, dirs = [], []
    stack = [root]
    while stack:
        directory = stack.pop()
        dirs.append(directory)
        with os.scandir(directory) as it:
            for entry in it:
                if entry.is_symlink():
                    raise UnsafeTree(f"refusing symlink in package tree: {os.path.relpath(entry.path, root)}")
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    mode = stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode)
                    if mode & 0o222:
                        changes.append((entry.path, mode & ~0o222))
                else:
                    raise UnsafeTree(f"refusing special file in package tree: "
                                     f"{os.path.relpath(entry.path, root)}")
    for path, mode in changes:
        os.chmod(path, mode)
    for directory in reversed(dirs):
        os.chmod(directory, 0o555)
