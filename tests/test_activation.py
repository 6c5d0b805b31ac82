"""Activation modules in the real bash, zsh, fish and nu: each behaviour of issue 3 as a test."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import shells as sh
from conftest import NU, make_project, make_registry, needs_nu
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nupm.activation.render import render_all

APP_ENV = '\n[env]\nSPAM_COLOR = "always"\nAPP_EMPTY = ""\n'
PARAMS = sh.shell_params()


@pytest.fixture
def world(env):
    """Two installed projects, `app` (spam module, tool script, two variables) and `other`."""
    registry = make_registry(env.tmp / "reg", [("spam", "1.0.0", {}), ("tool", "1.0.0", {}, "script"),
                                               ("eggs", "1.0.0", {})])
    env.configure(main=registry)
    app = make_project(env.tmp / "app", "app", deps={"spam": "*", "tool": "*"}, extra=APP_ENV)
    other = make_project(env.tmp / "other", "other", deps={"eggs": "*"}, extra='\n[env]\nOTHER_VAR = "o"\n')
    env.ok("install", cwd=app)
    env.ok("install", cwd=other)
    shell_env = sh.base_env(env.tmp / "user")
    if NU:
        shell_env["PATH"] = f"{os.path.dirname(NU)}:{shell_env['PATH']}"
        shell_env["NUPM_NU"] = NU
    return {"app": app / ".nupm", "other": other / ".nupm", "env": shell_env, "cwd": env.tmp / "user"}


def run_in(shell, world, lines):
    sh.require(shell)
    result = sh.run(shell, lines, world["env"], world["cwd"])
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode("utf-8", "surrogateescape")


@pytest.mark.parametrize("shell", PARAMS)
def test_commands_and_modules_work_after_activation(shell, world):
    act = sh.activate(shell, world["app"], "app")
    if shell == "nu":
        lines = [act, "print (spam version)", "use spam", "print (spam version)", "tool"]
        expected = ["spam 1.0.0", "spam 1.0.0", "tool 1.0.0"]
    else:
        lines = [act, "tool", sh.echo_var(shell, "SPAM_COLOR")]
        expected = ["tool 1.0.0", "[always]"]
    assert run_in(shell, world, lines).split("\n")[:len(expected)] == expected


@pytest.mark.parametrize("shell", PARAMS)
def test_twice_equals_once_and_deactivate_restores_exactly(shell, world):
    act = sh.activate(shell, world["app"], "app")
    lines = [sh.export(shell, "SPAM_COLOR", ""), sh.unset(shell, "APP_EMPTY"), sh.dump_env(shell, "before"),
             act, sh.dump_env(shell, "once"), act, sh.dump_env(shell, "twice"),
             "deactivate", sh.dump_env(shell, "after")]
    out = run_in(shell, world, lines).encode("utf-8", "surrogateescape")
    before, once, twice, after = (sh.section(out, t) for t in ("before", "once", "twice", "after"))
    assert once == twice
    assert once["SPAM_COLOR"] == "always" and once["APP_EMPTY"] == "" and once["NUPM_ENV"] == "app"
    assert once["PATH"].split(":")[0] == str(world["app"] / "bin")
    assert after == before
    assert after["SPAM_COLOR"] == "" and "APP_EMPTY" not in after and "NUPM_ENV" not in after


@pytest.mark.parametrize("shell", PARAMS)
def test_activating_b_replaces_a(shell, world):
    lines = [sh.dump_env(shell, "before"), sh.activate(shell, world["app"], "app"),
             sh.activate(shell, world["other"], "other"), sh.dump_env(shell, "b")]
    out = run_in(shell, world, lines).encode("utf-8", "surrogateescape")
    before, b = sh.section(out, "before"), sh.section(out, "b")
    assert b["NUPM_ENV"] == "other" and b["OTHER_VAR"] == "o"
    assert "SPAM_COLOR" not in b and "APP_EMPTY" not in b
    assert str(world["app"]) not in b["PATH"]
    assert b["PATH"] == f"{world['other'] / 'bin'}:{before['PATH']}"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_path_entry_added_while_active_survives(shell, world):
    add = "set -gx PATH /added $PATH" if shell == "fish" else 'PATH="/added:$PATH"'
    lines = [sh.dump_env(shell, "before"), sh.activate(shell, world["app"], "app"), add, "deactivate",
             sh.dump_env(shell, "after")]
    out = run_in(shell, world, lines).encode("utf-8", "surrogateescape")
    assert sh.section(out, "after")["PATH"] == "/added:" + sh.section(out, "before")["PATH"]


@needs_nu
def test_nu_overlay_hide_restores_path_exactly(world):
    """nu: `deactivate` is `overlay hide`, which returns PATH to what it was before activation."""
    lines = [sh.dump_env("nu", "before"), sh.activate("nu", world["app"], "app"),
             '$env.PATH = ($env.PATH | prepend "/added")', "overlay hide app", sh.dump_env("nu", "after")]
    out = run_in("nu", world, lines).encode("utf-8", "surrogateescape")
    assert sh.section(out, "after") == sh.section(out, "before")


@pytest.mark.parametrize("shell", PARAMS)
def test_state_is_exported_to_children(shell, world):
    child = "^sh -c 'echo $NUPM_ENV:$NUPM_ENV_ROOT'" if shell == "nu" else "sh -c 'echo $NUPM_ENV:$NUPM_ENV_ROOT'"
    out = run_in(shell, world, [sh.activate(shell, world["app"], "app"), child])
    assert out.strip() == f"app:{world['app'].parent}"


@pytest.mark.parametrize(("shell", "mode"), [("bash", "set -euo pipefail; set +h"), ("zsh", "setopt nounset errexit")])
def test_strict_shell_options(shell, mode, world):
    lines = [mode, sh.activate(shell, world["app"], "app"), "tool", "deactivate",
             sh.activate(shell, world["app"], "app"), sh.activate(shell, world["other"], "other"),
             "deactivate", "echo done"]
    assert run_in(shell, world, lines).split() == ["tool", "1.0.0", "done"]


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_prompt_prefixed_never_exported_and_restored(shell, world):
    act = sh.activate(shell, world["app"], "app")
    child = "printenv PS1 || echo '<not exported>'"
    lines = ["export PS1='$ '", act, 'printf "<%s>\\n" "$PS1"', child, "deactivate", 'printf "<%s>\\n" "$PS1"', child,
             "unset PS1", act, sh.echo_var(shell, "PS1"), "deactivate", sh.echo_var(shell, "PS1"),
             "export NUPM_DISABLE_PROMPT=1", "PS1='> '", act, 'printf "<%s>\\n" "$PS1"']
    assert run_in(shell, world, lines).split("\n")[:7] == [
        "<(app) $ >", "<not exported>", "<$ >", "$ ", "[(app) ]", "<unset>", "<> >"]


def test_fish_prompt_keeps_status_and_is_restored(world):
    lines = ["function fish_prompt; echo -n \"old status=$status\"; end", sh.activate("fish", world["app"], "app"),
             "false", "fish_prompt; echo", "deactivate", "false", "fish_prompt; echo"]
    assert run_in("fish", world, lines).split("\n")[:2] == ["(app) old status=1", "old status=1"]


@needs_nu
@pytest.mark.parametrize("prompt", ['{|| "P>" }', '"P>"'])
def test_nu_prompt_closure_or_string_wrapped_and_restored(prompt, world):
    show = 'print (if ($env.PROMPT_COMMAND | describe | str starts-with "closure") { do $env.PROMPT_COMMAND } ' \
           'else { $env.PROMPT_COMMAND })'
    lines = [f"$env.PROMPT_COMMAND = {prompt}", sh.activate("nu", world["app"], "app"), show,
             sh.activate("nu", world["other"], "other"), show, "overlay hide other", "overlay hide app", show]
    assert run_in("nu", world, lines).split("\n")[:3] == ["(app) P>", "(other) P>", "P>"]


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_command_hash_is_reset(shell, world, tmp_path):
    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "tool").write_text("#!/bin/sh\necho fake tool\n")
    (fake / "tool").chmod(0o755)
    lines = [f"PATH={fake}:$PATH", "tool", sh.activate(shell, world["app"], "app"), "tool", "deactivate", "tool"]
    assert run_in(shell, world, lines).split("\n")[:3] == ["fake tool", "tool 1.0.0", "fake tool"]


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_running_instead_of_sourcing_fails_clearly(shell, world):
    sh.require(shell)
    script = world["app"] / f"activate.{shell}"
    result = subprocess.run([shell, str(script)], capture_output=True, text=True, env=world["env"])
    assert result.returncode == 1 and "must be sourced, not run" in result.stderr
    os.chmod(script, 0o755)  # `./activate.bash` typed at the shell's own prompt
    result = subprocess.run([shell, "-c", '"$0"', str(script)], capture_output=True, text=True, env=world["env"])
    assert result.returncode == 1 and "must be sourced, not run" in result.stderr


HOSTILE = "'\";&&e-$ èрт🚒♞中片-j $(touch pwned) `touch pwned` \\ \n'#'## ${HOME} %s *?[a]"


@pytest.mark.parametrize("shell", PARAMS)
def test_hostile_project_directory_and_values(shell, env, world):
    sh.require(shell)
    registry = env.tmp / "reg"
    project = make_project(env.tmp / HOSTILE.replace("\n", "_").replace("/", "_"), "app", deps={"tool": "*"},
                           extra=f"\n[env]\nHOSTILE = {json.dumps(HOSTILE, ensure_ascii=False)}\n")
    env.configure(main=registry)
    env.ok("install", cwd=project)
    lines = [sh.activate(shell, project / ".nupm", "app"), "tool", sh.echo_var(shell, "HOSTILE"),
             sh.echo_var(shell, "NUPM_ENV_ROOT"), "deactivate", sh.echo_var(shell, "HOSTILE")]
    out = run_in(shell, world, lines)
    assert out.startswith(f"tool 1.0.0\n[{HOSTILE}]\n[{project}]\n<unset>"), out
    assert not (world["cwd"] / "pwned").exists() and not (project / "pwned").exists()


def test_path_with_colon_is_refused(env, world):
    project = make_project(env.tmp / "a:b", "app")
    result = env.run("install", cwd=project)
    assert result.returncode == 1 and "cannot appear in a PATH entry" in result.stderr


@pytest.mark.parametrize("shell", PARAMS)
def test_nupm_activate_prints_a_working_line(shell, env, world):
    line = env.ok("activate", "--shell", shell, cwd=world["app"].parent).stdout.strip()
    assert line == sh.activate(shell, world["app"], "app")
    assert run_in(shell, world, [line, "tool"]).strip() == "tool 1.0.0"


def test_run_passes_exit_code_and_environment(env, world):
    app = world["app"].parent
    result = env.run("run", "sh", "-c", 'echo "$NUPM_ENV $SPAM_COLOR"; exit 7', cwd=app)
    assert result.returncode == 7 and result.stdout.strip() == "app always"
    assert env.run("run", "tool", cwd=app).stdout.strip() == "tool 1.0.0"
    missing = env.run("run", "no-such-command", cwd=app)
    assert missing.returncode == 1 and "command not found: no-such-command" in missing.stderr
    assert "NUPM_ENV" not in os.environ


def test_env_json_and_text(env, world):
    app = world["app"].parent
    description = json.loads(env.ok("env", "--json", cwd=app).stdout)
    assert description == json.loads((world["app"] / "env.json").read_text())
    assert "variable SPAM_COLOR='always'" in env.ok("env", cwd=app).stdout


@pytest.mark.parametrize("shell", PARAMS)
def test_nupm_shell_is_interactive_and_returns(shell, env, world):
    sh.require(shell)
    nupm = [sys.executable, "-m", "nupm", "shell", "--shell", shell]
    shell_env = {**world["env"], **{k: v for k, v in env.vars.items() if k.startswith(("NUPM_", "PYTHON"))},
                 "TERM": "xterm"}
    child = sh.interactive(shell, shell_env, world["app"].parent, nupm)
    say = 'print $"[($env.NUPM_ENV)]"' if shell == "nu" else 'echo "[$NUPM_ENV]"'
    child.sendline(say)
    sh.expect(child, re.escape("[app]"))
    child.sendline("exit 3")
    sh.expect(child, __import__("pexpect").EOF)
    child.close()
    assert child.exitstatus == 3


def test_unchanged_environment_rewrites_no_module(env, world):
    files = [world["app"] / n for n in ("activate.bash", "activate.zsh", "activate.fish", "app.nu")]
    before = {f: os.stat(f).st_mtime_ns for f in files}
    env.ok("install", cwd=world["app"].parent)
    assert {f: os.stat(f).st_mtime_ns for f in files} == before
    shutil.rmtree(world["app"])
    env.ok("install", cwd=world["app"].parent)
    assert all(f.exists() for f in files)


values = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=30)


@pytest.mark.parametrize("shell", PARAMS)
def test_generated_modules_round_trip_any_value(shell, world, tmp_path):
    """Values and paths from hypothesis pass through the rendered module of each real shell exactly."""
    sh.require(shell)

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(values, min_size=3, max_size=3), values.filter(lambda v: ":" not in v and "/" not in v))
    @example([HOSTILE, "", "'#"], "$(touch pwned)")
    def check(vals, dirname):
        root = tmp_path / ("d" + dirname)
        description = {"name": "hyp", "kind": "project", "root": str(root), "path": [str(root / ".nupm" / "bin")],
                       "lib_dirs": [str(root / ".nupm" / "lib")], "modules": {},
                       "variables": {f"V{i}": v for i, v in enumerate(vals)}}
        env_dir = tmp_path / "gen"
        env_dir.mkdir(exist_ok=True)
        for name, content in render_all(description).items():
            (env_dir / name).write_text(content, encoding="utf-8")
        lines = [sh.activate(shell, env_dir, "hyp"), sh.dump_env(shell, "nupm-hyp")]
        out = sh.run(shell, lines, world["env"], tmp_path)
        assert out.returncode == 0, out.stderr
        dumped = sh.section(out.stdout, "nupm-hyp")
        assert [dumped.get(f"V{i}") for i in range(3)] == vals
        assert dumped["NUPM_ENV_ROOT"] == str(root)
        assert dumped["PATH"].split(":")[0] == str(root / ".nupm" / "bin")
        assert not (tmp_path / "pwned").exists()

    check()


SNAPSHOTS = Path(__file__).parent / "snapshots"
SNAPSHOT_DESCRIPTION = {
    "version": 1, "name": "demo", "kind": "project", "root": "/home/u/it's demo", "env_dir": "/home/u/it's demo/.nupm",
    "path": ["/home/u/it's demo/.nupm/bin"], "lib_dirs": ["/home/u/it's demo/.nupm/lib"],
    "variables": {"DEMO_COLOR": "always", "DEMO_QUOTE": "a'b\"c$(x)"},
    "modules": {"spam": "/store/spam-1.0.0-0123456789ab/spam"}, "commands": {}, "packages": [],
}


@pytest.mark.parametrize("name", ["activate.bash", "activate.zsh", "activate.fish", "demo.nu"])
def test_rendering_matches_snapshot(name):
    """Generation is a pure function of the description; NUPM_UPDATE_SNAPSHOTS=1 rewrites the files."""
    rendered = render_all(SNAPSHOT_DESCRIPTION)[name]
    path = SNAPSHOTS / name
    if os.environ.get("NUPM_UPDATE_SNAPSHOTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")
