"""`nupm check`: the manifest and the package's files, and every .nu file parsed by the real nu
with the environment's modules importable (`nu -I <lib> --ide-check`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from nupm.errors import display_path
from nupm.fsutil import IGNORED_NAMES
from nupm.manifest import Manifest


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


def nu_files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*.nu")):
        if not any(part in IGNORED_NAMES for part in path.relative_to(root).parts):
            found.append(path)
    return found


def layout_problems(manifest: Manifest) -> list[Problem]:
    """What the package type promises must exist."""
    root, name = manifest.root, manifest.name
    where = display_path(manifest.path)
    needed = {"module": [f"{name}/mod.nu"], "script": [f"{name}.nu"], "custom": ["build.nu"]}[manifest.type]
    return [Problem(where, 1, 1, f"a {manifest.type} package needs {rel}")
            for rel in [*needed, *manifest.scripts] if not (root / rel).is_file()]


def _position(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line = before.count(b"\n") + 1
    col = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
    return line, col


def parse_problems(nu: str, file: Path, lib_dir: Path) -> list[Problem]:
    try:
        proc = subprocess.run([nu, "--no-config-file", "-I", str(lib_dir), "--ide-check", "100", str(file)],
                              capture_output=True, text=True, cwd=file.parent, check=False)
    except FileNotFoundError:
        from nupm.errors import NupmError

        raise NupmError(f"{nu} is not installed: checking .nu files needs it (NUPM_NU names another)") from None
    data = file.read_bytes()
    problems = set()
    for line in proc.stdout.splitlines():
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if item.get("type") == "diagnostic" and item.get("severity") == "Error":
            row, col = _position(data, item["span"]["start"])
            problems.add(Problem(display_path(file), row, col, item["message"]))
    return sorted(problems)


def check_files(nu: str, files: list[Path], lib_dir: Path) -> list[Problem]:
    with ThreadPoolExecutor() as pool:
        results = pool.map(lambda f: parse_problems(nu, f, lib_dir), files)
    return [p for problems in results for p in problems]


def other_nushells(store: Path, users: str, current: str) -> list[tuple[str, str]]:
    """(version, binary) of every Nushell but `current`: those nupm installed into the store ([tool] nu)
    and the user's own nu (`users`); newest first, each binary once."""
    from nupm.nushell import version_of
    from nupm.store import StoreEntry
    from nupm.versions import Version, VersionError

    found: dict[str, str] = {}
    for marker in sorted(store.glob("nushell-*.json")):
        entry = StoreEntry.read(marker.with_suffix(""), marker)  # None: being installed, or damaged
        if entry is not None and "nu" in entry.binaries:
            found[os.path.realpath(entry.path / entry.binaries["nu"])] = entry.version
    user = os.path.realpath(shutil.which(users) or users)
    if user not in found and (version := version_of(user)) is not None:
        found[user] = str(version)
    found.pop(os.path.realpath(shutil.which(current) or current), None)

    def order(item):
        try:
            return Version(item[0])
        except VersionError:
            return Version("0.0.0")

    return sorted(((v, b) for b, v in found.items()), key=order, reverse=True)


def parses_elsewhere(files: list[Path], nushells: list[tuple[str, str]], lib_dir: Path) -> dict[Path, str]:
    """For each file, the newest of `nushells` (version, binary) on which it parses without error."""
    found = {}
    for file in files:
        for version, binary in nushells:
            if not parse_problems(binary, file, lib_dir):
                found[file] = version
                break
    return found
