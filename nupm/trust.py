"""Which project environments the cd hooks may activate: the ones this user's nupm built in that very place,
or that the user trusted by hand (`nupm trust`, like `direnv allow` and `mise trust`).

A record `NUPM_HOME/trusted/<project root>/.nupm-trust` holds the environment's stamp. The hooks check it
with shell builtins only: a trusted environment has a record naming its current stamp, and none of the files
the hooks source (`stamp`, `activate.*`, `.hook.nu`) is newer than the record. So a repository that commits
its own `.nupm/` is never sourced on cd, a copied or moved project is not trusted where it lands, and a
trusted environment whose files change afterwards (a `git pull`) is not trusted any more.
"""

from __future__ import annotations

import os
from pathlib import Path

from nupm.fsutil import atomic_write
from nupm.paths import Home

RECORD = ".nupm-trust"


def _sourced() -> tuple[str, ...]:
    """The files of .nupm/ a hook reads or sources: the stamp and each shell's activation file."""
    from nupm.shells import every_hook_source

    return ("stamp", *every_hook_source())


def record_path(home: Home, root: Path) -> Path:
    return home.trusted / Path(root).absolute().relative_to("/") / RECORD


def _stamp(env_dir: Path) -> str | None:
    try:
        return (env_dir / "stamp").read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None


def is_trusted(home: Home, root: Path, env_dir: Path) -> bool:
    """What the hooks decide, decided the same way in Python."""
    record = record_path(home, root)
    try:
        kept = record.read_text().strip()
        since = record.stat().st_mtime_ns
    except (OSError, UnicodeDecodeError):
        return False
    if kept != _stamp(env_dir):
        return False
    return all(not (env_dir / name).exists() or (env_dir / name).stat().st_mtime_ns <= since for name in _sourced())


def vouch(home: Home, root: Path, env_dir: Path) -> None:
    """Record `env_dir` as trusted at `root` (nupm built or verified it, or the user said so)."""
    stamp = _stamp(env_dir)
    if stamp is None:
        return
    if is_trusted(home, root, env_dir):
        return  # the no-op install pays a read and a few stats
    record = record_path(home, root)
    record.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(record, stamp + "\n")
    # A file written in the same clock tick as the record must not look newer than it.
    now = max([record.stat().st_mtime_ns] + [(env_dir / n).stat().st_mtime_ns for n in _sourced()
                                              if (env_dir / n).exists()])
    os.utime(record, ns=(now, now))


def forget(home: Home, root: Path) -> bool:
    record = record_path(home, root)
    try:
        record.unlink()
    except FileNotFoundError:
        return False
    return True
