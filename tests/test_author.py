"""The author's workflow end to end: new → check → test → publish → add elsewhere → activate → call."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import shells as sh
from conftest import NU, git, make_project, needs_git, needs_nu, snapshot


def nupm_new(env, *args):
    return env.ok("new", *args, cwd=env.tmp)


def commit_all(repo):
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "release", cwd=repo)


@needs_nu
@needs_git
@pytest.mark.parametrize("kind", ["module", "script", "custom"])
def test_new_check_test_publish_add_activate_call(env, kind):
    name = f"my-{kind}"
    nupm_new(env, name, f"--{kind}")
    package = env.tmp / name
    assert (package / ".git").is_dir() and (package / ".gitignore").read_text() == ".nupm/\n"
    assert "no problems" in env.ok("check", cwd=package).stderr
    result = env.ok("test", cwd=package)
    assert result.stdout.strip().splitlines()[-1] in ("2 passed, 0 failed", "1 passed, 0 failed")
    commit_all(package)
    git("tag", "v0.1.0", cwd=package)
    registry = env.tmp / "registry"
    env.ok("publish", "--registry", str(registry), cwd=package)
    rows = json.loads(subprocess.run([NU, "-n", "-c", f"open {registry / (name + '.nuon')} | to json"],
                                     capture_output=True, text=True, check=True).stdout)
    assert rows == [{"name": name, "version": "0.1.0", "path": "", "type": "git",
                     "info": {"url": str(package), "revision": "v0.1.0"}}]
    consumer = make_project(env.tmp / "consumer", "consumer")
    env.ok("add", name, "--registry", str(registry), cwd=consumer)
    call = {"module": f"print ({name} greet nupm)", "script": f"{name} nupm",
            "custom": name}[kind]
    expected = {"module": "Hello, nupm!", "script": "Hello, nupm!", "custom": f"{name} built by build.nu"}[kind]
    lines = [sh.activate("nu", consumer / ".nupm", "consumer"), call]
    shell_env = {**sh.base_env(env.tmp / "user"), "NUPM_NU": NU,
                 "PATH": f"{os.path.dirname(NU)}:{os.environ['PATH']}"}
    out = sh.run("nu", lines, shell_env, env.tmp)
    assert out.stdout.decode().strip() == expected, out.stderr.decode()
    if kind != "module":
        out = sh.run("bash", [sh.activate("bash", consumer / ".nupm", "consumer"), call], shell_env, env.tmp)
        assert out.stdout.decode().strip() == expected, out.stderr.decode()


def test_new_refuses_bad_reserved_and_occupied(env):
    for bad in ("Bad", "1x", "std", "nupm"):
        result = env.run("new", bad, cwd=env.tmp)
        assert result.returncode == 2 and ("reserved" in result.stderr or "lowercase" in result.stderr)
    occupied = env.tmp / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")
    before = snapshot(env.tmp)
    result = env.run("new", "occupied", cwd=env.tmp)
    assert result.returncode == 2 and "not empty" in result.stderr
    assert snapshot(env.tmp) == before
    nupm_new(env, "plain", "--no-git", "--path", str(env.tmp / "elsewhere"))
    assert (env.tmp / "elsewhere" / "plain" / "mod.nu").is_file() and not (env.tmp / "elsewhere" / ".git").exists()
    nupm_new(env, "scr", "--script", "--no-git")
    script = env.tmp / "scr" / "scr.nu"
    assert os.access(script, os.X_OK) and script.read_text().startswith("#!/usr/bin/env nu\n")


@needs_nu
def test_check_reports_positions_and_exit_1(env):
    nupm_new(env, "pkg", "--no-git")
    package = env.tmp / "pkg"
    (package / "pkg" / "mod.nu").write_text("use nosuchmodule\n\nexport def broken [] {\n    let x = (1 +\n}\n")
    result = env.run("check", cwd=package)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "pkg/mod.nu:1:5: Module not found." in lines
    assert any(line.startswith("pkg/mod.nu:4:") for line in lines), lines
    (package / "nupm.toml").write_text((package / "nupm.toml").read_text().replace('version = "0.1.0"', 'version = 1'))
    result = env.run("check", cwd=package)
    assert result.returncode == 1 and result.stdout.startswith("nupm.toml:3:11: ")


@needs_nu
def test_test_reports_failures_skips_filter_and_json(env):
    nupm_new(env, "pkg", "--no-git")
    package = env.tmp / "pkg"
    with open(package / "tests" / "mod.nu", "a") as f:
        f.write('\nexport def test_broken [] { assert equal (pkg greet) "nope" }\n'
                'export def test_later [] { error make {msg: "SKIP: not yet"} }\n'
                'export def helper [] { "not a test" }\n')
    result = env.run("test", cwd=package)
    assert result.returncode == 1
    assert "FAILED test_broken" in result.stdout and "These are not equal" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "2 passed, 1 failed, 1 skipped"
    assert env.run("test", "greet", cwd=package).stdout.strip().splitlines()[-1] == "2 passed, 0 failed"
    data = json.loads(env.run("test", "--json", cwd=package).stdout)
    assert {t["name"]: t["status"] for t in data["tests"]} == {
        "test_broken": "failed", "test_greet_default": "passed", "test_greet_name": "passed", "test_later": "skipped"}


@needs_nu
def test_run_tasks_and_commands(env):
    project = make_project(env.tmp / "app", "app", extra='\n[scripts]\nhello = "print hello"\nfail = "exit 3"\n'
                                                      'echo-args = "print"\n')
    assert env.ok("run", "hello", cwd=project).stdout.strip() == "hello"
    assert env.run("run", "fail", cwd=project).returncode == 3
    assert env.ok("run", "echo-args", "a b", "$(x)", cwd=project).stdout.split("\n")[:2] == ["a b", "$(x)"]
    assert env.ok("run", "sh", "-c", "echo plain", cwd=project).stdout.strip() == "plain"


@needs_git
def test_publish_refusals_and_dry_run(env):
    nupm_new(env, "pkg")
    package = env.tmp / "pkg"
    registry = env.tmp / "registry"
    result = env.run("publish", "--registry", str(registry), cwd=package)
    assert result.returncode == 1 and "no commit yet" in result.stderr
    commit_all(package)
    (package / "scratch.txt").write_text("x")
    result = env.run("publish", "--registry", str(registry), cwd=package)
    assert result.returncode == 1 and "uncommitted changes" in result.stderr
    dry = env.ok("publish", "--registry", str(registry), "--dry-run", "--allow-dirty", cwd=package)
    assert '"type": "git"' in dry.stdout and not registry.exists()
    env.ok("publish", "--registry", str(registry), "--allow-dirty", cwd=package)
    index = json.loads((registry / "nupm-index.json").read_text())
    assert index["packages"]["pkg"]["0.1.0"]["source"]["revision"] == git("rev-parse", "HEAD", cwd=package)
    result = env.run("publish", "--registry", str(registry), "--allow-dirty", cwd=package)
    assert result.returncode == 1 and "already in" in result.stderr
    local = make_project(env.tmp / "local", "local", deps={"pkg": {"path": "../pkg"}})
    result = env.run("publish", "--registry", str(registry), cwd=local)
    assert result.returncode == 1 and "path or git dependencies" in result.stderr


def test_publish_local_package(env):
    package = make_project(env.tmp / "plain", "plain")
    registry = env.tmp / "registry"
    env.ok("publish", "--registry", str(registry), cwd=package)
    # A copy in the registry (as nu's `to nuon` writes the row), not the live source directory...
    assert "\"packages/plain-0.1.0\", local, null" in (registry / "plain.nuon").read_text()
    (package / "plain" / "mod.nu").write_text("export def version [] { \"edited after publishing\" }\n")
    consumer = make_project(env.tmp / "consumer", "consumer")
    env.ok("add", "plain", "--registry", str(registry), cwd=consumer)
    assert "plain" in json.loads((consumer / ".nupm" / "env.json").read_text())["modules"]
    assert "edited" not in (consumer / ".nupm/lib/plain/mod.nu").read_text()  # ...so later edits change nothing


@needs_nu
def test_publish_refuses_what_check_refuses(env):
    package = make_project(env.tmp / "broken", "broken")
    (package / "broken" / "mod.nu").write_text("export def oops [ {\n")
    registry = env.tmp / "registry"
    result = env.run("publish", "--registry", str(registry), cwd=package)
    assert result.returncode == 1 and "does not pass `nupm check`" in result.stderr and "mod.nu:" in result.stderr
    assert not registry.exists()
