"""Per-prompt cost of the shell hook when nothing changed, side by side with direnv and mise.

    apt-get install direnv && npm install --prefix .tools/mise @jdxcode/mise && python bench/hooks.py

Each hook is called in a loop inside one shell process, in a project that all three tools know (a
nupm environment, an allowed .envrc, a trusted mise.toml), the way the shell calls it before each
prompt; the figure is the time per call. Target: nupm >= 20x cheaper than the faster peer in bash and zsh.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def mise_binary() -> str | None:
    local = REPO / ".tools" / "mise" / "node_modules" / ".bin" / "mise"
    return str(local) if local.exists() else shutil.which("mise")


def timed_loop(argv: list[str], setup: str, call: str, loops: int, env: dict, cwd: Path, shell: str) -> float:
    if shell == "fish":
        script = f"{setup}\nfor i in (seq {loops}); {call}; end"
    elif shell == "nu":
        script = f"{setup}\n1..{loops} | each {{|_| {call} }} | ignore"
    else:
        script = f"{setup}\nfor ((i=0; i<{loops}; i++)); do {call}; done"
    empty = f"{setup}\n"
    runs = []
    for body in (empty, script):
        best = None
        for _ in range(3):
            start = time.perf_counter()
            proc = subprocess.run([*argv, body], cwd=cwd, env=env, capture_output=True, text=True)
            elapsed = time.perf_counter() - start
            if proc.returncode != 0:
                raise RuntimeError(f"{shell}: {proc.stderr[-500:]}")
            best = elapsed if best is None else min(best, elapsed)
        runs.append(best)
    return (runs[1] - runs[0]) / loops


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="nupm-bench-hook-"))
    home = tmp / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "NUPM_HOME": str(tmp / "nupm"), "NUPM_CONFIG": str(tmp / "none.toml"),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local/share"),
           "XDG_STATE_HOME": str(home / ".local/state"), "XDG_CACHE_HOME": str(home / ".cache")}
    project = tmp / "proj"
    project.mkdir()
    (project / "nupm.toml").write_text('[package]\nname = "proj"\nversion = "0.1.0"\ntype = "module"\n'
                                       '[env]\nFOO = "bar"\n')
    subprocess.run([sys.executable, "-m", "nupm", "install"], cwd=project, env=env, check=True, capture_output=True)
    (project / ".envrc").write_text("export FOO=bar\n")
    (project / "mise.toml").write_text('[env]\nFOO = "bar"\n')
    hooks = {}
    for shell in ("bash", "zsh", "fish", "nu"):
        hooks[shell] = tmp / f"hook.{shell}"
        hooks[shell].write_text(subprocess.run([sys.executable, "-m", "nupm", "hook", shell], env=env,
                                               capture_output=True, text=True, check=True).stdout)
    direnv = shutil.which("direnv")
    mise = mise_binary()
    if direnv:
        subprocess.run([direnv, "allow", str(project)], env=env, check=True, capture_output=True)
    if mise:
        subprocess.run([mise, "trust", str(project / "mise.toml")], env=env, capture_output=True)
    argv = {"bash": ["bash", "--norc", "--noprofile", "-c"], "zsh": ["zsh", "-f", "-c"],
            "fish": ["fish", "--no-config", "-c"], "nu": [os.environ.get("NUPM_TEST_NU") or "nu", "-n", "-c"]}
    rows = []
    for shell in ("bash", "zsh", "fish", "nu"):
        if not shutil.which(argv[shell][0]):
            continue
        if shell == "nu":
            ours = timed_loop(argv[shell], f"source '{hooks[shell]}'",
                              "do --env ($env.config.hooks.pre_prompt | first)", 300, env, project, shell)
        else:
            ours = timed_loop(argv[shell], f"source '{hooks[shell]}'; _nupm_hook", "_nupm_hook", 300, env, project,
                              shell)
        peers = {}
        if direnv:
            setup = {"bash": f'eval "$({direnv} hook bash)"', "zsh": f'eval "$({direnv} hook zsh)"',
                     "fish": f"{direnv} hook fish | source", "nu": ""}[shell]
            call = {"bash": "_direnv_hook", "zsh": "_direnv_hook", "fish": "__direnv_export_eval",
                    "nu": f"^{direnv} export json | from json | default {{}} | load-env"}[shell]
            peers["direnv"] = timed_loop(argv[shell], setup, call, 30, env, project, shell)
        if mise:
            setup = {"bash": f'eval "$({mise} activate bash)"', "zsh": f'eval "$({mise} activate zsh)"',
                     "fish": f"{mise} activate fish | source", "nu": ""}[shell]
            call = {"bash": "_mise_hook", "zsh": "_mise_hook", "fish": "__mise_env_eval",
                    "nu": f"^{mise} hook-env -s nu | ignore"}[shell]
            try:
                peers["mise"] = timed_loop(argv[shell], setup, call, 30, env, project, shell)
            except RuntimeError as e:
                print(f"(mise in {shell} not measured: {str(e)[:120]})")
        rows.append((shell, ours, peers))
    print(f"{'shell':<6} {'nupm':>10} {'direnv':>10} {'mise':>10}  faster peer / nupm")
    for shell, ours, peers in rows:
        cells = [f"{peers[p] * 1e6:8.0f}µs" if p in peers else f"{'-':>10}" for p in ("direnv", "mise")]
        ratio = f"{min(peers.values()) / ours:.0f}x" if peers else "-"
        target = "  (target >= 20x)" if shell in ("bash", "zsh") else ""
        print(f"{shell:<6} {ours * 1e6:8.0f}µs {cells[0]} {cells[1]}  {ratio}{target}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
