"""Activation benchmarks, side by side with virtualenv in one run (not tests: they print figures).

    pip install virtualenv && python bench/activation.py

1. bash, zsh, fish: `source activate` + `deactivate`, repeated inside one shell process, for nupm's
   generated module and for virtualenv's own activate script (target for bash: <= 1/5 of virtualenv).
2. nu: `nu -n -c 'overlay use …'` against `nu -n -c ''` (target: <= 2 ms added), virtualenv's
   activate.nu alongside.
"""

from __future__ import annotations

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

LOOPS = 300


def quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def shell_loop(shell: str, activate: Path, loops: int) -> float:
    """Seconds per activate+deactivate, measured by the shell's own loop, minus an empty loop."""
    body = {
        "fish": f"for i in (seq {loops}); source {quote(str(activate))}; deactivate; end",
        "bash": f"for ((i=0; i<{loops}; i++)); do source {quote(str(activate))}; deactivate; done",
        "zsh": f"for ((i=0; i<{loops}; i++)); do source {quote(str(activate))}; deactivate; done",
    }[shell]
    argv = {"bash": ["bash", "--norc", "--noprofile", "-c"], "zsh": ["zsh", "-f", "-c"],
            "fish": ["fish", "--no-config", "-c"]}[shell]
    env = {**os.environ, "PS1": "$ "}
    best = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([*argv, body], check=True, env=env, capture_output=True)
        best.append(time.perf_counter() - start)
    start = time.perf_counter()
    subprocess.run([*argv, "true"], check=True, env=env, capture_output=True)
    startup = time.perf_counter() - start
    return (min(best) - startup) / loops


def nu_runs(nu: str, code: str, runs: int = 80) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([nu, "-n", "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    # The fastest quarter: what the code costs when the machine is not busy with something else.
    times.sort()
    return statistics.mean(times[: max(1, runs // 4)])


def setup(tmp: Path) -> tuple[Path, Path]:
    """A nupm project env with 5 modules, a command and 3 variables; a virtualenv beside it."""
    packages = [(f"mod{i}", "1.0.0", {}) for i in range(5)] + [("cmd", "1.0.0", {}, "script")]
    registry = make_registry(tmp / "reg", packages)
    (tmp / "config.toml").write_text(f'[registries]\nmain = "{registry}"\n')
    project = write_package(tmp / "proj", "bench", "0.1.0", deps={**{f"mod{i}": "*" for i in range(5)}, "cmd": "*"})
    with open(project / "nupm.toml", "a") as f:
        f.write('\n[env]\nA = "1"\nB = "two"\nC = "three"\n')
    env = {**os.environ, "NUPM_HOME": str(tmp / "home"), "NUPM_CONFIG": str(tmp / "config.toml")}
    subprocess.run([sys.executable, "-m", "nupm", "install"], cwd=project, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "virtualenv", "-q", "--no-pip", "--no-setuptools", "--no-wheel",
                    str(tmp / "venv")], check=True, capture_output=True)
    return project / ".nupm", tmp / "venv" / "bin"


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="nupm-bench-act-"))
    try:
        env_dir, venv_bin = setup(tmp)
        print(f"{'shell':<6} {'nupm':>10} {'virtualenv':>12}  ratio (nupm / virtualenv)")
        for shell in ("bash", "zsh", "fish"):
            if not shutil.which(shell):
                print(f"{shell:<6} not installed")
                continue
            ours = shell_loop(shell, env_dir / f"activate.{shell}", LOOPS)
            theirs_file = venv_bin / ("activate.fish" if shell == "fish" else "activate")
            theirs = shell_loop(shell, theirs_file, LOOPS)
            note = "  (target for bash: <= 0.20)" if shell == "bash" else ""
            print(f"{shell:<6} {ours * 1e6:8.0f} µs {theirs * 1e6:10.0f} µs  {ours / theirs:.2f}{note}")
        nu = os.environ.get("NUPM_TEST_NU") or shutil.which("nu")
        if nu:
            empty = nu_runs(nu, "")
            ours = nu_runs(nu, f"overlay use '{env_dir / 'bench.nu'}'")
            theirs = nu_runs(nu, f"overlay use '{venv_bin / 'activate.nu'}'")
            print(f"nu     empty {empty * 1000:.1f} ms; nupm overlay +{(ours - empty) * 1000:.2f} ms (target <= 2 ms); "
                  f"virtualenv activate.nu +{(theirs - empty) * 1000:.2f} ms")
        else:
            print("nu     not installed")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
