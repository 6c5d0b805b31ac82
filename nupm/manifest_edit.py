"""Edits of nupm.toml through tomlkit, so comments and layout survive. Each function maps the
old text to the new; callers validate and resolve before anything is written."""

from __future__ import annotations

from dataclasses import replace

import tomlkit

from nupm.manifest import Requirement
from nupm.versions import Range


def new_manifest(name: str, type_: str, version: str = "0.1.0", description: str = "") -> str:
    doc = tomlkit.document()
    package = tomlkit.table()
    package["name"] = name
    package["version"] = version
    package["type"] = type_
    package["description"] = description
    doc["package"] = package
    doc.add(tomlkit.nl())
    doc["dependencies"] = tomlkit.table()
    return tomlkit.dumps(doc)


def _value(req: Requirement):
    table = req.to_table()
    if isinstance(table, str):
        return table
    inline = tomlkit.inline_table()
    inline.update(table)
    return inline


def with_dependencies(text: str, reqs: list[Requirement]) -> str:
    doc = tomlkit.parse(text)
    if "dependencies" not in doc:
        doc.add(tomlkit.nl())
        doc["dependencies"] = tomlkit.table()
    deps = doc["dependencies"]
    for req in reqs:
        deps[req.name] = _value(req)
    return tomlkit.dumps(doc)


def without_dependencies(text: str, names: list[str]) -> str:
    doc = tomlkit.parse(text)
    deps = doc.get("dependencies", {})
    for name in names:
        if name in deps:
            del deps[name]
    return tomlkit.dumps(doc)


def caret_ranges(reqs: list[Requirement], versions: dict[str, str]) -> list[Requirement]:
    """`nupm add foo` records `^<resolved version>` for an open range, as cargo add and uv add do."""
    out = []
    for req in reqs:
        if req.kind == "registry" and str(req.range or "*") == "*" and req.name in versions:
            req = replace(req, range=Range("^" + versions[req.name]))
        out.append(req)
    return out


def with_registry(text: str, name: str, location: str) -> str:
    """`[registries] name = location` added to a manifest."""
    from nupm.registries import edit

    return edit(text, "add", name, location, is_config=False)
