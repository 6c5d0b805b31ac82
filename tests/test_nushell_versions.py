"""Requirements on Nushell itself (`nu-version`, a nupm.nuon's `dependencies.nushell`) take part in resolution
like any dependency: against the nu found here, or against the versions `[tool] nu` pins."""

import pytest
from conftest import NU, make_project, make_registry, write_package

from nupm.sources.nu_releases import host_target

needs_a_nu = pytest.mark.skipif(not NU, reason="SKIPPED LOUDLY: no nu to resolve against")


@pytest.fixture
def registry(env, tmp_path):
    reg = make_registry(tmp_path / "reg", [
        ("old-nu", "1.0.0", {"nushell": "<0.50"}), ("new-nu", "1.0.0", {"nushell": ">=0.50"}),
        ("utils", "1.0.0", {}), ("utils", "2.0.0", {"nushell": ">=999.0"}),
        ("tool", "1.0.0", {"utils": "*"}),
    ])
    env.configure(main=reg)
    return reg


@needs_a_nu
def test_incompatible_nushell_ranges_are_a_conflict_that_names_nushell(env, registry, tmp_path):
    project = make_project(tmp_path / "app", deps={"old-nu": "*", "new-nu": "*"})
    result = env.run("lock", cwd=project)
    assert result.returncode == 1, result.stderr
    err = result.stderr
    assert "cannot resolve Nushell" in err
    assert "app 0.1.0 depends on old-nu *  →  old-nu 1.0.0 needs Nushell <0.50" in err
    assert "no Nushell version satisfies <0.50 (the nu found here is 0.1" in err
    assert not (project / "nupm.lock").exists()


def test_two_packages_that_need_different_nushells_conflict_over_a_pinned_range(env, registry, tmp_path):
    """With [tool] nu naming a range, every Nushell the source offers in it is a candidate: the conflict
    shows both requirements (nothing is downloaded for a lock that fails)."""
    releases = tmp_path / "releases"
    for version in ("0.40.0", "0.60.0"):
        (releases / version).mkdir(parents=True)
        (releases / version / f"nu-{version}-{host_target()}.tar.gz").write_bytes(b"not used")
    project = make_project(tmp_path / "app", deps={"old-nu": "*", "new-nu": "*"}, extra='\n[tool]\nnu = "*"\n')
    result = env.run("lock", cwd=project, extra={"NUPM_NU_SOURCE": str(releases)})
    assert result.returncode == 1, result.stderr
    assert "old-nu 1.0.0 needs Nushell <0.50" in result.stderr and "new-nu 1.0.0 needs Nushell >=0.50" in result.stderr
    assert "no Nushell version satisfies both <0.50 and >=0.50" in result.stderr
    assert f"Nushell releases at {releases} offers 0.60.0, 0.40.0" in result.stderr


@needs_a_nu
def test_the_newest_version_that_fits_the_nu_here_is_chosen(env, registry, tmp_path):
    project = make_project(tmp_path / "app", deps={"tool": "*"})
    env.ok("lock", cwd=project)
    lock = (project / "nupm.lock").read_text()
    assert 'name = "utils"\nversion = "1.0.0"' in lock  # 2.0.0 needs a Nushell that is not here
    assert 'name = "nushell"' not in lock  # the nu found here is checked against, not installed


@needs_a_nu
def test_the_projects_own_nu_version_must_fit_and_says_how_to_pin(env, registry, tmp_path):
    project = make_project(tmp_path / "app", deps={"utils": "*"})
    text = (project / "nupm.toml").read_text().replace('type = "module"\n', 'type = "module"\nnu-version = "<0.50"\n')
    (project / "nupm.toml").write_text(text)
    result = env.run("lock", cwd=project)
    assert result.returncode == 1
    assert "app 0.1.0 needs Nushell <0.50" in result.stderr
    assert '[tool] nu = "VERSION"' in result.stderr


def test_nushell_requirements_are_checked_where_they_are_written(env, tmp_path):
    project = make_project(tmp_path / "app")
    manifest = project / "nupm.toml"
    base = manifest.read_text()
    for extra, where, what in [
        ('nu-version = "zz"\n', ":5:14:", "not a Nushell version or range"),
        ('nu-version = 7\n', ":5:14:", "must be a string"),
    ]:
        manifest.write_text(base.replace('type = "module"\n', 'type = "module"\n' + extra))
        result = env.run("lock", cwd=project)
        assert result.returncode == 2 and where in result.stderr and what in result.stderr, result.stderr
    for extra, what in [('[tool]\nnu = "main"\n', "not a Nushell version or range"),
                        ('[tool]\nnode = "20"\n', "unknown key 'node' in [tool]"),
                        ('[tool]\nnu = ">=0.1,"\n', "a comma joins two comparators")]:
        manifest.write_text(base + extra)
        result = env.run("lock", cwd=project)
        assert result.returncode == 2 and "nupm.toml:" in result.stderr and what in result.stderr, result.stderr
    assert not (project / "nupm.lock").exists()


@needs_a_nu
def test_a_nuon_manifests_bare_nushell_version_is_a_minimum(env, tmp_path):
    """Nushell's nupm never enforced `nushell: 0.89.0`: it says which nu the author used, not a caret."""
    reg = tmp_path / "reg"
    write_package(reg / "pkgs" / "legacy-1.0.0", "legacy", "1.0.0", deps={"nushell": "0.89.0"}, fmt="nuon")
    (reg / "legacy.nuon").write_text('[[name, version, path, type, info]; [legacy, "1.0.0", pkgs/legacy-1.0.0, '
                                     'local, null]]\n')
    (reg / "registry.nuon").write_text("[[name, path]; [legacy, legacy.nuon]]\n")
    env.configure(main=reg)
    project = make_project(tmp_path / "app", deps={"legacy": "*"})
    env.ok("install", cwd=project)
    assert 'name = "legacy"' in (project / "nupm.lock").read_text()
