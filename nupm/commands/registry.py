"""`nupm registry list|add|remove|rename|set-url|describe` (the verbs of Nushell's nupm)."""

from __future__ import annotations

import json
from pathlib import Path

from nupm import project as proj
from nupm import registries
from nupm.commands import status
from nupm.errors import NupmError
from nupm.fsutil import read_for_edit, write_edited
from nupm.paths import MANIFEST, Home, config_file


def _project_registries() -> dict[str, str]:
    try:
        return proj.find(Path.cwd(), Home.current()).manifest.registries
    except proj.NoProject:
        return {}


def _list(args) -> int:
    rows = registries.listing(_project_registries())
    if args.project:
        rows = [r for r in rows if r.scope == "project"]
    if args.json:
        print(json.dumps([{"name": r.name, "location": r.location, "scope": r.scope} for r in rows], indent=2))
        return 0
    width = max((len(r.name) for r in rows), default=0)
    for r in rows:
        print(f"{r.name:<{width}}  {r.location}  ({r.scope})")
    if not rows:
        status("no registries configured (nupm registry add NAME URL)")
    return 0


def _edit(args) -> int:
    value = getattr(args, "location", None) or getattr(args, "new_name", None)
    if args.project:
        project = proj.find(Path.cwd(), Home.current())
        if project.manifest.path.name != MANIFEST:
            raise NupmError(f"{project.manifest.path.name} is read as is; run `nupm init` to add a {MANIFEST}")
        path, is_config, relative_to = project.manifest.path, False, project.root
    else:
        path, is_config, relative_to = config_file(), True, None
    if getattr(args, "location", None):
        value = registries.checked_location(args.location, Path.cwd(), relative_to)
    old, newline = read_for_edit(path) if path.is_file() else ("", "\n")
    new = registries.edit(old, args.registry_command, args.name, value, is_config)
    if not is_config:
        from nupm.manifest import load_toml_text

        load_toml_text(path, new)  # never write a manifest nupm could not read back
    path.parent.mkdir(parents=True, exist_ok=True)
    write_edited(path, new, newline)
    where = "nupm.toml" if not is_config else str(path)
    said = {"add": f"Added registry {args.name} ({value})", "remove": f"Removed registry {args.name}",
            "rename": f"Renamed registry {args.name} to {value}", "set-url": f"Registry {args.name} is now {value}"}
    status(f"{said[args.registry_command]} in {where}")
    return 0


def _describe(args) -> int:
    from nupm.discover import describe_registry

    rows = describe_registry(_project_manifest(), args.name)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    for row in rows:
        print(f"{row['name']}  {row['newest'] or '-'}  ({len(row['versions'])} version"
              f"{'s' if len(row['versions']) != 1 else ''})  {row['description']}".rstrip())
    return 0


def _project_manifest():
    try:
        return proj.find(Path.cwd(), Home.current()).manifest
    except proj.NoProject:
        return None


def run_registry(args) -> int:
    handler = {"list": _list, "describe": _describe}.get(args.registry_command, _edit)
    return handler(args)
