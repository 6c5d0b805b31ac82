"""A registry of git packages in Nushell nupm's exact format, with the quirks of the real official one.

The official registry (github.com/nushell/nupm, folder registry/) is a `registry.nuon` index plus one `.nuon`
file per package whose rows are `git` sources. Real rows pin a revision in every way git allows: full and
7-character shas, lightweight and annotated tags, a branch; packages sit at the repo root (`null`, `"."`) or in
a subdirectory of a monorepo whose name differs from the package's; versions include a non-SemVer label
(`main`); one index row names a file that differs from the package (`nupm` -> `nupm_pkg.nuon`); a path names a
file rather than a directory, written as a bare word by an older nu, so re-serialising the file with today's
`to nuon` changes its bytes (only the md5 of the raw bytes matches the index).

`build_registry(root, git_base_url)` reproduces all of that offline:

    root/registry/registry.nuon, root/registry/<pkg>.nuon   the registry (serve it, or open it as a file)
    root/git/<repo>.git                                       bare repos, ready for git's dumb HTTP protocol
    root/src/<repo>                                           the work trees they are pushed from

Serve `root` at `http://127.0.0.1:PORT/` and pass `git_base_url="http://127.0.0.1:PORT/git"`; or pass
`root / "git"` (a plain path, or a file:// URL) for tests without HTTP. Every commit has a fixed author, date
and content, so every sha is the same on every machine and every run. `Registry.cases` says, per package,
what it exercises and what a correct package manager does with it.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# 2024-01-01T00:00:00Z; the n-th commit of a repo is dated n hours later, so shas never depend on the clock.
EPOCH = 1_704_067_200

# A revision that is a well-formed full sha but names no object in any repo built here.
MISSING_SHA = hashlib.sha1(b"missing-rev: no such commit").hexdigest()

PKG_COLUMNS = ["name", "version", "path", "type", "info"]
INDEX_COLUMNS = ["name", "path", "hash"]

SAME_PATH = object()  # add_row: the package's usual path


# -- NUON, written the way Nushell's `to nuon` writes it ----------------------------------------------------
class Bare(str):
    """A string written unquoted even where today's nu would quote it (older nu versions wrote paths like
    `nu_plugin_clipboard.nuon` bare; the official registry still has them)."""


# Today's nu quotes a string holding any of these characters, a digit or whitespace, or one that would read as a
# float keyword; everything else it writes as a bare word.
_NEEDS_QUOTES = re.compile(r"""[\[\]:`{}#'";()|$,.!?=\d\s]|^[+-]?(inf|infinity|nan)$""", re.IGNORECASE)
_KEYWORDS = {"true", "false", "null", "&&"}


def nuon_string(text: str) -> str:
    if isinstance(text, Bare) or (text and text not in _KEYWORDS and not _NEEDS_QUOTES.search(text)):
        return str(text)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def nuon_value(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return nuon_string(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{nuon_string(k)}: {nuon_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no NUON form for {value!r} here")


def nuon_table(columns: list[str], rows: list[dict]) -> str:
    """`[[a, b]; [1, 2], ...]` on one line and without a final newline, like every file of the real registry."""
    body = ", ".join("[" + ", ".join(nuon_value(row[c]) for c in columns) + "]" for row in rows)
    return f"[[{', '.join(columns)}]; {body}]"


def md5_hash(data: bytes) -> str:
    """The registry's `hash` column: md5 of the package file's exact bytes."""
    return "md5-" + hashlib.md5(data).hexdigest()


# -- git ------------------------------------------------------------------------------------------------------
def run_git(*args: str, cwd: Path, when: int | None = None) -> str:
    # The user's and the system's git config (signing, default branch, autocrlf, hooks) must not reach the repos:
    # they would change shas or fail the build.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0")
    if when is not None:
        env.update(GIT_AUTHOR_DATE=f"{when} +0000", GIT_COMMITTER_DATE=f"{when} +0000")
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.invalid",
                "-c", "commit.gpgSign=false", "-c", "tag.gpgSign=false", "-c", "core.autocrlf=false"]
    proc = subprocess.run(["git", *identity, *args], cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}:\n{proc.stderr}")
    return proc.stdout.strip()


@dataclass
class Repo:
    """A work tree in src/ and the bare repo in git/ it is pushed to."""

    name: str
    work: Path
    bare: Path

    @classmethod
    def create(cls, root: Path, name: str) -> Repo:
        repo = cls(name, root / "src" / name, root / "git" / f"{name}.git")
        repo.work.mkdir(parents=True)
        repo.bare.parent.mkdir(parents=True, exist_ok=True)
        run_git("init", "-q", "-b", "main", str(repo.work), cwd=root)
        # -b main: the bare repo's HEAD is what a clone checks out, and the registry's `main` rows name it.
        run_git("init", "-q", "--bare", "-b", "main", str(repo.bare), cwd=root)
        return repo

    def _next_date(self) -> int:
        return EPOCH + 3600 * int(run_git("rev-list", "--all", "--count", cwd=self.work))

    def commit(self, files: dict[str, str], message: str) -> str:
        for rel, text in files.items():
            path = self.work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode())
        run_git("add", "-A", cwd=self.work)
        run_git("commit", "-q", "-m", message, cwd=self.work, when=self._next_date())
        return run_git("rev-parse", "HEAD", cwd=self.work)

    def tag(self, name: str, message: str | None = None) -> None:
        """Lightweight, or annotated when there is a message (the tagger date comes from the committer date)."""
        args = ["tag", "-a", name, "-m", message] if message else ["tag", name]
        run_git(*args, cwd=self.work, when=self._next_date())

    def publish(self) -> None:
        run_git("push", "-q", "--force", str(self.bare), "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*",
                cwd=self.work)
        # The dumb HTTP protocol can only read what info/refs and objects/info/packs list.
        run_git("update-server-info", cwd=self.bare)

    def resolve(self, rev: str) -> str | None:
        try:
            return run_git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", cwd=self.bare)
        except RuntimeError:
            return None


# -- package contents -------------------------------------------------------------------------------------
def manifest(name: str, version: str, *, type_: str | None = "module", extra: str = "") -> str:
    """A nupm.nuon laid out like real packages' (one field a line, no commas)."""
    lines = ["{", f"    name: {nuon_string(name)}", f"    version: {nuon_string(version)}",
             f'    description: "{name}, a package of the realistic test registry"']
    if type_ is not None:
        lines.append(f"    type: {type_}")
    lines.append("    license: MIT")
    return "\n".join(lines) + "\n" + extra + "}\n"


def hello(name: str, version: str) -> str:
    return f'# Says which version of {name} is in use.\nexport def hello [] {{ "{name} {version}" }}\n'


def module_files(name: str, prefix: str = "") -> Callable[[str], dict[str, str]]:
    """Files of a module package (nupm.nuon + <name>/mod.nu) placed under prefix, for a given version."""
    def files(version: str) -> dict[str, str]:
        return {f"{prefix}nupm.nuon": manifest(name, version), f"{prefix}{name}/mod.nu": hello(name, version)}
    return files


def script_files(version: str) -> dict[str, str]:
    return {"nupm.nuon": manifest("script-pkg", version, type_="script"),
            "script-pkg.nu": f'#!/usr/bin/env nu\ndef main [] {{ print "script-pkg {version}" }}\n'}


def collection_files(version: str) -> dict[str, str]:
    # No mod.nu: users import one file at a time (`use collection/dark.nu`), like nu_scripts' themes.
    def theme(kind: str, fg: str, bg: str) -> str:
        return f'# The {kind} theme, collection {version}.\nexport def colors [] {{ {{foreground: "{fg}", ' \
               f'background: "{bg}", version: "{version}"}} }}\n'
    return {"nupm.nuon": manifest("collection", version),
            "collection/dark.nu": theme("dark", "#ffffff", "#000000"),
            "collection/light.nu": theme("light", "#000000", "#ffffff")}


def untyped_files(version: str) -> dict[str, str]:
    # Old style: no `type`, and the package directory itself is the module (mod.nu at the root).
    return {"nupm.nuon": manifest("untyped", version, type_=None), "mod.nu": hello("untyped", version)}


def with_tools_files(version: str) -> dict[str, str]:
    # Real packages list the tools they need (nushell, git, optionals) beside package dependencies.
    deps = ('    dependencies: {\n        nushell: "0.89.0"\n        git: "2.40.1"\n        full-sha: "0.1.0"\n'
            '        optionals: {\n            fzf: "0.40.0"\n        }\n    }\n')
    body = hello("with-tools", version) + \
        "\n# Calls its dependency, so the module only parses when full-sha is importable.\n" \
        "export def dep [] {\n    use full-sha\n    full-sha hello\n}\n"
    return {"nupm.nuon": manifest("with-tools", version, extra=deps), "with-tools/mod.nu": body}


def missing_path_files(version: str) -> dict[str, str]:
    # A valid package at the root plus a file whose name a registry row uses as `path`.
    return {**module_files("missing-path")(version),
            "missing-path.nuon": f'{{name: missing-path, version: "{version}", plugin: true}}\n'}


# -- the registry ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """What one package of the registry exercises, and what a correct package manager does with it."""

    name: str
    exercises: str
    ok: bool  # whether installing the package (its newest usable row) succeeds
    expect: str  # the expected outcome, in words
    nu: str | None = None  # nu code that uses the installed package...
    prints: str | None = None  # ...and what it prints


@dataclass
class Package:
    name: str
    repo: str
    file: str  # its file in registry/ (the index row's `path`)
    path: str | None  # the rows' `path`: where the package sits in the repo
    files: Callable[[str], dict[str, str]]  # the package's files for a version


@dataclass
class Registry:
    """The built registry. `cases`, `packages` and `rows` are keyed by package name; `repos` by repo name (the
    monorepo `mono` holds mono-a and mono-b; every other package has a repo of its own name)."""

    root: Path
    git_base_url: str
    cases: dict[str, Case] = field(default_factory=dict)
    packages: dict[str, Package] = field(default_factory=dict, repr=False)
    repos: dict[str, Repo] = field(default_factory=dict, repr=False)
    rows: dict[str, list[dict]] = field(default_factory=dict, repr=False)

    @property
    def dir(self) -> Path:
        return self.root / "registry"

    @property
    def file(self) -> Path:
        return self.dir / "registry.nuon"

    def url(self, repo: str) -> str:
        return f"{self.git_base_url}/{repo}.git"

    def bare(self, repo: str) -> Path:
        return self.repos[repo].bare

    def sha(self, repo: str, rev: str = "HEAD") -> str:
        """The full commit sha `rev` names in the bare repo (tags peeled)."""
        sha = self.repos[repo].resolve(rev)
        if sha is None:
            raise KeyError(f"{rev} is not a commit of {repo}")
        return sha

    def tag_object(self, repo: str, tag: str) -> str:
        """What refs/tags/<tag> points at: for an annotated tag, the tag object, not the commit."""
        return run_git("rev-parse", f"refs/tags/{tag}", cwd=self.bare(repo))

    def row(self, name: str, version: str) -> dict:
        return next(r for r in self.rows[name] if r["version"] == version)

    def resolve(self, name: str, version: str) -> str | None:
        """The commit the row pins (None when its revision is not in the repo)."""
        return self.repos[self.packages[name].repo].resolve(self.row(name, version)["info"]["revision"])

    def checkout(self, name: str, version: str, dest: Path) -> Path:
        """Extract the row's revision of the repo into dest; returns the package directory (which may not exist)."""
        row = self.row(name, version)
        repo = self.packages[name].repo
        tar = subprocess.run(["git", "archive", "--format=tar", self.sha(repo, row["info"]["revision"])],
                             cwd=self.bare(repo), capture_output=True, check=True).stdout
        dest.mkdir(parents=True, exist_ok=True)
        subprocess.run(["tar", "-x", "-C", str(dest)], input=tar, check=True)
        path = row["path"]
        return dest if path in (None, ".") else dest / path

    # -- building --------------------------------------------------------------------------------------
    def new_repo(self, name: str) -> Repo:
        self.repos[name] = Repo.create(self.root, name)
        return self.repos[name]

    def add_package(self, case: Case, repo: str, path: str | None, files: Callable[[str], dict[str, str]],
                    file: str | None = None) -> None:
        self.cases[case.name] = case
        self.packages[case.name] = Package(case.name, repo, file or f"{case.name}.nuon", path, files)
        self.rows[case.name] = []

    def add_row(self, name: str, version: str, revision: str, path: object = SAME_PATH) -> None:
        pkg = self.packages[name]
        path = pkg.path if path is SAME_PATH else path
        self.rows[name].append({"name": name, "version": version, "path": path, "type": "git",
                                "info": {"url": self.url(pkg.repo), "revision": revision}})

    def write(self) -> None:
        """Write every package file, then the index with the md5 of each file's bytes (as `nupm publish` does)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        index = []
        for name in sorted(self.packages):
            pkg = self.packages[name]
            data = nuon_table(PKG_COLUMNS, self.rows[name]).encode()
            (self.dir / pkg.file).write_bytes(data)
            index.append({"name": name, "path": pkg.file, "hash": md5_hash(data)})
        self.file.write_bytes(nuon_table(INDEX_COLUMNS, index).encode())

    # -- changing it later, as a maintainer would -----------------------------------------------------------
    def add_version(self, name: str, version: str, *, revision: str = "tag", tag: str | None = None,
                    annotated: bool = False) -> str:
        """Publish a new version: commit it on main, pin it (revision "tag", "sha" or "short"), add its row,
        rewrite the package file and the index hash, update the bare repo. Returns the new commit's sha.

        The tag is named `version` (`<name>-<version>` in a repo shared by several packages) unless given."""
        pkg = self.packages[name]
        repo = self.repos[pkg.repo]
        sha = repo.commit(pkg.files(version), f"{name} {version}")
        if revision == "tag":
            shared = sum(p.repo == pkg.repo for p in self.packages.values()) > 1
            tag = tag or (f"{name}-{version}" if shared else version)
            repo.tag(tag, f"{name} {version}" if annotated else None)
        pinned = {"tag": tag, "sha": sha, "short": sha[:7]}[revision]
        self.add_row(name, version, pinned)
        # nupm publish keeps rows sorted by version; labels such as `main` are not versions and stay last.
        self.rows[name].sort(key=lambda r: _version_key(r["version"]))
        repo.publish()
        self.write()
        return sha

    def advance(self, name: str, version: str) -> str:
        """A new commit on main with the package at `version`, and no registry change: branch rows move."""
        pkg = self.packages[name]
        repo = self.repos[pkg.repo]
        sha = repo.commit(pkg.files(version), f"{name}: work towards {version}")
        repo.publish()
        return sha


def _version_key(version: str) -> tuple:
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?", version)
    if not match:
        return (1,)
    major, minor, patch, pre = match.groups()
    return (0, int(major), int(minor), int(patch), pre is None, pre or "")


# -- the cases ----------------------------------------------------------------------------------------------
def _full_sha(reg: Registry) -> None:
    reg.add_package(Case("full-sha", "revision is a full 40-character sha; path null (package at the repo root); "
                         "main has moved on to 0.2.0-dev since", True,
                         "installs the pinned commit (0.1.0), not the repo's HEAD",
                         "use full-sha; full-sha hello", "full-sha 0.1.0"), "full-sha", None, module_files("full-sha"))
    repo = reg.new_repo("full-sha")
    sha = repo.commit(module_files("full-sha")("0.1.0"), "full-sha 0.1.0")
    repo.commit(module_files("full-sha")("0.2.0-dev"), "full-sha: work after the pinned commit")
    reg.add_row("full-sha", "0.1.0", sha)


def _short_sha(reg: Registry) -> None:
    reg.add_package(Case("short-sha", 'revision is a 7-character sha; path "."', True,
                         "installs that commit; a lock records the full 40-character sha",
                         "use short-sha; short-sha hello", "short-sha 0.1.0"), "short-sha", ".",
                    module_files("short-sha"))
    repo = reg.new_repo("short-sha")
    sha = repo.commit(module_files("short-sha")("0.1.0"), "short-sha 0.1.0")
    repo.commit(module_files("short-sha")("0.2.0-dev"), "short-sha: work after the pinned commit")
    reg.add_row("short-sha", "0.1.0", sha[:7])


def _light_tag(reg: Registry) -> None:
    reg.add_package(Case("light-tag", "lightweight tags 0.1.0 and 0.2.0, one row each", True,
                         "the newest allowed version, 0.2.0, unless a range asks for 0.1.0",
                         "use light-tag; light-tag hello", "light-tag 0.2.0"), "light-tag", None,
                    module_files("light-tag"))
    repo = reg.new_repo("light-tag")
    for version in ("0.1.0", "0.2.0"):
        repo.commit(module_files("light-tag")(version), f"light-tag {version}")
        repo.tag(version)
        reg.add_row("light-tag", version, version)


def _annotated_tag(reg: Registry) -> None:
    reg.add_package(Case("annotated-tag", "revision is the annotated tag v1.0.0 (a tag object, not a commit)",
                         True, "installs the tagged commit; a lock records the commit's sha, not the tag "
                         "object's (Registry.tag_object)", "use annotated-tag; annotated-tag hello",
                         "annotated-tag 1.0.0"), "annotated-tag", None, module_files("annotated-tag"))
    repo = reg.new_repo("annotated-tag")
    repo.commit(module_files("annotated-tag")("1.0.0"), "annotated-tag 1.0.0")
    repo.tag("v1.0.0", "annotated-tag v1.0.0")
    repo.commit(module_files("annotated-tag")("1.1.0-dev"), "annotated-tag: work after the release")
    reg.add_row("annotated-tag", "1.0.0", "v1.0.0")


def _on_branch(reg: Registry) -> None:
    reg.add_package(Case("on-branch", "revision is the branch main (the default branch)", True,
                         "installs main's current commit; after Registry.advance a refresh sees the new one",
                         "use on-branch; on-branch hello", "on-branch 0.1.0"), "on-branch", None,
                    module_files("on-branch"))
    repo = reg.new_repo("on-branch")
    repo.commit(module_files("on-branch")("0.1.0"), "on-branch 0.1.0")
    reg.add_row("on-branch", "0.1.0", "main")


def _monorepo(reg: Registry) -> None:
    # Like nushell/nu_scripts: several packages, one repo, one short sha; nu-themes sits at path `themes`.
    a, b = module_files("mono-a", "pkgs/mono-a/"), module_files("mono-b", "mono-b-dir/")
    reg.add_package(Case("mono-a", "monorepo package at path pkgs/mono-a, short sha shared with mono-b", True,
                         "installs only the pkgs/mono-a subdirectory", "use mono-a; mono-a hello", "mono-a 0.1.0"),
                    "mono", "pkgs/mono-a", a)
    reg.add_package(Case("mono-b", "monorepo package at path mono-b-dir (directory named unlike the package)",
                         True, "installs only mono-b-dir, whose module directory is mono-b",
                         "use mono-b; mono-b hello", "mono-b 0.1.0"), "mono", "mono-b-dir", b)
    repo = reg.new_repo("mono")
    sha = repo.commit({"README.md": "# mono\n\nTwo nupm packages in one repository.\n", **a("0.1.0"), **b("0.1.0")},
                      "mono-a and mono-b 0.1.0")
    repo.commit({**a("0.2.0-dev"), **b("0.2.0-dev")}, "mono: work after the pinned commit")
    reg.add_row("mono-a", "0.1.0", sha[:7])
    reg.add_row("mono-b", "0.1.0", sha[:7])


def _labelled(reg: Registry) -> None:
    reg.add_package(Case("labelled", "a tagged 0.1.0 row, and a row whose version is the label `main` (not "
                         "SemVer) at revision main, where nupm.nuon says 0.2.0-dev", True,
                         "0.1.0 is the version a range selects; the `main` row is not a version: skipped "
                         "(or reported) without breaking the package's other rows",
                         "use labelled; labelled hello", "labelled 0.1.0"), "labelled", None,
                    module_files("labelled"))
    repo = reg.new_repo("labelled")
    repo.commit(module_files("labelled")("0.1.0"), "labelled 0.1.0")
    repo.tag("0.1.0")
    repo.commit(module_files("labelled")("0.2.0-dev"), "labelled: work on main")
    reg.add_row("labelled", "0.1.0", "0.1.0")
    reg.add_row("labelled", "main", "main")


def _with_tools(reg: Registry) -> None:
    reg.add_package(Case("with-tools", "nupm.nuon dependencies mix tools (nushell, git, optionals.fzf) with the "
                         "package full-sha 0.1.0; its module imports full-sha", True,
                         "installs with-tools and full-sha 0.1.0; nushell, git and fzf are not looked up as "
                         "packages", "use with-tools; with-tools dep", "full-sha 0.1.0"), "with-tools", None,
                    with_tools_files)
    repo = reg.new_repo("with-tools")
    repo.commit(with_tools_files("0.1.0"), "with-tools 0.1.0")
    repo.tag("0.1.0")
    reg.add_row("with-tools", "0.1.0", "0.1.0")


def _collection(reg: Registry) -> None:
    reg.add_package(Case("collection", "module package whose collection/ directory has no mod.nu, only "
                         "dark.nu and light.nu", True, "installs; users import one file: use collection/dark.nu",
                         "use collection/dark.nu; dark colors | get foreground", "#ffffff"), "collection", None,
                    collection_files)
    repo = reg.new_repo("collection")
    sha = repo.commit(collection_files("0.1.0"), "collection 0.1.0")
    reg.add_row("collection", "0.1.0", sha)


def _untyped(reg: Registry) -> None:
    # Its index row also names a file unlike the package, as the official row `nupm` -> "nupm_pkg.nuon" does.
    reg.add_package(Case("untyped", "old-style nupm.nuon without `type`, mod.nu at the package root; the index "
                         'row\'s file is "untyped_pkg.nuon"', False,
                         "the package file is found through the index row's path; installing fails with a "
                         "clear error that nupm.nuon lacks `type` (Nushell nupm requires it)",
                         "use untyped; untyped hello", "untyped 0.1.0"), "untyped", None, untyped_files,
                    file="untyped_pkg.nuon")
    repo = reg.new_repo("untyped")
    sha = repo.commit(untyped_files("0.1.0"), "untyped 0.1.0")
    reg.add_row("untyped", "0.1.0", sha[:7])


def _missing_path(reg: Registry) -> None:
    reg.add_package(Case("missing-path", "0.1.0's path pkgs/nope does not exist at its tag; 0.2.0's path is the "
                         "file missing-path.nuon, written bare as older nu did (the official "
                         "nu_plugin_clipboard rows), so `open | to nuon` no longer gives the hashed bytes", False,
                         "both rows fail with a clear 'path not a directory in the repository' error; the "
                         "registry's hash matches the raw bytes"), "missing-path", "pkgs/nope", missing_path_files)
    repo = reg.new_repo("missing-path")
    repo.commit(missing_path_files("0.1.0"), "missing-path 0.1.0")
    repo.tag("0.1.0")
    sha = repo.commit(missing_path_files("0.2.0"), "missing-path 0.2.0")
    reg.add_row("missing-path", "0.1.0", "0.1.0")
    reg.add_row("missing-path", "0.2.0", sha, path=Bare("missing-path.nuon"))


def _missing_rev(reg: Registry) -> None:
    reg.add_package(Case("missing-rev", "revision is a well-formed full sha that is not in the repository", False,
                         "fails with a clear 'revision not found' error naming the url"), "missing-rev", None,
                    module_files("missing-rev"))
    repo = reg.new_repo("missing-rev")
    repo.commit(module_files("missing-rev")("0.1.0"), "missing-rev 0.1.0")
    reg.add_row("missing-rev", "0.1.0", MISSING_SHA)


def _script(reg: Registry) -> None:
    reg.add_package(Case("script-pkg", "type script (script-pkg.nu with def main) at the lightweight tag v0.1.0",
                         True, "installs the command script-pkg", "script-pkg", "script-pkg 0.1.0"), "script-pkg",
                    None, script_files)
    repo = reg.new_repo("script-pkg")
    repo.commit(script_files("0.1.0"), "script-pkg 0.1.0")
    repo.tag("v0.1.0")
    reg.add_row("script-pkg", "0.1.0", "v0.1.0")


CASE_BUILDERS = [_full_sha, _short_sha, _light_tag, _annotated_tag, _on_branch, _monorepo, _labelled, _with_tools,
                 _collection, _untyped, _missing_path, _missing_rev, _script]


def build_registry(root: Path, git_base_url: str | Path) -> Registry:
    """Build the repos and the registry under root; git urls are `<git_base_url>/<repo>.git`."""
    reg = Registry(root=Path(root), git_base_url=str(git_base_url).rstrip("/"))
    for build in CASE_BUILDERS:
        build(reg)
    for repo in reg.repos.values():
        repo.publish()
    reg.write()
    return reg
