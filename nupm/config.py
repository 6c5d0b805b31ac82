"""User configuration: `config.toml` in user_config_dir("nupm"), or the file NUPM_CONFIG names.

    jobs = 8                                 # parallel fetches, clones and builds (default 8)
    nu-source = "npm"                        # where [tool] nu gets Nushell (default: its GitHub releases)
    [registries]
    nushell = "https://raw.githubusercontent.com/nushell/nupm/main/registry/registry.nuon"
    work = "/srv/nupm/registry"              # a directory, a registry.nuon, or an http(s) URL of one

With no [registries] table, the official Nushell nupm registry is configured under the name `nushell`, as
Nushell's nupm does. Registries are searched in the order written, a project's own [registries] first,
and the official registry always last (as uv searches PyPI after every index you add), so a name in
your own registry is never taken from the public one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nupm.errors import BadInput
from nupm.manifest import Checker, parse_toml, read_text
from nupm.paths import absolute_location, config_file

OFFICIAL_NAME = "nushell"
OFFICIAL_URL = "https://raw.githubusercontent.com/nushell/nupm/main/registry/registry.nuon"
DEFAULT_JOBS = 8
_KEYS = {"registries", "jobs", "nu-source"}


@dataclass
class Config:
    path: Path
    registries: dict[str, str] = field(default_factory=lambda: {OFFICIAL_NAME: OFFICIAL_URL})
    jobs: int = DEFAULT_JOBS
    has_registries: bool = False  # False: the [registries] table is absent and the default applies
    nu_source: str | None = None  # where `[tool] nu` downloads Nushell from (see nupm.sources.nu_releases)


def load_config(path: Path | None = None) -> Config:
    path = path or config_file()
    if not path.is_file():
        return Config(path)
    text = read_text(path)
    data = parse_toml(path, text)
    check = Checker(path, text)
    for key in data:
        if key not in _KEYS:
            line, col = check.locate(key, None)
            if (line, col) == (1, 1):
                line, col = check.locate(None, key)
            raise BadInput(path, line, col, f"unknown setting {key!r} (expected: {', '.join(sorted(_KEYS))})")
    jobs = data.get("jobs", DEFAULT_JOBS)
    if not isinstance(jobs, int) or isinstance(jobs, bool) or not 1 <= jobs <= 256:
        check.fail(None, "jobs", "jobs must be a whole number from 1 to 256")
    nu_source = data.get("nu-source")
    if nu_source is not None and (not isinstance(nu_source, str) or not nu_source.strip()):
        check.fail(None, "nu-source", 'nu-source must be "npm", "npm:URL", a URL or a directory')
    if isinstance(nu_source, str) and not nu_source.startswith(("npm", "http://", "https://", "file://")):
        nu_source = absolute_location(path.parent, nu_source)
    if "registries" not in data:
        return Config(path, jobs=jobs, nu_source=nu_source)
    registries = data["registries"]
    if not isinstance(registries, dict):
        check.fail(None, "registries", "[registries] must be a table of name = \"path or URL\"")
    for name, location in registries.items():
        if not isinstance(location, str) or not location:
            check.fail("registries", name, f"registry {name!r} must be a path or URL (a string)")
    resolved = {name: absolute_location(path.parent, loc) for name, loc in registries.items()}
    return Config(path, resolved, jobs, has_registries=True, nu_source=nu_source)


def search_order(project: dict[str, str], user: dict[str, str]) -> dict[str, str]:
    """Every registry to search, in order: the project's, then the user's, the official one last."""
    merged = dict(project)
    for name, location in user.items():
        merged.setdefault(name, location)
    official = {n: loc for n, loc in merged.items() if loc == OFFICIAL_URL}
    return {**{n: loc for n, loc in merged.items() if n not in official}, **official}


def nu_source() -> str | None:
    """Where `[tool] nu` downloads Nushell from: NUPM_NU_SOURCE, else config.toml's `nu-source`, else None
    (Nushell's GitHub releases). The one reader of NUPM_NU_SOURCE."""
    import os

    return os.environ.get("NUPM_NU_SOURCE") or load_config().nu_source
