"""Archive sources (a .tar.gz or .zip by URL with its sha256) and the sparse index that `nupm publish`
writes, both served by a real nginx; unpacking hostile archives is proved in-process."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import git, make_project, needs_git, snapshot, write_package
from nginx import Nginx, find_nginx

from nupm.sources import archive

needs_nginx = pytest.mark.skipif(find_nginx() is None, reason="SKIPPED LOUDLY: nginx is not installed")


def tar_gz(files: dict[str, bytes | tuple], top: str = "pkg-1.0.0") -> bytes:
    """A .tar.gz; a value (type, target) makes a link or special member instead of a file."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(f"{top}/{name}" if top and not name.startswith(("/", "..")) else name)
            if isinstance(content, tuple):
                info.type, info.linkname = content
                tar.addfile(info)
            else:
                info.size, info.mode = len(content), 0o644
                tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


def module_tree(name: str, version: str) -> dict[str, bytes]:
    return {"nupm.toml": f'[package]\nname = "{name}"\nversion = "{version}"\ntype = "module"\n'.encode(),
            f"{name}/mod.nu": f'export def hello [] {{ "{name} {version}" }}\n'.encode()}


# -- unpacking refuses everything but plain files below the archive's own directory ------------------------
@pytest.mark.parametrize("member, said", [
    ({"/etc/evil": b"x"}, "refusing path"),
    ({"../evil": b"x"}, "refusing path"),
    ({"a/../../evil": b"x"}, "refusing path"),
    ({"link": (tarfile.SYMTYPE, "/etc/passwd")}, "refusing link"),
    ({"inside": (tarfile.SYMTYPE, "nupm.toml")}, "refusing link"),
    ({"hard": (tarfile.LNKTYPE, "/etc/passwd")}, "refusing link"),
    ({"dev": (tarfile.CHRTYPE, "")}, "refusing special file"),
    ({"fifo": (tarfile.FIFOTYPE, "")}, "refusing special file"),
])
def test_hostile_tar_members_are_refused_and_nothing_is_left(tmp_path, member, said):
    data = tar_gz({**module_tree("spam", "1.0.0"), **member})
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(archive.ArchiveError, match=said):
        archive._unpack(archive._tar_members(data), dest, "", "http://x/pkg.tar.gz")
    assert not (tmp_path / "evil").exists() and not Path("/etc/evil").exists()


def test_hostile_zip_members_are_refused(tmp_path):
    for name, attr in (("../evil", 0o100644), ("link", 0o120777)):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            z.writestr("pkg/nupm.toml", b"x")
            info = zipfile.ZipInfo(name)
            info.external_attr = attr << 16
            z.writestr(info, b"/etc/passwd")
        with pytest.raises(archive.ArchiveError, match="refusing"):
            archive._unpack(archive._zip_members(out.getvalue()), tmp_path, "", "http://x/p.zip")


def test_size_and_file_count_limits(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_FILES", 3)
    data = tar_gz({f"f{i}.nu": b"x" for i in range(5)})
    with pytest.raises(archive.ArchiveError, match="larger than nupm unpacks"):
        archive._unpack(archive._tar_members(data), tmp_path, "", "u")
    monkeypatch.setattr(archive, "MAX_FILES", 100)
    monkeypatch.setattr(archive, "MAX_BYTES", 10)
    with pytest.raises(archive.ArchiveError, match="larger than nupm unpacks"):
        archive._unpack(archive._tar_members(tar_gz({"big": b"y" * 11})), tmp_path, "", "u")


def test_garbage_is_not_an_archive(tmp_path):
    for data in (b"", b"not an archive", b"PK\x03\x04garbage", b"\x1f\x8b\x08garbage"):
        with pytest.raises(archive.ArchiveError):
            archive._unpack(archive._zip_members(data) if data.startswith(b"PK") else archive._tar_members(data),
                            tmp_path, "", "u")


def test_one_top_directory_is_stripped_and_a_subdir_selected(tmp_path):
    data = tar_gz({**module_tree("spam", "1.0.0"), "sub/x.nu": b"x"})
    archive._unpack(archive._tar_members(data), tmp_path / "a", "", "u")
    assert (tmp_path / "a/spam/mod.nu").is_file()
    archive._unpack(archive._tar_members(data), tmp_path / "b", "sub", "u")
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["x.nu"]


# -- over HTTP ------------------------------------------------------------------------------------------------
@pytest.fixture
def server(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (tmp_path / "nginx").mkdir()
    with Nginx(site, tmp_path / "nginx") as running:
        yield running


@needs_nginx
def test_an_archive_dependency_is_checked_unpacked_locked_and_installed(env, server):
    data = tar_gz(module_tree("spam", "1.0.0"))
    (server.root / "spam-1.0.0.tar.gz").write_bytes(data)
    url, digest = f"{server.url}/spam-1.0.0.tar.gz", hashlib.sha256(data).hexdigest()
    project = make_project(env.tmp / "app", deps={"spam": {"url": url, "sha256": digest}})
    env.ok("install", cwd=project)
    assert (project / ".nupm/lib/spam/mod.nu").is_file()
    lock = (project / "nupm.lock").read_text()
    assert f'archive = "{url}"' in lock and digest in lock
    # The lock alone rebuilds it in another NUPM_HOME (the HTTP cache is per user, so it downloads again).
    env.vars["NUPM_HOME"] = str(env.tmp / "other-home")
    env.ok("install", "--frozen", cwd=project)
    # A different archive at the same URL is refused with both digests, and nothing changes.
    bad = tar_gz(module_tree("spam", "1.0.1"))
    (server.root / "spam-1.0.0.tar.gz").write_bytes(bad)
    env.vars["NUPM_HOME"] = str(env.tmp / "third-home")
    env.vars["XDG_CACHE_HOME"] = str(env.tmp / "third-cache")
    before = snapshot(project)
    proc = env.run("install", "--frozen", cwd=project)
    assert proc.returncode == 1 and digest in proc.stderr and hashlib.sha256(bad).hexdigest() in proc.stderr
    assert snapshot(project) == before


@needs_nginx
def test_a_bad_archive_requirement_is_a_usage_error_at_its_position(env):
    project = make_project(env.tmp / "app", deps={"spam": {"url": "ftp://x/y.tar.gz", "sha256": "0" * 64}})
    proc = env.run("install", cwd=project)
    assert proc.returncode == 2 and "nupm.toml:7:" in proc.stderr and "http://" in proc.stderr


# -- the sparse index that publish writes ---------------------------------------------------------------------
@needs_nginx
@needs_git
def test_publish_writes_a_static_registry_and_a_lock_fetches_only_what_it_needs(env, server):
    site = server.root
    # beta first: publishing runs `nupm check`, which resolves alpha's dependency on it.
    names = {"beta": {}, "gamma": {}, "delta": {}, "alpha": {"beta": "^1"}}
    env.config.write_text(f'[registries]\nreg = "{site / "reg"}"\n')
    for name, deps in names.items():
        src = env.tmp / "src" / name
        write_package(src, name, "1.0.0", deps=deps)
        bare = site / "git" / f"{name}.git"
        git("init", "-q", "-b", "main", cwd=src)
        git("add", "-A", cwd=src)
        git("commit", "-qm", name, cwd=src)
        git("tag", "v1.0.0", cwd=src)
        git("clone", "-q", "--bare", str(src), str(bare), cwd=env.tmp)
        git("update-server-info", cwd=bare)
        git("remote", "add", "origin", f"{server.url}/git/{name}.git", cwd=src)
        env.ok("publish", "--registry", str(site / "reg"), cwd=src)
    for name in names:
        layout = json.loads((site / "reg" / "index" / name[:2] / name[2:4] / f"{name}.json").read_text())
        assert layout["versions"]["1.0.0"]["source"]["type"] == "git"
    assert (site / "reg/index/config.json").is_file() and (site / "reg/nupm-index.json").is_file()

    env.config.write_text(f'[registries]\nreg = "{server.url}/reg/registry.nuon"\n')
    project = make_project(env.tmp / "app")
    server.clear_log()
    env.ok("add", "alpha", cwd=project)
    asked = {r.path for r in server.requests() if r.path.startswith("/reg/")}
    assert asked == {"/reg/registry.nuon", "/reg/index/config.json", "/reg/index/al/ph/alpha.json",
                     "/reg/index/be/ta/beta.json"}
    assert {"alpha", "beta"} <= {line.split('"')[1] for line in (project / "nupm.lock").read_text().splitlines()
                                 if line.startswith("name = ")}


@needs_nginx
def test_a_registry_can_offer_archives_by_relative_url(env, server):
    data = tar_gz(module_tree("spam", "1.0.0"))
    reg = server.root / "reg"
    (reg / "files").mkdir(parents=True)
    (reg / "files/spam-1.0.0.tar.gz").write_bytes(data)
    (reg / "registry.nuon").write_text("[[name, path]; [spam, spam.nuon]]")
    (reg / "spam.nuon").write_text("[[name, version, path, type, info]; [spam, 1.0.0, ., local, null]]")
    entry = {"type": "module", "dependencies": {}, "description": "tinned meat",
             "source": {"type": "archive", "url": "files/spam-1.0.0.tar.gz",
                        "sha256": hashlib.sha256(data).hexdigest()}}
    (reg / "nupm-index.json").write_text(json.dumps({"version": 1, "packages": {"spam": {"1.0.0": entry}}}))
    env.config.write_text(f'[registries]\nreg = "{server.url}/reg/registry.nuon"\n')
    project = make_project(env.tmp / "app")
    env.ok("add", "spam", cwd=project)
    assert f'archive = "{server.url}/reg/files/spam-1.0.0.tar.gz"' in (project / "nupm.lock").read_text()
    assert (project / ".nupm/lib/spam/mod.nu").is_file()
    found = json.loads(env.ok("search", "meat", "--json").stdout)
    assert [r["name"] for r in found] == ["spam"]


@needs_nginx
def test_a_registry_online_cannot_name_a_file_of_this_machine(env, server, tmp_path):
    secret = tmp_path / "secret.tar.gz"
    secret.write_bytes(tar_gz(module_tree("spam", "1.0.0")))
    reg = server.root / "reg"
    reg.mkdir()
    (reg / "registry.nuon").write_text("[[name, path]; [spam, spam.nuon]]")
    (reg / "spam.nuon").write_text("[[name, version, path, type, info]; [spam, 1.0.0, ., local, null]]")
    entry = {"type": "module", "dependencies": {}, "source": {
        "type": "archive", "url": secret.as_uri(), "sha256": hashlib.sha256(secret.read_bytes()).hexdigest()}}
    (reg / "nupm-index.json").write_text(json.dumps({"version": 1, "packages": {"spam": {"1.0.0": entry}}}))
    env.config.write_text(f'[registries]\nreg = "{server.url}/reg/registry.nuon"\n')
    project = make_project(env.tmp / "app")
    before = snapshot(project)
    result = env.run("add", "spam", cwd=project)
    assert result.returncode == 2 and "is not an http(s) URL" in result.stderr, result.stderr
    assert snapshot(project) == before
