"""`nupm test`: every exported command of tests/ whose name starts with `test`, each in its own nu
process, in parallel, with the package's environment active.

A test passes when its process exits 0; one that raises an error whose message starts with `SKIP`
(`error make {msg: "SKIP: needs a network"}`) is skipped.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from nupm.activation.quoting import quote_nu
from nupm.errors import NupmError

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_SKIP = re.compile(r"^\s*[×x]\s+SKIP\b", re.M)  # how nu renders `error make {msg: "SKIP..."}`


@dataclass
class TestResult:
    name: str
    status: str  # passed | failed | skipped
    output: str
    seconds: float


def _prelude(lib_dir: Path, tests_dir: Path) -> str:
    # Parse-time constants: the environment's lib dir, its plugins, then the tests module by absolute path.
    from nupm.launch import plugin_lines

    return (f"const NU_LIB_DIRS = [{quote_nu(str(lib_dir))}]\n{plugin_lines(str(lib_dir.parent))}"
            f"use {quote_nu(str(tests_dir))}\n")


def discover(nu: str, root: Path, lib_dir: Path, env: dict) -> list[str]:
    tests_dir = root / "tests"
    if not (tests_dir / "mod.nu").is_file():
        return []
    code = _prelude(lib_dir, tests_dir) + 'scope commands | where name starts-with "tests test" | get name | to json -r'
    proc = subprocess.run([nu, "--no-config-file", "-c", code], capture_output=True, text=True, cwd=root, env=env)
    if proc.returncode != 0:
        raise NupmError(f"cannot load tests/mod.nu:\n{proc.stderr.strip()}")
    return sorted(name.removeprefix("tests ") for name in json.loads(proc.stdout or "[]"))


def run_one(nu: str, root: Path, lib_dir: Path, env: dict, name: str) -> TestResult:
    code = _prelude(lib_dir, root / "tests") + f"tests {name}"
    start = time.perf_counter()
    proc = subprocess.run([nu, "--no-config-file", "-c", code], capture_output=True, text=True, cwd=root, env=env)
    seconds = round(time.perf_counter() - start, 3)
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode == 0:
        status = "passed"
    elif _SKIP.search(_ANSI.sub("", proc.stderr)):
        status = "skipped"
    else:
        status = "failed"
    return TestResult(name, status, output, seconds)


def run_all(nu: str, root: Path, lib_dir: Path, env: dict, pattern: str | None) -> list[TestResult]:
    names = [n for n in discover(nu, root, lib_dir, env) if not pattern or pattern in n]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return list(pool.map(lambda n: run_one(nu, root, lib_dir, env, n), names))


def summary(results: list[TestResult]) -> str:
    counts = {s: sum(r.status == s for r in results) for s in ("passed", "failed", "skipped")}
    line = f"{counts['passed']} passed, {counts['failed']} failed"
    return line + (f", {counts['skipped']} skipped" if counts["skipped"] else "")


def as_json(results: list[TestResult]) -> str:
    counts = {s: sum(r.status == s for r in results) for s in ("passed", "failed", "skipped")}
    return json.dumps({"tests": [asdict(r) for r in results], **counts}, indent=2)
