"""A reader for NUON, Nushell's object notation, as used by Nushell nupm's files.

Covers what `to nuon` writes and people hand-write: records, lists, tables `[[a, b]; [1, 2]]`,
double/single/backtick-quoted and raw `r#'...'#` strings, bare words, numbers, bools, null,
binary `0x[..]`, comments. Numbers with units (`1kb`, `2sec`) stay strings: nupm never needs them.
Errors carry line and column so the CLI can say `file:line:col: what`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from nupm.errors import BadInput

_DELIMITERS = set("[]{}(),:;\"'`") | {"#"}
# Nushell's own whitespace; str.isspace() would also split on control characters nu keeps in bare words.
_SPACE = frozenset(" \t\r\n\x0c")
_INT = re.compile(r"[+-]?(0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|[0-9][0-9_]*)\Z")
_FLOAT = re.compile(r"[+-]?([0-9][0-9_]*\.[0-9_]*([eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)\Z")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "/": "/", "'": "'",
            "0": "\0", "b": "\b", "f": "\f", "e": "\x1b", "(": "(", ")": ")", "{": "{", "}": "}",
            "[": "[", "]": "]"}
_WORDS = {"true": True, "false": False, "null": None, "inf": float("inf"), "-inf": float("-inf"),
          "NaN": float("nan")}


class NuonError(Exception):
    def __init__(self, pos: int, what: str):
        super().__init__(what)
        self.pos, self.what = pos, what


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    # -- low level ---------------------------------------------------------------------------
    def fail(self, what: str, pos: int | None = None):
        raise NuonError(self.pos if pos is None else pos, what)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip(self, newlines: bool = True, commas: bool = False) -> None:
        text = self.text
        while self.pos < len(text):
            c = text[self.pos]
            if c == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            elif c in " \t\r" or (newlines and c == "\n") or (commas and c == ","):
                self.pos += 1
            else:
                return

    def expect(self, char: str) -> None:
        self.skip()
        if self.peek() != char:
            found = repr(self.peek()) if self.peek() else "end of input"
            self.fail(f"expected {char!r}, found {found}")
        self.pos += 1

    # -- values ------------------------------------------------------------------------------
    def value(self):
        self.skip()
        c = self.peek()
        if not c:
            self.fail("unexpected end of input")
        if c == "{":
            return self.record()
        if c == "[":
            return self.list_or_table()
        if c in "\"'`":
            return self.quoted()
        if c == "r" and self.text.startswith("r#", self.pos):
            return self.raw_string()
        if c == "0" and self.text.startswith("0x[", self.pos):
            return self.binary()
        if c in "]}),:;":
            self.fail(f"unexpected {c!r}")
        return self.bare()

    def record(self) -> dict:
        self.expect("{")
        out: dict = {}
        while True:
            self.skip(commas=True)
            if self.peek() == "}":
                self.pos += 1
                return out
            start = self.pos
            key = self.key()
            if key in out:
                self.fail(f"duplicate key {key!r}", start)
            self.expect(":")
            out[key] = self.value()
            self.after_item("}")

    def after_item(self, closer: str) -> None:
        """Items are separated by a comma or whitespace; anything glued on is an error."""
        c = self.peek()
        if c and c not in _SPACE and c not in "," + closer and c != "#":
            self.fail(f"expected ',' or {closer[0]!r}, found {c!r}")

    def key(self) -> str:
        c = self.peek()
        if c in "\"'`":
            return self.quoted()
        if c == "r" and self.text.startswith("r#", self.pos):
            return self.raw_string()
        start = self.pos
        while self.pos < len(self.text) and not (self.text[self.pos] in _SPACE
                                                 or self.text[self.pos] in _DELIMITERS):
            self.pos += 1
        if start == self.pos:
            self.fail(f"expected a record key, found {c!r}" if c else "unexpected end of input")
        return self.text[start:self.pos]

    def list_or_table(self):
        self.expect("[")
        items: list = []
        while True:
            self.skip(commas=True)
            c = self.peek()
            if c == "]":
                self.pos += 1
                return items
            if c == ";" and len(items) == 1 and isinstance(items[0], list):
                self.pos += 1
                return self.table_rows(items[0])
            if not c:
                self.fail("unclosed '['")
            items.append(self.value())
            self.after_item("];")

    def table_rows(self, header: list) -> list[dict]:
        if not all(isinstance(h, str) for h in header):
            self.fail("table header must be a list of column names")
        rows = []
        while True:
            self.skip(commas=True)
            if self.peek() == "]":
                self.pos += 1
                return rows
            start = self.pos
            row = self.value()
            if not isinstance(row, list):
                self.fail("expected a table row like [1, 2]", start)
            if len(row) != len(header):
                self.fail(f"table row has {len(row)} values for {len(header)} columns", start)
            rows.append(dict(zip(header, row, strict=True)))
            self.after_item("]")

    def quoted(self) -> str:
        quote = self.peek()
        start = self.pos
        self.pos += 1
        if quote != '"':
            end = self.text.find(quote, self.pos)
            if end < 0:
                self.fail("unterminated string", start)
            self.pos = end + 1
            return self.text[start + 1:end]
        out = []
        text = self.text
        while True:
            if self.pos >= len(text):
                self.fail("unterminated string", start)
            c = text[self.pos]
            if c == '"':
                self.pos += 1
                return "".join(out)
            if c == "\\":
                out.append(self.escape())
            else:
                out.append(c)
                self.pos += 1

    def escape(self) -> str:
        self.pos += 1
        c = self.peek()
        if c == "u" and self.text.startswith("u{", self.pos):
            end = self.text.find("}", self.pos)
            digits = self.text[self.pos + 2:end] if end > 0 else ""
            if not re.fullmatch(r"[0-9a-fA-F]{1,6}", digits):
                self.fail("bad unicode escape")
            self.pos = end + 1
            return chr(int(digits, 16))
        if c not in _ESCAPES:
            self.fail(f"unknown escape '\\{c}'")
        self.pos += 1
        return _ESCAPES[c]

    def raw_string(self) -> str:
        start = self.pos
        self.pos += 1
        hashes = 0
        while self.peek() == "#":
            hashes += 1
            self.pos += 1
        if self.peek() != "'":
            self.fail("expected ' after r#", start)
        closer = "'" + "#" * hashes
        end = self.text.find(closer, self.pos + 1)
        if end < 0:
            self.fail("unterminated raw string", start)
        value = self.text[self.pos + 1:end]
        self.pos = end + len(closer)
        return value

    def binary(self) -> bytes:
        start = self.pos
        end = self.text.find("]", self.pos)
        digits = re.sub(r"[\s,]", "", self.text[self.pos + 3:end]) if end > 0 else "x"
        if end < 0 or not re.fullmatch(r"([0-9a-fA-F]{2})*", digits):
            self.fail("bad binary literal", start)
        self.pos = end + 1
        return bytes.fromhex(digits)

    def bare(self):
        start = self.pos
        text = self.text
        while self.pos < len(text) and not (text[self.pos] in _SPACE or text[self.pos] in "[]{}(),;#"):
            self.pos += 1
        word = text[start:self.pos]
        if not word:  # a character that ends a word where a value starts (a form feed): no progress, no value
            self.fail(f"unexpected {text[start]!r}", start)
        if word in _WORDS:
            return _WORDS[word]
        try:
            if _INT.match(word):
                digits = word.replace("_", "")
                # Base 0 reads 0x/0o/0b prefixes but refuses leading zeros, which nu reads as decimal (01 = 1).
                prefixed = digits.lstrip("+-")[:2].lower() in ("0x", "0o", "0b")
                return int(digits, 0) if prefixed else int(digits, 10)
            if _FLOAT.match(word):
                return float(word.replace("_", ""))
        except ValueError:
            self.fail(f"bad number {word!r}", start)
        if any(q in word for q in "\"'`"):
            self.fail(f"unexpected quote in bare word {word!r}", start)
        return word


def loads(text: str):
    parser = _Parser(text)
    value = parser.value()
    parser.skip()
    if parser.pos != len(text):
        parser.fail(f"unexpected {parser.peek()!r} after the value")
    return value


def position(text: str, pos: int) -> tuple[int, int]:
    """1-based line and column (in characters) of offset `pos`."""
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


def load(path: Path):
    """Read a NUON file, turning syntax errors into `file:line:col:` errors."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise BadInput(path, 1, 1, f"not UTF-8 text ({e.reason})") from None
    return parse(text, path)


def parse(text: str, where: str | Path):
    """NUON text read from `where` (a path or a URL), syntax errors as `where:line:col:` errors."""
    try:
        return loads(text)
    except RecursionError:
        raise BadInput(where, 1, 1, "nested too deeply") from None
    except NuonError as e:
        line, col = position(text, e.pos)
        raise BadInput(where, line, col, e.what) from None


# -- writing --------------------------------------------------------------------------------------
def dumps(value) -> str:
    """NUON text for strings, numbers, bools, null, lists and records (strings always quoted)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON escapes are NUON escapes
    if isinstance(value, list):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{dumps(k)}: {dumps(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as NUON")


def dumps_table(rows: list[dict], columns: list[str]) -> str:
    """A table `[[a, b]; [1, 2]]` byte for byte as Nushell's `to nuon` writes it (one line, strings bare
    where nu leaves them bare, no final newline): Nushell's nupm checks a registry file's md5 against
    `open FILE | to nuon`, so anything else would read as tampered to it."""
    body = ", ".join("[" + ", ".join(_like_nu(row.get(c)) for c in columns) + "]" for row in rows)
    return f"[[{', '.join(_like_nu(c) for c in columns)}]; {body}]"


# Nushell quotes a string holding any of these characters, a digit or whitespace, or one that would read
# as another value; every other string it writes bare.
_NEEDS_QUOTES = re.compile(r"""[\[\]:`{}#'";()|$,.!?=\d\s]|^[+-]?(inf|infinity|nan)$""", re.IGNORECASE)
_KEYWORDS = frozenset({"true", "false", "null", "&&"})


def _like_nu(value) -> str:
    if isinstance(value, str):
        if value and value not in _KEYWORDS and value.isprintable() and not _NEEDS_QUOTES.search(value):
            return value
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_like_nu(k)}: {_like_nu(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_like_nu(v) for v in value) + "]"
    return dumps(value)
