"""What private versions cost (not a test: it prints figures).

    python bench/private.py [--sizes 10,50,200]

For k module packages that each `use utils`, two environments of the same shape, side by side in one run:
*shared*, where all need utils ^2 (one version: no shim, no view, nupm as before), and *private*, where every
other one needs ^1 (a private copy for half of them: k shims, k/2 views). For each, the cold `nupm install`
from a warm store (resolve, lock, environment) and `overlay use` of the environment in `nu -n -c` minus an
empty `nu -n -c ''`, and, for reference, the same k modules `use`d from a plain NU_LIB_DIRS directory without
nupm (what a user managing NU_LIB_DIRS by hand gets, where two versions of utils cannot coexist at all).
"""

from __future__ import annotations

import argparse
import os
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


def timed(argv: list[str], runs: int, **kwargs) -> float:
    """Mean of the fastest quarter of `runs` (what it costs on a machine busy with nothing else)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, **kwargs)
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.mean(times[: max(1, runs // 4)])


def project(tmp: Path, k: int, private: bool) -> tuple[Path, dict]:
    """A registry of utils 1 and 2 and k users of it, and a project requiring the k users."""
    users = [(f"user{i}", "1.0.0", {"utils": "^1" if private and i % 2 else "^2"}) for i in range(k)]
    registry = make_registry(tmp / "reg", [("utils", "1.0.0", {}), ("utils", "2.0.0", {}), *users])
    for version in ("1.0.0", "2.0.0"):
        (registry / "pkgs" / f"utils-{version}" / "utils" / "mod.nu").write_text(
            f'export def ver [] {{ "{version}" }}\n')
    for name, _, _ in users:
        (registry / "pkgs" / f"{name}-1.0.0" / name / "mod.nu").write_text(
            'use utils\nexport def hello [] { utils ver }\n')
    (tmp / "config.toml").write_text(f'[registries]\nmain = "{registry}"\n')
    root = write_package(tmp / "proj", "bench", "0.1.0", deps={name: "*" for name, _, _ in users})
    env = {**os.environ, "NUPM_HOME": str(tmp / "home"), "NUPM_CONFIG": str(tmp / "config.toml")}
    return root, env


def install_time(root: Path, env: dict, runs: int) -> float:
    """`nupm install` into a new environment from a warm store: lock and .nupm/ removed before each run."""
    nupm = [sys.executable, "-m", "nupm", "install"]
    subprocess.run(nupm, cwd=root, env=env, check=True, capture_output=True)  # warms the store
    times = []
    for _ in range(runs):
        (root / "nupm.lock").unlink()
        shutil.rmtree(root / ".nupm")
        start = time.perf_counter()
        subprocess.run(nupm, cwd=root, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def by_hand(tmp: Path, k: int) -> Path:
    """The k users and utils 2 in one lib directory, as a user managing NU_LIB_DIRS would lay them out."""
    lib = tmp / "by-hand"
    lib.mkdir()
    for i in range(k):
        shutil.copytree(tmp / "shared" / "reg" / "pkgs" / f"user{i}-1.0.0" / f"user{i}", lib / f"user{i}")
    shutil.copytree(tmp / "shared" / "reg" / "pkgs" / "utils-2.0.0" / "utils", lib / "utils")
    return lib


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,50,200")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    nu = os.environ.get("NUPM_TEST_NU") or shutil.which("nu")
    if not nu:
        sys.exit("needs nu (NUPM_TEST_NU or on PATH)")
    version = subprocess.run([nu, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"nu {version}; {os.cpu_count()} cores; fastest quarter of {args.runs} runs (install: median of 5)")
    print(f"{'k':>4} {'install shared':>15} {'install private':>16} {'ratio':>6}   "
          f"{'overlay use shared':>19} {'private':>9} {'ratio':>6}   {'by hand':>8}")
    empty = timed([nu, "-n", "-c", ""], args.runs)
    for k in (int(s) for s in args.sizes.split(",")):
        tmp = Path(tempfile.mkdtemp(prefix="nupm-bench-private-"))
        try:
            rows = {}
            for kind in ("shared", "private"):
                (tmp / kind).mkdir()
                root, env = project(tmp / kind, k, kind == "private")
                install = install_time(root, env, 5)
                use = f"overlay use '{root / '.nupm' / 'bench.nu'}'; user0 hello; user1 hello"
                rows[kind] = (install, timed([nu, "-n", "-c", use], args.runs) - empty)
            lib = by_hand(tmp, k)
            plain = " ".join(f"use user{i};" for i in range(k))
            hand = timed([nu, "-n", "-I", str(lib), "-c", f"{plain} user0 hello"], args.runs) - empty
            (si, su), (pi, pu) = rows["shared"], rows["private"]
            print(f"{k:>4} {si * 1000:>12.0f} ms {pi * 1000:>13.0f} ms {pi / si:>6.2f}   "
                  f"{su * 1000:>16.1f} ms {pu * 1000:>6.1f} ms {pu / su:>6.2f}   {hand * 1000:>5.1f} ms")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"(overlay use and by hand: minus an empty `nu -n -c ''`, {empty * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
