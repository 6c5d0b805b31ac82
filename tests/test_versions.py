"""SemVer ordering and npm ranges, including npm's edge cases and nupm's bare-version rule."""

import pytest
import semantic_version
from hypothesis import given
from hypothesis import strategies as st

from nupm.versions import _SIMPLE_RANGE, Range, Version, VersionError, _cargo_bare

CASES = [
    # range, version, admitted
    ("1.2.3", "1.2.3", True),
    ("1.2.3", "1.9.0", True),  # bare means caret (Cargo's rule)
    ("1.2.3", "2.0.0", False),
    ("=1.2.3", "1.2.3", True),
    ("=1.2.3", "1.2.4", False),
    ("^1.2.3", "1.9.9", True),
    ("^1.2.3", "1.2.2", False),
    ("^0.2", "0.2.9", True),
    ("^0.2", "0.3.0", False),
    ("^0.0.3", "0.0.3", True),
    ("^0.0.3", "0.0.4", False),
    ("~1.2.3", "1.2.9", True),
    ("~1.2.3", "1.3.0", False),
    ("1.2.*", "1.2.7", True),
    ("1.2.*", "1.3.0", False),
    ("1.x", "1.99.0", True),
    ("1.x", "2.0.0", False),
    ("*", "3.4.5", True),
    (">=1.2 <2", "1.2.0", True),
    (">=1.2 <2", "2.0.0", False),
    ("1.2 - 1.4", "1.4.9", True),
    ("1.2 - 1.4", "1.5.0", False),
    ("1.2 - 1.4", "1.1.9", False),
    ("^1 || ^3", "3.1.0", True),
    ("^1 || ^3", "2.1.0", False),
    ("1.2", "1.9.0", True),  # bare 1.2 means ^1.2
    ("1.2", "2.0.0", False),
    # pre-releases only when the range names one for the same major.minor.patch
    ("*", "1.0.0-alpha", False),
    ("^1.0.0", "1.1.0-beta", False),
    ("^1.2.3-beta.2", "1.2.3-beta.4", True),
    ("^1.2.3-beta.2", "1.2.4-beta.1", False),
    ("^1.2.3-beta.2", "1.2.5", True),
    (">=1.0.0-rc.1", "1.0.0-rc.2", True),
    (">=1.0.0-rc.1", "1.0.1-rc.1", False),
]


@pytest.mark.parametrize(("range_text", "version", "admitted"), CASES)
def test_range_admits(range_text, version, admitted):
    assert Range(range_text).admits(Version(version)) is admitted


def test_semver_ordering_follows_the_spec():
    order = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
             "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0", "2.0.0"]
    shuffled = sorted(order, key=hash)
    assert [str(v) for v in sorted(Version(v) for v in shuffled)] == order


def test_build_metadata_does_not_order():
    assert Version("1.0.0+a") == Version("1.0.0+b")


@pytest.mark.parametrize("bad", ["1.2.3.4", "x.y", "01.2.3", "1.2.3-", "latest"])
def test_invalid_versions_are_refused(bad):
    with pytest.raises(VersionError):
        Version(bad)


@pytest.mark.parametrize("bad", [">=>1", "^^1", "1.2.3 - ", "~foo", "main branch", ""])
def test_invalid_ranges_are_refused(bad):
    with pytest.raises(VersionError):
        Range(bad) if bad else Version(bad)


def test_a_name_that_is_no_range_asks_for_that_label_only():
    """Registry rows such as `version: main` are not SemVer: ranges skip them, `pkg@main` asks for exactly one."""
    from nupm.versions import Label, parse_version

    main = Range("main")
    assert main.admits(Label("main")) and not main.admits(Label("dev")) and not main.admits(Version("1.0.0"))
    assert not Range("*").admits(Label("main")) and not Range(">=0.0.0").admits(Label("main"))
    assert parse_version("main") == Label("main") and parse_version("1.0.0") == Version("1.0.0")
    assert sorted([Version("0.1.0"), Label("main")]) == [Label("main"), Version("0.1.0")]


@given(st.from_regex(_SIMPLE_RANGE, fullmatch=True))
def test_ranges_taken_without_compiling_are_valid_npm_ranges(text):
    """The fast path skips NpmSpec only for texts NpmSpec itself accepts."""
    semantic_version.NpmSpec(_cargo_bare(text))


def test_non_ascii_digits_are_not_semver():
    with pytest.raises(VersionError):
        Version("1.0.٠")  # semantic-version would take it; SemVer 2.0 is ASCII


@given(st.text(alphabet="0123456789.-+abx", max_size=12))
def test_version_regex_agrees_with_semantic_version(text):
    try:
        semantic_version.Version(text)
        theirs = True
    except ValueError:
        theirs = False
    try:
        Version(text)
        ours = True
    except VersionError:
        ours = False
    assert ours == theirs


_versions = st.builds(
    lambda nums, pre: ".".join(map(str, nums)) + (f"-{pre}" if pre else ""),
    st.tuples(*[st.integers(0, 4)] * 3),
    st.one_of(st.none(), st.from_regex(r"(0|[1-9][0-9]?|[a-z]{1,3})(\.(0|[1-9]|[a-z]{1,2})){0,2}", fullmatch=True)))


@given(st.from_regex(r"(\*|(\^|~|=|>=|<=|>|<)?[0-4](\.[0-4]){0,2})( (\^|~|=|>=|<=|>|<)?[0-4](\.[0-4]){0,2}){0,2}",
                     fullmatch=True), _versions)
def test_simple_ranges_agree_with_npm_semantics(text, version):
    """The bounds fast path answers exactly as semantic-version's NpmSpec (with the bare-caret rule), for one
    comparator and for comparator sets."""
    expected = semantic_version.NpmSpec(_cargo_bare(text)).match(semantic_version.Version(version))
    assert Range(text).admits(Version(version)) == expected, (text, version)


@given(_versions, _versions)
def test_version_order_agrees_with_semver_precedence(a, b):
    theirs = semantic_version.Version(a).precedence_key[:4], semantic_version.Version(b).precedence_key[:4]
    assert (Version(a) < Version(b)) == (theirs[0] < theirs[1])
    assert (Version(a) == Version(b)) == (theirs[0] == theirs[1])
    assert (hash(Version(a)) == hash(Version(b))) or Version(a) != Version(b)


def test_every_comparator_set_taken_without_compiling_is_valid_npm():
    """Range skips NpmSpec for single-space-separated simple comparators: NpmSpec accepts all of them."""
    import itertools

    ops = ["", "^", "~", "=", ">=", "<=", ">", "<"]
    parts = ["*"] + [op + v for op in ops for v in ("0", "1", "0.0", "1.2", "0.0.0", "1.2.3", "10.20.30")]
    for combo in itertools.product(parts, repeat=2):
        text = " ".join(combo)
        assert Range(text)._bounds is not None
        semantic_version.NpmSpec(_cargo_bare(text))
