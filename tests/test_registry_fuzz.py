"""Every file a registry hands us is hostile input: registry.nuon, package .nuon files, the full and sparse
JSON indexes, a package's nupm.nuon and config.toml. Whatever they hold, reading them ends in a value or in
one of nupm's own errors (a message and an exit code), never in a traceback."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nupm.errors import NupmError
from nupm.sources.registry import INDEX_FILE, SPARSE_CONFIG, open_registry, sparse_path

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# NUON-ish text: mostly the characters NUON is made of, so the parser gets deep before it fails.
nuon_text = st.text(alphabet=st.sampled_from(list("[]{}(),:;\"'#$|-_.0123456789 \n\tabcdefgilmnoprstuv@`\\r^")),
                    max_size=200)
names = st.sampled_from(["spam", "a", "ab", "abc", "git", "x-y"])
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=12))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                           max_leaves=20)


def _read_all(directory: Path, name: str) -> None:
    registry = open_registry("fuzz", str(directory))
    try:
        registry.names()
        for entry in registry.versions(name):
            entry.describe_row()
    except NupmError:
        pass


@FUZZ
@given(listing=nuon_text, package=nuon_text, name=names)
def test_nuon_registry_files(listing, package, name):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "registry.nuon").write_text(listing)
        (root / f"{name}.nuon").write_text(package)
        _read_all(root, name)


@FUZZ
@given(rows=st.lists(st.dictionaries(st.sampled_from(["name", "version", "path", "type", "info", "hash"]),
                                     json_values, max_size=6), max_size=4), name=names)
def test_package_rows_of_any_shape(rows, name):
    from nupm import nuon

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "registry.nuon").write_text(f'[[name, path]; [{name}, "{name}.nuon"]]')
        try:
            text = nuon.dumps(rows)
        except (TypeError, ValueError):
            return
        (root / f"{name}.nuon").write_text(text)
        _read_all(root, name)


@FUZZ
@given(index=json_values, sparse=json_values, name=names, raw=st.binary(max_size=40))
def test_json_indexes(index, sparse, name, raw):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "registry.nuon").write_text(f'[[name, path]; [{name}, "{name}.nuon"]]')
        (root / f"{name}.nuon").write_bytes(raw)
        (root / INDEX_FILE).write_text(json.dumps({"version": 1, "packages": {name: index}}))
        _read_all(root, name)
        (root / SPARSE_CONFIG).parent.mkdir(parents=True, exist_ok=True)
        (root / SPARSE_CONFIG).write_text("{}")
        path = root / sparse_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(sparse))
        _read_all(root, name)
        path.write_bytes(raw)
        _read_all(root, name)


@FUZZ
@given(text=nuon_text, deps=json_values)
def test_package_manifests_in_nuon(text, deps):
    from nupm import manifest, nuon

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "nupm.nuon"
        for body in (text, _nuon_record(nuon, deps)):
            if body is None:
                continue
            path.write_text(body)
            try:
                manifest.load(path)
            except NupmError:
                pass


def _nuon_record(nuon, deps) -> str | None:
    try:
        return nuon.dumps({"name": "spam", "version": "0.1.0", "type": "module", "dependencies": deps})
    except (TypeError, ValueError):
        return None


@FUZZ
@given(registries=json_values, jobs=json_values)
def test_config_files(registries, jobs):
    import tomlkit

    from nupm.config import load_config

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.toml"
        try:
            path.write_text(tomlkit.dumps({"jobs": jobs, "registries": registries}))
        except (TypeError, ValueError, tomlkit.exceptions.TOMLKitError):
            return
        try:
            load_config(path)
        except NupmError:
            pass
