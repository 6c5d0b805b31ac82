"""`nupm init`: turn the current directory into a package."""

from __future__ import annotations

from pathlib import Path

from nupm import manifest as manifest_mod
from nupm.commands import status
from nupm.errors import NupmError, UsageError
from nupm.fsutil import atomic_write
from nupm.manifest import NAME_RULE, valid_name
from nupm.manifest_edit import new_manifest, with_dependencies
from nupm.paths import MANIFEST, NUON_MANIFEST
from nupm.versions import is_valid_version


def _guess_type(root: Path, name: str) -> str:
    if (root / "build.nu").is_file():
        return "custom"
    if (root / f"{name}.nu").is_file() and not (root / name / "mod.nu").is_file():
        return "script"
    return "module"


def run_init(args) -> int:
    root = Path.cwd()
    if (root / MANIFEST).exists():
        raise NupmError(f"{MANIFEST} already exists in {root}")
    nuon = root / NUON_MANIFEST
    if nuon.is_file():
        text = _from_nuon(nuon)
    else:
        name = args.name or root.name.lower().replace(" ", "-")
        if not valid_name(name):
            raise UsageError(f"invalid package name {name!r}: use {NAME_RULE} (pass --name)")
        if not is_valid_version(args.pkg_version):
            raise UsageError(f"{args.pkg_version!r} is not a SemVer 2.0 version")
        text = new_manifest(name, args.type or _guess_type(root, name), args.pkg_version)
    manifest_mod.load_toml_text(root / MANIFEST, text)  # never write what we could not read back
    atomic_write(root / MANIFEST, text)
    status(f"Created {MANIFEST}")
    return 0


def _from_nuon(nuon: Path) -> str:
    """Carry a Nushell nupm package's nupm.nuon over into nupm.toml."""
    old = manifest_mod.load(nuon)
    text = new_manifest(old.name, old.type, old.version, old.description)
    if old.scripts:
        import tomlkit

        doc = tomlkit.parse(text)
        doc["package"]["scripts"] = old.scripts
        text = tomlkit.dumps(doc)
    return with_dependencies(text, list(old.dependencies.values()))
