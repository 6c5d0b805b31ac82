"""Two nupm processes at once, made deterministic with pause points: the test holds a lock (the gate), one
nupm stops at a named point (NUPM_PAUSE_AT) until the gate opens, the other runs meanwhile. No sleeps: every
wait is for a file or a line to appear, with a deadline."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from conftest import make_project, make_registry
from filelock import FileLock

DEADLINE = 60.0


def wait_for(check, what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class Run:
    """A nupm process in the background, its stderr in a file the test can watch."""

    def __init__(self, env, args: list[str], cwd: Path, extra: dict | None = None):
        self.err = env.tmp / f"stderr-{len(list(env.tmp.glob('stderr-*')))}"
        with open(self.err, "w") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "nupm", *args], cwd=cwd, stderr=err,
                                         stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                         env={**env.vars, **(extra or {})})

    def said(self) -> str:
        return self.err.read_text()

    def finish(self) -> int:
        return self.proc.wait(timeout=DEADLINE)


@contextmanager
def gate(env, point: str):
    """Hold the gate; yields the variables that make a nupm stop at `point`, and a check that it got there."""
    lock = env.tmp / f"gate-{point}"
    held = FileLock(str(lock))
    held.acquire()
    try:
        yield {"NUPM_PAUSE_AT": point, "NUPM_PAUSE_LOCK": str(lock)}, Path(f"{lock}.{point}")
    finally:
        held.release()


def _registry(env, tmp_path, names=("spam", "eggs", "ham")):
    env.configure(main=make_registry(tmp_path / "reg", [(n, "1.0.0", {}) for n in names]))


def test_two_adds_in_one_project_keep_both_edits(env, tmp_path):
    _registry(env, tmp_path)
    project = make_project(env.tmp / "app")
    with gate(env, "add-read") as (pause, reached):
        first = Run(env, ["add", "spam"], project, pause)
        wait_for(reached.exists, "the first add to read the manifest")
        second = Run(env, ["add", "eggs"], project)
        wait_for(lambda: "waiting for project" in second.said(), "the second add to say it waits")
        assert f"held by pid {first.proc.pid}" in second.said()
    assert first.finish() == 0 and second.finish() == 0, (first.said(), second.said())
    manifest, lock = (project / "nupm.toml").read_text(), (project / "nupm.lock").read_text()
    assert "spam" in manifest and "eggs" in manifest and "spam" in lock and "eggs" in lock


def test_two_installs_into_one_global_environment_keep_both(env, tmp_path):
    _registry(env, tmp_path)
    env.ok("overlay", "new", "work")
    with gate(env, "overlay-read") as (pause, reached):
        first = Run(env, ["install", "spam", "--overlay", "work", "-y"], env.tmp, pause)
        wait_for(reached.exists, "the first install to read the environment")
        second = Run(env, ["install", "eggs", "--overlay", "work", "-y"], env.tmp)
        wait_for(lambda: "waiting for global environment work" in second.said(), "the second to wait")
    assert first.finish() == 0 and second.finish() == 0, (first.said(), second.said())
    manifest = (env.home / "overlays/work/nupm.toml").read_text()
    assert "spam" in manifest and "eggs" in manifest
    history = env.ok("overlay", "history", "work", "--json").stdout
    assert history.count('"number"') == 3  # created, +spam, +eggs: no generation overwritten


def test_creating_one_environment_twice_at_once_is_exclusive(env):
    with gate(env, "overlay-create") as (pause, reached):
        first = Run(env, ["overlay", "new", "work"], env.tmp, pause)
        wait_for(reached.exists, "the first create")
        second = Run(env, ["overlay", "new", "work"], env.tmp)
        wait_for(lambda: "waiting for global environment work" in second.said(), "the second to wait")
    assert first.finish() == 0
    assert second.finish() == 1 and "already exists" in second.said()
    assert "Traceback" not in second.said()


def test_gc_during_an_install_never_breaks_the_environment(env, tmp_path):
    _registry(env, tmp_path)
    # The store holds the packages, but no environment uses them: gc would take them...
    old = make_project(env.tmp / "old", "old", deps={"spam": "^1", "eggs": "^1"})
    env.ok("install", cwd=old)
    import shutil

    shutil.rmtree(old / ".nupm")
    new = make_project(env.tmp / "new", "new", deps={"spam": "^1", "eggs": "^1"})
    env.ok("lock", cwd=new)
    # ...while an install that has just found them in the store is paused.
    with gate(env, "install-found") as (pause, reached):
        install = Run(env, ["install"], new, pause)
        wait_for(reached.exists, "the install to find its store entries")
        gc = env.ok("gc")
        assert "removed 0 store entries" in gc.stderr, gc.stderr
    assert install.finish() == 0, install.said()
    for link in (new / ".nupm/lib").iterdir():
        assert link.resolve().is_dir(), f"{link} dangles"


def test_waiting_is_said_only_after_a_second_and_names_the_holder(env, tmp_path):
    _registry(env, tmp_path)
    project = make_project(env.tmp / "app")
    from nupm.paths import Home

    lock = Home(env.home).project_lock(project)
    lock.parent.mkdir(parents=True, exist_ok=True)
    held = FileLock(str(lock))
    held.acquire()
    lock.write_text(f"{os.getpid()}\n")
    try:
        waiting = Run(env, ["add", "spam"], project)
        wait_for(lambda: "waiting for project" in waiting.said(), "the message")
        assert f"held by pid {os.getpid()}" in waiting.said()
        assert waiting.proc.poll() is None  # still waiting, not failed
    finally:
        held.release()
    assert waiting.finish() == 0
