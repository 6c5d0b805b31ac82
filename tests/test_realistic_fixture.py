"""Self-test of tests/realistic.py: the registry it builds is what Nushell nupm and git would make of it."""

from __future__ import annotations

import glob
import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest
from conftest import NU, REPO
from realistic import MISSING_SHA, Registry, build_registry, run_git

# The nu from NUPM_TEST_NU or PATH, else the one tests/run.sh installs.
NU_BIN = NU or next(iter(sorted(glob.glob(str(REPO / ".tools/nu-*/node_modules/@nushell/*/bin/nu")))), None)


def needs_nu_bin(test):
    """Marked `nu` too, so tests/run.sh repeats it on the oldest supported nu."""
    return pytest.mark.nu(pytest.mark.skipif(NU_BIN is None, reason="SKIPPED LOUDLY: no `nu` binary")(test))


# Only this package file differs from what today's `to nuon` writes (its bare `missing-path.nuon` path).
LEGACY_FILES = {"missing-path.nuon"}
# Which packages a case's nu code imports besides its own.
IMPORTS = {"with-tools": ["full-sha"]}


@pytest.fixture(scope="module")
def reg(tmp_path_factory) -> Registry:
    root = tmp_path_factory.mktemp("realistic")
    return build_registry(root, (root / "git").as_uri())


def index(reg: Registry) -> list[tuple[str, str, str]]:
    text = reg.file.read_text()
    assert not text.endswith("\n"), "the official registry.nuon has no final newline"
    assert text.startswith("[[name, path, hash]; ")
    return re.findall(r'\[([\w-]+), "([\w.-]+)", "(md5-[0-9a-f]{32})"\]', text)


def all_rows(reg: Registry):
    for name, rows in reg.rows.items():
        for row in rows:
            yield name, row


def test_index_lists_every_package_sorted_with_md5_of_the_file_bytes(reg):
    rows = index(reg)
    assert [name for name, _, _ in rows] == sorted(reg.cases)
    for name, file, digest in rows:
        assert digest == "md5-" + hashlib.md5((reg.dir / file).read_bytes()).hexdigest(), name
    assert ("untyped", "untyped_pkg.nuon") in [(n, f) for n, f, _ in rows]


def test_package_files_are_written_as_the_official_ones(reg):
    text = {name: (reg.dir / reg.packages[name].file).read_text() for name in reg.cases}
    sha = reg.sha("full-sha", reg.row("full-sha", "0.1.0")["info"]["revision"])
    assert text["full-sha"] == ('[[name, version, path, type, info]; [full-sha, "0.1.0", null, git, '
                                f'{{url: "{reg.url("full-sha")}", revision: "{sha}"}}]]')
    assert '"0.1.0", ".", git' in text["short-sha"]
    assert ', main, null, git, ' in text["labelled"] and "revision: main}" in text["labelled"]
    assert '"0.1.0", pkgs/mono-a, git' in text["mono-a"] and '"0.1.0", mono-b-dir, git' in text["mono-b"]
    assert '"0.2.0", missing-path.nuon, git' in text["missing-path"]
    assert reg.row("mono-a", "0.1.0")["info"]["revision"] == reg.row("mono-b", "0.1.0")["info"]["revision"]


def test_every_revision_resolves_except_missing_rev(reg):
    for name, row in all_rows(reg):
        bare = reg.bare(reg.packages[name].repo)
        proc = subprocess.run(["git", "-C", str(bare), "rev-parse", "--verify", "--quiet",
                               row["info"]["revision"] + "^{commit}"], capture_output=True, text=True)
        if name == "missing-rev":
            assert row["info"]["revision"] == MISSING_SHA and proc.returncode != 0
        else:
            assert proc.returncode == 0 and re.fullmatch("[0-9a-f]{40}", proc.stdout.strip()), (name, row)


def test_revision_kinds(reg):
    assert len(reg.row("full-sha", "0.1.0")["info"]["revision"]) == 40
    assert reg.resolve("full-sha", "0.1.0") != reg.sha("full-sha", "main"), "main has moved past the pinned sha"
    assert len(reg.row("short-sha", "0.1.0")["info"]["revision"]) == 7
    # An annotated tag is an object of its own; the commit is behind it.
    assert reg.tag_object("annotated-tag", "v1.0.0") != reg.resolve("annotated-tag", "1.0.0")
    assert reg.tag_object("light-tag", "0.2.0") == reg.resolve("light-tag", "0.2.0")
    assert reg.resolve("on-branch", "0.1.0") == reg.sha("on-branch", "HEAD")


def test_paths_at_their_revisions(reg):
    for name, row in all_rows(reg):
        sha = reg.resolve(name, row["version"])
        if sha is None:
            continue
        spec = f"{sha}:{row['path']}" if row["path"] not in (None, ".") else f"{sha}^{{tree}}"
        kind = subprocess.run(["git", "cat-file", "-t", spec], cwd=reg.bare(reg.packages[name].repo),
                              capture_output=True, text=True).stdout.strip()
        expected = {("missing-path", "0.1.0"): "", ("missing-path", "0.2.0"): "blob"}.get((name, row["version"]))
        assert kind == (expected if expected is not None else "tree"), (name, row)


def test_each_bare_repo_clones_with_main_checked_out(reg, tmp_path):
    for repo in reg.repos:
        dest = tmp_path / repo
        subprocess.run(["git", "clone", "-q", reg.url(repo), str(dest)], check=True, capture_output=True)
        assert run_git("rev-parse", "--abbrev-ref", "HEAD", cwd=dest) == "main"
        # git's dumb HTTP protocol reads these; they must be current.
        assert (reg.bare(repo) / "info" / "refs").is_file()
        assert (reg.bare(repo) / "objects" / "info" / "packs").is_file()


def test_builds_are_deterministic(reg, tmp_path):
    again = build_registry(tmp_path, "http://127.0.0.1:1/git")
    for repo in reg.repos:
        refs = run_git("for-each-ref", "--format=%(refname) %(objectname)", cwd=reg.bare(repo))
        assert refs == run_git("for-each-ref", "--format=%(refname) %(objectname)", cwd=again.bare(repo)), repo


def test_add_version_and_advance(tmp_path):
    reg = build_registry(tmp_path, tmp_path / "git")
    before = reg.file.read_bytes()
    sha = reg.add_version("light-tag", "0.3.0")
    assert reg.resolve("light-tag", "0.3.0") == sha
    assert [r["version"] for r in reg.rows["light-tag"]] == ["0.1.0", "0.2.0", "0.3.0"]
    assert "refs/tags/0.3.0" in (reg.bare("light-tag") / "info" / "refs").read_text()
    assert reg.file.read_bytes() != before
    assert dict((n, h) for n, _, h in index(reg))["light-tag"] == \
        "md5-" + hashlib.md5((reg.dir / "light-tag.nuon").read_bytes()).hexdigest()

    reg.add_version("labelled", "0.2.0")
    assert [r["version"] for r in reg.rows["labelled"]] == ["0.1.0", "0.2.0", "main"]
    short = reg.add_version("mono-b", "0.2.0", revision="short")
    assert reg.row("mono-b", "0.2.0")["info"]["revision"] == short[:7]

    sha = reg.add_version("annotated-tag", "1.1.0", tag="v1.1.0", annotated=True)
    assert reg.resolve("annotated-tag", "1.1.0") == sha != reg.tag_object("annotated-tag", "v1.1.0")

    old = reg.resolve("on-branch", "0.1.0")
    new = reg.advance("on-branch", "0.1.1")
    assert old != new == reg.resolve("on-branch", "0.1.0")


# -- with the real nu -----------------------------------------------------------------------------------------
def nu(code: str, *args: str, cwd: Path | None = None) -> str:
    proc = subprocess.run([NU_BIN, "-n", *args, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"nu -c {code!r} failed:\n{proc.stderr}"
    return proc.stdout.strip()


@needs_nu_bin
def test_nu_reads_every_registry_file_as_a_table(reg):
    code = ("ls *.nuon | get name | each {|f| {file: $f, type: (open $f | describe), "
            "same: ((open --raw $f) == (open $f | to nuon))}} | to json")
    files = json.loads(nu(code, cwd=reg.dir))
    assert {f["file"] for f in files} == {"registry.nuon"} | {p.file for p in reg.packages.values()}
    for f in files:
        assert f["type"].startswith("table<name: string, "), f
    # Like the official registry: every file is what `to nuon` writes, but for the legacy bare path.
    assert {f["file"] for f in files if not f["same"]} == LEGACY_FILES


@needs_nu_bin
def test_nu_reads_every_nupm_nuon(reg, tmp_path):
    for name, row in all_rows(reg):
        if reg.resolve(name, row["version"]) is None or name == "missing-path":
            continue
        pkg_dir = reg.checkout(name, row["version"], tmp_path / f"{name}-{row['version']}")
        manifest = json.loads(nu("open nupm.nuon | to json", cwd=pkg_dir))
        assert manifest["name"] == name
        assert ("type" in manifest) == (name != "untyped")
    tools = json.loads(nu("open nupm.nuon | get dependencies | to json", cwd=tmp_path / "with-tools-0.1.0"))
    assert tools == {"nushell": "0.89.0", "git": "2.40.1", "full-sha": "0.1.0", "optionals": {"fzf": "0.40.0"}}


def lib_entry(pkg_dir: Path, name: str) -> Path:
    """What an install puts in the lib dir: the package's module directory, or (old style) the package itself."""
    return pkg_dir / name if (pkg_dir / name).is_dir() else pkg_dir


def newest(reg: Registry, name: str) -> str:
    """The newest release row's version (labels like `main` are not releases)."""
    return [r["version"] for r in reg.rows[name] if re.fullmatch(r"\d+\.\d+\.\d+", r["version"])][-1]


@needs_nu_bin
def test_nu_runs_each_package_at_its_revision(reg, tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    for name, case in reg.cases.items():
        if case.nu is None:
            continue
        pkg_dir = reg.checkout(name, newest(reg, name), tmp_path / "src" / name)
        if name == "script-pkg":
            script = subprocess.run([NU_BIN, "-n", str(pkg_dir / "script-pkg.nu")], capture_output=True, text=True)
            assert script.stdout.strip() == case.prints, script.stderr
            continue
        (lib / name).symlink_to(lib_entry(pkg_dir, name))
        for dep in IMPORTS.get(name, []):
            if not (lib / dep).exists():
                (lib / dep).symlink_to(lib_entry(reg.checkout(dep, newest(reg, dep), tmp_path / "dep" / dep), dep))
        assert nu(case.nu, "-I", str(lib)) == case.prints, name
