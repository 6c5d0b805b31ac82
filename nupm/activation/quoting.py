"""One quoting function per shell: any string becomes a literal that the shell reads back exactly and
never evaluates (no expansion, substitution or word splitting), whatever it holds."""

from __future__ import annotations

import re


def quote_posix(text: str) -> str:
    """bash and zsh: single quotes, each ' written as '\\''."""
    return "'" + text.replace("'", "'\\''") + "'"


def quote_fish(text: str) -> str:
    """fish: single quotes, in which only \\ and ' are special."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_nu(text: str) -> str:
    """Nushell: a raw string r#'...'# with more #s than the longest run of # inside.

    Fewer is not enough: nu's lexer also rejects e.g. r#'#'# (content starting with #), so the
    count is one more than any run of #, checked exhaustively over short strings of # ' and a.
    """
    longest = max((len(run) for run in re.findall("#+", text)), default=0)
    hashes = "#" * (longest + 1)
    return f"r{hashes}'{text}'{hashes}"
