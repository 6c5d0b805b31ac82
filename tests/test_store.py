"""The store: atomic, verified, read-only entries; safe under concurrent installs."""

import json
import os
import shutil
import stat
import subprocess
import sys

import pytest
from conftest import make_project, make_registry, snapshot

from nupm import fsutil
from nupm.fsutil import UnsafeTree, tree_hash

PACKAGES = [(f"p{i}", "1.0.0", {"shared": "^1"}) for i in range(12)] + [("shared", "1.0.0", {})]


@pytest.fixture
def locked(env):
    env.configure(main=make_registry(env.tmp / "reg", PACKAGES))
    project = make_project(env.tmp / "app", deps={f"p{i}": "^1" for i in range(12)})
    env.ok("lock", cwd=project)
    return project


def store_entries(env):
    return sorted(p.name for p in (env.home / "store").iterdir())


def test_entries_are_complete_read_only_and_verified(env, locked):
    env.ok("install", cwd=locked)
    names = store_entries(env)
    dirs = [n for n in names if not n.endswith(".json")]
    assert len(dirs) == 13 and all(f"{d}.json" in names for d in dirs)
    assert not any(n.startswith(".tmp") for n in names)
    entry = env.home / "store" / dirs[0]
    marker = json.loads((env.home / "store" / f"{dirs[0]}.json").read_text())
    assert marker["tree_hash"] == tree_hash(entry)
    assert not os.stat(entry).st_mode & 0o222
    assert all(not os.stat(p).st_mode & 0o222 for p in entry.rglob("*"))


def test_incomplete_entry_is_redone(env, locked):
    env.ok("install", cwd=locked)
    store = env.home / "store"
    victim = next(p for p in store.iterdir() if p.is_dir())
    (store / f"{victim.name}.json").unlink()  # as if killed before the marker was written
    os.chmod(victim, 0o755)
    for f in victim.rglob("*.nu"):
        os.chmod(f, 0o644)
        f.write_text("half-written")
    shutil.rmtree(locked / ".nupm")
    env.ok("install", cwd=locked)
    assert (store / f"{victim.name}.json").exists()
    assert "half-written" not in {f.read_text() for f in victim.rglob("*.nu")}


def test_changed_source_fails_hash_check_and_leaves_nothing(env, locked):
    (env.tmp / "reg" / "pkgs" / "p3-1.0.0" / "p3" / "mod.nu").write_text("tampered\n")
    before = snapshot(locked)
    result = env.run("install", cwd=locked)
    assert result.returncode == 1 and "does not match the lock" in result.stderr
    assert not any(n.startswith("p3-") or n.startswith(".tmp") for n in store_entries(env))
    assert snapshot(locked) == before


def test_many_processes_install_one_lock_into_one_fresh_store(env, locked):
    projects = []
    for i in range(8):
        copy = env.tmp / f"copy{i}"
        shutil.copytree(locked, copy)
        projects.append(copy)
    procs = [subprocess.Popen([sys.executable, "-m", "nupm", "install", "--frozen"], cwd=p, env=env.vars,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p in projects]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert all(code == 0 for code, _ in results), results
    names = store_entries(env)
    dirs = [n for n in names if not n.endswith(".json")]
    assert len(dirs) == 13 and not any(n.startswith(".tmp") for n in names)
    for d in dirs:
        marker = json.loads((env.home / "store" / f"{d}.json").read_text())
        assert marker["tree_hash"] == tree_hash(env.home / "store" / d)
    envs = {(p / ".nupm" / "env.json").read_text().replace(str(p), "") for p in projects}
    assert len(envs) == 1


def test_tree_hash_covers_paths_exec_bits_and_contents(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.nu").write_text("1")
    first = tree_hash(tmp_path)
    os.chmod(tmp_path / "a" / "x.nu", 0o755)
    second = tree_hash(tmp_path)
    (tmp_path / "a" / "x.nu").write_text("2")
    third = tree_hash(tmp_path)
    (tmp_path / "a" / "x.nu").rename(tmp_path / "a" / "y.nu")
    fourth = tree_hash(tmp_path)
    assert len({first, second, third, fourth}) == 4
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ignored")
    assert tree_hash(tmp_path) == fourth  # a working copy's metadata is not content
    copy = tmp_path.parent / (tmp_path.name + "-copy")
    shutil.copytree(tmp_path / "a", copy / "a")
    assert tree_hash(copy) == fourth  # where the tree lives is not content either


def test_special_files_are_refused(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(UnsafeTree, match="special file"):
        tree_hash(tmp_path)


def test_env_dir_swap_keeps_old_on_failure(env, locked):
    env.ok("install", cwd=locked)
    before = snapshot(locked / ".nupm")
    # two packages offering one command: the new environment cannot be built.
    (locked / "clash.nu").write_text("def main [] {}\n")
    (locked / "p0.nu").write_text("def main [] {}\n")
    path = locked / "nupm.toml"
    path.write_text(path.read_text().replace('type = "module"', 'type = "module"\nscripts = ["p0.nu"]'))
    reg = env.tmp / "reg"
    make_registry(reg, [*PACKAGES, ("p0", "1.1.0", {}, "script")])
    result = env.run("update", "p0", cwd=locked)
    assert result.returncode == 1 and "command p0 is provided by both" in result.stderr
    assert snapshot(locked / ".nupm") == before
    assert not [p for p in locked.iterdir() if p.name.startswith(".nupm.")]


def test_replace_dir_swaps_whole_directories(tmp_path):
    old, new = tmp_path / "env", tmp_path / "env.new"
    old.mkdir()
    (old / "a").write_text("old")
    new.mkdir()
    (new / "b").write_text("new")
    fsutil.replace_dir(new, old)
    assert sorted(p.name for p in old.iterdir()) == ["b"] and not new.exists()
    assert stat.S_ISDIR(os.stat(old).st_mode)
