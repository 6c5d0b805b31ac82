"""`nupm trust [DIR]` and `nupm untrust [DIR]`: let the cd hooks activate an environment nupm did not build
here (or stop them), like `direnv allow` and `mise trust`."""

from __future__ import annotations

from pathlib import Path

from nupm import trust
from nupm.commands import status
from nupm.errors import NupmError
from nupm.paths import ENV_DIR, Home


def _root(directory: str | None) -> Path:
    """The nearest directory at or above DIR with a generated environment, as the hooks find it."""
    start = Path(directory or ".").absolute()
    for candidate in (start, *start.parents):
        if (candidate / ENV_DIR / "stamp").is_file():
            return candidate
    raise NupmError(f"no {ENV_DIR}/ environment in {start} or any parent directory")


def run_trust(args) -> int:
    root = _root(args.dir)
    trust.vouch(Home.current(), root, root / ENV_DIR)
    status(f"trusted {root}: the cd hooks activate its {ENV_DIR}/ until its files change")
    return 0


def run_untrust(args) -> int:
    root = _root(args.dir) if args.dir is None or (Path(args.dir) / ENV_DIR).exists() else Path(args.dir).absolute()
    removed = trust.forget(Home.current(), root)
    status(f"{'no longer trusted' if removed else 'was not trusted'}: {root}")
    return 0
