"""Found while using nupm as a new user would: each test is one of those papercuts, fixed."""

from __future__ import annotations

import subprocess
import sys
import time

from conftest import make_project, make_registry


def test_a_registry_named_by_path_on_the_command_line_is_remembered(env, tmp_path):
    registry = make_registry(tmp_path / "reg", [("spam", "1.0.0", {}), ("eggs", "1.0.0", {})])
    project = make_project(env.tmp / "app")
    env.ok("add", "spam", "--registry", str(registry), cwd=project)
    text = (project / "nupm.toml").read_text()
    assert '[registries]\nreg = "../reg"' in text  # relative: the project moves with its registry
    env.ok("add", "eggs", "--registry", str(registry), cwd=project)  # the same one, not a second entry
    env.ok("update", cwd=project)  # and found again without --registry
    assert (project / "nupm.toml").read_text().count("[registries]") == 1
    assert 'spam = {version = "^1.0.0", registry = "reg"}' in (project / "nupm.toml").read_text()


def test_right_after_add_the_environment_is_current_for_the_hooks(env, tmp_path):
    env.configure(main=make_registry(tmp_path / "reg", [("spam", "1.0.0", {})]))
    project = make_project(env.tmp / "app")
    env.ok("add", "spam", cwd=project)
    stamp = (project / ".nupm/stamp").stat().st_mtime_ns
    assert stamp >= (project / "nupm.toml").stat().st_mtime_ns
    assert stamp >= (project / "nupm.lock").stat().st_mtime_ns
    hook = env.tmp / "hook.bash"
    hook.write_text(env.ok("hook", "bash").stdout)
    out = subprocess.run(["bash", "--norc", "-c", f"source '{hook}'; cd '{project}'; _nupm_hook; echo \"$NUPM_ENV\""],
                         env=env.vars, capture_output=True, text=True)
    assert out.stdout.strip() == "app" and out.stderr == "", out.stderr


def test_the_out_of_date_message_names_the_environment(env, tmp_path):
    env.configure(main=make_registry(tmp_path / "reg", [("spam", "1.0.0", {})]))
    project = make_project(env.tmp / "some-dir", "named-env")
    env.ok("install", cwd=project)
    time.sleep(0.02)
    (project / "nupm.toml").write_text((project / "nupm.toml").read_text() + "\n")
    hook = env.tmp / "hook.bash"
    hook.write_text(env.ok("hook", "bash").stdout)
    out = subprocess.run(["bash", "--norc", "-c", f"source '{hook}'; cd '{project}'; _nupm_hook"],
                         env=env.vars, capture_output=True, text=True)
    assert out.stderr == "nupm: named-env is out of date, run nupm install\n"


def test_watch_does_nothing_while_nothing_changes(env, tmp_path):
    env.configure(main=make_registry(tmp_path / "reg", [("spam", "1.0.0", {})]))
    project = make_project(env.tmp / "app", deps={"spam": "^1"})
    env.ok("install", cwd=project)
    watcher = subprocess.Popen([sys.executable, "-m", "nupm", "watch"], cwd=project, env=env.vars,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = [watcher.stdout.readline(), watcher.stdout.readline()]
        assert "watching" in "".join(lines), lines
        time.sleep(1.5)  # idle: the old watch printed "up to date" three times a second here
    finally:
        watcher.send_signal(2)
        rest = watcher.communicate(timeout=10)[0]
    assert rest.count("nupm watch: app") == 0, rest
