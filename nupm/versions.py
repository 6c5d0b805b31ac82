"""SemVer 2.0 versions and npm-style ranges.

semantic-version does the work (its NpmSpec implements npm's grammar, including the rule that
pre-releases match only when a comparator names the same major.minor.patch with a pre-release).
nupm adds one rule of its own, as Cargo does: a lone bare version such as `1.2` or `1.2.3` means
`^1.2` / `^1.2.3`; write `=1.2.3` to pin exactly.
"""

from __future__ import annotations

import re
from functools import total_ordering

import semantic_version

_BARE = re.compile(r"v?\d+(\.\d+){0,2}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?\Z")


class VersionError(ValueError):
    pass


@total_ordering
class Version:
    """A SemVer 2.0 version; ordering ignores build metadata."""

    __slots__ = ("_v", "text")

    def __init__(self, text: str):
        try:
            self._v = semantic_version.Version(text)
        except ValueError:
            raise VersionError(f"{text!r} is not a SemVer 2.0 version (like 1.2.3)") from None
        self.text = text

    @property
    def semver(self) -> semantic_version.Version:
        return self._v

    @property
    def major(self) -> int:
        return self._v.major

    @property
    def is_prerelease(self) -> bool:
        return bool(self._v.prerelease)

    def __eq__(self, other) -> bool:
        return isinstance(other, Version) and self._v.precedence_key == other._v.precedence_key

    def __lt__(self, other: Version) -> bool:
        return self._v.precedence_key < other._v.precedence_key

    def __hash__(self) -> int:
        v = self._v
        return hash((v.major, v.minor, v.patch, v.prerelease))

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Version({self.text!r})"


class Range:
    """An npm range (`^1.2`, `~1.2.3`, `1.x`, `>=1.2 <2`, `1.2 - 1.4`, `a || b`, `*`)."""

    __slots__ = ("_spec", "text")

    def __init__(self, text: str):
        self.text = text.strip() or "*"
        try:
            self._spec = semantic_version.NpmSpec(_cargo_bare(self.text))
        except ValueError:
            raise VersionError(f"{text!r} is not a version range (like ^1.2, ~1.2.3, >=1 <2)") from None

    def admits(self, version: Version) -> bool:
        return self._spec.match(version.semver)

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
