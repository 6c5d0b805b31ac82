"""SemVer 2.0 versions and npm-style ranges.

semantic-version does the work for the full grammar (its NpmSpec implements npm's, including the rule
that pre-releases match only when a comparator names the same major.minor.patch with a pre-release).
nupm adds one rule of its own, as Cargo does: a lone bare version such as `1.2` or `1.2.3` means
`^1.2` / `^1.2.3`; write `=1.2.3` to pin exactly.

Resolution compares thousands of versions against ranges, so the everyday cases skip semantic-version:
a version's precedence is a tuple built from SemVer's own regular expression, and a one-comparator range
(`^1.2`, `~1.2.3`, `>=2`, `*`) is a pair of bounds on such tuples. A property test holds both fast paths
to semantic-version's answers.
"""

from __future__ import annotations

import re
from functools import total_ordering

# Versions are checked with SemVer 2.0's own regular expression; semantic-version (slow to import) is
# loaded on the first comparison or range.
_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?\Z", re.ASCII)
# The everyday ranges (`^1.2`, `~1.2.3`, `>=2`, `*`): a strict subset of npm's grammar, so a match is
# known valid without loading semantic-version; anything else is compiled (and so checked) at once.
_SIMPLE_RANGE = re.compile(r"(?:\*|(?:\^|~|=|>=|<=|>|<)?(?:0|[1-9]\d*)(?:\.(?:0|[1-9]\d*)){0,2})\Z", re.ASCII)
_BARE = re.compile(r"v?\d+(\.\d+){0,2}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?\Z", re.ASCII)
# A registry row may carry a version that is not SemVer (`main`); it can be asked for by that exact name.
_LABEL = re.compile(r"=?[A-Za-z][0-9A-Za-z._/+-]*\Z", re.ASCII)


# Longer texts are refused before parsing: no real version or range is this long, and a 5000-digit number
# would otherwise reach int() (and its digit limit) deep inside semantic-version.
MAX_TEXT = 128
MAX_RANGE = 1024


class VersionError(ValueError):
    pass


@total_ordering
class Version:
    """A SemVer 2.0 version; ordering ignores build metadata."""

    __slots__ = ("_parsed", "text", "key")

    def __init__(self, text: str):
        found = _SEMVER.match(text) if isinstance(text, str) and len(text) <= MAX_TEXT else None
        if found is None:
            shown = repr(text) if not isinstance(text, str) or len(text) <= MAX_TEXT else f"{text[:20]!r}…"
            raise VersionError(f"{shown} is not a SemVer 2.0 version (like 1.2.3)")
        self.text = text
        self._parsed = None
        self.key = _precedence(found)

    @property
    def _v(self):
        if self._parsed is None:
            import semantic_version

            self._parsed = semantic_version.Version(self.text)
        return self._parsed

    @property
    def semver(self):
        return self._v

    def __eq__(self, other) -> bool:
        return isinstance(other, Version) and not isinstance(other, Label) and self.key == other.key

    def __lt__(self, other: Version) -> bool:
        if isinstance(other, Label):
            return False  # labels sort below every version
        return self.key < other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Version({self.text!r})"


def _precedence(found: re.Match) -> tuple:
    """SemVer 2.0 precedence as a tuple: numbers, then a release above any of its pre-releases, whose
    identifiers compare numerically when numeric, below alphanumeric ones. Build metadata takes no part."""
    major, minor, patch, pre = found.group(1, 2, 3, 4)
    if pre is None:
        return (int(major), int(minor), int(patch), (1,))
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (int(major), int(minor), int(patch), (0, parts))


class Label(Version):
    """A registry row's version that is not SemVer (`main`, a branch name): never matched by a range,
    only asked for by its exact name (`pkg@main`). Labels sort below every version."""

    __slots__ = ()

    def __init__(self, text: str):
        self.text = text
        self._parsed = None
        self.key = None

    def __eq__(self, other) -> bool:
        return isinstance(other, Label) and other.text == self.text

    def __lt__(self, other: Version) -> bool:
        return not isinstance(other, Label) or self.text < other.text

    def __hash__(self) -> int:
        return hash(("label", self.text))

    def __repr__(self) -> str:
        return f"Label({self.text!r})"


def parse_version(text: str) -> Version:
    """A registry row's version: SemVer when it is, else a Label."""
    try:
        return Version(text)
    except VersionError:
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT or not text.isprintable():
            raise
        return Label(text)


class Range:
    """An npm range (`^1.2`, `~1.2.3`, `1.x`, `>=1.2 <2`, `1.2 - 1.4`, `a || b`, `*`), or the exact name of a
    non-SemVer label (`main`)."""

    __slots__ = ("_compiled", "text", "_seen", "label", "_bounds")

    def __new__(cls, text: str):
        # One object per text: a registry repeats the same few ranges thousands of times, and each object
        # keeps what it has answered.
        found = _RANGES.get(text) if isinstance(text, str) else None
        return found if found is not None else super().__new__(cls)

    def __init__(self, text: str):
        if isinstance(text, str) and _RANGES.get(text) is self:
            return  # already made
        if not isinstance(text, str):
            raise VersionError(f"a version range must be a string, not {type(text).__name__}")
        if len(text) > MAX_RANGE or any(part.isdigit() and len(part) > 30 for part in re.split(r"[^0-9]", text)):
            raise VersionError(f"{text[:20]!r}… is not a version range (too long)")
        self._seen: dict[Version, bool] = {}
        # A comma between comparators (cargo's and PEP 440's `>=0.101, <0.110`) means what npm's space does.
        if "," in text and not all(part.strip() for part in text.split(",")):
            raise VersionError(f"{text!r} is not a version range (a comma joins two comparators)")
        self.text = _COMMA.sub(" ", text.strip()) or "*"
        self._compiled = None
        self.label = None
        self._bounds = None
        parts = self.text.split(" ")
        if len(parts) == 1 and _SIMPLE_RANGE.match(self.text):
            self._bounds = _bounds(self.text)
        elif all(_SIMPLE_RANGE.match(part) for part in parts):
            # A comparator set: NpmSpec accepts every one (a test checks them all), so importing
            # semantic-version (20 ms, most of a small lock) is not needed to know it is valid.
            self._bounds = _intersection(parts)
        else:
            try:
                self._spec  # noqa: B018 -- compiling is the validation
            except VersionError:
                if not _LABEL.match(self.text):
                    raise
                self.label = self.text.removeprefix("=")
        if len(_RANGES) < 100_000:
            _RANGES[text] = self

    @property
    def _spec(self):
        if self._compiled is None:
            import semantic_version

            try:
                self._compiled = semantic_version.NpmSpec(_cargo_bare(self.text))
            except ValueError:
                raise VersionError(f"{self.text!r} is not a version range (like ^1.2, ~1.2.3, >=1 <2)") from None
        return self._compiled

    def bounds(self) -> tuple[tuple, tuple | None] | None:
        """[low, high) over (major, minor, patch) for a simple range or comparator set (high None: no upper
        bound); None for the rest of npm's grammar (`||`, x-ranges, hyphens) and labels."""
        return self._bounds

    def admits(self, version: Version) -> bool:
        # The resolver asks the same question many times while backtracking; NpmSpec.match is slow.
        found = self._seen.get(version)
        if found is None:
            if self.label is not None or isinstance(version, Label):
                found = isinstance(version, Label) and version.text == self.label
            elif self._bounds is not None and version.key[3] == (1,):
                # A release against a one-comparator range: two tuple comparisons. (Pre-releases keep going
                # through NpmSpec, whose corner cases, like `<0` and 0.0.0-0, are npm's.)
                low, high = self._bounds
                key = version.key[:3]
                found = low <= key and (high is None or key < high)
            else:
                found = self._spec.match(version.semver)
            self._seen[version] = found
        return found

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Range({self.text!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Range) and self.text == other.text

    def __hash__(self) -> int:
        return hash(self.text)


_RANGES: dict[str, Range] = {}


def _bounds(text: str) -> tuple[tuple, tuple | None]:
    """A simple range as [low, high) on (major, minor, patch); None: no upper bound. npm's meaning, with a
    bare version read as a caret (Cargo's rule) and partial versions as npm's X-ranges."""
    if text == "*":
        return (0, 0, 0), None
    op = re.match(r"\^|~|>=|<=|>|<|=|", text).group(0)
    parts = [int(p) for p in text[len(op):].split(".")]
    given = len(parts)
    x, y, z = (parts + [0, 0])[:3]
    if op in ("", "^"):
        if x > 0 or given == 1:
            return (x, y, z), (x + 1, 0, 0)
        if y > 0 or given == 2:
            return (x, y, z), (0, y + 1, 0)
        return (x, y, z), (0, 0, z + 1)
    if op == "~":
        return ((x, y, z), (x + 1, 0, 0)) if given == 1 else ((x, y, z), (x, y + 1, 0))
    upper_of_given = {1: (x + 1, 0, 0), 2: (x, y + 1, 0), 3: (x, y, z + 1)}[given]  # just above all it names
    if op == "=":
        return (x, y, z), upper_of_given
    if op == ">=":
        return (x, y, z), None
    if op == ">":
        return upper_of_given, None
    if op == "<":
        return (0, 0, 0), (x, y, z)
    return (0, 0, 0), upper_of_given  # <=


def _intersection(parts: list[str]) -> tuple[tuple, tuple | None]:
    """A comparator set (`>=1.1 <1.4`): every comparator at once. Inside a set a bare version is npm's
    X-range (`1.2` is `=1.2`), not a caret: Cargo's rule is for a lone version only."""
    lows, highs = zip(*(_bounds(part if part[0] in "^~=<>*" else "=" + part) for part in parts), strict=True)
    bounded = [high for high in highs if high is not None]
    return max(lows), (min(bounded) if bounded else None)


_COMMA = re.compile(r"\s*,\s*")


def _cargo_bare(text: str) -> str:
    """Give each `||` alternative that is a lone bare version an implicit caret."""
    parts = [p.strip() for p in text.split("||")]
    return " || ".join("^" + p.removeprefix("v") if _BARE.match(p) else p for p in parts)


def is_valid_version(text: str) -> bool:
    try:
        Version(text)
    except VersionError:
        return False
    return True
