"""The no-op fast path (nupm.fastpath): an in-sync project answers `install`, `activate` and `run` from file
metadata alone, exactly as the full path would, and any change that matters sends it down the full path."""

from __future__ import annotations

import time

import pytest
from conftest import make_project, make_registry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nupm import fastpath

REGISTRY = [("utils", "1.0.0", {}), ("utils", "1.1.0", {}), ("greet", "0.2.0", {}, "script")]


@pytest.fixture
def proj(env):
    env.configure(main=make_registry(env.tmp / "reg", REGISTRY))
    project = make_project(env.tmp / "app", deps={"utils": "^1.0", "greet": "^0.2"},
                           extra='\n[scripts]\nhello = "print $\\"hello ($env.NUPM_ENV)\\""\n')
    env.ok("install", cwd=project)
    # The record trusts no file changed within RACY_NS of it: wait that long, and sync once more, so the
    # record that follows is older than everything it describes.
    time.sleep(fastpath.RACY_NS / 1e9 * 1.5)
    env.ok("install", cwd=project)
    return project


def took_fast_path(env, *args, cwd):
    """Whether the command answered without importing the pipeline (seen with -X importtime)."""
    result = env.run(*args, cwd=cwd, extra={"PYTHONPROFILEIMPORTTIME": "1"})
    return "nupm.project" not in result.stderr, result


def test_in_sync_install_is_answered_from_metadata(env, proj):
    fast, result = took_fast_path(env, "install", cwd=proj)
    assert fast and result.returncode == 0
    assert "Up to date: 2 packages" in result.stderr


def test_activate_and_run_answer_as_the_full_path_does(env, proj):
    answers = {}
    for shell in ("nu", "bash", "zsh", "fish"):
        fast, result = took_fast_path(env, "activate", "--shell", shell, cwd=proj)
        assert fast and result.returncode == 0
        answers[shell] = result.stdout
    fast, result = took_fast_path(env, "run", "printenv", "NUPM_ENV", cwd=proj)
    assert fast and result.stdout == "app\n"
    (proj / ".nupm" / fastpath.STATE).write_text("")  # no record: the full path
    for shell, line in answers.items():
        assert env.ok("activate", "--shell", shell, cwd=proj).stdout == line
    assert env.ok("run", "printenv", "NUPM_ENV", cwd=proj).stdout == "app\n"


def test_a_changed_manifest_of_the_same_size_is_noticed(env, proj):
    manifest = proj / "nupm.toml"
    manifest.write_text(manifest.read_text().replace('"^1.0"', '"=1.0"'))
    fast, result = took_fast_path(env, "install", cwd=proj)
    assert not fast and result.returncode == 0
    assert 'version = "1.0.0"' in (proj / "nupm.lock").read_text()


def test_a_removed_command_is_repaired(env, proj):
    (proj / ".nupm" / "bin" / "greet").unlink()
    fast, result = took_fast_path(env, "install", cwd=proj)
    assert not fast and (proj / ".nupm" / "bin" / "greet").exists()


def test_another_nupm_home_is_not_answered_for(env, proj):
    env.vars["NUPM_HOME"] = str(env.tmp / "other-home")
    fast, _ = took_fast_path(env, "install", cwd=proj)
    assert not fast


def test_a_torn_record_is_no_record(env, proj):
    state = proj / ".nupm" / fastpath.STATE
    text = state.read_text()
    state.write_text(text[: len(text) // 2] + text[len(text) // 2 + 1:])
    fast, result = took_fast_path(env, "install", cwd=proj)
    assert not fast and result.returncode == 0


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=200), st.integers(0, 100_000), st.integers(0, 3))
def test_any_record_bytes_are_read_without_error(tmp_path_factory, junk, at, cut):
    """A record is read from a directory a repository could ship: any bytes give the answers or None,
    and a real record with bytes changed, inserted or cut away is no record."""
    root = tmp_path_factory.mktemp("rec")
    (root / ".nupm").mkdir()
    answers = {"packages": 1, "activate": {"nu": "overlay use x"}, "path": ["/p/bin"], "lib_dirs": ["/p/lib"],
               "variables": {"V": "a\tb\nc"}, "tasks": {"t": "print 1"}, "name": "n", "root": "/p"}
    fastpath.record(str(root / ".nupm"), [str(root / "nupm.toml")], [], answers)
    state = root / ".nupm" / fastpath.STATE
    good = state.read_bytes()
    where = at % (len(good) + 1)
    state.write_bytes(good[:where] + junk + good[where + cut:])
    found = fastpath.check(str(root))
    assert found is None or found == answers
