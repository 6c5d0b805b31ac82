"""Hostile or broken input meets the command line: one clear line, the right exit code, nothing changed,
never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import make_project, make_registry, needs_nu, snapshot


def no_traceback(proc) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr


@pytest.mark.parametrize("value, said", [
    ('"a\\u0000b"', "NUL"),
    ('"' + "x" * 140_000 + '"', "longer than the system allows"),
])
def test_an_env_value_no_shell_can_hold_is_refused_at_its_line(env, value, said):
    project = make_project(env.tmp / "app", extra=f"\n[env]\nFINE = \"ok\"\nBAD = {value}\n")
    before = snapshot(project)
    proc = env.run("install", cwd=project)
    assert proc.returncode == 2 and said in proc.stderr
    assert "nupm.toml:10:7:" in proc.stderr  # the line of BAD, at its value
    no_traceback(proc)
    assert snapshot(project) == before


@pytest.mark.parametrize("dep", [
    '"' + "9" * 5000 + '"',
    '{ git = "https://h/r\\u0000.git" }',
    '{ path = "a\\u0001b" }',
    '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]'
    ']]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
])
def test_hostile_dependencies_are_usage_errors(env, dep):
    project = make_project(env.tmp / "app")
    with open(project / "nupm.toml", "a") as f:
        f.write(f"spam = {dep}\n")
    proc = env.run("install", cwd=project)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: nupm.toml:")
    no_traceback(proc)


def test_a_long_name_is_refused(env):
    proc = env.run("init", "--name", "a" * 300)
    assert proc.returncode == 2 and "64 characters" in proc.stderr
    no_traceback(proc)


def test_deep_nesting_in_a_registry_file_is_bad_input(env, tmp_path):
    registry = make_registry(tmp_path / "reg", [("spam", "1.0.0", {})])
    (registry / "spam.nuon").write_text("[" * 5000 + "]" * 5000)
    (registry / "registry.nuon").write_text("[[name, path]; [spam, spam.nuon]]")
    env.configure(main=registry)
    project = make_project(env.tmp / "app", deps={"spam": "^1"})
    proc = env.run("install", cwd=project)
    assert proc.returncode == 2 and "nested too deeply" in proc.stderr
    no_traceback(proc)


def test_an_index_hash_that_is_not_one_is_refused_where_it_enters(env, tmp_path):
    registry = make_registry(tmp_path / "reg", [("spam", "1.0.0", {})])
    index = {"version": 1, "packages": {"spam": {"1.0.0": {
        "type": "module", "hash": "x", "dependencies": {}, "source": {"type": "local", "path": "pkgs/spam-1.0.0"}}}}}
    (registry / "nupm-index.json").write_text(json.dumps(index))
    env.configure(main=registry)
    project = make_project(env.tmp / "app", deps={"spam": "^1"})
    before = snapshot(project)
    proc = env.run("install", cwd=project)
    assert proc.returncode == 2 and "nupm-index.json" in proc.stderr and "sha256-" in proc.stderr
    assert "nupm.lock" not in proc.stderr
    no_traceback(proc)
    assert snapshot(project) == before


@pytest.mark.parametrize("command", [["list", "--json"], ["store", "list"], ["tree"]])
def test_a_closed_pipe_ends_quietly(env, tmp_path, command):
    registry = make_registry(tmp_path / "reg", [(f"p{i}", "1.0.0", {}) for i in range(40)])
    env.configure(main=registry)
    project = make_project(env.tmp / "app", deps={f"p{i}": "^1" for i in range(40)})
    env.ok("install", cwd=project)
    args = " ".join(command)
    proc = subprocess.run(f"{sys.executable} -m nupm {args} | head -c 1", shell=True, cwd=project, env=env.vars,
                          capture_output=True, text=True)
    assert proc.stderr == "", proc.stderr


def test_an_unexpected_error_is_one_line_asking_for_a_report(env):
    # A manifest that is a directory: reading it fails in a way no message was written for.
    (env.tmp / "app" / "nupm.toml").mkdir(parents=True)
    proc = env.run("install", cwd=env.tmp / "app")
    assert proc.returncode in (1, 2)
    assert len(proc.stderr.strip().splitlines()) == 1
    no_traceback(proc)


@needs_nu
def test_a_build_that_leaves_a_link_changes_nothing_outside_the_store(env, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "file").write_text("mine\n")
    before = {p: p.stat().st_mode for p in (victim, victim / "file")}
    pkg = tmp_path / "reg-src" / "evil"
    pkg.mkdir(parents=True)
    (pkg / "nupm.toml").write_text('[package]\nname = "evil"\nversion = "1.0.0"\ntype = "custom"\n')
    (pkg / "build.nu").write_text(
        "def main [package_file: path] {\n"
        '    mkdir ($env.NUPM_PREFIX | path join bin)\n'
        f'    ^ln -s {victim / "file"} ($env.NUPM_PREFIX | path join bin file-link)\n'
        f'    ^ln -s {victim} ($env.NUPM_PREFIX | path join dir-link)\n'
        "}\n")
    project = make_project(env.tmp / "app", deps={"evil": {"path": str(pkg)}})
    proc = env.run("install", cwd=project)
    assert proc.returncode == 1 and "refusing symlink" in proc.stderr, proc.stderr
    assert {p: p.stat().st_mode for p in (victim, victim / "file")} == before
    no_traceback(proc)
