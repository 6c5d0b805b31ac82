"""Per-prompt cost of the shell hook when nothing changed, side by side with direnv and mise.

    apt-get install direnv && npm install --prefix .tools/mise @jdxcode/mise && python bench/hooks.py

Each hook is measured the way it runs for a user: a real interactive shell (nu, fish, bash, zsh) started
in a pty, its config sourcing the hook as the tool's docs say, driven through N prompts by pressing Enter.
The time is taken inside the shell, around exactly the prompt hooks:

- nu: a pre_prompt closure first and one last in the hook list take `date now` (ns);
- bash, zsh: first and last entries of PROMPT_COMMAND / precmd_functions take $EPOCHREALTIME / $epochtime;
- fish has no clock builtin but `time`: the prompt function times one more `emit fish_prompt`, the very
  dispatch the REPL has just made to every fish_prompt handler, and the report is read from the pty.

The same REPL with no hook at all is the baseline (the "no hook" column: the timing hooks alone); a hook's
cost is its median minus the baseline's, each the least median of a few sessions run in turn, as load from
elsewhere on the machine only ever adds time. In nu, where the project is active its overlay makes every
closure a hook runs slower, the timing ones too: that counts, a user pays it. Three places: a project root
that all three tools know (a nupm environment, an allowed .envrc, a trusted mise.toml) with nothing changed,
a directory outside any project, and 8 levels below the project root.
Everything (HOME, XDG_*, NUPM_HOME, NUPM_CONFIG) lives in a temp dir. Loop timings (a hook called in a loop
inside `each` or `for`) mislead: in nu, `load-env` inside `each` is scoped to the loop body, so direnv
never settles and pays for a full reload at every call.

Targets: nupm <= 150 µs per prompt in nu and <= 80 µs in fish, everywhere; nupm >= 20x cheaper than mise.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pexpect

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHELLS = ("nu", "fish", "bash", "zsh")
TOOLS = ("none", "nupm", "direnv", "mise")
PLACES = ("inside", "outside", "deep")
PROMPT = re.compile(r"BENCH(\d+)> ")  # every prompt carries its number, so the driver never runs ahead
FISH_TIME = re.compile(r"Executed in\s+([\d.]+) (micros|millis|secs)")
UNIT = {"micros": 1.0, "millis": 1e3, "secs": 1e6}


def nu_binary() -> str | None:
    local = REPO / ".tools" / "nu-0.115.1" / "node_modules" / "@nushell" / "linux-x64" / "bin" / "nu"
    return os.environ.get("NUPM_TEST_NU") or (str(local) if local.exists() else shutil.which("nu"))


def mise_binary() -> str | None:
    local = REPO / ".tools" / "mise" / "node_modules" / ".bin" / "mise"
    return str(local) if local.exists() else shutil.which("mise")


class World:
    """The temp dir: a hermetic environment, the project all three tools know, the three places."""

    def __init__(self, tmp: Path, nu: str | None):
        self.tmp = tmp
        home = tmp / "home"
        home.mkdir()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("NUPM_", "XDG_", "MISE_", "DIRENV_"))}
        self.env.update(HOME=str(home), NUPM_HOME=str(tmp / "nupm"), NUPM_CONFIG=str(tmp / "none.toml"),
                        XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
                        XDG_STATE_HOME=str(home / ".local/state"), XDG_CACHE_HOME=str(home / ".cache"),
                        TERM="xterm", PYTHONPATH=str(REPO), LANG="C.UTF-8")
        if nu:
            self.env["NUPM_NU"] = nu
            self.env["PATH"] = f"{os.path.dirname(nu)}:{self.env['PATH']}"
        self.project = tmp / "proj"
        self.project.mkdir()
        (self.project / "nupm.toml").write_text('[package]\nname = "proj"\nversion = "0.1.0"\ntype = "module"\n'
                                                '[env]\nFOO = "bar"\n')
        self.nupm("install", cwd=self.project)
        (self.project / ".envrc").write_text("export FOO=bar\n")
        (self.project / "mise.toml").write_text('[env]\nFOO = "bar"\n')
        deep = self.project.joinpath(*[f"d{i}" for i in range(1, 9)])
        deep.mkdir(parents=True)
        outside = tmp / "elsewhere" / "work"
        outside.mkdir(parents=True)
        self.places = {"inside": self.project, "outside": outside, "deep": deep}
        self.direnv = shutil.which("direnv")
        self.mise = mise_binary()
        if self.direnv:
            subprocess.run([self.direnv, "allow", str(self.project)], env=self.env, check=True, capture_output=True)
        if self.mise:
            subprocess.run([self.mise, "trust", str(self.project / "mise.toml")], env=self.env, capture_output=True)

    def nupm(self, *args: str, cwd: Path | None = None) -> str:
        return subprocess.run([sys.executable, "-m", "nupm", *args], cwd=cwd, env=self.env, capture_output=True,
                              text=True, check=True).stdout

    def hook(self, shell: str) -> Path:
        path = self.tmp / f"nupm-hook.{shell}"
        if not path.exists():
            path.write_text(self.nupm("hook", shell))
        return path

    def available(self, tool: str) -> bool:
        return {"direnv": self.direnv, "mise": self.mise}.get(tool, "yes") is not None


def setup_lines(world: World, shell: str, tool: str, cfg: Path) -> str:
    """The lines a user's config has for `tool` (nothing for the baseline), per the tool's docs."""
    if tool == "none":
        return ""
    if tool == "nupm":
        return f"source '{world.hook(shell)}'\n"
    if tool == "direnv":
        if shell == "nu":  # direnv's docs (hook.md, Nushell): a pre_prompt closure in the REPL itself
            return ("$env.config.hooks.pre_prompt = ($env.config.hooks.pre_prompt | append {||\n"
                    "    if (which direnv | is-empty) { return }\n"
                    "    direnv export json | from json | default {} | load-env\n"
                    "    if 'ENV_CONVERSIONS' in $env and 'PATH' in $env.ENV_CONVERSIONS {\n"
                    "        $env.PATH = do $env.ENV_CONVERSIONS.PATH.from_string $env.PATH\n"
                    "    }\n})\n")
        return {"fish": f"{world.direnv} hook fish | source\n"}.get(shell, f'eval "$({world.direnv} hook {shell})"\n')
    if shell == "nu":  # mise's docs: `mise activate nu` saved to a file that config.nu `use`s
        module = cfg.parent / "mise.nu"
        module.write_text(subprocess.run([world.mise, "activate", "nu"], env=world.env, capture_output=True,
                                         text=True, check=True).stdout)
        return f"use '{module}'\n"
    return {"fish": f"{world.mise} activate fish | source\n"}.get(shell, f'eval "$({world.mise} activate {shell})"\n')


def shell_argv(world: World, shell: str, tool: str, conf: Path, times: Path, nu: str) -> tuple[list[str], dict]:
    """argv and extra environment of an interactive shell whose config times its prompt hooks."""
    setup = setup_lines(world, shell, tool, conf / "config")
    if shell == "nu":
        # Timing closures first and last in pre_prompt: between them runs exactly the hooks under test.
        cfg = conf / "config.nu"
        cfg.write_text("$env.config.show_banner = false\n$env._BENCH_N = 0\n"
                       '$env.PROMPT_COMMAND = {|| $"BENCH($env._BENCH_N)> " }\n$env.PROMPT_COMMAND_RIGHT = ""\n'
                       '$env.PROMPT_INDICATOR = ""\n'
                       "$env.config.hooks.pre_prompt = [{|| $env._BENCH_T0 = (date now | into int) }]\n"
                       f"{setup}"
                       "$env.config.hooks.pre_prompt = ($env.config.hooks.pre_prompt | append {||\n"
                       "    let took = ((date now | into int) - $env._BENCH_T0)\n"
                       f"    $\"($took / 1000.0)\\n\" | save --append r#'{times}'#\n"
                       "    $env._BENCH_N = $env._BENCH_N + 1\n})\n")
        (conf / "env.nu").write_text("")
        return [nu, "--config", str(cfg), "--env-config", str(conf / "env.nu")], {}
    if shell == "fish":
        init = (f"set -g fish_greeting ''; set -g _bench_n 0; {setup}"
                "function fish_prompt; time emit fish_prompt; set -g _bench_n (math $_bench_n + 1); "
                "echo -n \"BENCH$_bench_n> \"; end")
        return ["fish", "--no-config", "-i", "-C", init], {}
    if shell == "bash":
        rc = conf / "bashrc"
        rc.write_text("_bench_n=0\nPS1='BENCH${_bench_n}> '\n" + setup +
                      "_bench_t0() { _bench_s=${EPOCHREALTIME/./}; }\n"
                      f"_bench_t1() {{ echo $(( ${{EPOCHREALTIME/./}} - _bench_s )) >> '{times}'; "
                      "_bench_n=$((_bench_n + 1)); }\n"
                      'PROMPT_COMMAND=(_bench_t0 "${PROMPT_COMMAND[@]}" _bench_t1)\n')
        return ["bash", "--noprofile", "--rcfile", str(rc), "-i"], {}
    (conf / ".zshrc").write_text("unsetopt PROMPT_SP\nsetopt PROMPT_SUBST\nzmodload zsh/datetime\n_bench_n=0\n"
                                 "PS1='BENCH${_bench_n}> '\n" + setup +
                                 "_bench_t0() { local t=($epochtime); _bench_s=$(( t[1] * 1000000000 + t[2] )); }\n"
                                 "_bench_t1() { local t=($epochtime); "
                                 f"echo $(( (t[1] * 1000000000 + t[2] - _bench_s) / 1000.0 )) >> '{times}'; "
                                 "_bench_n=$((_bench_n + 1)); }\n"
                                 "precmd_functions=(_bench_t0 $precmd_functions _bench_t1)\n")
    return ["zsh", "-i"], {"ZDOTDIR": str(conf)}


def drive(argv: list[str], env: dict, cwd: Path, prompts: int, log: Path) -> None:
    """Start the shell in a pty and press Enter until it has shown `prompts` more prompts than at start."""
    with open(log, "w") as out:
        child = pexpect.spawn(argv[0], argv[1:], env=env, cwd=str(cwd), encoding="utf-8", timeout=60,
                              dimensions=(50, 200))
        child.delaybeforesend = None  # pexpect sleeps 50 ms before every send otherwise
        child.logfile_read = out
        seen = 0

        def until(target: int) -> None:
            nonlocal seen
            while seen < target:
                if child.expect([PROMPT, re.escape("\x1b[6n")]) == 1:
                    child.send("\x1b[1;1R")  # reedline asks where the cursor is
                else:
                    seen = max(seen, int(child.match.group(1)))
        try:
            until(1)
            first = seen
            for k in range(1, prompts + 1):
                child.send("\r")
                until(first + k)
            child.sendline("exit")
            child.expect(pexpect.EOF, timeout=20)
        finally:
            child.close(force=True)


def measure(world: World, shell: str, tool: str, place: str, prompts: int, warmup: int, nu: str,
            round_: int) -> list[float]:
    """Per-prompt hook time in µs (timing hooks included), one sample per prompt after the warmup."""
    name = f"{shell}-{tool}-{place}-{round_}"
    conf = world.tmp / "conf" / name
    conf.mkdir(parents=True)
    times = world.tmp / "times" / f"{name}.txt"
    times.parent.mkdir(exist_ok=True)
    argv, extra = shell_argv(world, shell, tool, conf, times, nu)
    log = world.tmp / "logs" / f"{name}.log"
    log.parent.mkdir(exist_ok=True)
    drive(argv, {**world.env, **extra}, world.places[place], warmup + prompts, log)
    if shell == "fish":
        samples = [float(v) * UNIT[u] for v, u in FISH_TIME.findall(log.read_text(errors="replace"))]
    else:
        samples = [float(line) for line in times.read_text().split()]
    if len(samples) < warmup + prompts:
        raise RuntimeError(f"{name}: {len(samples)} samples, expected {warmup + prompts}; see {log}")
    return samples[warmup:warmup + prompts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=200, help="prompts measured per shell, tool and place")
    parser.add_argument("--warmup", type=int, default=10, help="prompts run first and not measured")
    parser.add_argument("--rounds", type=int, default=3, help="sessions per cell; the least median counts")
    parser.add_argument("--shells", default=",".join(SHELLS))
    parser.add_argument("--tools", default=",".join(TOOLS[1:]), help="besides the baseline, which always runs")
    parser.add_argument("--places", default=",".join(PLACES))
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (configs, logs, samples)")
    args = parser.parse_args()
    nu = nu_binary()
    tmp = Path(tempfile.mkdtemp(prefix="nupm-bench-hook-"))
    try:
        world = World(tmp, nu)
        tools = ["none", *[t for t in args.tools.split(",") if t != "none"]]
        shells = [s for s in args.shells.split(",") if ((nu is not None) if s == "nu" else shutil.which(s))]
        tools = [t for t in tools if world.available(t)]
        for missing in sorted({*args.shells.split(","), *args.tools.split(",")} - {*shells, *tools}):
            print(f"({missing} is not installed: not measured)")
        # Rounds, each measuring every cell once, and the least median of each cell: other load on the machine
        # only ever adds time, and it comes and goes.
        medians: dict[tuple[str, str, str], float] = {}
        for n in range(args.rounds):
            for shell in shells:
                for tool in tools:
                    for place in args.places.split(","):
                        samples = measure(world, shell, tool, place, args.prompts, args.warmup, nu, n)
                        cell = (shell, tool, place)
                        medians[cell] = min(medians.get(cell, float("inf")), statistics.median(samples))
        report(medians, args, nu)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def report(medians: dict, args, nu: str | None) -> None:
    version = subprocess.run([nu, "--version"], capture_output=True, text=True).stdout.strip() if nu else "-"
    print(f"per-prompt hook cost, nothing changed: median over {args.prompts} prompts (least of {args.rounds} "
          f"sessions) minus the same for the REPL with no hook (nu {version})")
    peers = [t for t in ("direnv", "mise") if any(k[1] == t for k in medians)]
    head = f"{'shell':<6} {'place':<8} {'no hook':>9} {'nupm':>9}" + "".join(f" {p:>9}" for p in peers)
    print(head + "".join(f" {p + '/nupm':>12}" for p in peers))
    for shell in SHELLS:
        for place in PLACES:
            base = medians.get((shell, "none", place))
            if base is None:
                continue
            cost = {t: medians[shell, t, place] - base for t in ("nupm", *peers) if (shell, t, place) in medians}
            cells = "".join(f" {cost[t]:7.0f}µs" if t in cost else f" {'-':>9}" for t in ("nupm", *peers))
            ratios = "".join(f" {cost[p] / max(cost['nupm'], 1):11.0f}x" if p in cost and "nupm" in cost
                             else f" {'-':>12}" for p in peers)
            print(f"{shell:<6} {place:<8} {base:7.0f}µs{cells}{ratios}")


if __name__ == "__main__":
    started = time.time()
    main()
    print(f"({time.time() - started:.0f} s)")
