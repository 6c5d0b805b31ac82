"""Managing the list of registries: in the user's config.toml, or in a project's nupm.toml
(`[registries]`, so a project carries its registries with it). Edits go through tomlkit, keeping the
file's comments and layout; each function maps the old text to the new and the caller writes it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from nupm.config import OFFICIAL_NAME, OFFICIAL_URL, load_config, search_order
from nupm.errors import NupmError, UsageError
from nupm.manifest import valid_registry_name
from nupm.sources.registry import REGISTRY_FILE, is_url


@dataclass(frozen=True)
class Listed:
    name: str
    location: str
    scope: str  # "project", "config" or "default"


def listing(project_registries: dict[str, str]) -> list[Listed]:
    """Every registry in the order resolution searches them, and where each is configured."""
    config = load_config()
    scope = {name: "config" if config.has_registries else "default" for name in config.registries}
    scope.update({name: "project" for name in project_registries})
    order = search_order(project_registries, config.registries)
    return [Listed(name, location, scope[name]) for name, location in order.items()]


def checked_location(text: str, base: Path, relative_to: Path | None) -> str:
    """A location as it will be written: a URL as given, a path made absolute (or, in a project,
    relative to it, so the project moves with its registry)."""
    if "://" in text:
        if not is_url(text):
            raise UsageError(f"{text}: only http:// and https:// URLs are supported")
        return text
    path = (base / Path(text).expanduser()).resolve()
    file = path / REGISTRY_FILE if path.is_dir() else path
    if not file.is_file():
        raise NupmError(f"{text}: no {REGISTRY_FILE} there")
    if relative_to is not None:
        return Path(os.path.relpath(path, relative_to)).as_posix()
    return str(path)


def _table(doc):
    import tomlkit

    if "registries" not in doc:
        doc.add(tomlkit.nl())
        doc["registries"] = tomlkit.table()
    return doc["registries"]


def edit(text: str, verb: str, name: str, value: str | None = None, is_config: bool = True) -> str:
    """The file's text after `verb` (add, remove, rename, set-url) on its [registries] table.

    A config without [registries] has the default registry; the first edit writes it down, so that
    removing or renaming `nushell` sticks."""
    import tomlkit

    doc = tomlkit.parse(text)
    had_table = "registries" in doc
    table = _table(doc)
    if is_config and not had_table:
        table[OFFICIAL_NAME] = OFFICIAL_URL
    if verb == "add":
        _check_new_name(table, name)
        table[name] = value
        return tomlkit.dumps(doc)
    if name not in table:
        known = ", ".join(table) or "none"
        raise NupmError(f"no registry named {name!r} here (known: {known})")
    if verb == "remove":
        del table[name]
    elif verb == "set-url":
        table[name] = value
    elif verb == "rename":
        _check_new_name(table, value)
        renamed = {(value if k == name else k): v for k, v in table.items()}
        for k in list(table):
            del table[k]
        for k, v in renamed.items():
            table[k] = v
    return tomlkit.dumps(doc)


def _check_new_name(table, name: str) -> None:
    if not valid_registry_name(name):
        raise UsageError(f"invalid registry name {name!r}: use letters, digits, ., - and _")
    if name in table:
        raise NupmError(f"registry {name!r} already exists ({table[name]}); use set-url to change it")
