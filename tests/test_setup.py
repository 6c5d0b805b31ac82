"""`nupm hook` and `nupm setup`: one marked block per shell, idempotent, undone exactly, and working."""

from __future__ import annotations

import os
import subprocess

import pytest
import shells as sh
from conftest import NU, make_project, needs_nu
from test_hooks import PROMPT, Session, TmuxSession

CONFIGS = {"bash": ".bashrc", "zsh": ".zshrc", "fish": ".config/fish/conf.d/nupm.fish",
           "nu": ".config/nushell/config.nu"}


@pytest.mark.parametrize("shell", sh.shell_params())
def test_setup_adds_one_block_idempotently_and_undo_removes_exactly_it(shell, env):
    sh.require(shell)
    env.vars.pop("XDG_CONFIG_HOME", None)
    home = env.tmp / "user"
    config = home / CONFIGS[shell]
    config.parent.mkdir(parents=True, exist_ok=True)
    original = "# my own settings\nexport KEEP=1\n" if shell in ("bash", "zsh") else "# my own settings\n"
    config.write_text(original)
    refused = env.run("setup", shell)
    assert refused.returncode == 2 and "pass -y" in refused.stderr and config.read_text() == original
    env.ok("setup", shell, "-y")
    text = config.read_text()
    assert text.startswith(original) and text.count(">>> nupm >>>") == 1 and "<<< nupm <<<" in text
    assert (env.home / "hooks" / f"nupm.{shell}").is_file()
    assert "already set up" in env.ok("setup", shell, "-y").stderr
    assert config.read_text() == text
    env.ok("setup", shell, "--undo")
    assert config.read_text() == original
    assert "no nupm block" in env.ok("setup", shell, "--undo").stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_setup_block_activates_projects_in_a_new_shell(shell, env):
    sh.require(shell)
    project = make_project(env.tmp / "proj", "proj", extra='\n[env]\nPROJ_VAR = "yes"\n')
    env.ok("install", cwd=project)
    env.ok("setup", shell, "-y")
    home = env.tmp / "user"
    config = home / CONFIGS[shell]
    if shell == "fish":
        config.parent.parent.joinpath("functions").mkdir(exist_ok=True)
        config.parent.parent.joinpath("functions", "fish_prompt.fish").write_text(
            f"function fish_prompt; echo -n '{PROMPT}'; end\n")
    else:
        config.write_text(f"PS1='{PROMPT}'\n" + config.read_text())
    shell_env = {**sh.base_env(home), **{k: v for k, v in env.vars.items() if k.startswith("NUPM_")}, "TERM": "xterm"}
    argv = {"bash": ["bash", "-i"], "zsh": ["zsh", "-i"], "fish": ["fish", "-i"]}[shell]
    s = _plain_session(shell, argv, shell_env, env.tmp)
    s.run("cd proj")
    assert s.var("PROJ_VAR") == "yes"
    s.close()


def _plain_session(shell, argv, env, cwd):
    import pexpect

    s = Session.__new__(Session)
    s.shell = shell
    s.child = pexpect.spawn(argv[0], argv[1:], env=env, cwd=str(cwd), encoding="utf-8", timeout=20,
                            dimensions=(50, 250))
    s.wait()
    return s


@needs_nu
def test_nu_setup_adds_overlays_to_lib_dirs_and_the_hook(env, tmp_path):
    import shutil

    if not shutil.which("tmux"):
        pytest.skip("SKIPPED LOUDLY: tmux is not installed (tests/run.sh installs it)")
    project = make_project(env.tmp / "proj", "proj")
    env.ok("install", cwd=project)
    env.ok("overlay", "new", "work")
    env.ok("setup", "nu", "-y")
    config = env.tmp / "user" / CONFIGS["nu"]
    assert "NU_LIB_DIRS" in config.read_text()
    config.write_text(f'$env.config.show_banner = false\n$env.PROMPT_COMMAND = {{|| "{PROMPT}" }}\n'
                      f'$env.PROMPT_COMMAND_RIGHT = ""\n$env.PROMPT_INDICATOR = ""\n' + config.read_text())
    shell_env = {**sh.base_env(env.tmp / "user"), **{k: v for k, v in env.vars.items() if k.startswith("NUPM_")},
                 "TERM": "xterm", "PATH": f"{os.path.dirname(NU)}:{os.environ['PATH']}"}
    s = TmuxSession.__new__(TmuxSession)
    s.shell = "nu"
    s.socket = f"nupm-setup-{os.getpid()}"
    command = ["/usr/bin/env", "-i", *[f"{k}={v}" for k, v in shell_env.items()], NU]
    s._tmux("new-session", "-d", "-s", "t", "-x", "250", "-y", "50", "-c", str(env.tmp), "--", *command)
    s.screen = ""
    try:
        s._settle()
        s.run("cd proj")
        assert s.show("($env.NUPM_ENV? | default none)") == "proj"
        s.run("cd ..")
        s.run("overlay use work")
        assert s.show("($env.NUPM_ENV? | default none)") == "work"
    finally:
        s.close()


def test_hook_prints_sourceable_code_with_completions(env):
    for shell, check in (("bash", ["bash", "-n"]), ("zsh", ["zsh", "-n"]), ("fish", ["fish", "-n"])):
        text = env.ok("hook", shell).stdout
        assert "overlay" in text and "_nupm_hook" in text
        if sh.available(shell):
            path = env.tmp / f"h.{shell}"
            path.write_text(text)
            assert subprocess.run([*check, str(path)], capture_output=True).returncode == 0
    if sh.available("bash"):
        out = subprocess.run(["bash", "--norc", "-c", f"source {env.tmp / 'h.bash'}; complete -p nupm"],
                             capture_output=True, text=True)
        assert "_nupm_complete" in out.stdout
    if sh.available("fish"):
        out = subprocess.run(["fish", "--no-config", "-c", f"source {env.tmp / 'h.fish'}; complete -C 'nupm ove'"],
                             capture_output=True, text=True)
        assert out.stdout.startswith("overlay")
