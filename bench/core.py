"""Benchmarks of the core pipeline (not tests: they print figures and ratios, they do not fail).

    python bench/core.py            # all three, medians of several runs

1. no-op `nupm install` in an up-to-date 50-package project, against `python -c "import nupm"`
2. installing 50 packages from a warm store into a new project
3. resolving (`nupm lock`) a project over a synthetic 1,000-package registry
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from conftest import make_registry, write_package  # noqa: E402


def nupm_cmd() -> list[str]:
    exe = shutil.which("nupm")
    return [exe] if exe else [sys.executable, "-m", "nupm"]


def timed(cmd: list[str], cwd: Path, env: dict, runs: int, setup=None) -> float:
    times = []
    for _ in range(runs):
        if setup:
            setup()
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return statistics.median(times)


def synthetic_registry(root: Path, count: int, versions: int, with_index: bool) -> list[str]:
    rng = random.Random(42)
    specs = []
    for i in range(count):
        for v in range(versions):
            deps = {f"pkg{j}": f"^1.{rng.randrange(0, 2)}" for j in rng.sample(range(i), min(i, 3))} if i else {}
            specs.append((f"pkg{i}", f"1.{v}.0", deps))
    make_registry(root, specs)
    if with_index:
        from nupm.fsutil import tree_hash

        index: dict = {}
        for name, version, deps in specs:
            pkg = root / "pkgs" / f"{name}-{version}"
            index.setdefault(name, {})[version] = {"type": "module", "hash": tree_hash(pkg), "dependencies": deps,
                                                   "source": {"type": "local", "path": f"pkgs/{name}-{version}"}}
        (root / "nupm-index.json").write_text(json.dumps({"version": 1, "packages": index}))
    return [f"pkg{i}" for i in range(count)]


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="nupm-bench-"))
    env = {**os.environ, "NUPM_HOME": str(tmp / "home"), "NUPM_CONFIG": str(tmp / "config.toml")}
    nupm = nupm_cmd()
    rows = []
    try:
        # 1 + 2: a 50-package project
        names = synthetic_registry(tmp / "reg50", 50, 2, with_index=False)
        (tmp / "config.toml").write_text(f'[registries]\nmain = "{tmp / "reg50"}"\n')
        project = write_package(tmp / "p50", "bench", "0.1.0", deps={n: "*" for n in names})
        subprocess.run([*nupm, "install"], cwd=project, env=env, check=True, capture_output=True)
        base = timed([sys.executable, "-c", "import nupm"], tmp, env, 15)
        noop = timed([*nupm, "install"], project, env, 15)
        rows.append(("no-op install, 50 packages", noop, f"{noop / base:.2f}x `python -c 'import nupm'` "
                     f"({base * 1000:.0f} ms); target <= 2x"))

        fresh = tmp / "fresh"

        def new_project():
            shutil.rmtree(fresh, ignore_errors=True)
            shutil.copytree(project, fresh, ignore=shutil.ignore_patterns(".nupm"))

        warm = timed([*nupm, "install", "--frozen"], fresh, env, 7, setup=new_project)
        rows.append(("50 packages from a warm store", warm, "target <= 300 ms"))

        # 3: resolution over 1,000 packages
        for with_index in (False, True):
            reg = tmp / f"reg1000-{with_index}"
            names = synthetic_registry(reg, 1000, 3, with_index)
            big = write_package(tmp / f"p1000-{with_index}", "big", "0.1.0", deps={n: "*" for n in names[-50:]})
            cfg = tmp / f"config-{with_index}.toml"
            cfg.write_text(f'[registries]\nmain = "{reg}"\n')
            lock_env = {**env, "NUPM_CONFIG": str(cfg)}
            out = subprocess.run([*nupm, "lock"], cwd=big, env=lock_env, capture_output=True, text=True, check=True)
            count = (big / "nupm.lock").read_text().count("[[package]]")
            t = timed([*nupm, "lock"], big, lock_env, 3, setup=lambda b=big: (b / "nupm.lock").unlink())
            label = "with nupm-index.json" if with_index else "nupm.nuon rows only"
            rows.append((f"resolve 1,000-pkg registry ({label})", t, f"{count} packages locked; target <= 1 s"))
            del out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'median':>9}  notes")
    for name, seconds, note in rows:
        print(f"{name:<{width}}  {seconds * 1000:7.0f} ms  {note}")


if __name__ == "__main__":
    main()
