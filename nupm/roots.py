"""gc roots: every environment that uses the store registers one, and a running install registers the
entries it is about to use. Kept apart from maintenance.py because every install, the no-op one included,
passes through here and must not pay for the rest."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from nupm.fsutil import atomic_write, file_lock
from nupm.paths import Home


def root_file(home: Home, env_dir: Path) -> Path:
    # zlib, not hashlib: this runs on every no-op install, and importing hashlib costs more than the
    # whole check. Two independent 32-bit checksums keep collisions out of reach for one user's dirs.
    import zlib

    raw = os.fsencode(env_dir.absolute())
    return home.roots / f"{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}.json"


def is_registered(home: Home, env_dir: Path) -> bool:
    return root_file(home, env_dir).exists()


def register_root(home: Home, env_dir: Path) -> None:
    path = root_file(home, env_dir)
    if not path.exists():  # the no-op install pays one stat
        home.roots.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps({"env_dir": str(env_dir.absolute())}) + "\n")


@contextlib.contextmanager
def installing(home: Home, packages: list) -> Iterator[None]:
    """Mark `packages` live for gc while this process installs them."""
    home.roots.mkdir(parents=True, exist_ok=True)
    path = home.roots / f"install-{os.getpid()}.json"
    entries = [home.entry_name(p.name, p.version, p.hash) for p in packages]
    with file_lock(home.gc_lock):
        atomic_write(path, json.dumps({"pid": os.getpid(), "entries": entries}) + "\n")
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


