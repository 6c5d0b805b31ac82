"""nupm killed (SIGKILL) at the moments that matter, chosen with pause points rather than luck: the next run
and `nupm gc` clean what was left, listings never show it, history tells the truth, verify can repair."""

from __future__ import annotations

import json
import os
import signal

from conftest import make_project, make_registry
from test_concurrency import Run, gate, wait_for


def _registry(env, tmp_path):
    env.configure(main=make_registry(tmp_path / "reg", [("spam", "1.0.0", {}), ("spam", "1.1.0", {}),
                                                          ("eggs", "1.0.0", {})]))


def killed_at(env, point: str, args: list[str], cwd) -> None:
    with gate(env, point) as (pause, reached):
        run = Run(env, args, cwd, pause)
        wait_for(reached.exists, f"nupm to reach {point}")
        os.kill(run.proc.pid, signal.SIGKILL)
        run.finish()


def names(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []


def test_a_half_built_store_entry_is_never_listed_and_gc_removes_it(env, tmp_path):
    _registry(env, tmp_path)
    project = make_project(env.tmp / "app", deps={"spam": "^1"})
    killed_at(env, "store-built", ["install"], project)
    left = [n for n in names(env.home / "store") if n.startswith(".tmp-")]
    assert left, "the kill left the half-built entry"
    assert json.loads(env.ok("store", "list", "--json").stdout) == []
    dry = env.ok("gc", "--dry-run")
    assert left[0] in dry.stdout and (env.home / "store" / left[0]).exists()
    env.ok("gc")
    assert not [n for n in names(env.home / "store") if n.startswith(".tmp-")]
    env.ok("install", cwd=project)


def test_a_killed_environment_swap_is_cleaned_by_the_next_install(env, tmp_path):
    _registry(env, tmp_path)
    project = make_project(env.tmp / "app", deps={"spam": "^1"})
    killed_at(env, "env-built", ["install"], project)
    assert [n for n in names(project) if n.startswith(".nupm.tmp-")]
    env.ok("install", cwd=project)
    assert not [n for n in names(project) if n.startswith(".nupm.")], names(project)
    assert (project / ".nupm/lib/spam").resolve().is_dir()


def test_a_killed_overlay_change_leaves_no_phantom_environment(env, tmp_path):
    _registry(env, tmp_path)
    env.ok("overlay", "new", "work")
    (env.home / "overlays/work-debris.tmp-pid1-x").mkdir()  # not ours to judge: pid 1 runs; still never listed
    killed_at(env, "env-built", ["install", "spam", "--overlay", "work", "-y"], env.tmp)
    assert [n for n in names(env.home / "overlays") if n.startswith("work.tmp-")]
    listed = json.loads(env.ok("overlay", "list", "--json").stdout)
    assert [o["name"] for o in listed] == ["work"]
    env.ok("gc")
    assert not [n for n in names(env.home / "overlays") if n.startswith("work.tmp-")]
    env.ok("overlay", "remove", "work", "-y")


def test_history_tells_the_truth_after_a_kill_between_record_and_swap(env, tmp_path):
    _registry(env, tmp_path)
    env.ok("overlay", "new", "work")
    env.ok("install", "spam@1.0.0", "--overlay", "work", "-y")
    killed_at(env, "generation-recorded", ["install", "eggs", "--overlay", "work", "-y"], env.tmp)
    history = json.loads(env.ok("overlay", "history", "work", "--json").stdout)
    assert [g["number"] for g in history] == [1, 2] and history[-1]["current"]
    assert "eggs" not in (env.home / "overlays/work/nupm.toml").read_text()
    env.ok("overlay", "rollback", "work", "-y")  # one step back from 2: the empty environment
    assert "spam" not in (env.home / "overlays/work/nupm.toml").read_text()
    history = json.loads(env.ok("overlay", "history", "work", "--json").stdout)
    assert [g["number"] for g in history] == [1, 2, 3]


def test_verify_reports_an_entry_killed_before_its_marker_and_repair_removes_it(env, tmp_path):
    _registry(env, tmp_path)
    project = make_project(env.tmp / "app", deps={"spam": "^1"})
    killed_at(env, "store-renamed", ["install"], project)
    proc = env.run("store", "verify")
    assert proc.returncode == 1 and "incomplete" in proc.stdout
    env.ok("store", "verify", "--repair")
    env.ok("store", "verify")
    env.ok("install", cwd=project)
