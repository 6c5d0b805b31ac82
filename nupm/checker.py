"""`nupm check`: the manifest and the package's files, and every .nu file parsed by the real nu
with the environment's modules importable (`nu -I <lib> --ide-check`)."""

from __future__ import annotations

import json
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
