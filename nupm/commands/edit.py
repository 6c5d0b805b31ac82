"""`nupm add` and `nupm remove`: edit the manifest, then lock and install.

The edit is validated and resolved first; manifest, lock and environment are written only when
everything succeeded, so a failed add leaves every file as it was.
"""

from __future__ import annotations

import os
from pathlib import Path

from nupm import manifest as manifest_mod
from nupm import project as proj
from nupm.commands import status
from nupm.errors import NupmError, UsageError
from nupm.fsutil import pause_point, read_for_edit
from nupm.manifest import Requirement
from nupm.manifest_edit import with_registry, without_dependencies
from nupm.paths import MANIFEST, Home
from nupm.progress import count


def _editable(project: proj.Project) -> tuple[str, str]:
    """The manifest's text to edit and its line ending."""
    if project.manifest.path.name != MANIFEST:
        raise NupmError(f"{project.manifest.path.name} is read as is; run `nupm init` to add a {MANIFEST} to edit")
    return read_for_edit(project.manifest.path)


def _requirements(args, project: proj.Project, registry: str | None) -> list[Requirement]:
    if (args.tag or args.rev or args.branch) and not args.git:
        raise UsageError("--tag, --rev and --branch go with --git")
    if args.path or args.git:
        return [_pinned(args, project)]
    if not args.specs:
        raise UsageError("nothing to add: give package names (name or name@range), --path or --git")
    return [manifest_mod.spec_requirement(spec, registry) for spec in args.specs]


def _named_registry(args, project: proj.Project) -> tuple[str | None, tuple[str, str] | None]:
    """The registry `--registry` names, as the dependency will be pinned to, and the [registries] entry to
    add when it was a path or URL the project does not know yet (recorded, as uv records an index, so the
    next add or update finds it again)."""
    if not args.registry:
        return None, None
    known = proj.registry_locations(project.manifest)
    if args.registry in known:
        return args.registry, None
    from nupm.registries import checked_location
    from nupm.sources.registry import registry_label

    written = checked_location(args.registry, Path.cwd(), project.root)
    absolute = written if "://" in written else str((project.root / written).resolve())
    for name, location in known.items():
        if location == absolute:
            return name, None
    name = registry_label(absolute)
    while name in known:
        name += "-1"
    return name, (name, written)


def _pinned(args, project: proj.Project) -> Requirement:
    if len(args.specs) > 1:
        raise UsageError("--path and --git take at most one package")
    name, range_text = manifest_mod.parse_spec(args.specs[0]) if args.specs else (None, None)
    range_ = manifest_mod.spec_range(range_text) if range_text else None
    if args.path:
        target = Path(args.path).absolute()
        found = manifest_mod.manifest_in(target)
        if found is None:
            raise NupmError(f"{args.path}: no nupm.toml or nupm.nuon there")
        real_name = manifest_mod.load(found).name
        rel = Path(os.path.relpath(target, project.root)).as_posix()
        return Requirement(name or real_name, range_, path=rel)
    ref = next(((k, getattr(args, k)) for k in ("tag", "rev", "branch") if getattr(args, k)), None)
    name = name or Path(args.git.rstrip("/")).name.removesuffix(".git")
    manifest_mod.check_spec_name(name)
    return Requirement(name, range_, git=args.git, git_ref=ref)


def run_add(args) -> int:
    with proj.held(Path.cwd(), Home.current()) as project:
        return _add(args, project)


def _add(args, project: proj.Project) -> int:
    old_text, newline = _editable(project)
    pause_point("add-read")
    registry, recorded = _named_registry(args, project)
    reqs = _requirements(args, project, registry)
    if any(r.name == project.manifest.name for r in reqs):
        raise UsageError(f"a package cannot depend on itself ({project.manifest.name})")
    if recorded:
        old_text = with_registry(old_text, *recorded)
    path = project.manifest.path
    added = proj.resolve_addition(project.home, old_text, reqs, lambda text: manifest_mod.load_toml_text(path, text),
                                  registry, keep=proj.read_lock(project), unlock={r.name for r in reqs})
    final, lock = proj.Project(manifest_mod.load_toml_text(path, added.text), project.home), added.lock
    report = proj.apply(final, lock, (added.text, newline))
    for req in added.added:
        status(f"Added {req.name} {req.describe()}")
    _summary(report)
    return 0


def run_remove(args) -> int:
    with proj.held(Path.cwd(), Home.current()) as project:
        return _remove(args, project)


def _remove(args, project: proj.Project) -> int:
    old_text, newline = _editable(project)
    missing = [n for n in args.names if n not in project.manifest.dependencies]
    if missing:
        raise NupmError(f"not a dependency of {project.manifest.name}: {', '.join(missing)}")
    path = project.manifest.path
    final_text = without_dependencies(old_text, args.names)
    final = proj.Project(manifest_mod.load_toml_text(path, final_text), project.home)
    lock = proj.resolve_lock(final, None, keep=proj.read_lock(project))
    report = proj.apply(final, lock, (final_text, newline))
    status(f"Removed {', '.join(args.names)}")
    _summary(report)
    return 0


def _summary(report: proj.InstallReport) -> None:
    status(f"{count(report.packages, 'package')} in the environment, {report.fetched} newly added to the store")
