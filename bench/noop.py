"""No-op commands, nupm against uv, in one run (not a test: it prints figures and ratios, it does not fail).

    pip install '.[bench]'      # nupm as a user installs it (a console script), and uv
    python bench/noop.py        # medians of --runs (default 40) runs each

Measured in an up-to-date project of 50 packages, each command as a user runs it (the `nupm` console script
on PATH, else `python -m nupm`):
  nupm install / run true / activate --shell bash   against `uv sync` (and `uv run true`) in an up-to-date
                                                    uv project of 50 local packages (empty wheels, offline)
  nupm --version                                    against `python -I -S -c pass`, the floor of any Python
                                                    program

Ratios are nupm / peer. Everything lives in a temp dir: HOME, XDG dirs, NUPM_HOME, NUPM_CONFIG, UV_CACHE_DIR.
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
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from conftest import make_registry, write_package  # noqa: E402

PACKAGES = 50


def nupm_cmd() -> list[str]:
    exe = shutil.which("nupm")
    return [exe] if exe else [sys.executable, "-m", "nupm"]


def median_ms(cmd: list[str], cwd: Path, env: dict, runs: int) -> float:
    subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=True)  # warm-up (and proof it works)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def empty_wheel(directory: Path, name: str, version: str) -> None:
    dist = f"{name}-{version}.dist-info"
    files = {f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: nupm-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
             f"{name}/__init__.py": ""}
    record = "".join(f"{path},,\n" for path in files) + f"{dist}/RECORD,,\n"
    with zipfile.ZipFile(directory / f"{name}-{version}-py3-none-any.whl", "w") as wheel:
        for path, text in {**files, f"{dist}/RECORD": record}.items():
            wheel.writestr(path, text)


def uv_project(root: Path, env: dict) -> Path:
    wheels = root / "wheels"
    wheels.mkdir(parents=True)
    names = [f"pkg{i:02d}" for i in range(PACKAGES)]
    for name in names:
        empty_wheel(wheels, name, "1.0.0")
    project = root / "uvproj"
    project.mkdir()
    deps = ", ".join(f'"{n}>=1"' for n in names)
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "bench"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = [{deps}]\n\n'
        f'[tool.uv]\nno-index = true\nfind-links = ["{wheels}"]\npackage = false\n')
    subprocess.run(["uv", "sync", "--offline", "--quiet"], cwd=project, env=env, check=True)
    return project


def nupm_project(root: Path, env: dict) -> Path:
    names = [f"pkg{i:02d}" for i in range(PACKAGES)]
    registry = make_registry(root / "registry", [(n, "1.0.0", {}) for n in names])
    (root / "config.toml").write_text(f'[registries]\nmain = "{registry}"\n')
    project = write_package(root / "nupmproj", "bench", "0.1.0", deps={n: "^1" for n in names})
    with open(project / "nupm.toml", "a") as f:
        f.write('\n[scripts]\nhello = "print hi"\n')
    subprocess.run([*nupm_cmd(), "install"], cwd=project, env=env, check=True, capture_output=True)
    time.sleep(0.1)  # past the fast path's racy window (nupm.fastpath.RACY_NS): the next sync re-records
    subprocess.run([*nupm_cmd(), "install"], cwd=project, env=env, check=True, capture_output=True)
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nupm-bench-noop-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUPM_", "XDG_", "UV_"))}
    env.update(HOME=str(tmp / "home"), NUPM_HOME=str(tmp / "nupm-home"), NUPM_CONFIG=str(tmp / "config.toml"),
               UV_CACHE_DIR=str(tmp / "uv-cache"), XDG_CONFIG_HOME=str(tmp / "home/.config"),
               XDG_DATA_HOME=str(tmp / "home/.local/share"), XDG_CACHE_HOME=str(tmp / "home/.cache"),
               XDG_STATE_HOME=str(tmp / "home/.local/state"), UV_OFFLINE="1", UV_NO_PROGRESS="1")
    (tmp / "home").mkdir()
    try:
        nupm, uv = nupm_project(tmp, env), uv_project(tmp, env)
        floor = median_ms([sys.executable, "-I", "-S", "-c", "pass"], tmp, env, args.runs)
        uv_sync = median_ms(["uv", "sync", "--offline"], uv, env, args.runs)
        uv_run = median_ms(["uv", "run", "--offline", "true"], uv, env, args.runs)
        rows = [
            ("nupm install (no-op)", median_ms([*nupm_cmd(), "install"], nupm, env, args.runs), "uv sync", uv_sync),
            ("nupm run true", median_ms([*nupm_cmd(), "run", "true"], nupm, env, args.runs), "uv run true", uv_run),
            ("nupm activate --shell bash", median_ms([*nupm_cmd(), "activate", "--shell", "bash"], nupm, env,
                                                     args.runs), "uv sync", uv_sync),
            ("nupm --version", median_ms([*nupm_cmd(), "--version"], nupm, env, args.runs),
             "python -I -S -c pass", floor),
        ]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{PACKAGES} packages, medians of {args.runs} runs; nupm is {' '.join(nupm_cmd())}")
    print(f"{'command':<28} {'nupm':>8}  {'peer':<22} {'peer':>8}  ratio")
    for name, ours, peer_name, peer in rows:
        print(f"{name:<28} {ours:6.1f} ms  {peer_name:<22} {peer:6.1f} ms  {ours / peer:.2f}x")


if __name__ == "__main__":
    main()
