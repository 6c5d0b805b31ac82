"""`[tool] nu`: nupm installs the environment's own Nushell into the store, from release archives served by a
real nginx (built here from the nu binaries the suite installs), and runs the environment's scripts on it."""

import hashlib
import io
import os
import subprocess
import tarfile

import pytest
from conftest import make_project, snapshot, write_package
from nginx import Nginx, find_nginx

from nupm.sources.nu_releases import host_target

NEWEST, OLDEST = os.environ.get("NUPM_TEST_NU_NEWEST"), os.environ.get("NUPM_TEST_NU_OLDEST")
needs_two_nus = pytest.mark.skipif(
    not (NEWEST and OLDEST), reason="SKIPPED LOUDLY: NUPM_TEST_NU_NEWEST and NUPM_TEST_NU_OLDEST name no two nu "
                                    "binaries (tests/run.sh sets them)")
needs_nginx = pytest.mark.skipif(find_nginx() is None, reason="SKIPPED LOUDLY: nginx is not installed")

# Parses and runs on nu 0.101; `$nu.temp-path` is gone in later Nushell, where (evaluated at parse time, as a
# const) the file does not even parse.
LEGACY = 'const tmp = $nu.temp-path\ndef main [] { print $"tmp=($tmp)" }\n'


def nu_version(binary: str) -> str:
    return subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    """A directory in the layout of Nushell's GitHub releases: <version>/nu-<version>-<target>.tar.gz, with
    the archive's top directory as the release workflow makes it, and <version>/SHA256SUMS."""
    root = tmp_path_factory.mktemp("releases")
    versions = {}
    for binary in (OLDEST, NEWEST):
        version = nu_version(binary)
        stem = f"nu-{version}-{host_target()}"
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
            tar.add(binary, arcname=f"{stem}/nu")
            readme = f"Nushell {version}\n".encode()
            info = tarfile.TarInfo(f"{stem}/README.txt")
            info.size = len(readme)
            tar.addfile(info, io.BytesIO(readme))
        (root / version).mkdir()
        (root / version / f"{stem}.tar.gz").write_bytes(buf.getvalue())
        (root / version / "SHA256SUMS").write_text(f"{hashlib.sha256(buf.getvalue()).hexdigest()}  {stem}.tar.gz\n")
        versions[binary] = version
    return root, versions


@pytest.fixture
def served(releases, env, tmp_path):
    """The releases behind a real nginx, and nupm told to take Nushell from there."""
    root, versions = releases
    (tmp_path / "nginx").mkdir()
    with Nginx(root, tmp_path / "nginx") as server:
        env.vars["NUPM_NU_SOURCE"] = server.url
        yield server, versions


def legacy_project(env, tmp_path, pin: str):
    write_package(tmp_path / "legacy", "legacy", "1.0.0", "script", body=LEGACY)
    return make_project(tmp_path / "app", deps={"legacy": {"path": "../legacy"}}, extra=f'\n[tool]\nnu = "{pin}"\n')


@needs_two_nus
@needs_nginx
def test_a_pinned_nu_is_installed_and_runs_the_environments_scripts(env, served, tmp_path):
    server, versions = served
    old, new = versions[OLDEST], versions[NEWEST]
    project = legacy_project(env, tmp_path, old)
    # The user's own nu is the newer one, first on PATH, and the one NUPM_NU names.
    env.vars["PATH"] = os.path.dirname(NEWEST) + os.pathsep + env.vars["PATH"]
    env.vars["NUPM_NU"] = NEWEST
    env.ok("install", cwd=project)

    lock = (project / "nupm.lock").read_text()
    assert f'nu = "={old}"' in lock
    assert f'name = "nushell"\nversion = "{old}"\ntype = "nushell"' in lock
    url = f"{server.url}/{old}/nu-{old}-{host_target()}.tar.gz"
    assert f'archive = "{url}"' in lock
    paths = [r.path for r in server.requests()]
    assert f"/{old}/SHA256SUMS" in paths and url.removeprefix(server.url) in paths
    assert not any(new in p for p in paths)  # only the pinned release is downloaded

    own_nu = project / ".nupm/bin/nu"
    assert nu_version(str(own_nu)) == old
    assert os.path.realpath(own_nu).startswith(str(env.home / "store"))
    # The launcher runs the script on the environment's nu, though the user's nu (first on PATH) is newer.
    ran = subprocess.run([str(project / ".nupm/bin/legacy")], capture_output=True, text=True, env=env.vars)
    assert ran.returncode == 0 and ran.stdout.startswith("tmp="), ran.stderr
    assert subprocess.run([NEWEST, "-n", str(tmp_path / "legacy/legacy.nu")], capture_output=True,
                          env=env.vars).returncode != 0  # ...where the newer nu cannot run it
    # `nupm run` puts it first on PATH too.
    shown = env.ok("run", "nu", "--version", cwd=project)
    assert shown.stdout.strip() == old
    # Activated in the user's newer nu, the environment says once which Nushell it runs; in its own, nothing.
    said = [subprocess.run([binary, "-n", "-c", "overlay use .nupm/app.nu"], cwd=project, env=env.vars,
                           capture_output=True, text=True) for binary in (NEWEST, OLDEST)]
    assert said[0].returncode == 0 and said[0].stderr.strip() == (
        f"nupm: app runs Nushell {old} (`nupm shell` starts it); this nu is {new}")
    assert said[1].returncode == 0 and said[1].stderr == ""


@needs_two_nus
@needs_nginx
def test_two_environments_pin_two_nushells_side_by_side_in_one_store(env, served, tmp_path):
    server, versions = served
    for binary in (OLDEST, NEWEST):
        version = versions[binary]
        project = make_project(tmp_path / f"app-{version}", extra=f'\n[tool]\nnu = "{version}"\n')
        env.ok("install", cwd=project)
        assert nu_version(str(project / ".nupm/bin/nu")) == version
    stored = sorted(p.name.split("-")[1] for p in (env.home / "store").iterdir() if p.name.startswith("nushell-")
                    and p.is_dir())
    assert stored == sorted(versions.values())


@needs_two_nus
@needs_nginx
def test_an_archive_that_does_not_match_its_checksum_is_refused_and_nothing_changes(env, served, tmp_path):
    server, versions = served
    old = versions[OLDEST]
    sums = server.root / old / "SHA256SUMS"
    good = sums.read_text()
    sums.write_text("0" * 64 + good[64:])
    try:
        project = make_project(tmp_path / "app", extra=f'\n[tool]\nnu = "{old}"\n')
        before = snapshot(project)
        result = env.run("install", cwd=project)
        assert result.returncode == 1, result.stderr
        assert "does not match" in result.stderr and "0" * 64 in result.stderr
        assert snapshot(project) == before
    finally:
        sums.write_text(good)


@needs_two_nus
def test_a_pinned_version_the_source_lacks_says_where_it_looked(env, releases, tmp_path):
    root, _ = releases
    env.vars["NUPM_NU_SOURCE"] = str(root)
    project = make_project(tmp_path / "app", extra='\n[tool]\nnu = "~0.55"\n')
    result = env.run("lock", cwd=project)
    assert result.returncode == 1
    assert "no Nushell version satisfies" in result.stderr and f"Nushell releases at {root} offers" in result.stderr


@needs_two_nus
@needs_nginx
def test_check_names_the_first_error_and_the_installed_nushell_a_file_parses_on(env, served, tmp_path):
    server, versions = served
    old = versions[OLDEST]
    env.vars["NUPM_NU"] = NEWEST
    # An environment pinned to the older Nushell puts it into the store...
    env.ok("install", cwd=make_project(tmp_path / "other", extra=f'\n[tool]\nnu = "{old}"\n'))
    # ...so checking a package whose script only the older one parses says so, on the newer nu it runs on.
    package = make_project(tmp_path / "legacy", name="legacy", type_="script")
    (package / "legacy.nu").write_text(LEGACY)
    result = env.run("check", cwd=package)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("legacy.nu:1:"), lines
    assert f'legacy.nu: parses on Nushell {old}: pin it for this environment with [tool] nu = "{old}" in nupm.toml' \
        in lines
    # Pinned to it, the same package checks clean.
    (package / "nupm.toml").write_text((package / "nupm.toml").read_text() + f'\n[tool]\nnu = "{old}"\n')
    assert "no problems" in env.ok("check", cwd=package).stderr


@needs_two_nus
def test_activation_in_a_nu_outside_the_projects_nu_version_says_so(env, releases, tmp_path):
    _, versions = releases
    old, new = versions[OLDEST], versions[NEWEST]
    project = make_project(tmp_path / "app")
    text = (project / "nupm.toml").read_text().replace('type = "module"\n', f'type = "module"\nnu-version = "<{new}"\n')
    (project / "nupm.toml").write_text(text)
    env.vars["NUPM_NU"] = OLDEST  # locked and installed where it fits
    env.ok("install", cwd=project)
    said = [subprocess.run([binary, "-n", "-c", "overlay use .nupm/app.nu"], cwd=project, env=env.vars,
                           capture_output=True, text=True) for binary in (NEWEST, OLDEST)]
    assert said[0].stderr.strip() == f"nupm: app needs Nushell <{new}; this nu is {new}"
    assert said[1].stderr == "" and old


# A registry in Nushell nupm's format whose packages rotted the way the official registry's did: each says
# `nushell: "0.89.0"` (the nu its author used), and its code uses what later Nushell removed.
ROTTED = {
    "tmpfiles": ("script", 'def main [] { print ($nu.temp-path | path exists) }\n'),  # fails when it runs
    "homedir": ("module", 'export def show [] { $nu.home-path | path exists }\n'),
    "logger": ("script", 'use std log\ndef main [] { log info "logged"; print done }\n'),  # `log info` changed
    # std log used from inside a module: its export-env never reaches the caller, on 0.101 either.
    "log-wrapper": ("module", 'use std log\nexport def hi [] { log info "logged"; "done" }\n'),
    "const-tmp": ("script", 'const t = $nu.temp-path\ndef main [] { print ($t | path exists) }\n'),  # no parse
    "legacy-env": ("script", 'def-env setup [] { let-env FOO = "1" }\ndef main [] { setup; print $env.FOO }\n'),
    "modern": ("script", 'def main [] { print ("a b" | split row " " | str join ",") }\n'),
}
RUN_MODULE = {"homedir": "use homedir; homedir show", "log-wrapper": "use log-wrapper; log-wrapper hi"}


def rotted_registry(root):
    rows = []
    for name, (type_, code) in ROTTED.items():
        package = root / "pkgs" / name
        package.mkdir(parents=True)
        (package / "nupm.nuon").write_text(f'{{name: {name}, version: "0.1.0", type: {type_}, '
                                           'dependencies: {nushell: "0.89.0"}}\n')
        if type_ == "module":
            (package / name).mkdir()
            (package / name / "mod.nu").write_text(code)
        else:
            (package / f"{name}.nu").write_text(code)
        (root / f"{name}.nuon").write_text(f'[[name, version, path, type, info]; [{name}, "0.1.0", pkgs/{name}, '
                                           'local, null]]\n')
        rows.append(f"[{name}, {name}.nuon]")
    (root / "registry.nuon").write_text("[[name, path]; " + ", ".join(rows) + "]\n")
    return root


def runs(env, project, name: str) -> bool:
    if name in RUN_MODULE:
        return env.run("run", f"try-{name}", cwd=project).returncode == 0
    return subprocess.run([str(project / ".nupm/bin" / name)], capture_output=True, env=env.vars).returncode == 0


@needs_two_nus
@needs_nginx
def test_rotted_registry_packages_run_on_the_nushell_an_environment_pins(env, served, tmp_path):
    """What the closing note of issue 13 lists: on the user's newest nu, only the package that never used
    removed syntax runs; pinned to the oldest, all run but the one whose syntax was removed before it and the
    module that relies on std log's environment reaching its caller."""
    server, versions = served
    env.configure(rotted=rotted_registry(tmp_path / "registry"))
    env.vars["PATH"] = os.path.dirname(NEWEST) + os.pathsep + env.vars["PATH"]
    env.vars["NUPM_NU"] = NEWEST
    deps = {name: "*" for name in ROTTED}
    tasks = "".join(f'try-{name} = "{code}"\n' for name, code in RUN_MODULE.items())
    ran = {}
    for pin in (None, versions[OLDEST]):
        project = make_project(tmp_path / f"app-{pin}", deps=deps,
                               extra=f"\n[scripts]\n{tasks}" + (f'\n[tool]\nnu = "{pin}"\n' if pin else ""))
        env.ok("install", cwd=project)
        ran[pin] = {name for name in ROTTED if runs(env, project, name)}
    assert ran[None] == {"modern"}
    assert ran[versions[OLDEST]] == {"tmpfiles", "homedir", "logger", "const-tmp", "modern"}
