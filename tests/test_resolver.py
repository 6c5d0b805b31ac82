"""Resolution: highest satisfying versions, diamonds, backtracking, and failures explained."""

import pytest
from conftest import make_registry, write_package
from hypothesis import given, settings
from hypothesis import strategies as st

from nupm import manifest as manifest_mod
from nupm.paths import Home
from nupm.resolver import PackageFinder, ResolutionError, _Universe, real_name, resolve
from nupm.sources.registry import open_registry


def resolve_in(tmp_path, packages, deps, preferred=None):
    registry = make_registry(tmp_path / "reg", packages)
    root = write_package(tmp_path / "proj", "hello", "0.1.0", deps=deps)
    finder = PackageFinder(Home(tmp_path / "home"), [open_registry("main", str(registry))],
                           preferred=preferred or {})
    return versions(resolve(manifest_mod.load(root / "nupm.toml"), finder))


def resolve_full(tmp_path, packages, deps):
    registry = make_registry(tmp_path / "reg", packages)
    root = write_package(tmp_path / "proj", "hello", "0.1.0", deps=deps)
    finder = PackageFinder(Home(tmp_path / "home"), [open_registry("main", str(registry))])
    return resolve(manifest_mod.load(root / "nupm.toml"), finder)


def versions(resolution):
    return {name: str(c.version) for name, c in resolution.packages.items()}


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
    # The project requires utils itself: what `use utils` means in its shell must be one version.
    pkgs = [("pkg-a", "1.0.0", {"utils": "^1.0"}), ("pkg-c", "1.0.0", {"utils": "^2.0"}),
            ("utils", "1.0.0", {}), ("utils", "2.0.0", {})]
    with pytest.raises(ResolutionError) as err:
        resolve_in(tmp_path, pkgs, {"pkg-c": "^1", "utils": "^1"})
    text = str(err.value)
    assert text.splitlines()[0] == "cannot resolve utils"
    assert "hello 0.1.0 depends on utils ^1" in text
    assert "hello 0.1.0 depends on pkg-c ^1  →  pkg-c 1.0.0 depends on utils ^2.0" in text
    assert "no version of utils satisfies both ^1 and ^2.0" in text
    assert "private version of a module only when the project does not require it itself" in text.splitlines()[-1]


def test_dependants_that_cannot_share_a_module_get_a_private_copy(tmp_path):
    pkgs = [("pkg-a", "1.0.0", {"utils": "^1.0"}), ("pkg-c", "1.0.0", {"utils": "^2.0"}),
            ("utils", "1.0.0", {}), ("utils", "1.1.0", {}), ("utils", "2.0.0", {})]
    got = resolve_full(tmp_path, pkgs, {"pkg-a": "^1", "pkg-c": "^1"})
    # The newest version is the shared one; the copy is named after the dependant it serves.
    assert versions(got) == {"pkg-a": "1.0.0", "pkg-c": "1.0.0", "utils": "2.0.0", "utils@pkg-a": "1.1.0"}
    assert got.users == {"utils@pkg-a": ["pkg-a"]}


def test_one_shared_version_is_chosen_when_it_exists(tmp_path):
    # Overlapping ranges share 2.x, though each alone would take a newer version.
    pkgs = [("pkg-a", "1.0.0", {"utils": ">=1 <3"}), ("pkg-c", "1.0.0", {"utils": ">=2"}),
            ("utils", "1.0.0", {}), ("utils", "2.0.0", {}), ("utils", "3.0.0", {})]
    got = resolve_full(tmp_path, pkgs, {"pkg-a": "^1", "pkg-c": "^1"})
    assert versions(got) == {"pkg-a": "1.0.0", "pkg-c": "1.0.0", "utils": "2.0.0"} and not got.users
    # An older pkg-a that shares utils beats the newest pkg-a with a copy of its own.
    pkgs = [("pkg-a", "1.0.0", {"utils": "^2"}), ("pkg-a", "2.0.0", {"utils": "^1"}),
            ("pkg-c", "1.0.0", {"utils": "^2"}), ("utils", "1.0.0", {}), ("utils", "2.0.0", {})]
    got = resolve_full(tmp_path / "b", pkgs, {"pkg-a": "*", "pkg-c": "^1"})
    assert versions(got) == {"pkg-a": "1.0.0", "pkg-c": "1.0.0", "utils": "2.0.0"} and not got.users


def test_largest_group_of_dependants_keeps_the_shared_version(tmp_path):
    pkgs = [("a", "1.0.0", {"utils": "^1"}), ("b", "1.0.0", {"utils": "^1"}), ("c", "1.0.0", {"utils": "^2"}),
            ("d", "1.0.0", {"utils": "^3"}), *[("utils", f"{v}.0.0", {}) for v in (1, 2, 3)]]
    got = resolve_full(tmp_path, pkgs, {n: "^1" for n in "abcd"})
    assert versions(got) == {"a": "1.0.0", "b": "1.0.0", "c": "1.0.0", "d": "1.0.0", "utils": "1.0.0",
                             "utils@d": "3.0.0", "utils@c": "2.0.0"}
    assert got.users == {"utils@c": ["c"], "utils@d": ["d"]}


def test_three_level_diamond_gets_two_private_copies(tmp_path):
    # app -> a -> mid 1 -> utils 1 and app -> b -> mid 2 -> utils 2: a copy of mid for a, and that copy's
    # own copy of utils.
    pkgs = [("a", "1.0.0", {"mid": "^1"}), ("b", "1.0.0", {"mid": "^2"}),
            ("mid", "1.0.0", {"utils": "^1"}), ("mid", "2.0.0", {"utils": "^2"}),
            ("utils", "1.0.0", {}), ("utils", "2.0.0", {})]
    got = resolve_full(tmp_path, pkgs, {"a": "^1", "b": "^1"})
    assert versions(got) == {"a": "1.0.0", "b": "1.0.0", "mid": "2.0.0", "mid@a": "1.0.0", "utils": "2.0.0",
                             "utils@mid@a": "1.0.0"}
    assert got.users == {"mid@a": ["a"], "utils@mid@a": ["mid@a"]}


def test_a_script_package_cannot_be_private(tmp_path):
    pkgs = [("pkg-a", "1.0.0", {"tool": "^1"}), ("pkg-c", "1.0.0", {"tool": "^2"}),
            ("tool", "1.0.0", {}, "script"), ("tool", "2.0.0", {}, "script")]
    with pytest.raises(ResolutionError) as err:
        resolve_in(tmp_path, pkgs, {"pkg-a": "^1", "pkg-c": "^1"})
    assert str(err.value) == (
        "cannot resolve tool: pkg-a needs tool 1.0.0, other packages tool 2.0.0; tool is a script package, "
        "whose commands exist once in an environment, so it cannot have a version of its own for each dependant")


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


# Small random registries: packages a-e in versions 1.0.0 and 2.0.0 (e also 3.0.0), each version requiring
# some of the names after it by major: conflicts over a shared name are frequent, cycles impossible.
_VERSIONS = [(n, v) for n in "abcde" for v in ((1, 2, 3) if n == "e" else (1, 2))]
_graphs = st.tuples(*(st.dictionaries(st.sampled_from([m for m in "abcde" if m > n] or ["e"]),
                                      st.sampled_from(["^1", "^2", "^3", ">=2"]), max_size=2)
                      for n, _ in _VERSIONS))


@settings(max_examples=150, deadline=None)
@given(graph=_graphs, wanted=st.sets(st.sampled_from("abc"), min_size=1, max_size=3))
def test_private_copies_only_when_no_shared_solution_and_every_requirement_met(tmp_path_factory, graph, wanted):
    pkgs = {(n, f"{v}.0.0"): {d: r for d, r in deps.items() if d > n}
            for (n, v), deps in zip(_VERSIONS, graph, strict=True)}
    tmp = tmp_path_factory.mktemp("graph")
    try:
        got = resolve_full(tmp, [(n, v, d) for (n, v), d in pkgs.items()], {n: "*" for n in sorted(wanted)})
    except ResolutionError:
        return
    for name in got.packages:
        for need in got.dependencies[name]:
            target = next((c for c, users in got.users.items() if name in users and real_name(c) == need.name),
                          need.name)
            assert target in got.packages and need.req.range.admits(got.packages[target].version)
    if got.users:  # copies were made: resolution with one version of each package must fail
        original = _Universe.split_for
        _Universe.split_for = lambda self, name, root: False
        try:
            with pytest.raises(ResolutionError):
                resolve_full(tmp_path_factory.mktemp("graph"), [(n, v, d) for (n, v), d in pkgs.items()],
                             {n: "*" for n in sorted(wanted)})
        finally:
            _Universe.split_for = original
