"""Filesystem primitives every stage uses: atomic writes, atomic directory swaps, tree hashes.

Every write nupm makes goes through here, so an interrupted nupm leaves the old state or the new.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from nupm.errors import NupmError

# Directories that belong to a working copy, never to a package's content.
IGNORED_NAMES = frozenset({".git", ".nupm", ".hg", ".svn"})


class UnsafeTree(NupmError):
    """A package tree holds something nupm refuses to install."""


def atomic_write(path: Path, data: str | bytes, mode: int | None = None) -> None:
    """Write a file by temp file + rename; keeps the old file's mode unless told. A symlink is followed:
    the file it points to is replaced, and the link stays a link."""
    path = Path(os.path.realpath(path))
    raw = data.encode() if isinstance(data, str) else data
    if mode is None:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{_owner_tag()}", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
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


_held: dict[str, int] = {}  # lock paths this process holds -> depth, so nested holders do not deadlock


@contextlib.contextmanager
def exclusive(path: Path, what: str, say=None) -> Iterator[None]:
    """Hold the lock file `path` for a read-modify-write of `what`. After a second of waiting, `say` is told
    who holds it (`waiting for … (held by pid N)`), so nobody stares at a silent terminal. Re-entrant
    within one process.

    flock(2) directly rather than filelock: this lock is taken by every `nupm install`, the no-op one too,
    and importing filelock costs ~30 ms, half of that whole run. The kernel drops the lock when the process
    dies, so a crash never leaves it held."""
    import fcntl
    import time

    key = str(path)
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline, told = time.monotonic() + 1, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline and not told:
                    told = True
                    if say is not None:
                        say(f"waiting for {what} (held by pid {_read_pid(path)})")
                    fcntl.flock(fd, fcntl.LOCK_EX)  # now simply wait
                    break
                time.sleep(0.02)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _held[key] = 1
        try:
            yield
        finally:
            _held.pop(key, None)
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing releases the flock


def file_lock(path: Path):
    """A filelock lock on `path` (its directory made first): the one way nupm takes store, gc and git locks."""
    from filelock import FileLock

    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path))


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
    from filelock import FileLock

    gate = os.environ["NUPM_PAUSE_LOCK"]
    Path(f"{gate}.{name}").write_text(f"{os.getpid()}\n")
    with FileLock(gate):
        pass


def make_temp_dir(parent: Path, prefix: str) -> Path:
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix + _owner_tag(), dir=parent))


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
    shutil.rmtree(path, onerror=onerror)


def iter_tree(root: Path) -> Iterator[tuple[str, Path, bool]]:
    """Yield (relative posix path, path, executable) for each file, sorted; refuse links and specials."""
    stack = [(root, "")]
    files: list[tuple[str, Path, bool]] = []
    while stack:
        directory, prefix = stack.pop()
        with os.scandir(directory) as it:
            for entry in it:
                if entry.name in IGNORED_NAMES:
                    continue
                rel = prefix + entry.name
                if entry.is_symlink():
                    raise UnsafeTree(f"refusing symlink in package tree: {rel}")
                if entry.is_dir(follow_symlinks=False):
                    stack.append((Path(entry.path), rel + "/"))
                elif entry.is_file(follow_symlinks=False):
                    executable = bool(entry.stat(follow_symlinks=False).st_mode & stat.S_IXUSR)
                    files.append((rel, Path(entry.path), executable))
                else:
                    raise UnsafeTree(f"refusing special file in package tree: {rel}")
    files.sort(key=lambda f: f[0].encode("utf-8", "surrogateescape"))
    yield from files


def file_digest(path: Path) -> str:
    import hashlib

    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def tree_hash(root: Path) -> str:
    """sha256 over sorted relative paths, exec bits and contents: `sha256-<hex>`."""
    import hashlib

    h = hashlib.sha256()
    for rel, path, executable in iter_tree(root):
        line = f"{rel}\0{'x' if executable else '-'}\0{file_digest(path)}\n"
        h.update(line.encode("utf-8", "surrogateescape"))
    return "sha256-" + h.hexdigest()


def copy_tree(src: Path, dst: Path) -> None:
    """Copy a package tree (files and exec bits only) into the empty or missing `dst`."""
    dst.mkdir(parents=True, exist_ok=True)
    for rel, path, executable in iter_tree(src):
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        os.chmod(target, 0o755 if executable else 0o644)


def make_read_only(root: Path) -> None:
    """Files and directories lose their write bits; exec bits stay as they were.

    The whole tree is checked first and nothing is changed if it holds a link or a special file: chmod
    follows links, so changing first would reach whatever a link points at, anywhere on the machine."""
    files, dirs = [], []
    stack = [Path(root)]
    while stack:
        directory = stack.pop()
        dirs.append(directory)
        with os.scandir(directory) as it:
            for entry in it:
                if entry.is_symlink():
                    raise UnsafeTree(f"refusing symlink in package tree: {Path(entry.path).relative_to(root)}")
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    files.append((entry.path, entry.stat(follow_symlinks=False).st_mode))
                else:
                    raise UnsafeTree(f"refusing special file in package tree: {Path(entry.path).relative_to(root)}")
    for path, mode in files:
        os.chmod(path, stat.S_IMODE(mode) & ~0o222)
    for directory in reversed(dirs):
        os.chmod(directory, 0o555)
