"""Shell hooks in real interactive bash, zsh, fish and nu, driven through a pty (pexpect)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest
import shells as sh
from conftest import NU, REPO, interruptible, make_project, make_registry

PROMPT = "HOOKP> "
PACKAGES = [("utils", "1.0.0", {}), ("greet", "1.0.0", {"utils": "^1"}, "script"),
            ("hello", "1.0.0", {}, "script")]


class Session:
    """An interactive shell with the nupm hook sourced, waiting for its prompt after every line."""

    def __init__(self, shell: str, env: dict, cwd: Path, hook: Path, tmp: Path):
        self.shell = shell
        argv, extra = self._argv(shell, hook, tmp)
        self.child = pexpect.spawn(argv[0], argv[1:], env={**env, **extra}, cwd=str(cwd), encoding="utf-8",
                                   timeout=20, dimensions=(50, 250))
        self.wait()

    @staticmethod
    def _argv(shell: str, hook: Path, tmp: Path) -> tuple[list[str], dict]:
        if shell == "bash":
            rc = tmp / "bashrc"
            rc.write_text(f"PS1='{PROMPT}'\nsource '{hook}'\n")
            return ["bash", "--noprofile", "--rcfile", str(rc), "-i"], {}
        if shell == "zsh":
            (tmp / ".zshrc").write_text(f"unsetopt PROMPT_SP\nPS1='{PROMPT}'\nsource '{hook}'\n")
            return ["zsh", "-i"], {"ZDOTDIR": str(tmp)}
        if shell == "fish":
            init = f"function fish_prompt; echo -n '{PROMPT}'; end; source '{hook}'"
            return ["fish", "--no-config", "-i", "-C", init], {}
        cfg = tmp / "config.nu"
        cfg.write_text("$env.config.show_banner = false\n"
                       f'$env.PROMPT_COMMAND = {{|| "{PROMPT}" }}\n$env.PROMPT_COMMAND_RIGHT = ""\n'
                       f'$env.PROMPT_INDICATOR = ""\nsource \'{hook}\'\n')
        (tmp / "env.nu").write_text("")
        return [NU, "--config", str(cfg), "--env-config", str(tmp / "env.nu")], {}

    def expect(self, pattern) -> None:
        patterns = pattern if isinstance(pattern, list) else [pattern]
        while True:
            index = self.child.expect([*patterns, re.escape("\x1b[6n")])
            if index < len(patterns):
                return
            self.child.send("\x1b[1;1R")  # reedline asks where the cursor is

    def wait(self) -> None:
        self.expect(re.escape(PROMPT))

    def run(self, line: str) -> str:
        self.child.sendline(line)
        self.wait()
        return self.child.before

    def show(self, expression: str) -> str:
        """Print an expression between markers the typed line itself does not contain (the pty echoes it)."""
        if self.shell == "nu":
            code = f'print ("<" + "<" + ({expression} | into string) + ">" + ">")'
        else:
            code = f"printf '\\x3c\\x3c%s\\x3e\\x3e\\n' {expression}"
        self.child.sendline(code)
        self.expect(r"<<([^<>\r\n]*)>>")
        value = self.child.match.group(1)
        self.wait()
        return value

    def var(self, name: str) -> str:
        expression = {"nu": f"($env.{name}? | default none)", "fish": f'"${name}"'}.get(self.shell,
                                                                                      f'"${{{name}:-none}}"')
        return self.show(expression) or "none"

    def path(self) -> str:
        expression = {"nu": '($env.PATH | str join ":")', "fish": '(string join : $PATH)'}.get(self.shell, '"$PATH"')
        return self.show(expression)

    def close(self) -> None:
        self.child.sendline("exit")
        self.child.expect(pexpect.EOF, timeout=10)


class TmuxSession(Session):
    """nu through tmux: reedline redraws the prompt on every keystroke and queries the terminal, which
    tmux, a real terminal, answers. A command is done when the screen changed, settled, and ends with a
    bare prompt."""

    def __init__(self, shell: str, env: dict, cwd: Path, hook: Path, tmp: Path):
        self.shell = shell
        argv, extra = self._argv(shell, hook, tmp)
        self.socket = f"nupm-test-{os.getpid()}-{time.monotonic_ns()}"
        command = ["/usr/bin/env", "-i", *[f"{k}={v}" for k, v in {**env, **extra}.items()], *argv]
        self._tmux("new-session", "-d", "-s", "t", "-x", "250", "-y", "50", "-c", str(cwd), "--", *command)
        self.screen = ""
        self._settle()

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True).stdout

    def _capture(self) -> str:
        return self._tmux("capture-pane", "-p", "-J", "-S", "-5000", "-t", "t").rstrip()

    def _settle(self, timeout: float = 20) -> str:
        deadline = time.time() + timeout
        last, since = None, time.time()
        while time.time() < deadline:
            text = self._capture()
            if text != last:
                last, since = text, time.time()
            elif (text != self.screen and text.splitlines() and text.splitlines()[-1].endswith(PROMPT.rstrip())
                  and time.time() - since > 0.08):
                new = text[len(self.screen):] if text.startswith(self.screen) else text
                self.screen = text
                return new
            time.sleep(0.02)
        raise AssertionError("no prompt:\n" + self._capture()[-2000:])

    def run(self, line: str) -> str:
        if line:
            self._tmux("send-keys", "-t", "t", "-l", line)
        self._tmux("send-keys", "-t", "t", "Enter")
        return self._settle()

    def show(self, expression: str) -> str:
        out = self.run(f'print ("<" + "<" + ({expression} | into string) + ">" + ">")')
        found = re.findall(r"<<([^<>]*)>>", out)
        assert found, out
        return found[-1]

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def world(env):
    env.configure(main=make_registry(env.tmp / "reg", PACKAGES))
    a = make_project(env.tmp / "a", "a", deps={"greet": "*"}, extra='\n[env]\nA_VAR = "a"\n')
    b = make_project(env.tmp / "b", "b", deps={"hello": "*"})
    inner = make_project(a / "sub" / "inner", "inner", deps={"hello": "*"})
    for project in (a, b, inner):
        env.ok("install", cwd=project)
    shell_env = {**sh.base_env(env.tmp / "user"), **{k: v for k, v in env.vars.items() if k.startswith("NUPM_")},
                 "TERM": "xterm", "PYTHONPATH": str(REPO)}
    if NU:
        shell_env["PATH"] = f"{os.path.dirname(NU)}:{shell_env['PATH']}"
    state = {"env": env, "a": a, "b": b, "inner": inner, "shell_env": shell_env, "sessions": []}
    yield state
    for opened in state["sessions"]:
        if isinstance(opened, TmuxSession):
            opened.close()  # a tmux server outlives the test otherwise


def hook_file(env, shell: str) -> Path:
    path = env.tmp / f"hook.{shell}"
    path.write_text(env.ok("hook", shell).stdout)
    return path


def session(world, shell: str, name: str = "s") -> Session:
    sh.require(shell)
    if shell == "nu" and not shutil.which("tmux"):
        pytest.skip("SKIPPED LOUDLY: tmux is not installed (tests/run.sh installs it)")
    tmp = world["env"].tmp / f"{shell}-{name}"
    tmp.mkdir()
    kind = TmuxSession if shell == "nu" else Session
    created = kind(shell, world["shell_env"], world["env"].tmp, hook_file(world["env"], shell), tmp)
    world["sessions"].append(created)
    return created


def activate_global(s: Session, env) -> None:
    """Create the global environment `work` and activate it in the session, as a user would."""
    env.ok("overlay", "new", "work")
    line = env.ok("activate", "--env", "work", "--shell", s.shell).stdout.strip()
    s.run(line)


def run_expecting(s: Session, line: str, text: str) -> None:
    if isinstance(s, TmuxSession):
        out = s.run(line)
        assert text in out, out
    else:
        s.child.sendline(line)
        s.expect(text)
        s.wait()


@pytest.mark.parametrize("shell", sh.shell_params())
def test_cd_activates_switches_nests_and_restores(shell, world):
    s = session(world, shell)
    base_path = s.path()
    assert s.var("NUPM_ENV") == "none"
    s.run("cd a")
    assert s.var("NUPM_ENV") == "a" and s.var("A_VAR") == "a"
    run_expecting(s, "greet", "greet 1.0.0")
    s.run("cd sub/inner")
    assert s.var("NUPM_ENV") == "inner" and s.var("A_VAR") == "none"
    s.run("cd ..")
    assert s.var("NUPM_ENV") == "a"
    s.run("cd ../../b")
    assert s.var("NUPM_ENV") == "b" and s.var("A_VAR") == "none"
    s.run("cd ..")
    assert s.var("NUPM_ENV") == "none" and s.path() == base_path
    s.close()


@pytest.mark.parametrize("shell", sh.shell_params())
def test_entering_a_project_again_stays_where_the_user_went(shell, world):
    # nu brings back a hidden overlay's environment when it is activated again: on nu 0.101 that moved the
    # user back to the directory they had left the project from.
    s = session(world, shell)
    s.run("cd a")
    assert s.var("NUPM_ENV") == "a"
    s.run("cd ..")
    assert s.var("NUPM_ENV") == "none"
    s.run("cd a/sub")
    assert s.var("PWD") == str(world["a"] / "sub")
    assert s.var("NUPM_ENV") == "a" and s.var("A_VAR") == "a"
    s.run("cd ../..")
    assert s.var("NUPM_ENV") == "none" and s.var("PWD") == str(world["env"].tmp)
    s.close()


@pytest.mark.parametrize("shell", sh.shell_params())
def test_global_env_comes_back_when_leaving(shell, world):
    s = session(world, shell)
    activate_global(s, world["env"])
    assert s.var("NUPM_ENV") == "work"
    s.run("cd a")
    assert s.var("NUPM_ENV") == "a" and s.var("NUPM_GLOBAL_ENV") == "work"
    s.run("cd ..")
    assert s.var("NUPM_ENV") == "work" and s.var("A_VAR") == "none"
    s.close()


@pytest.mark.parametrize("shell", sh.shell_params())
def test_stale_warning_once_and_regenerated_module_reactivates(shell, world):
    s = session(world, shell)
    s.run("cd a")
    manifest = world["a"] / "nupm.toml"
    time.sleep(0.05)
    manifest.write_text(manifest.read_text().replace('A_VAR = "a"', 'A_VAR = "changed"'))
    warned = s.run("")
    assert "nupm: a is out of date, run nupm install" in warned
    assert "out of date" not in s.run("") + s.run("")
    world["env"].ok("install", cwd=world["a"])
    s.run("")
    assert s.var("A_VAR") == "changed"
    s.close()


@pytest.mark.parametrize("shell", sh.shell_params())
def test_watch_makes_a_new_dependency_usable_at_the_next_prompt(shell, world):
    env = world["env"]
    s = session(world, shell)
    s.run("cd b")
    watcher = subprocess.Popen([sys.executable, "-m", "nupm", "watch"], cwd=world["b"], env=env.vars,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=interruptible)
    try:
        assert "watching" in watcher.stdout.readline() + watcher.stdout.readline()
        stamp = (world["b"] / ".nupm" / "stamp").read_text()
        manifest = world["b"] / "nupm.toml"
        manifest.write_text(manifest.read_text() + 'greet = "*"\n')
        deadline = time.time() + 30
        while (world["b"] / ".nupm" / "stamp").read_text() == stamp and time.time() < deadline:
            time.sleep(0.1)
        assert (world["b"] / ".nupm" / "stamp").read_text() != stamp, "watch did not regenerate"
        s.run("")
        run_expecting(s, "greet", "greet 1.0.0")
    finally:
        watcher.send_signal(2)
        assert watcher.wait(timeout=10) == 0
    s.close()


@pytest.mark.parametrize("shell", sh.shell_params())
def test_no_process_starts_when_nothing_changed(shell, world, tmp_path):
    stand_ins = tmp_path / "stand-ins"
    stand_ins.mkdir()
    calls = tmp_path / "calls"
    for name in ("nupm", "python3", "python"):
        (stand_ins / name).write_text(f"#!/bin/sh\necho {name} >> '{calls}'\n")
        (stand_ins / name).chmod(0o755)
    world["shell_env"]["PATH"] = f"{stand_ins}:{world['shell_env']['PATH']}"
    s = session(world, shell)
    s.run("cd a")
    assert s.var("NUPM_ENV") == "a"
    with ProcessCount(s, tmp_path) as count:
        for _ in range(100):
            s.run("")
        s.run("cd sub/inner")
        s.run("cd ../..")
        for _ in range(20):
            s.run("")
    assert not calls.exists(), calls.read_text()
    assert count.started == [], count.started  # not one process, of any kind, was started
    with ProcessCount(s, tmp_path) as control:  # and the count does see one when there is one
        s.run("^env" if shell == "nu" else "command env > /dev/null")
    assert control.started, "strace saw no process: the count above proves nothing"
    s.close()


class ProcessCount:
    """Every process the shell starts meanwhile (fork, vfork, clone without CLONE_THREAD, execve), seen by
    strace attached to the shell: not only the commands a stand-in on PATH would catch."""

    def __init__(self, s: Session, tmp: Path):
        if not shutil.which("strace"):
            pytest.skip("SKIPPED LOUDLY: strace is not installed (tests/run.sh installs it)")
        if isinstance(s, TmuxSession):
            self.pid = int(s._tmux("display-message", "-p", "-t", "t", "#{pane_pid}").strip())
        else:
            self.pid = s.child.pid
        self.out, self.err = tmp / "strace.out", tmp / "strace.err"
        self.started: list[str] = []

    def __enter__(self):
        with open(self.err, "w") as err:
            self.proc = subprocess.Popen(["strace", "-f", "-e", "trace=fork,vfork,clone,clone3,execve",
                                          "-o", str(self.out), "-p", str(self.pid)], stderr=err)
        deadline = time.time() + 20
        while "attached" not in self.err.read_text():
            assert time.time() < deadline and self.proc.poll() is None, self.err.read_text()
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.proc.send_signal(2)  # detach
        self.proc.wait(timeout=20)
        lines = self.out.read_text().splitlines() if self.out.exists() else []
        self.started = [line for line in lines if re.search(r"\b(fork|vfork|clone3?|execve)\(", line)
                        and "CLONE_THREAD" not in line]


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_exit_status_is_kept_and_hook_registers_once(shell, world):
    s = session(world, shell)
    hook = world["env"].tmp / f"hook.{shell}"
    s.run(f"source '{hook}'")
    s.run("cd a")
    s.run("false")
    assert s.var("?") in ("1",)
    if shell == "bash":
        assert s.show('"$PROMPT_COMMAND"').count("_nupm_hook") == 1
    s.close()


def test_hooks_work_under_nounset_and_keep_existing_prompt_commands(world):
    env = world["env"]
    bash_hook, zsh_hook = hook_file(env, "bash"), hook_file(env, "zsh")
    a = world["a"]
    script = (f"set -u; unset PROMPT_COMMAND; source '{bash_hook}'; echo \"[$PROMPT_COMMAND]\"; "
              f"PROMPT_COMMAND=(first second); unset _NUPM_HOOK_BASH; source '{bash_hook}'; source '{bash_hook}'; "
              f"echo \"${{PROMPT_COMMAND[*]}}\"; cd '{a}'; _nupm_hook; echo \"env=$NUPM_ENV\"; cd /; _nupm_hook; "
              "echo \"env=${NUPM_ENV-none}\"")
    out = subprocess.run(["bash", "--norc", "-c", script], env=world["shell_env"], capture_output=True, text=True)
    assert out.stdout.split("\n")[:4] == ["[_nupm_hook]", "_nupm_hook first second", "env=a", "env=none"], out.stderr
    if shutil.which("zsh"):
        script = (f"setopt nounset errexit; source '{zsh_hook}'; source '{zsh_hook}'; cd '{a}'; _nupm_hook; "
                  "echo \"env=$NUPM_ENV ${#precmd_functions}\"; cd /; echo \"env=${NUPM_ENV-none}\"")
        out = subprocess.run(["zsh", "-f", "-c", script], env=world["shell_env"], capture_output=True, text=True)
        assert out.stdout.split("\n")[:2] == ["env=a 1", "env=none"], out.stderr


def _foreign_environment(directory: Path, marker: Path) -> None:
    """What a cloned repository could commit: a .nupm/ whose every sourced file would run a command."""
    env_dir = directory / ".nupm"
    env_dir.mkdir(parents=True)
    (env_dir / "stamp").write_text("0123456789abcdef\n")
    for name in ("activate.bash", "activate.zsh", "activate.fish"):
        (env_dir / name).write_text(f"touch '{marker}'\n")
    (env_dir / ".hook.nu").write_text(f"export-env {{ ^touch '{marker}' }}\n")


@pytest.mark.parametrize("shell", sh.shell_params())
def test_cd_into_a_foreign_environment_sources_nothing_and_says_so_once(shell, world, tmp_path):
    env = world["env"]
    marker = tmp_path / "pwned"
    evil = env.tmp / "evil"
    _foreign_environment(evil, marker)
    s = session(world, shell)
    said = s.run("cd evil") + s.run("") + s.run("")
    assert said.count("has an environment nupm did not build here; run nupm install") == 1, said
    assert not marker.exists()
    s.run("cd ..")
    assert not marker.exists()
    # Trusted by hand, it is activated at the next visit...
    env.ok("trust", str(evil))
    s.run("cd evil")
    assert marker.exists()
    marker.unlink()
    s.run("cd ..")
    # ...until its files change after the trust.
    time.sleep(0.02)  # a later mtime than the trust record
    for name in ("activate.bash", "activate.zsh", "activate.fish", ".hook.nu"):
        path = evil / ".nupm" / name
        path.write_text(path.read_text() + "\n")
    said = s.run("cd evil")
    assert "nupm did not build here" in said and not marker.exists()
    s.close()


def test_an_environment_nupm_built_is_trusted_only_where_it_was_built(world):
    from nupm import trust
    from nupm.paths import Home

    home = Home(world["env"].home)
    a = world["a"]
    assert trust.is_trusted(home, a, a / ".nupm")
    copy = world["env"].tmp / "copy-of-a"
    shutil.copytree(a, copy, symlinks=True)
    assert not trust.is_trusted(home, copy, copy / ".nupm")
    world["env"].ok("untrust", str(a))
    assert not trust.is_trusted(home, a, a / ".nupm")
    world["env"].ok("install", cwd=a)  # nupm checks it is what it builds, and vouches for it again
    assert trust.is_trusted(home, a, a / ".nupm")


@pytest.mark.parametrize("shell", sh.shell_params())
def test_stale_warning_once_with_a_global_environment_underneath(shell, world):
    s = session(world, shell)
    activate_global(s, world["env"])
    s.run("cd a")
    manifest = world["a"] / "nupm.toml"
    time.sleep(0.05)
    manifest.write_text(manifest.read_text() + "\n")
    said = s.run("") + s.run("") + s.run("")
    assert said.count("nupm: a is out of date, run nupm install") == 1, said
    s.close()
