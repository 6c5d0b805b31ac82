"""The no-op fast path: `nupm install`, `nupm activate` and `nupm run` in a project that is already in sync
answer from file metadata alone, importing nothing but this module (and json).

A full sync ends by recording (`record`) the metadata of every file whose change could make the next sync
do anything: the manifest and the lock, every file and link of `.nupm/`, the store markers of the locked
packages, the gc root, the trust record, every file of path dependencies, and nupm's own code. Each is
kept as (mtime, ctime, size, inode). The next command compares them (`check`); if all are equal, what the
full sync would do is nothing, so the answer recorded with them (the activation line, the variables for
`run`) is given at once. Anything unexpected falls back to the full path.

Like git's index, a file changed within moments of the record could keep its mtime (file systems stamp
times at a coarse tick), so a file whose mtime is that close to the record is never trusted from metadata.

The record is a text file of tab-separated lines with every value escaped (`unicode_escape`), read with
str methods alone: json would cost the fast path a quarter of its time, and the file sits in a directory
a repository could ship, so nothing that can run code (pickle, marshal) reads it. The environment is
generated with the file in it, empty, and each record rewrites it in place, so recording never changes
`.nupm/` itself (a no-op install leaves the directory as it was); a last line with the CRC-32 of the rest
makes a torn write read as no record at all.
"""

from __future__ import annotations

import os
import sys
import zlib

STATE = "sync-state"
FORMAT = 1
RACY_NS = 50_000_000  # changes closer than this to the record are not told apart by mtime
ENVIRON = ("NUPM_HOME", "XDG_DATA_HOME", "HOME")  # what decides where NUPM_HOME is


def _signature(path: str) -> list[int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino]


def _code_files() -> list[str]:
    """nupm's own files: a changed nupm may generate other files, so its code is part of the record."""
    here = os.path.dirname(os.path.abspath(__file__))
    found = []
    stack = [here]
    while stack:
        directory = stack.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.name == "__pycache__":
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    found.append(entry.path)
    return sorted(found)


def _tree_files(root: str) -> list[str]:
    """Every file and directory below a path dependency (a change anywhere changes its hash)."""
    found = [root]
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in (".git", ".nupm")]
        found.extend(os.path.join(directory, name) for name in (*dirs, *files))
    return found


def _escape(text: str) -> str:
    return text.encode("unicode_escape").decode("ascii")


def _unescape(text: str) -> str:
    return text.encode("ascii").decode("unicode_escape")


def record(env_dir: str, watched: list[str], trees: list[str], answers: dict) -> None:
    """Write the record after a successful sync (under the project's lock): `watched` files and every file
    of the `trees` (path dependencies), and the `answers` the fast path gives while they stay as they are:
    packages (a count), activate (shell -> line), path and lib_dirs (lists), variables and tasks (tables),
    name and root."""
    import time

    rows = [["nupm-sync-state", str(FORMAT), sys.version, str(time.time_ns())]]
    rows += [["env", name, os.environ.get(name, "\0")] for name in ENVIRON]
    for path in [*watched, *(p for tree in trees for p in _tree_files(tree)), *_code_files()]:
        kept = _signature(path)
        rows.append(["file", path, *(map(str, kept) if kept else ["-"])])
    rows.append(["packages", str(answers["packages"])])
    rows += [["activate", shell, line] for shell, line in answers["activate"].items()]
    rows += [[key, value] for key in ("name", "root") for value in [answers[key]]]
    rows += [["path", entry] for entry in answers["path"]] + [["lib", entry] for entry in answers["lib_dirs"]]
    rows += [["var", k, v] for k, v in answers["variables"].items()]
    rows += [["task", k, v] for k, v in answers["tasks"].items()]
    body = "".join("\t".join(map(_escape, row)) + "\n" for row in rows)
    text = f"{body}end\t{zlib.crc32(body.encode('ascii'))}\n"
    path = os.path.join(env_dir, STATE)
    with open(path, "r+" if os.path.exists(path) else "w", encoding="ascii") as f:
        f.write(text)
        f.truncate()


def _parse(text: str) -> tuple[int, dict[str, list[int] | None], dict]:
    """(recorded ns, files, answers) of a record in this nupm's and this Python's format; ValueError else."""
    body, _, trailer = text.rstrip("\n").rpartition("\n")
    if trailer != f"end\t{zlib.crc32((body + chr(10)).encode('ascii'))}":
        raise ValueError("torn or foreign record")
    lines = [[_unescape(f) for f in line.split("\t")] for line in body.split("\n") if line]
    head = lines[0] if lines else []
    if head[:3] != ["nupm-sync-state", str(FORMAT), sys.version] or len(head) != 4:
        raise ValueError("another format")
    files: dict[str, list[int] | None] = {}
    answers: dict = {"activate": {}, "path": [], "lib_dirs": [], "variables": {}, "tasks": {}}
    for row in lines[1:]:
        kind, rest = row[0], row[1:]
        if kind == "env" and len(rest) == 2:
            if os.environ.get(rest[0], "\0") != rest[1]:
                raise ValueError("another environment")
        elif kind == "file" and len(rest) in (2, 5):
            files[rest[0]] = None if rest[1:] == ["-"] else [int(n) for n in rest[1:]]
        elif kind == "packages" and len(rest) == 1:
            answers["packages"] = int(rest[0])
        elif kind in ("name", "root") and len(rest) == 1:
            answers[kind] = rest[0]
        elif kind in ("path", "lib") and len(rest) == 1:
            answers["path" if kind == "path" else "lib_dirs"].append(rest[0])
        elif kind in ("activate", "var", "task") and len(rest) == 2:
            answers[{"activate": "activate", "var": "variables", "task": "tasks"}[kind]][rest[0]] = rest[1]
        else:
            raise ValueError(f"unknown line {kind!r}")
    if not all(key in answers for key in ("packages", "name", "root")):
        raise ValueError("incomplete")
    return int(head[3]), files, answers


def check(root: str) -> dict | None:
    """The recorded answers when nothing changed since the record in `root`'s .nupm/, else None."""
    try:
        with open(os.path.join(root, ".nupm", STATE), encoding="ascii") as f:
            recorded, files, answers = _parse(f.read())
        if set(_code_files()) - set(files):
            return None
        newest = recorded - RACY_NS
        for path, kept in files.items():
            now = _signature(path)
            if now != kept or (now is not None and now[0] >= newest):
                return None
        return answers
    except (OSError, ValueError, IndexError):  # UnicodeError is a ValueError
        return None


def project_root(start: str) -> str | None:
    """The directory of the nearest nupm.toml or nupm.nuon at or above `start` (`manifest.find_manifest`
    is this walk too)."""
    directory = os.path.abspath(start)
    while True:
        if os.path.isfile(os.path.join(directory, "nupm.toml")) or os.path.isfile(
                os.path.join(directory, "nupm.nuon")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def up_to_date(packages: int) -> str:
    """What `nupm install` says when there was nothing to do (here and on the full path)."""
    return f"Up to date: {packages} package{'' if packages == 1 else 's'}"


# -- the commands ----------------------------------------------------------------------------------
def run(argv: list[str]) -> int | None:
    """Handle argv here when it is a no-op this module can prove; None: take the full path."""
    if argv == ["--version"]:
        from nupm import __version__

        print(f"nupm {__version__}")
        return 0
    if not argv or argv[0] not in ("install", "activate", "run"):
        return None
    command, rest = argv[0], argv[1:]
    if command == "install" and rest not in ([], ["--locked"], ["--frozen"]):
        return None
    if command == "activate" and not (rest == [] or (len(rest) == 2 and rest[0] == "--shell")):
        return None
    if command == "run" and (not rest or rest[0].startswith("-")):
        return None
    root = project_root(os.getcwd())
    answers = check(root) if root else None
    if answers is None:
        return None
    if command == "install":
        print(up_to_date(answers["packages"]), file=sys.stderr)
        return 0
    if command == "activate":
        return _activate(answers, rest[1] if rest else None)
    return _run(answers, rest)


def _activate(answers: dict, shell: str | None) -> int | None:
    if shell is None:
        return None  # detecting the shell is the full path's work
    line = answers["activate"].get(shell)
    if line is None:
        return None  # not a shell: the full path says so
    print(line)
    return 0


def _run(answers: dict, cmd: list[str]) -> int | None:
    from nupm.launch import environ, task_argv

    env = environ(dict(os.environ), answers["path"], answers["variables"], answers["name"], answers["root"])
    task = answers["tasks"].get(cmd[0])
    if task is not None:
        cmd = task_argv(task, cmd[1:], answers["lib_dirs"], answers["path"])
    sys.stdout.flush()
    try:
        os.execvpe(cmd[0], cmd, env)
    except OSError:
        return None  # the full path reports it in its words
