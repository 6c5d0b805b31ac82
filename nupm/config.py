"""User configuration: `config.toml` in user_config_dir("nupm"), or the file NUPM_CONFIG names.

    [registries]
    examples = "/path/to/registry"          # a registry directory or its registry.nuon
    work = "/srv/nupm/registry.nuon"

Registries are searched in the order written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nupm.errors import BadInput
from nupm.manifest import _Checker, parse_toml, read_text
from nupm.paths import config_file


@dataclass
class Config:
    path: Path
    registries: dict[str, str] = field(default_factory=dict)  # name -> path or URL, in order


def load_config(path: Path | None = None) -> Config:
    path = path or config_file()
    if not path.is_file():
        return Config(path)
    text = read_text(path)
    data = parse_toml(path, text)
    check = _Checker(path, text)
    registries = data.get("registries", {})
    if not isinstance(registries, dict):
        check.fail(None, "registries", "[registries] must be a table of name = \"path\"")
    for name, location in registries.items():
        if not isinstance(location, str) or not location:
            check.fail("registries", name, f"registry {name!r} must be a path (a string)")
    resolved = {name: _absolute(path, loc) for name, loc in registries.items()}
    for key in data:
        if key != "registries":
            line, col = check.locate(key, None)
            raise BadInput(path, line, col, f"unknown table [{key}] (expected [registries])")
    return Config(path, resolved)


def _absolute(config_path: Path, location: str) -> str:
    if "://" in location:
        return location
    p = Path(location).expanduser()
    return str(p if p.is_absolute() else (config_path.parent / p).resolve())
