"""Store maintenance: gc roots, gc (also racing installs), verify and repair, listing, cache clean."""

import json
import os
import shutil

import pytest
from conftest import git, make_project, make_registry, needs_git, write_package

PACKAGES = [("shared", "1.0.0", {}), ("only-a", "1.0.0", {}), ("only-b", "1.0.0", {})]


@pytest.fixture
def two_projects(env):
    env.configure(main=make_registry(env.tmp / "reg", PACKAGES))
    a = make_project(env.tmp / "a", "a", deps={"shared": "*", "only-a": "*"})
    b = make_project(env.tmp / "b", "b", deps={"shared": "*", "only-b": "*"})
    env.ok("install", cwd=a)
    env.ok("install", cwd=b)
    return a, b


def store_names(env):
    return sorted(p.name for p in (env.home / "store").iterdir() if p.is_dir())


def env_entries_exist(project):
    description = json.loads((project / ".nupm" / "env.json").read_text())
    return all(os.path.isdir(p["store"]) and os.path.isfile(p["store"] + ".json") for p in description["packages"])


def test_gc_keeps_live_projects_and_drops_removed_ones(env, two_projects):
    a, b = two_projects
    assert env.ok("gc", cwd=a).stdout == ""  # everything is in use
    assert len(store_names(env)) == 3
    shutil.rmtree(b)
    dry = env.ok("gc", "--dry-run", cwd=a)
    assert dry.stdout.strip() == f"would remove {[n for n in store_names(env) if n.startswith('only-b')][0]}"
    assert len(store_names(env)) == 3 and len(list((env.home / "roots").glob("*.json"))) == 2
    env.ok("gc", cwd=a)
    assert [n.split("-1.0.0")[0] for n in store_names(env)] == ["only-a", "shared"]
    assert len(list((env.home / "roots").glob("*.json"))) == 1
    assert env_entries_exist(a)
    env.ok("install", "--frozen", cwd=a)
    assert "Up to date" in env.ok("install", cwd=a).stderr


def test_verify_detects_flipped_byte_and_deleted_file_and_repairs(env, two_projects):
    a, _ = two_projects
    assert env.run("store", "verify", cwd=a).returncode == 0
    entries = sorted(p for p in (env.home / "store").iterdir() if p.is_dir())
    flipped = next(entries[0].rglob("mod.nu"))
    os.chmod(flipped.parent, 0o755)
    os.chmod(flipped, 0o644)
    data = bytearray(flipped.read_bytes())
    data[0] ^= 1
    flipped.write_bytes(bytes(data))
    deleted = next(entries[1].rglob("mod.nu"))
    os.chmod(deleted.parent, 0o755)
    deleted.unlink()
    result = env.run("store", "verify", cwd=a)
    assert result.returncode == 1
    assert f"{entries[0].name}: content hash" in result.stdout and f"{entries[1].name}: content hash" in result.stdout
    repaired = env.run("store", "verify", "--repair", cwd=a)
    assert repaired.returncode == 0 and repaired.stdout.count("repaired") == 2, repaired.stdout
    assert env.run("store", "verify", cwd=a).returncode == 0


def test_store_list_json_has_sizes(env, two_projects):
    rows = json.loads(env.ok("store", "list", "--json", cwd=two_projects[0]).stdout)
    assert len(rows) == 3 and all(r["complete"] and r["size"] > 0 for r in rows)


@needs_git
def test_cache_clean_empties_download_cache(env, two_projects):
    a, _ = two_projects
    repo = write_package(env.tmp / "gitpkg", "gitpkg", "1.0.0")
    git("init", "-q", "-b", "main", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "one", cwd=repo)
    env.ok("add", "--git", str(repo), cwd=a)
    assert any((env.home / "cache").rglob("*"))
    env.ok("cache", "clean", cwd=a)
    assert not any((env.home / "cache").iterdir())
    assert env_entries_exist(a)
