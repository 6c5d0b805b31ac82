"""SemVer 2.0 versions and npm-style ranges.

semantic-version does the work (its NpmSpec implements npm's grammar, including the rule that
pre-releases match only when a comparator names the same major.minor.patch with a pre-release).
nupm adds one rule of its own, as Cargo does: a lone bare version such as `1.2` or `1.2.3` means
`^1.2` / `^1.2.3`; write `=1.2.3` to pin exactly.
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

    __slots__ = ("_parsed", "text")

    def __init__(self, text: str):
        if not isinstance(text, str) or len(text) > MAX_TEXT or not _SEMVER.match(text):
            shown = repr(text) if not isinstance(text, str) or len(text) <= MAX_TEXT else f"{text[:20]!r}…"
            raise VersionError(f"{shown} is not a SemVer 2.0 version (like 1.2.3)")
        self.text = text
        self._parsed = None

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
        return (isinstance(other, Version) and not isinstance(other, Label)
                and self._v.precedence_key[:4] == other._v.precedence_key[:4])

    def __lt__(self, other: Version) -> bool:
        if isinstance(other, Label):
            return False  # labels sort below every version
        # SemVer 2.0: build metadata does not take part in precedence.
        return self._v.precedence_key[:4] < other._v.precedence_key[:4]

    def __hash__(self) -> int:
        v = self._v
        return hash((v.major, v.minor, v.patch, v.prerelease))

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Version({self.text!r})"


class Label(Version):
    """A registry row's version that is not SemVer (`main`, a branch name): never matched by a range,
    only asked for by its exact name (`pkg@main`). Labels sort below every version."""

    __slots__ = ()

    def __init__(self, text: str):
        self.text = text
        self._parsed = None

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

    __slots__ = ("_compiled", "text", "_seen", "label")

    def __init__(self, text: str):
        if not isinstance(text, str):
            raise VersionError(f"a version range must be a string, not {type(text).__name__}")
        if len(text) > MAX_RANGE or any(part.isdigit() and len(part) > 30 for part in re.split(r"[^0-9]", text)):
            raise VersionError(f"{text[:20]!r}… is not a version range (too long)")
        self._seen: dict[Version, bool] = {}
        self.text = text.strip() or "*"
        self._compiled = None
        self.label = None
        if not _SIMPLE_RANGE.match(self.text):
            try:
                self._spec  # noqa: B018 -- compiling is the validation
            except VersionError:
                if not _LABEL.match(self.text):
                    raise
                self.label = self.text.removeprefix("=")

    @property
    def _spec(self):
        if self._compiled is None:
            import semantic_version

            try:
                self._compiled = semantic_version.NpmSpec(_cargo_bare(self.text))
            except ValueError:
                raise VersionError(f"{self.text!r} is not a version range (like ^1.2, ~1.2.3, >=1 <2)") from None
        return self._compiled

    def admits(self, version: Version) -> bool:
        # The resolver asks the same question many times while backtracking; NpmSpec.match is slow.
        found = self._seen.get(version)
        if found is None:
            if self.label is not None or isinstance(version, Label):
                found = isinstance(version, Label) and version.text == self.label
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
