"""The NUON reader, by hand-written cases and against the real `nu`'s `to nuon`."""

import json
import math
import subprocess

import pytest
from conftest import NU, needs_nu
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nupm import nuon
from nupm.errors import BadInput


@pytest.mark.parametrize(("text", "value"), [
    ("{name: spam, version: \"0.1.0\", type: module}", {"name": "spam", "version": "0.1.0", "type": "module"}),
    ("{\n  name: spam\n  scripts: [a.nu b.nu]\n}", {"name": "spam", "scripts": ["a.nu", "b.nu"]}),
    ("[[name, path]; [a, a.nuon], [b, b.nuon]]", [{"name": "a", "path": "a.nuon"}, {"name": "b", "path": "b.nuon"}]),
    ("[[a b]; [1 2]]", [{"a": 1, "b": 2}]),
    ("r#'it's \"raw\"'#", "it's \"raw\""),
    ("r##'has '# inside'##", "has '# inside"),
    ("'single \\n'", "single \\n"),
    ("`back tick`", "back tick"),
    ('"esc \\"q\\" \\n \\t \\u{1F692}"', 'esc "q" \n \t \U0001F692'),
    ("[true, false, null, -3, 1_000, 0x10, 2.5, -1.5e3]", [True, False, None, -3, 1000, 16, 2.5, -1500.0]),
    ("{ü: 中, \"k y\": 3}", {"ü": "中", "k y": 3}),
    ("# comment\n{a: 1 # trailing\n}", {"a": 1}),
    ("0x[FF 00]", b"\xff\x00"),
    ("[]", []),
    ("{}", {}),
    ("{a: 1kb, b: 2sec}", {"a": "1kb", "b": "2sec"}),
    ("[01, -007, 00]", [1, -7, 0]),  # leading zeros read as decimal, as nu does (found by fuzzing)
])
def test_reads(text, value):
    assert nuon.loads(text) == value


@pytest.mark.parametrize(("text", "line", "col"), [
    ("{a: 1,\n b: [1, 2}", 2, 10),
    ("{a: \"unterminated}", 1, 5),
    ("[[a, b]; [1]]", 1, 10),
    ("{a 1}", 1, 4),
    ("{a: 1, a: 2}", 1, 8),
    ("[a.nu\x0c, b]", 1, 6),  # a form feed ends a bare word but is no space between values: it hung the reader
])
def test_errors_have_positions(tmp_path, text, line, col):
    path = tmp_path / "bad.nuon"
    path.write_text(text)
    with pytest.raises(BadInput) as err:
        nuon.load(path)
    assert (err.value.line, err.value.col) == (line, col), str(err.value)


def nu_to_nuon(value) -> str:
    # stdin is not $in under -c, so the JSON travels in a variable.
    proc = subprocess.run([NU, "-n", "--no-std-lib", "-c", "$env.NUON_VALUE | from json | to nuon"],
                          env={"NUON_VALUE": json.dumps(value), "PATH": "/usr/bin:/bin"},
                          capture_output=True, check=True)
    return proc.stdout.decode()  # bytes: text mode would turn a quoted \r into \n


keys = st.text(min_size=1, max_size=8)
scalars = (st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.text(max_size=20)
           | st.floats(allow_nan=False, allow_infinity=False, width=32).filter(lambda f: f == f))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
                      max_leaves=12)


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-6)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


@needs_nu
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values)
def test_round_trips_real_nu_to_nuon(value):
    assert _same(nuon.loads(nu_to_nuon(value)), value)


@needs_nu
def test_reads_real_nu_tables_and_raw_strings():
    text = subprocess.run([NU, "-n", "-c", "[[name, version, info]; [a, '0.1.0', null], [b, '1.0.0', {url: 'x', "
                           "revision: main}]] | to nuon"], capture_output=True, text=True, check=True).stdout
    assert nuon.loads(text) == [{"name": "a", "version": "0.1.0", "info": None},
                                {"name": "b", "version": "1.0.0", "info": {"url": "x", "revision": "main"}}]


@needs_nu
@settings(max_examples=40, deadline=None)
@given(st.lists(st.fixed_dictionaries({
    "name": st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True),
    "version": st.from_regex(r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}", fullmatch=True) | st.just("main"),
    "path": st.none() | st.text(alphabet="abz/._-:# 09'\"\\é", max_size=12),
    "info": st.none() | st.fixed_dictionaries({"url": st.text(alphabet="htps:/.ab-_~", max_size=20),
                                               "revision": st.text(alphabet="abcdef0123456789v.-", max_size=12)}),
}), min_size=1, max_size=3))
def test_registry_tables_are_written_byte_for_byte_as_nu_writes_them(rows):
    """Nushell's nupm compares md5(`open FILE | to nuon`) with the registry's hash: our bytes must be nu's."""
    text = nuon.dumps_table(rows, ["name", "version", "path", "info"])
    code = "$env.T | from nuon | to nuon | print --no-newline"
    proc = subprocess.run([NU, "-n", "--no-std-lib", "-c", code], env={"T": text}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == text
