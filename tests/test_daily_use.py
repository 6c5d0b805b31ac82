"""Found while using nupm as a new user would: each test is one of those papercuts, fixed."""

from __future__ import annotations

import subprocess
import sys
import time

from conftest import NU, interruptible, make_project, make_registry, needs_nu


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
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=interruptible)
    try:
        lines = [watcher.stdout.readline(), watcher.stdout.readline()]
        assert "watching" in "".join(lines), lines
        time.sleep(1.5)  # idle: the old watch printed "up to date" three times a second here
    finally:
        watcher.send_signal(2)
        rest = watcher.communicate(timeout=10)[0]
    assert rest.count("nupm watch: app") == 0, rest


@needs_nu
def test_the_nu_hook_removes_what_ended_sessions_left_in_the_temp_dir(env, tmp_path):
    temp = tmp_path / "tmpdir"
    temp.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    (temp / f"nupm-hook-{dead.pid}").mkdir()
    (temp / f"nupm-hook-{dead.pid}" / "nupm-project.nu").write_text("")
    hook = env.tmp / "hook.nu"
    hook.write_text(env.ok("hook", "nu").stdout)
    variables = {**env.vars, "TMPDIR": str(temp)}
    first = subprocess.run([NU, "-n", "-c", f"source '{hook}'; print $nu.pid"], env=variables,
                           capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert not (temp / f"nupm-hook-{dead.pid}").exists()
    subprocess.run([NU, "-n", "-c", f"source '{hook}'"], env=variables, check=True, capture_output=True)
    assert not (temp / f"nupm-hook-{first.stdout.strip()}").exists()  # the first session's, once it ended


def test_small_things(env, tmp_path):
    env.configure(main=make_registry(tmp_path / "reg", [("spam", "1.0.0", {})]))
    made = env.ok("new", "fresh", "--no-git")
    assert (env.tmp / "fresh").stat().st_mode & 0o777 == 0o777 & ~_umask(), made.stderr
    env.ok("overlay", "new", "work")
    exported = env.tmp / "work.toml"
    env.ok("overlay", "export", "work", "-o", str(exported))
    env.ok("overlay", "import", str(exported), "--name", "copy", "-y")
    proc = env.run("overlay", "rollback", "work", "--to", "99", "-y")
    assert proc.returncode == 1 and "no generation 99" in proc.stderr and "return to" not in proc.stderr
    project = make_project(env.tmp / "one", deps={"spam": "^1"})
    assert "1 package " in env.ok("install", cwd=project).stderr + " "


def _umask() -> int:
    import os

    current = os.umask(0)
    os.umask(current)
    return current


@needs_nu
def test_the_readme_recipe_switches_global_environments_without_moving_the_user(env, tmp_path):
    env.ok("overlay", "new", "work")
    line = env.ok("activate", "--env", "work", "--shell", "nu").stdout.strip()
    assert line.startswith("overlay use --reload ")
    code = (f"cd '{tmp_path}'; {line}; cd /; overlay hide work; cd '{env.tmp}'; {line}; print $env.PWD; "
            "$env.MINE = 1; deactivate; print ($env.MINE? | default gone)")
    out = subprocess.run([NU, "-n", "-c", code], env=env.vars, capture_output=True, text=True)
    assert out.stdout.split() == [str(env.tmp), "gone"], out.stderr
