"""The Nushell that will run packages: which binary, and its version (asked once per process)."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nupm.versions import Version


def binary() -> str:
    """The nu that runs packages: NUPM_NU, else `nu` on PATH (the one place that reads NUPM_NU)."""
    return os.environ.get("NUPM_NU", "nu")


def running_version() -> Version | None:
    """`nu --version` of the nu that runs packages, or None when there is none."""
    return version_of(binary())


@functools.cache
def version_of(nu: str) -> Version | None:
    """`nu --version` of this nu binary, or None when it does not run."""
    import subprocess

    from nupm.versions import Version, VersionError

    try:
        proc = subprocess.run([nu, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    try:
        return Version(proc.stdout.strip().split()[0]) if proc.returncode == 0 and proc.stdout.strip() else None
    except VersionError:
        return None
