"""Resolution: highest satisfying versions, diamonds, backtracking, and failures explained."""

import pytest
from conftest import make_registry, write_package

from nupm import manifest as manifest_mod
from nupm.paths import Home
from nupm.resolver import PackageFinder, ResolutionError, resolve
from nupm.sources.registry import open_registry


def resolve_in(tmp_path, packages, deps, preferred=None):
    registry = make_registry(tmp_path / "reg", packages)
    root = write_package(tmp_path / "proj", "hello", "0.1.0", deps=deps)
    finder = PackageFinder(Home(tmp_path / "home"), [open_registry("main", str(registry))],
                           preferred=preferred or {})
    result = resolve(manifest_mod.load(root / "nupm.toml"), finder)
    return {name: str(c.version) for name, c in result.packages.items()}


def test_picks_highest_satisfying(tmp_path):
    pkgs = [("utils", v, {}) for v in ("1.0.0", "1.4.0", "2.0.0", "1.5.0-beta")]
    assert resolve_in(tmp_path, pkgs, {"utils": "^1.0"}) == {"utils": "1.4.0"}


def test_diamond_shares_one_version(tmp_path):
    pkgs = [("a", "1.0.0", {"utils": "^1.0"}), ("b", "1.0.0", {"utils": ">=1.1 <1.3"}),
            ("utils", "1.0.0", {}), ("utils", "1.2.0", {}), ("utils", "1.3.0", {})]
    assert resolve_in(tmp_path, pkgs, {"a": "^1", "b": "^1"}) == {"a": "1.0.0", "b": "1.0.0", "utils": "1.2.0"}


def test_backtracks_to_an_older_version(tmp_path):
    # a 2.0.0 needs utils ^2 which the root forbids; the resolver must fall back to a 1.x.
    pkgs = [("a", "1.0.0", {"utils": "^1"}), ("a", "2.0.0", {"utils": "^2"}),
            ("utils", "1.1.0", {}), ("utils", "2.0.0", {})]
    assert resolve_in(tmp_path, pkgs, {"a": "*", "utils": "~1.1"}) == {"a": "1.0.0", "utils": "1.1.0"}


def test_prefers_locked_version_when_allowed(tmp_path):
    pkgs = [("utils", "1.0.0", {}), ("utils", "1.1.0", {})]
    assert resolve_in(tmp_path, pkgs, {"utils": "^1"}, preferred={"utils": "1.0.0"}) == {"utils": "1.0.0"}


def test_conflict_explains_both_chains(tmp_path):
    pkgs = [("pkg-a", "1.0.0", {"utils": "^1.0"}), ("pkg-c", "1.0.0", {"utils": "^2.0"}),
            ("utils", "1.0.0", {}), ("utils", "2.0.0", {})]
    with pytest.raises(ResolutionError) as err:
        resolve_in(tmp_path, pkgs, {"pkg-a": "^1", "pkg-c": "^1"})
    text = str(err.value)
    assert text.splitlines()[0] == "cannot resolve utils"
    assert "hello 0.1.0 depends on pkg-a ^1  →  pkg-a 1.0.0 depends on utils ^1.0" in text
    assert "hello 0.1.0 depends on pkg-c ^1  →  pkg-c 1.0.0 depends on utils ^2.0" in text
    assert text.splitlines()[-1].strip() == "no version of utils satisfies both ^1.0 and ^2.0"


def test_unknown_package_names_close_matches(tmp_path):
    with pytest.raises(ResolutionError) as err:
        resolve_in(tmp_path, [("utils", "1.0.0", {})], {"utilz": "^1"})
    assert "no package named utilz in main; did you mean utils?" in str(err.value)


def test_unknown_version_lists_available(tmp_path):
    with pytest.raises(ResolutionError) as err:
        resolve_in(tmp_path, [("utils", "1.0.0", {}), ("utils", "1.1.0", {})], {"utils": "^3"})
    assert "no version of utils matches ^3 (available: 1.0.0, 1.1.0)" in str(err.value)


def test_prerelease_only_when_named(tmp_path):
    pkgs = [("utils", "1.0.0", {}), ("utils", "1.1.0-rc.1", {})]
    assert resolve_in(tmp_path, pkgs, {"utils": "^1.0.0"}) == {"utils": "1.0.0"}
    assert resolve_in(tmp_path / "b", pkgs, {"utils": "^1.1.0-rc.1"}) == {"utils": "1.1.0-rc.1"}


def test_path_dependency_pins_its_version(tmp_path):
    write_package(tmp_path / "local-utils", "utils", "9.0.0")
    pkgs = [("utils", "1.0.0", {}), ("a", "1.0.0", {"utils": "^9"})]
    got = resolve_in(tmp_path, pkgs, {"utils": {"path": "../local-utils"}, "a": "^1"})
    assert got == {"a": "1.0.0", "utils": "9.0.0"}
