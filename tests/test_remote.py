"""Registries over HTTP, as a user meets them: a real nginx on 127.0.0.1 serves a registry in Nushell nupm's
exact format (tests/realistic.py) and its git repositories over git's dumb protocol. What crossed the wire
is read from nginx's access log."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import realistic
from conftest import NU, make_project, needs_git, needs_nu, snapshot
from nginx import Nginx, find_nginx

pytestmark = [needs_git, pytest.mark.skipif(find_nginx() is None, reason="SKIPPED LOUDLY: nginx is not installed")]

# Every package of the registry that installs, and one that exercises each quirk of real rows.
GOOD = ["full-sha", "short-sha", "light-tag", "annotated-tag", "on-branch", "mono-a", "mono-b", "labelled",
        "with-tools", "collection", "script-pkg"]
# The ones whose rows pin a commit, a short sha or a tag: re-locking them needs no git traffic.
PINNED = ["full-sha", "short-sha", "light-tag", "annotated-tag", "mono-a"]


def _serve(root: Path) -> tuple[Nginx, realistic.Registry]:
    site = root / "site"
    site.mkdir(parents=True)
    (root / "nginx").mkdir()
    server = Nginx(site, root / "nginx").start()
    return server, realistic.build_registry(site, f"{server.url}/git")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One server and registry for the tests that only read it."""
    server, registry = _serve(tmp_path_factory.mktemp("served"))
    yield server, registry
    server.stop()


@pytest.fixture
def own(tmp_path):
    """A server and registry of the test's own, for tests that change or stop them."""
    server, registry = _serve(tmp_path / "own")
    yield server, registry
    server.stop()


def registry_url(server: Nginx) -> str:
    return f"{server.url}/registry/registry.nuon"


def use_registry(env, server: Nginx, name: str = "t") -> None:
    env.config.write_text(f'[registries]\n{name} = "{registry_url(server)}"\n')


def app(env, name: str = "app") -> Path:
    return make_project(env.tmp / name, name)


def git_requests(server: Nginx) -> list:
    return [r for r in server.requests() if r.path.startswith("/git/")]


def registry_requests(server: Nginx) -> list:
    return [r for r in server.requests() if r.path.startswith("/registry/")]


# -- the whole flow, from a fresh HOME ------------------------------------------------------------------
@needs_nu
def test_init_and_add_from_an_http_registry_with_every_kind_of_git_row(env, served):
    server, registry = served
    project = env.tmp / "fresh"
    project.mkdir()
    env.config.unlink()  # nothing configured by hand...
    env.ok("init", cwd=project)
    env.ok("registry", "add", "t", registry_url(server), cwd=project)  # ...but the registry URL
    added = env.ok("add", *GOOD, cwd=project)
    assert "labelled@main" in added.stderr  # the non-SemVer row is skipped with a note
    assert "written for Nushell 0.89.0" in added.stderr  # with-tools names an old Nushell: said clearly
    lock = (project / "nupm.lock").read_text()
    assert f'index = "{registry_url(server)}"' in lock  # the registry by URL: the lock is portable
    assert registry.sha("short-sha", "165ae83") in lock  # a short sha, locked as the full commit
    assert registry.sha("annotated-tag", "v1.0.0") in lock  # an annotated tag, peeled to its commit
    assert registry.tag_object("annotated-tag", "v1.0.0") not in lock
    assert registry.sha("on-branch", "main") in lock  # a branch, at the commit it pointed to
    code = "; ".join(["overlay use .nupm/fresh.nu"] + [f"print ({registry.cases[n].nu})" for n in GOOD
                                                       if registry.cases[n].nu and n != "collection"])
    out = subprocess.run([NU, "-n", "-c", code], cwd=project, env=env.vars, capture_output=True, text=True)
    expected = [registry.cases[n].prints for n in GOOD if registry.cases[n].nu and n != "collection"]
    assert out.stdout.split("\n")[:len(expected)] == expected, out.stderr
    # A module collection: no mod.nu, each file used on its own, on a later line as in the REPL (the config
    # runs before the command is parsed, as one REPL line runs before the next is).
    config = project / "activate-config.nu"
    config.write_text(f"overlay use {project / '.nupm/fresh.nu'}\n")
    out = subprocess.run([NU, "--no-std-lib", "--config", str(config), "-c", "use collection/dark.nu\n"
                          "print (dark colors | get version)"], cwd=project, env=env.vars, capture_output=True,
                         text=True)
    assert out.stdout.strip() == "0.1.0", out.stderr
    script = subprocess.run([str(project / ".nupm/bin/script-pkg")], env=env.vars, capture_output=True, text=True)
    assert script.stdout.strip() == "script-pkg 0.1.0", script.stderr


def test_a_label_is_asked_for_by_its_exact_name(env, served):
    server, registry = served
    use_registry(env, server)
    project = app(env)
    env.ok("add", "labelled@main", cwd=project)
    lock = (project / "nupm.lock").read_text()
    assert 'version = "main"' in lock and registry.sha("labelled", "main") in lock
    assert 'labelled = "main"' in (project / "nupm.toml").read_text()


# -- what a warm run sends ----------------------------------------------------------------------------------
def test_first_lock_downloads_and_a_warm_relock_gets_only_304s(env, served):
    server, _ = served
    use_registry(env, server)
    project = app(env)
    server.clear_log()
    env.ok("add", *PINNED, cwd=project)
    first = registry_requests(server)
    assert first and all(r.status in (200, 404) for r in first)
    assert {r.path for r in first if r.status == 200} >= {f"/registry/{n}.nuon" for n in PINNED}
    assert git_requests(server), "the first lock clones"
    lock_bytes = (project / "nupm.lock").read_bytes()

    server.clear_log()
    (project / "nupm.lock").unlink()
    env.ok("lock", cwd=project)
    again = server.requests()
    assert (project / "nupm.lock").read_bytes() == lock_bytes
    assert again and all(r.status == 304 for r in again), [(r.path, r.status) for r in again]
    assert all(r.if_none_match for r in again)
    assert sum(r.bytes_sent for r in again) == 0
    assert len({r.path for r in again}) == len(again)  # each file asked for once


def test_offline_resolves_from_the_cache_and_names_what_is_missing(env, own):
    server, _ = own
    use_registry(env, server)
    project = app(env)
    env.ok("add", *PINNED, cwd=project)
    server.stop()
    (project / "nupm.lock").unlink()
    env.ok("lock", "--offline", cwd=project)
    (project / "nupm.lock").unlink()
    offline_env = {**env.vars, "NUPM_OFFLINE": "1"}
    proc = subprocess.run([*env_cmd(), "lock"], cwd=project, env=offline_env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    # Something never fetched: the error names it and says we are offline.
    before = snapshot(project)
    proc = env.run("add", "on-branch", "--offline", cwd=project)
    assert proc.returncode == 1
    assert "offline" in proc.stderr and "Traceback" not in proc.stderr
    assert snapshot(project) == before


def env_cmd() -> list[str]:
    import sys

    return [sys.executable, "-m", "nupm"]


def test_server_down_without_offline_is_one_clear_error_and_changes_nothing(env, own):
    server, _ = own
    use_registry(env, server)
    project = app(env)
    env.ok("add", "full-sha", cwd=project)
    server.stop()
    before = snapshot(project)
    proc = env.run("add", "short-sha", cwd=project)
    assert proc.returncode == 1
    assert registry_url(server) in proc.stderr and "connection refused" in proc.stderr
    assert proc.stderr.count("error:") == 1 and "Traceback" not in proc.stderr
    assert snapshot(project) == before


@pytest.mark.parametrize("where, said", [
    ("status/404/registry.nuon", "no registry.nuon"),
    ("status/500/registry.nuon", "HTTP 500"),
    ("hang/registry.nuon", "timed out"),
    ("truncated/registry.nuon", "cut short"),
])
def test_http_failures_are_clear_errors_that_change_nothing(env, served, where, said):
    server, _ = served
    url = f"{server.url}/{where}"
    env.config.write_text(f'[registries]\nbad = "{url}"\n')
    project = app(env)
    before = snapshot(project)
    server.clear_log()
    proc = env.run("add", "full-sha", cwd=project, extra={"NUPM_HTTP_TIMEOUT": "1"})
    assert proc.returncode == 1, proc.stderr
    assert said in proc.stderr and url in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert snapshot(project) == before
    if "500" in where:  # retried with backoff before giving up
        assert len([r for r in server.requests() if r.path.startswith("/status/500/")]) == 4


def test_a_package_file_whose_md5_differs_from_the_index_is_refused_with_both_hashes(env, served):
    server, registry = served
    tampered = registry.dir.parent / "tampered"
    if not tampered.exists():
        shutil.copytree(registry.dir, tampered)
        data = (tampered / "full-sha.nuon").read_bytes()
        (tampered / "full-sha.nuon").write_bytes(data.replace(b"full-sha, ", b"full-sha,  ", 1))
    env.config.write_text(f'[registries]\nt = "{server.url}/tampered/registry.nuon"\n')
    project = app(env)
    proc = env.run("add", "full-sha", cwd=project)
    assert proc.returncode == 1
    expected = realistic.md5_hash((registry.dir / "full-sha.nuon").read_bytes())
    actual = realistic.md5_hash((tampered / "full-sha.nuon").read_bytes())
    assert expected in proc.stderr and actual in proc.stderr and "refusing" in proc.stderr


# -- broken rows ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec, words", [
    ("missing-path@0.1.0", ["missing-path@0.1.0", "path pkgs/nope", "revision 0.1.0", "no directory"]),
    ("missing-path@0.2.0", ["missing-path@0.2.0", "path missing-path.nuon", "no directory"]),
    ("missing-rev", ["missing-rev@0.1.0", realistic.MISSING_SHA, "git:"]),
    ("untyped", ["untyped@0.1.0", "nupm.nuon", "missing 'type'", "/git/untyped.git"]),
])
def test_a_broken_row_is_one_error_naming_the_package_the_row_and_gits_words(env, served, spec, words):
    server, _ = served
    use_registry(env, server)
    project = app(env)
    before = snapshot(project)
    proc = env.run("add", spec, cwd=project)
    assert proc.returncode == 1, proc.stderr
    for word in words:
        assert word in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and "/cache/" not in proc.stderr
    assert snapshot(project) == before


# -- registries and their order ------------------------------------------------------------------------------
def test_the_official_registry_is_configured_out_of_the_box(env):
    env.config.unlink()
    rows = json.loads(env.ok("registry", "list", "--json").stdout)
    assert rows == [{"name": "nushell", "scope": "default",
                     "location": "https://raw.githubusercontent.com/nushell/nupm/main/registry/registry.nuon"}]


def test_registry_verbs_edit_config_and_project(env, served):
    server, registry = served
    env.config.write_text("# my registries\n[registries]\n")
    env.ok("registry", "add", "t", registry_url(server))
    env.ok("registry", "rename", "t", "team")
    env.ok("registry", "set-url", "team", str(registry.dir))
    assert "# my registries" in env.config.read_text()
    rows = json.loads(env.ok("registry", "list", "--json").stdout)
    assert rows == [{"name": "team", "location": str(registry.dir), "scope": "config"}]
    described = json.loads(env.ok("registry", "describe", "team", "--json").stdout)
    assert {"full-sha", "labelled", "mono-b"} <= {r["name"] for r in described}
    env.ok("registry", "remove", "team")
    assert json.loads(env.ok("registry", "list", "--json").stdout) == []
    assert env.run("registry", "remove", "team").returncode == 1

    project = app(env)
    env.ok("registry", "add", "local", str(registry.dir), "--project", cwd=project)
    text = (project / "nupm.toml").read_text()
    assert "[registries]" in text and '"../served' not in text  # relative to the project
    moved = env.tmp / "elsewhere"
    shutil.copytree(project, moved)
    rows = json.loads(env.ok("registry", "list", "--json", cwd=moved).stdout)
    assert rows == [{"name": "local", "location": str(registry.dir), "scope": "project"}]


def test_a_package_found_in_the_first_registry_is_never_taken_from_a_later_one(env, served, tmp_path):
    server, registry = served
    # The project's own registry (searched first) has light-tag 0.1.0 only; the user's has 0.1.0 and 0.2.0.
    mine = tmp_path / "mine"
    shutil.copytree(registry.dir, mine)
    old = (mine / "light-tag.nuon").read_bytes()
    rows = [r for r in registry.rows["light-tag"] if r["version"] == "0.1.0"]
    new = realistic.nuon_table(realistic.PKG_COLUMNS, rows).encode()
    (mine / "light-tag.nuon").write_bytes(new)
    (mine / "registry.nuon").write_text((mine / "registry.nuon").read_text().replace(
        realistic.md5_hash(old), realistic.md5_hash(new)))
    use_registry(env, server)
    project = app(env)
    env.ok("registry", "add", "mine", str(mine), "--project", cwd=project)
    assert [r["name"] for r in json.loads(env.ok("registry", "list", "--json", cwd=project).stdout)] == ["mine", "t"]
    proc = env.run("add", "light-tag@^0.2", cwd=project)
    assert proc.returncode == 1 and "available: 0.1.0" in proc.stderr, proc.stderr
    env.ok("add", "light-tag", cwd=project)
    lock = (project / "nupm.lock").read_text()
    assert 'registry = "mine"' in lock and 'version = "0.1.0"' in lock


# -- discovery ------------------------------------------------------------------------------------------------
def test_search_info_and_outdated(env, own):
    server, registry = own
    use_registry(env, server)
    project = app(env)
    found = json.loads(env.ok("search", "tag", "--json").stdout)
    assert [r["name"] for r in found] == ["annotated-tag", "light-tag"]
    assert found[1]["newest"] == "0.2.0"
    env.ok("add", "light-tag@0.1.0", cwd=project)
    info = json.loads(env.ok("info", "light-tag", "--json").stdout)
    assert [v["version"] for v in info["versions"]] == ["0.2.0", "0.1.0"]
    assert info["type"] == "module" and info["installed"][0]["version"] == "0.1.0"
    registry.add_version("light-tag", "0.3.0")
    registry.add_version("light-tag", "1.0.0")
    rows = json.loads(env.ok("outdated", "--json", cwd=project).stdout)
    assert rows == [{"name": "light-tag", "locked": "0.1.0", "allowed": "0.1.0", "newest": "1.0.0",
                     "registry": "t", "outdated": True}]
    text = env.ok("outdated", cwd=project).stdout
    assert "light-tag" in text and "1.0.0" in text


# -- parallel and serial give the same lock ---------------------------------------------------------------
def test_jobs_one_and_parallel_lock_the_same(env, served):
    server, _ = served
    use_registry(env, server)
    one, many = app(env, "one"), app(env, "many")
    env.ok("add", *GOOD, "--jobs", "1", cwd=one)
    env.ok("add", *GOOD, "--jobs", "8", cwd=many)
    strip = lambda p: (p / "nupm.lock").read_text().replace('"one"', "").replace('"many"', "")  # noqa: E731
    assert strip(one) == strip(many)


def test_a_branch_row_stays_at_its_locked_commit_until_update(env, own):
    server, registry = own
    use_registry(env, server)
    project = app(env)
    env.ok("add", "on-branch", cwd=project)
    first = registry.sha("on-branch", "main")
    repo = registry.repos["on-branch"]
    moved = repo.commit({"NOTES.md": "the branch moved on\n"}, "notes")
    repo.publish()
    server.clear_log()
    env.ok("add", "full-sha", cwd=project)  # a re-lock: on-branch is kept, and its repository not even asked
    assert first in (project / "nupm.lock").read_text()
    assert not [r for r in server.requests() if r.path.startswith("/git/on-branch.git")]
    env.ok("update", "on-branch", cwd=project)
    lock = (project / "nupm.lock").read_text()
    assert moved in lock and first not in lock


def test_progress_is_a_live_line_on_a_terminal_and_plain_lines_otherwise(env, served):
    import sys

    import pexpect

    server, _ = served
    use_registry(env, server)
    plain = app(env, "plain")
    proc = env.ok("add", *PINNED, cwd=plain)
    assert proc.stdout == ""
    for name in PINNED:
        assert f"Fetched {name} " in proc.stderr and f"Installed {name} " in proc.stderr
    assert "HTTP: " in proc.stderr and "\x1b[" not in proc.stderr
    live = app(env, "live")
    fresh = {**env.vars, "NUPM_HOME": str(env.tmp / "home2"), "XDG_CACHE_HOME": str(env.tmp / "cache2")}
    child = pexpect.spawn(sys.executable, ["-m", "nupm", "add", *PINNED], cwd=str(live), env=fresh,
                          encoding="utf-8", timeout=60, dimensions=(30, 160))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "Installing" in child.before and f"/{len(PINNED)}" in child.before  # done / total
    assert "\x1b[" in child.before and "Fetched full-sha" not in child.before  # redrawn, not a log


def test_a_validator_that_cannot_tell_two_versions_apart_does_not_break_the_registry(env, own):
    """nginx's ETag is mtime (seconds) and size: a registry.nuon rewritten within the same second, at the same
    size, revalidates as unchanged while its package file did change. The md5 check must see through it."""
    import os

    server, registry = own
    use_registry(env, server)
    project = app(env)
    env.ok("add", "light-tag@0.1.0", cwd=project)  # caches registry.nuon and light-tag.nuon
    listing = registry.dir / "registry.nuon"
    before = listing.stat()
    registry.add_version("light-tag", "0.3.0")
    assert listing.stat().st_size == before.st_size
    os.utime(listing, ns=(before.st_atime_ns, before.st_mtime_ns))  # the same validator as the cached copy
    rows = json.loads(env.ok("outdated", "--json", cwd=project).stdout)
    assert rows[0]["newest"] == "0.3.0"
