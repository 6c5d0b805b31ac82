"""The project manifest: `nupm.toml`, or Nushell nupm's `nupm.nuon`, read into one `Manifest`.

Reading uses tomllib (fast, exact error positions); every edit goes through tomlkit so the user's
comments and layout survive.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from nupm.errors import BadInput, NupmError, UsageError
from nupm.paths import MANIFEST, NUON_MANIFEST, absolute_location
from nupm.versions import Range, Version, VersionError, is_valid_version

NAME_RULE = "lowercase letters, digits, - and _, starting with a letter, at most 64 characters"
_NAME = re.compile(r"[a-z][a-z0-9_-]{0,63}\Z")  # at most 64 characters, as crates.io
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
PACKAGE_TYPES = ("module", "script", "custom")
GIT_REFS = ("tag", "rev", "branch")
# Variables an environment's [env] must not set: the activation machinery owns them.
RESERVED_ENV = frozenset({"PATH", "NUPM_ENV", "NUPM_ENV_ROOT", "NU_LIB_DIRS", "PS1", "PROMPT_COMMAND",
                          "HOME", "PWD", "OLDPWD", "SHELL"})
_PACKAGE_KEYS = {"name", "version", "type", "description", "scripts", "authors", "license",
                 "repository", "homepage", "documentation", "keywords", "readme", "nu-version", "plugins"}
_TOP_TABLES = {"package", "dependencies", "env", "scripts", "registries", "tool"}
_TOOL_KEYS = {"nu"}
_REGISTRY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
_DEP_KEYS = {"version", "registry", "path", "git", *GIT_REFS, "url", "sha256"}
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")
# Names a nupm.nuon may list among its dependencies that are requirements on Nushell itself, not packages.
NUSHELL = "nushell"


def valid_name(name: object) -> bool:
    return isinstance(name, str) and bool(_NAME.match(name))


@dataclass(frozen=True)
class Requirement:
    """One dependency as the manifest states it."""

    name: str
    range: Range | None = None
    registry: str | None = None
    path: str | None = None
    git: str | None = None
    git_ref: tuple[str, str] | None = None  # ("tag", "v1.0.0"), ("rev", sha), ("branch", "main")
    url: str | None = None  # an archive (.tar.gz, .zip) by URL
    sha256: str | None = None

    @property
    def kind(self) -> str:
        if self.path is not None:
            return "path"
        return "git" if self.git is not None else "archive" if self.url is not None else "registry"

    def describe(self) -> str:
        """How the requirement reads in messages: `^1.2`, `path ../bar`, `git URL tag v1`."""
        if self.kind == "path":
            return f"path {self.path}"
        if self.kind == "archive":
            return f"archive {self.url}"
        if self.kind == "git":
            ref = f" {self.git_ref[0]} {self.git_ref[1]}" if self.git_ref else ""
            return f"git {self.git}{ref}"
        return str(self.range or "*")

    def to_table(self) -> str | dict:
        """The form written into the manifest and recorded in the lock."""
        if self.kind == "registry" and self.registry is None:
            return str(self.range or "*")
        table: dict = {}
        if self.range is not None:
            table["version"] = str(self.range)
        for key in ("registry", "path", "git", "url", "sha256"):
            if getattr(self, key) is not None:
                table[key] = getattr(self, key)
        if self.git_ref:
            table[self.git_ref[0]] = self.git_ref[1]
        return table


@dataclass
class Manifest:
    path: Path
    name: str
    version: str
    type: str
    description: str = ""
    dependencies: dict[str, Requirement] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    scripts: list[str] = field(default_factory=list)  # extra script files beside `<name>.nu`
    plugins: list[str] = field(default_factory=list)  # Nushell plugin executables it ships (nu_plugin_*)
    tasks: dict[str, str] = field(default_factory=dict)  # top-level [scripts] of nupm.toml
    registries: dict[str, str] = field(default_factory=dict)  # [registries]: name -> URL or absolute path
    nu_version: str | None = None  # the Nushell versions it works on: [package] nu-version (or `nushell` dep)
    nu_pin: str | None = None  # [tool] nu: the Nushell this environment installs and runs (a version or range)
    optional_tools: dict[str, str] = field(default_factory=dict)  # nupm.nuon's `optionals`: tool -> version
    nu_written_for: str | None = None  # a nupm.nuon's bare `nushell: "0.89.0"`: the nu its author used

    @property
    def is_nuon(self) -> bool:
        return self.path.name.endswith(".nuon")

    @property
    def root(self) -> Path:
        return self.path.parent


# -- locating the manifest ----------------------------------------------------------------------
def find_manifest(start: Path) -> Path | None:
    """The nearest nupm.toml (or nupm.nuon) at or above `start`, like git finds its repository (the walk
    is the no-op fast path's, which must find the same project without importing this module)."""
    from nupm.fastpath import project_root

    root = project_root(os.fspath(start))
    return manifest_in(Path(root)) if root is not None else None


def manifest_in(directory: Path) -> Path | None:
    for name in (MANIFEST, NUON_MANIFEST):
        if (directory / name).is_file():
            return directory / name
    return None


def load(path: Path) -> Manifest:
    path = Path(path)
    if path.name.endswith(".nuon"):
        return _load_nuon(path)
    return _load_toml(path)


def _split_nushell(manifest: Manifest) -> Manifest:
    """`nushell` among the dependencies is a requirement on Nushell's version, not a package."""
    req = manifest.dependencies.pop(NUSHELL, None)
    if req is not None and req.range is not None and manifest.nu_version is None:
        manifest.nu_version = str(req.range)
    return manifest


# -- TOML ---------------------------------------------------------------------------------------
_TOML_POS = re.compile(r"^(?P<what>.*) \(at line (?P<line>\d+), column (?P<col>\d+)\)$", re.S)


def parse_toml(path: Path, text: str) -> dict:
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise BadInput(path, 1, 1, "nested too deeply") from None
    except ValueError as e:
        if not isinstance(e, tomllib.TOMLDecodeError):  # a number past Python's digit limit
            raise BadInput(path, 1, 1, "a number is too long") from None
        raise _toml_error(path, e) from None


def _toml_error(path: Path, e: tomllib.TOMLDecodeError) -> BadInput:
    m = _TOML_POS.match(str(e))
    if m:
        return BadInput(path, int(m["line"]), int(m["col"]), m["what"])
    return BadInput(path, 1, 1, str(e))


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NupmError(f"{path} not found") from None
    except UnicodeDecodeError as e:
        raise BadInput(path, 1, 1, f"not UTF-8 text ({e.reason})") from None


class Checker:
    """Validates parsed data and reports problems at the position of the offending key."""

    def __init__(self, path: Path, text: str):
        self.path, self.lines = path, text.splitlines()

    def fail(self, table: str | None, key: str | None, what: str, subkey: str | None = None):
        line, col = self.locate(table, key, subkey)
        raise BadInput(self.path, line, col, what)

    def locate(self, table: str | None, key: str | None, subkey: str | None = None) -> tuple[int, int]:
        current = None
        fallback = (1, 1)
        for number, raw in enumerate(self.lines, 1):
            stripped = raw.strip()
            header = re.match(r"\[\s*([^\]\s]+)\s*\]", stripped)
            if header and not stripped.startswith("[["):
                current = header.group(1).strip("\"'")
                if current == table:
                    fallback = (number, raw.index("[") + 1)
                    if key is None:
                        return fallback
                continue
            if current != table or key is None:
                continue
            m = re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=\s*", raw)
            if not m:
                continue
            if subkey:
                sm = re.search(rf"\b{re.escape(subkey)}\s*=\s*", raw[m.end():])
                if sm:
                    return number, m.end() + sm.end() + 1
            return number, m.end() + 1
        return fallback


def _load_toml(path: Path) -> Manifest:
    return load_toml_text(path, read_text(path))


def load_toml_text(path: Path, text: str) -> Manifest:
    """Validate a nupm.toml given as text (also used for an edit before it is written)."""
    data = parse_toml(path, text)
    check = Checker(path, text)
    for table in data:
        if table not in _TOP_TABLES:
            check.fail(table, None, f"unknown table [{table}] (expected one of: {', '.join(sorted(_TOP_TABLES))})")
    package = data.get("package")
    if not isinstance(package, dict):
        check.fail(None, None, "missing [package] table with name, version and type")
    manifest = _package_fields(package, check, path)
    manifest.dependencies = _dependencies(data.get("dependencies", {}), check)
    manifest.env = _env_table(data.get("env", {}), check)
    manifest.tasks = _tasks(data.get("scripts", {}), check)
    manifest.registries = _registries(data.get("registries", {}), check, path.parent)
    manifest.nu_pin = _tool_table(data.get("tool", {}), check)
    if manifest.nu_version is not None and NUSHELL in manifest.dependencies:
        check.fail("dependencies", NUSHELL, "Nushell's version is already given by [package] nu-version")
    return _split_nushell(manifest)


def _tool_table(table: object, check: Checker) -> str | None:
    """[tool] nu = "0.107.0": the Nushell the environment runs; a bare version means exactly it."""
    if not isinstance(table, dict):
        check.fail(None, "tool", "[tool] must be a table like nu = \"0.107.0\"")
    for key in table:
        if key not in _TOOL_KEYS:
            check.fail("tool", key, f"unknown key {key!r} in [tool] (expected: {', '.join(sorted(_TOOL_KEYS))})")
    if "nu" not in table:
        return None
    return _nu_range(table["nu"], lambda what: check.fail("tool", "nu", what), exact=True)


def _nu_range(value: object, fail, exact: bool = False) -> str:
    """A range of Nushell versions, as text; with `exact`, a bare version (`0.107.0`) means only it."""
    if not isinstance(value, str) or not value.strip():
        fail("a Nushell version or range must be a string like \"0.107.0\" or \">=0.101, <0.110\"")
    text = value.strip()
    if exact and is_valid_version(text.removeprefix("v")):
        text = "=" + text.removeprefix("v")
    try:
        label = Range(text).label
    except VersionError as e:
        fail(str(e))
    if label is not None:
        fail(f"{text!r} is not a Nushell version or range (like 0.107.0, ~0.107 or >=0.101, <0.110)")
    return text


def _package_fields(package: dict, check: Checker, path: Path) -> Manifest:
    for key in package:
        if key not in _PACKAGE_KEYS:
            check.fail("package", key, f"unknown key {key!r} in [package]")
    for key in ("name", "version", "type"):
        if key not in package:
            check.fail("package", None, f"[package] is missing {key!r}")
    name, version, type_ = package["name"], package["version"], package["type"]
    if not valid_name(name):
        check.fail("package", "name", f"invalid package name {name!r}: use {NAME_RULE}")
    if not isinstance(version, str):
        check.fail("package", "version", "version must be a string like \"0.1.0\"")
    try:
        Version(version)
    except VersionError as e:
        check.fail("package", "version", str(e))
    if type_ not in PACKAGE_TYPES:
        check.fail("package", "type", f"type must be one of {', '.join(PACKAGE_TYPES)}, not {type_!r}")
    scripts = package.get("scripts", [])
    if not isinstance(scripts, list) or not all(isinstance(s, str) and s for s in scripts):
        check.fail("package", "scripts", "scripts must be a list of file names")
    for script in scripts:
        if not _safe_relative(script):
            check.fail("package", "scripts", f"script path {script!r} must stay inside the package")
    plugins = _plugin_files(package["plugins"], lambda what: check.fail("package", "plugins", what)) \
        if "plugins" in package else []
    description = package.get("description", "")
    if not isinstance(description, str):
        check.fail("package", "description", "description must be a string")
    nu_version = None
    if "nu-version" in package:
        nu_version = _nu_range(package["nu-version"], lambda what: check.fail("package", "nu-version", what))
    return Manifest(path=path, name=name, version=version, type=type_, description=description,
                    scripts=list(scripts), plugins=plugins, nu_version=nu_version)


def _plugin_files(value: object, fail) -> list[str]:
    """`plugins = ["nu_plugin_hello"]`: files inside the package whose names are Nushell plugin names."""
    from nupm.plugins import PREFIX, plugin_name

    if not isinstance(value, list) or not all(isinstance(p, str) and p for p in value):
        fail("plugins must be a list of file names like \"nu_plugin_hello\"")
    for plugin in value:
        if not _safe_relative(plugin):
            fail(f"plugin path {plugin!r} must stay inside the package")
        if not plugin_name(Path(plugin).name):
            fail(f"plugin file {plugin!r} must be named {PREFIX}NAME (Nushell takes the plugin's name from it)")
    return list(value)


def _safe_relative(p: str) -> bool:
    parts = Path(p).parts
    return bool(parts) and not Path(p).is_absolute() and ".." not in parts


def _dependencies(table: object, check: Checker) -> dict[str, Requirement]:
    if not isinstance(table, dict):
        check.fail(None, "dependencies", "[dependencies] must be a table")
    return {name: _requirement(name, spec, check) for name, spec in table.items()}


def _requirement(name: str, spec: object, check: Checker) -> Requirement:
    if not valid_name(name):
        check.fail("dependencies", name, f"invalid package name {name!r}: use {NAME_RULE}")
    if isinstance(spec, str):
        return Requirement(name, _range(spec, check, name))
    if not isinstance(spec, dict):
        check.fail("dependencies", name, "a dependency is a version range or a table like { path = \"...\" }")
    for key in spec:
        if key not in _DEP_KEYS:
            check.fail("dependencies", name, f"unknown key {key!r} (expected: {', '.join(sorted(_DEP_KEYS))})", key)
        if not isinstance(spec[key], str):
            check.fail("dependencies", name, f"{key!r} must be a string", key)
        if not _plain_text(spec[key]):
            check.fail("dependencies", name, f"{key!r} must be printable text (no NUL or control characters)", key)
    sources = [k for k in ("registry", "path", "git", "url") if k in spec]
    if len(sources) > 1:
        check.fail("dependencies", name, f"give only one of registry, path, git, url (found {', '.join(sources)})")
    if ("url" in spec) != ("sha256" in spec):
        check.fail("dependencies", name, "an archive needs both url and sha256", "sha256" if "url" in spec else "url")
    if "url" in spec:
        if not spec["url"].startswith(("http://", "https://")):
            check.fail("dependencies", name, "url must be an http:// or https:// URL of a .tar.gz or .zip", "url")
        if not _SHA256.match(spec["sha256"]):
            check.fail("dependencies", name, "sha256 must be 64 lowercase hex digits", "sha256")
    refs = [k for k in GIT_REFS if k in spec]
    if refs and "git" not in spec:
        check.fail("dependencies", name, f"{refs[0]!r} only goes with git", refs[0])
    if len(refs) > 1:
        check.fail("dependencies", name, "give only one of tag, rev, branch", refs[1])
    range_ = _range(spec["version"], check, name, "version") if "version" in spec else None
    ref = (refs[0], spec[refs[0]]) if refs else None
    return Requirement(name, range_, registry=spec.get("registry"), path=spec.get("path"),
                       git=spec.get("git"), git_ref=ref, url=spec.get("url"), sha256=spec.get("sha256"))


def _range(text: str, check: Checker, name: str, subkey: str | None = None) -> Range:
    try:
        return Range(text)
    except VersionError as e:
        check.fail("dependencies", name, str(e), subkey)


# Linux refuses an environment string longer than this (MAX_ARG_STRLEN); one such value would stop every
# command started from the activated shell, and fish refuses the whole activation file.
MAX_ENV_VALUE = 128 * 1024 - 1


def _env_table(table: object, check: Checker) -> dict[str, str]:
    if not isinstance(table, dict):
        check.fail(None, "env", "[env] must be a table")
    for key, value in table.items():
        if not _ENV_NAME.match(key) or len(key) > 256:
            check.fail("env", key, f"{key[:40]!r} is not a valid environment variable name")
        if key in RESERVED_ENV:
            check.fail("env", key, f"{key} is managed by nupm and cannot be set in [env]")
        if not isinstance(value, str):
            check.fail("env", key, f"the value of {key} must be a string")
        if "\0" in value:
            check.fail("env", key, f"the value of {key} contains a NUL character, which no environment can hold")
        if len(key) + len(value) + 1 > MAX_ENV_VALUE:
            check.fail("env", key, f"the value of {key} is longer than the system allows ({MAX_ENV_VALUE} bytes)")
    return dict(table)


def _plain_text(value: str) -> bool:
    """A path, URL or ref: no NUL or other control character, and not absurdly long."""
    return len(value) <= 4096 and value.isprintable()


def valid_registry_name(name: object) -> bool:
    return isinstance(name, str) and bool(_REGISTRY_NAME.match(name))


def _registries(table: object, check: Checker, root: Path) -> dict[str, str]:
    """A project's own registries; a relative path is relative to the project, so it moves with it."""
    if not isinstance(table, dict):
        check.fail(None, "registries", "[registries] must be a table of name = \"path or URL\"")
    out = {}
    for name, location in table.items():
        if not valid_registry_name(name):
            check.fail("registries", name, f"invalid registry name {name!r}: use letters, digits, ., - and _")
        if not isinstance(location, str) or not location.strip():
            check.fail("registries", name, f"registry {name!r} must be a path or URL (a string)")
        out[name] = absolute_location(root, location)
    return out


def _tasks(table: object, check: Checker) -> dict[str, str]:
    if not isinstance(table, dict):
        check.fail(None, "scripts", "[scripts] must be a table of name = \"command\"")
    for key, value in table.items():
        if not isinstance(value, str):
            check.fail("scripts", key, f"the command of {key} must be a string")
    return dict(table)


# -- NUON (Nushell nupm) ------------------------------------------------------------------------
def _load_nuon(path: Path) -> Manifest:
    from nupm import nuon  # here: TOML manifests, the common case, never need the NUON reader

    data = nuon.load(path)
    text = read_text(path)

    def fail(key: str | None, what: str):
        pos = text.find(f"{key}:") if key else -1
        line, col = nuon.position(text, pos) if pos >= 0 else (1, 1)
        raise BadInput(path, line, col, what)

    if not isinstance(data, dict):
        fail(None, "nupm.nuon must hold a record like {name: spam, version: \"0.1.0\", type: module}")
    for key in ("name", "version", "type"):
        if key not in data:
            fail(None, f"missing {key!r}" + (" (module, script or custom): a package from before Nushell nupm had "
                                             "package types" if key == "type" else ""))
    if not valid_name(data["name"]):
        fail("name", f"invalid package name {data['name']!r}: use {NAME_RULE}")
    try:
        Version(str(data["version"]))
    except VersionError as e:
        fail("version", str(e))
    if data["type"] not in PACKAGE_TYPES:
        fail("type", f"type must be one of {', '.join(PACKAGE_TYPES)}, not {data['type']!r}")
    scripts = data.get("scripts") or []
    if not isinstance(scripts, list) or not all(isinstance(s, str) and _safe_relative(s) for s in scripts):
        fail("scripts", "scripts must be a list of file names inside the package")
    plugins = _plugin_files(data["plugins"], lambda what: fail("plugins", what)) if data.get("plugins") else []
    raw_deps = data.get("dependencies")
    optional = {}
    if isinstance(raw_deps, dict) and "optionals" in raw_deps:
        # Real nupm.nuon files nest optional tools here ({optionals: {fzf: "0.40"}}); nothing to resolve.
        raw_deps = dict(raw_deps)
        found = raw_deps.pop("optionals")
        optional = {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}
    deps = _nuon_dependencies(raw_deps, fail)
    legacy, written_for = deps.get(NUSHELL), None
    if legacy is not None and legacy.range is not None and is_valid_version(str(legacy.range).removeprefix("v")):
        # Nushell's nupm never enforced `nushell: "0.89.0"`: authors wrote the nu they used. Read as a
        # caret it would refuse every such package on every later Nushell; it is a minimum.
        written_for = str(legacy.range).removeprefix("v")
        deps[NUSHELL] = Requirement(NUSHELL, Range(">=" + written_for))
    nu_version = None
    if data.get("nu-version") is not None:
        spec = data["nu-version"]
        spec = str(spec) if isinstance(spec, int | float) and not isinstance(spec, bool) else spec
        nu_version = _nu_range(spec, lambda what: fail("nu-version", what))
    manifest = Manifest(path=path, name=data["name"], version=str(data["version"]), type=data["type"],
                        description=str(data.get("description") or ""), dependencies=deps,
                        scripts=list(scripts), plugins=plugins, optional_tools=optional, nu_version=nu_version,
                        nu_written_for=written_for)
    return _split_nushell(manifest)


def _nuon_dependencies(value: object, fail) -> dict[str, Requirement]:
    """Accepts a record {name: range | {version, path, git, ...}} or a list of "name" / "name@range"."""
    if value is None:
        return {}
    if isinstance(value, list):
        value = dict(_split_spec(item, fail) for item in value)
    if not isinstance(value, dict):
        fail("dependencies", "dependencies must be a record or a list")
    out = {}
    for name, spec in value.items():
        if not valid_name(name):
            fail("dependencies", f"invalid package name {name!r}: use {NAME_RULE}")
        if isinstance(spec, int | float) and not isinstance(spec, bool):
            spec = str(spec)  # `{nushell: 0.89}` reads as a number
        try:
            if isinstance(spec, str):
                out[name] = Requirement(name, Range(spec))
            elif isinstance(spec, dict):
                if not all(isinstance(v, str) and _plain_text(v) for v in spec.values()):
                    fail("dependencies", f"the fields of dependency {name!r} must be strings")
                ref = next(((k, spec[k]) for k in GIT_REFS if k in spec), None)
                out[name] = Requirement(name, Range(spec["version"]) if "version" in spec else None,
                                        registry=spec.get("registry"), path=spec.get("path"),
                                        git=spec.get("git"), git_ref=ref)
            else:
                fail("dependencies", f"bad dependency {name!r}")
        except VersionError as e:
            fail("dependencies", str(e))
    return out


def _split_spec(item: object, fail) -> tuple[str, str]:
    if not isinstance(item, str):
        fail("dependencies", "dependency list items must be strings like \"name@^1.0\"")
    name, _, range_ = item.partition("@")
    return name.strip(), range_.strip() or "*"


def parse_spec(spec: str) -> tuple[str, str | None]:
    """`name` or `name@range` from the command line."""
    name, sep, range_ = spec.partition("@")
    return name.strip(), (range_.strip() or None) if sep else None


def spec_requirement(spec: str, registry: str | None = None) -> Requirement:
    """A `name` or `name@range` from the command line as a registry requirement; an open range is None."""
    name, range_text = parse_spec(spec)
    check_spec_name(name)
    return Requirement(name, spec_range(range_text) if range_text else None, registry=registry)


def check_spec_name(name: str) -> None:
    if not valid_name(name):
        raise UsageError(f"invalid package name {name!r}: use {NAME_RULE}")


def spec_range(text: str) -> Range:
    try:
        return Range(text)
    except VersionError as e:
        raise UsageError(str(e)) from None
