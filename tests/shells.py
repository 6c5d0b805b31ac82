"""Driving the four real shells from tests: how each one activates, sets, prints and runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pexpect
import pytest
from conftest import NU

from nupm.activation.quoting import quote_fish, quote_nu, quote_posix

SHELLS = ["bash", "zsh", "fish", "nu"]


def available(shell: str) -> bool:
    return NU is not None if shell == "nu" else shutil.which(shell) is not None


def require(shell: str) -> None:
    if not available(shell):
        pytest.skip(f"SKIPPED LOUDLY: {shell} is not installed (tests/run.sh installs it)")


def shell_params():
    return [pytest.param(s, marks=pytest.mark.nu) if s == "nu" else s for s in SHELLS]


def quote(shell: str, text: str) -> str:
    return {"nu": quote_nu, "fish": quote_fish}.get(shell, quote_posix)(text)


def activate(shell: str, env_dir: Path, name: str) -> str:
    if shell == "nu":
        return f"overlay use --reload {quote_nu(str(env_dir / f'{name}.nu'))}"
    return f"source {quote(shell, str(env_dir / f'activate.{shell}'))}"


def export(shell: str, key: str, value: str) -> str:
    if shell == "nu":
        return f"$env.{key} = {quote_nu(value)}"
    if shell == "fish":
        return f"set -gx {key} {quote_fish(value)}"
    return f"export {key}={quote_posix(value)}"


def unset(shell: str, key: str) -> str:
    return {"nu": f"hide-env -i {key}", "fish": f"set -e {key}"}.get(shell, f"unset {key}")


def dump_env(shell: str, tag: str) -> str:
    """Print every exported variable (through the external `env`), NUL-separated, between markers."""
    if shell == "nu":
        return f'print "<{tag}>"; ^env -0 | print -n; print "</{tag}>"'
    return f"echo '<{tag}>'; env -0; echo '</{tag}>'"


def echo_var(shell: str, key: str) -> str:
    """Print [value] or <unset>."""
    if shell == "nu":
        return f'if "{key}" in $env {{ print $"[($env.{key})]" }} else {{ print "<unset>" }}'
    if shell == "fish":
        return f'if set -q {key}; printf "[%s]\\n" "${key}"; else; echo "<unset>"; end'
    return f'if [ -n "${{{key}+x}}" ]; then printf "[%s]\\n" "${key}"; else echo "<unset>"; fi'


def argv(shell: str, script: str) -> list[str]:
    return {
        "bash": ["bash", "--norc", "--noprofile", "-c", script],
        "zsh": ["zsh", "-f", "-c", script],
        "fish": ["fish", "--no-config", "-c", script],
        "nu": [NU or "nu", "-n", "-c", script],
    }[shell]


def run(shell: str, lines: list[str], env: dict, cwd: Path) -> subprocess.CompletedProcess:
    sep = "\n"
    return subprocess.run(argv(shell, sep.join(lines)), env=env, cwd=cwd, capture_output=True)


def section(out: bytes, tag: str) -> dict[str, str]:
    """The variables printed by dump_env(tag), as a dict."""
    text = out.decode("utf-8", "surrogateescape")
    body = text.split(f"<{tag}>\n", 1)[1].split(f"</{tag}>", 1)[0]
    pairs = [item.split("=", 1) for item in body.split("\0") if "=" in item]
    noise = {"_", "SHLVL", "OLDPWD", "CMD_DURATION_MS", "LAST_EXIT_CODE", "FILE_PWD", "CURRENT_FILE"}
    return {k.strip("\n"): v for k, v in pairs if k.strip("\n") not in noise}


def interactive(shell: str, env: dict, cwd: Path, args: list[str]) -> pexpect.spawn:
    child = pexpect.spawn(args[0], args[1:], env=env, cwd=str(cwd), encoding="utf-8", timeout=20,
                          dimensions=(40, 200))
    return child


def expect(child: pexpect.spawn, pattern) -> None:
    """Like child.expect, answering reedline's cursor-position queries (nu) on the way."""
    query = re.escape("\x1b[6n")
    patterns = pattern if isinstance(pattern, list) else [pattern]
    while True:
        index = child.expect([*patterns, query])
        if index < len(patterns):
            return
        child.send("\x1b[1;1R")


def base_env(home: Path) -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "TERM", "USER", "LOGNAME", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(HOME=str(home), LANG=env.get("LANG", "C.UTF-8"))
    # fish's first interactive start generates completions from every man page in the background, which
    # makes a test wait on it; this directory tells fish it was done.
    (home / ".local" / "share" / "fish" / "generated_completions").mkdir(parents=True, exist_ok=True)
    env.setdefault("LC_ALL", "C.UTF-8")
    return env
