"""Random mutations of real input files (nupm.toml, nupm.nuon, nupm.lock, registry.nuon, a package .nuon,
nupm-index.json, config.toml): reading them ends in a value or in nupm's own error, never in a traceback.
Each file gets FUZZ.max_examples mutated versions per run; the expected number of other exceptions is 0."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from conftest import EXAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nupm.errors import NupmError

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

INTERESTING = [b"\x00", b"\xff\xfe", b"[" * 3000, b"{a:" * 3000, b"9" * 5000, b"x" * 300, b"\r\n", b'"', b"'",
               b"= ", b"]]", b"[[package]]\n", b"\\u{0}", b"-", b".", b"/", b"..", b"#", b"null", b"1e999"]

# One mutation: replace a span of the file with bytes (random, or from INTERESTING).
mutations = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 12),
                               st.one_of(st.binary(max_size=12), st.sampled_from(INTERESTING))),
                     min_size=1, max_size=4)


def mutate(data: bytes, edits) -> bytes:
    for at, length, new in edits:
        at = at % (len(data) + 1)
        data = data[:at] + new + data[at + length:]
    return data


def _index_json() -> bytes:
    entry = {"type": "module", "hash": "sha256-" + "0" * 64, "dependencies": {"utils": "^1"},
             "description": "d", "source": {"type": "git", "url": "https://h/r.git", "revision": "v1", "path": "p"}}
    return json.dumps({"version": 1, "packages": {"colors": {"0.1.0": entry}}}, indent=1).encode()


def _quietly(read) -> None:
    try:
        read()
    except NupmError:
        pass


@FUZZ
@given(edits=mutations)
def test_mutated_manifests_and_locks(edits):
    from nupm import lock, manifest

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, original in (("nupm.toml", EXAMPLES / "hello/nupm.toml"),
                               ("nupm.nuon", EXAMPLES / "registry/packages/spam_module-0.1.0/nupm.nuon")):
            path = root / name
            path.write_bytes(mutate(original.read_bytes(), edits))
            _quietly(lambda path=path: manifest.load(path))
        path = root / "nupm.lock"
        path.write_bytes(mutate((EXAMPLES / "hello/nupm.lock").read_bytes(), edits))
        _quietly(lambda: lock.read(path, root))


@FUZZ
@given(edits=mutations, which=st.sampled_from(["registry.nuon", "colors.nuon", "nupm-index.json"]))
def test_mutated_registries(edits, which):
    import shutil

    from nupm.sources.registry import open_registry

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "registry"
        shutil.copytree(EXAMPLES / "registry", root)
        (root / "nupm-index.json").write_bytes(_index_json())
        (root / which).write_bytes(mutate((root / which).read_bytes(), edits))

        def read():
            registry = open_registry("fuzz", str(root))
            registry.names()
            for entry in registry.versions("colors"):
                entry.describe_row()

        _quietly(read)


@FUZZ
@given(edits=mutations)
def test_mutated_config(edits):
    from nupm.config import load_config

    original = (b'jobs = 4\nnu-source = "npm:https://h/npm"\n[registries]\nmain = "/srv/registry"\n'
                b'web = "https://h/registry.nuon"\n')
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.toml"
        path.write_bytes(mutate(original, edits))
        _quietly(lambda: load_config(path))


def _env_json() -> bytes:
    description = {"version": 1, "name": "demo", "kind": "project", "root": "/p", "env_dir": "/p/.nupm",
                   "path": ["/p/.nupm/bin"], "lib_dirs": ["/p/.nupm/lib"], "variables": {"A": "b"},
                   "modules": {"spam": "/s/spam"}, "collections": {"c": "/s/c"},
                   "commands": {"greet": {"kind": "nu-script", "target": "/s/greet.nu", "package": "greet"}},
                   "packages": [{"name": "spam", "version": "1.0.0", "type": "module", "hash": "sha256-0",
                                 "store": "/s"}], "nu": "/s/nushell/nu", "nu_range": ">=0.101 <0.110",
                   "plugins": {"hello": {"target": "/s/nu_plugin_hello", "package": "spam"}},
                   "plugin_nu": "/s/nushell/nu", "plugin_nu_version": "0.107.0",
                   "views": {"/p/.nupm/views/spam": {"utils": "/s/utils-1/utils"}},
                   "shims": {"/p/.nupm/shims/spam/spam": {"source": "/s/spam", "uses": ["/s/utils-1/utils"],
                                                          "libs": ["/p/.nupm/views/spam", "/p/.nupm/lib"]}}}
    return json.dumps(description, indent=2).encode()


@FUZZ
@given(edits=mutations)
def test_mutated_environment_descriptions(edits):
    """env.json is read from a project's .nupm/, which a repository could ship: a description or nothing,
    and what is read renders (or is refused with nupm's own error)."""
    from nupm.activation.render import render_all
    from nupm.description import read

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "env.json").write_bytes(mutate(_env_json(), edits))
        found = read(Path(tmp))
        if found is not None:
            _quietly(lambda: render_all(found))


NU_MANIFEST = (b'[package]\nname = "app"\nversion = "0.1.0"\ntype = "module"\nnu-version = ">=0.101, <0.110"\n'
               b'plugins = ["nu_plugin_hello", "bin/nu_plugin_polars.py"]\n\n'
               b'[dependencies]\nutils = "^1"\n\n[tool]\nnu = "0.107.0"\n')
NU_NUON = (b'{name: legacy, version: "1.0.0", type: module, nu-version: "~0.101", dependencies: {nushell: "0.89.0"}, '
           b'plugins: [nu_plugin_legacy]}\n')
NU_LOCK = (b'# This file is generated by nupm. Do not edit it by hand.\nversion = 1\nnu = "=0.107.0"\n'
           b'nu-version = ">=0.101 <0.110"\n\n[requirements]\nutils = "^1"\n\n[[package]]\nname = "nushell"\n'
           b'version = "0.107.0"\ntype = "nushell"\nsource = { archive = "https://h/nu.tgz", sha256 = "'
           + b"0" * 64 + b'" }\nhash = "sha256-' + b"1" * 64 + b'"\ndependencies = {}\n')


@FUZZ
@given(edits=mutations)
def test_mutated_nushell_requirements_in_manifests_and_locks(edits):
    """nu-version, [tool] nu, plugins and a lock's Nushell entries, read and compared for staleness."""
    from nupm import lock, manifest

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "nupm.nuon").write_bytes(mutate(NU_NUON, edits))
        _quietly(lambda: manifest.load(root / "nupm.nuon"))
        (root / "nupm.toml").write_bytes(mutate(NU_MANIFEST, edits))
        (root / "nupm.lock").write_bytes(mutate(NU_LOCK, edits))
        (root / "good.toml").write_bytes(NU_MANIFEST)
        good = manifest.load(root / "good.toml")

        def stale():
            found = lock.read(root / "nupm.lock", root)
            lock.stale_reasons(good, found)
            lock.stale_reasons(manifest.load(root / "nupm.toml"), found)

        _quietly(stale)


@FUZZ
@given(edits=mutations)
def test_mutated_nushell_source_answers(edits):
    """What a Nushell source states (a release's SHA256SUMS, npm's package document): a checksum, an archive
    URL, a version list, or nupm's own error."""
    from nupm.sources.nu_releases import ArchiveReleases, NpmReleases, host_target

    version = "0.107.0"
    sums = f"{'a' * 64}  nu-{version}-{host_target()}.tar.gz\n{'b' * 64}  other.zip\n".encode()
    document = json.dumps({"name": "@nushell/linux-x64", "versions": {version: {"dist": {
        "tarball": "https://registry.example/t.tgz", "integrity": "sha512-" + "A" * 86 + "=="}}}}).encode()

    class Served:
        """A source's answers as bytes: these tests read what comes back, not how it travels (the real HTTP
        path is tests/test_nushell_pinned.py, against nginx)."""

        def get(self, url):
            return mutate(document, edits) if "t.tgz" not in url else b"not the tarball"

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / version).mkdir()
        (Path(tmp) / version / "SHA256SUMS").write_bytes(mutate(sums, edits))
        _quietly(lambda: ArchiveReleases(tmp, None).sha256(version))
        npm = NpmReleases("https://registry.example", Served())
        _quietly(lambda: (npm.versions(), npm.archive_url(version), npm.sha256(version)))


@FUZZ
@given(text=st.one_of(st.text(max_size=200), st.recursive(
    st.one_of(st.none(), st.integers(), st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(["msg", "inner", "json", "x"]), inner, max_size=4)),
    max_leaves=20).map(json.dumps)))
def test_what_nu_prints_when_a_plugin_fails_to_register(text):
    """nu's stderr while registering a plugin carries the plugin's own output too: whatever it holds, the
    refusal is one message."""
    from nupm.plugins import PluginRefused, _refusal

    found = _refusal("hello", "/s/nu_plugin_hello", "hello", "nu", text)
    assert isinstance(found, PluginRefused) and str(found)


PRIVATE_LOCK = (b'# This file is generated by nupm. Do not edit it by hand.\nversion = 1\n\n[requirements]\n'
                b'pkg-a = "^1"\npkg-c = "^1"\n\n'
                + b"".join(b'[[package]]\nname = "%s"\nversion = "%s"\ntype = "module"\n'
                           b'source = { registry = "main", path = "/r/%s" }\nhash = "sha256-%s"\n'
                           b"dependencies = %s\n%s\n" % (name, version, name, b"0" * 64, deps, extra)
                           for name, version, deps, extra in (
                               (b"pkg-a", b"1.0.0", b'{ utils = "^1" }', b""),
                               (b"pkg-c", b"1.0.0", b'{ utils = "^2" }', b""),
                               (b"utils", b"2.0.0", b"{}", b""),
                               (b"utils", b"1.0.0", b"{}", b'private = "utils@pkg-a"\nfor = ["pkg-a"]\n'))))


@FUZZ
@given(edits=mutations)
def test_mutated_locks_with_private_copies(edits):
    """A lock's private copies name directories of the environment: a mutated one reads as a lock whose ids are
    package names, or is refused with its position."""
    from nupm import lock, manifest

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "nupm.toml").write_text('[package]\nname = "app"\nversion = "0.1.0"\ntype = "module"\n\n'
                                        '[dependencies]\npkg-a = "^1"\npkg-c = "^1"\n')
        (root / "nupm.lock").write_bytes(mutate(PRIVATE_LOCK, edits))
        try:
            found = lock.read(root / "nupm.lock", root)
        except NupmError:
            return
        assert all(manifest.valid_name(part) for p in found.packages for part in p.id.split("@"))
        routes = found.routes()
        assert all(routes.target(p.id, d) is None or routes.target(p.id, d).name == d
                   for p in found.packages for d in p.dependencies)
        lock.stale_reasons(manifest.load(root / "nupm.toml"), found)
