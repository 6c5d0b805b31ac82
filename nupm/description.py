"""The environment description: what one environment puts on PATH, in Nushell's lib dirs and in variables.

It is the data between the environment stage and everything after it (activation modules, `.nupm/bin`
launchers, `nupm run`/`shell`/`env`, gc roots, `nupm info`), stored as `.nupm/env.json`. This module is its
one typed form and the only code that reads or writes that JSON's keys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from nupm.errors import NupmError
from nupm.paths import ENV_DESCRIPTION

VERSION = 1


class BadDescription(ValueError):
    """An env.json that is not one nupm wrote (hand-edited, truncated, from another tool)."""


@dataclass(frozen=True)
class Command:
    """A command in the environment's bin/: a Nushell script run through a launcher, or a linked binary."""

    kind: str  # "nu-script" | "binary"
    target: str
    package: str
    lib: str | None = None  # the lib dir a script runs with when its package has a view of its own (nupm.views)


@dataclass(frozen=True)
class Plugin:
    """A Nushell plugin the environment registers in its own plugin registry file."""

    target: str  # the executable
    package: str


@dataclass(frozen=True)
class Shim:
    """A module used through its own lib view (nupm.views): links to its files and its mod.nu, first setting
    NU_LIB_DIRS to `libs` and importing `uses`, the modules the lock chose for it."""

    source: str  # the store's module: a directory with mod.nu, or a .nu file
    libs: tuple[str, ...]
    uses: tuple[str, ...]


@dataclass(frozen=True)
class Package:
    """One store entry the environment uses (what gc keeps alive and `nupm info` reports)."""

    name: str
    version: str
    type: str
    hash: str
    store: str


@dataclass(frozen=True)
class Description:
    name: str
    kind: str  # "project" | "global"
    root: str
    path: tuple[str, ...]
    lib_dirs: tuple[str, ...]
    variables: dict[str, str]
    modules: dict[str, str]  # name -> directory or file that `use NAME` finds in lib/
    collections: dict[str, str] = field(default_factory=dict)  # linked into lib/ but not `export use`d
    commands: dict[str, Command] = field(default_factory=dict)
    packages: tuple[Package, ...] = ()
    env_dir: str | None = None
    version: int = VERSION
    nu: str | None = None  # the environment's own Nushell ([tool] nu), which its script launchers run
    nu_range: str | None = None  # the Nushell versions it works on: its pin (`=0.107.0`) or nu-version
    plugins: dict[str, Plugin] = field(default_factory=dict)  # plugin name -> executable
    plugin_nu: str | None = None  # the nu that registered the plugins: the pinned one, else the one found here
    plugin_nu_version: str | None = None  # its version (another nu found here later means registering again)
    views: dict[str, dict[str, str]] = field(default_factory=dict)  # a package's lib view -> its copies
    shims: dict[str, Shim] = field(default_factory=dict)  # directory -> the module it is, with its view set

    def links(self) -> dict[str, str]:
        """Every entry of lib/: modules and collections."""
        return {**self.modules, **self.collections}

    def to_json(self) -> dict:
        return {
            "version": self.version,
            "name": self.name,
            "kind": self.kind,
            "root": self.root,
            "env_dir": self.env_dir,
            "path": list(self.path),
            "lib_dirs": list(self.lib_dirs),
            "variables": dict(self.variables),
            "modules": dict(self.modules),
            **({"collections": dict(self.collections)} if self.collections else {}),
            "commands": {name: {"kind": c.kind, "target": c.target, "package": c.package,
                                **({"lib": c.lib} if c.lib else {})} for name, c in self.commands.items()},
            "packages": [{"name": p.name, "version": p.version, "type": p.type, "hash": p.hash, "store": p.store}
                         for p in self.packages],
            **({"nu": self.nu} if self.nu else {}),
            **({"nu_range": self.nu_range} if self.nu_range else {}),
            **({"plugins": {name: {"target": p.target, "package": p.package} for name, p in self.plugins.items()},
                "plugin_nu": self.plugin_nu, "plugin_nu_version": self.plugin_nu_version} if self.plugins else {}),
            **({"views": {d: dict(entries) for d, entries in self.views.items()},
                "shims": {d: {"source": s.source, "libs": list(s.libs), "uses": list(s.uses)}
                          for d, s in self.shims.items()}}
               if self.views or self.shims else {}),
        }

    def environ(self, base: dict[str, str]) -> dict[str, str]:
        """`base` (a process environment) with this environment active, as `nupm run`/`shell`/`test` start
        commands: its PATH entries first, its variables set, NUPM_ENV and NUPM_ENV_ROOT naming it."""
        from nupm.launch import environ

        return environ(base, list(self.path), self.variables, self.name, self.root)

    def render(self) -> str:
        """env.json's text."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, data) -> Description:
        """Parse env.json's document; the keys every reader needs are required, the rest default."""
        try:
            return cls(
                name=_text(data["name"]), kind=_kind(data["kind"]), root=_text(data["root"]),
                path=_texts(data["path"]), lib_dirs=_texts(data["lib_dirs"]),
                variables=_table(data["variables"]), modules=_table(data["modules"]),
                collections=_table(data.get("collections", {})),
                commands={_text(n): Command(_text(c["kind"]), _text(c["target"]), _text(c["package"]),
                                            None if c.get("lib") is None else _text(c["lib"]))
                          for n, c in data.get("commands", {}).items()},
                packages=tuple(Package(*(_text(p[k]) for k in ("name", "version", "type", "hash", "store")))
                               for p in data.get("packages", [])),
                env_dir=None if data.get("env_dir") is None else _text(data["env_dir"]),
                version=data.get("version", VERSION),
                nu=None if data.get("nu") is None else _text(data["nu"]),
                nu_range=None if data.get("nu_range") is None else _range(data["nu_range"]),
                plugins=_plugins(data.get("plugins", {}), data.get("env_dir")),
                plugin_nu=None if data.get("plugin_nu") is None else _text(data["plugin_nu"]),
                plugin_nu_version=(None if data.get("plugin_nu_version") is None
                                   else _version(data["plugin_nu_version"])),
                views={_text(d): _table(entries) for d, entries in data.get("views", {}).items()},
                shims={_text(d): Shim(_text(s["source"]), _texts(s["libs"]), _texts(s["uses"]))
                       for d, s in data.get("shims", {}).items()},
            )
        except (KeyError, TypeError, AttributeError) as e:
            raise BadDescription(f"not an environment description ({type(e).__name__}: {e})") from None


def _text(value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, found {value!r}")
    return value


def _plugins(value, env_dir) -> dict[str, Plugin]:
    found = {_plugin_name(n): Plugin(_text(p["target"]), _text(p["package"])) for n, p in value.items()}
    if found and not isinstance(env_dir, str):
        raise TypeError("plugins without env_dir, where their registry is")
    return found


def _plugin_name(value) -> str:
    """A plugin's name, checked here: it is compiled into the `plugin use` lines of the nu activation."""
    from nupm.plugins import plugin_name

    if plugin_name("nu_plugin_" + _text(value)) != value:
        raise TypeError(f"not a plugin name: {value!r}")
    return value


def _version(value) -> str:
    """A Nushell version, checked here: the nu activation module compares the running nu with it."""
    from nupm.versions import Version

    return _parsed(value, Version)


def _range(value) -> str:
    """A range of Nushell versions, checked here: it is compiled into the nu activation module."""
    from nupm.versions import Range

    return _parsed(value, Range)


def _parsed(value, parse) -> str:
    from nupm.versions import VersionError

    try:
        parse(_text(value))
    except VersionError as e:
        raise TypeError(str(e)) from None
    return value


def _texts(value) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, found {value!r}")
    return tuple(_text(v) for v in value)


def _table(value) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in value.items()}


def _kind(value) -> str:
    if value not in ("project", "global"):
        raise TypeError(f"kind must be project or global, found {value!r}")
    return value


def read(env_dir: Path) -> Description | None:
    """The description in `env_dir`, or None when there is none that nupm could have written."""
    try:
        return Description.from_json(json.loads((env_dir / ENV_DESCRIPTION).read_text(encoding="utf-8")))
    except (OSError, ValueError, RecursionError):  # missing, unreadable, not JSON, BadDescription
        return None


def require_built(env_dir: Path) -> Description:
    """The description in `env_dir`; an environment that was never built (or was damaged) is an error."""
    found = read(env_dir)
    if found is None:
        raise NupmError(f"{env_dir} is missing; run `nupm install`")
    return found
