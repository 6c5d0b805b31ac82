"""`nupm install` and `nupm update`."""

from __future__ import annotations

from pathlib import Path

from nupm import project as proj
from nupm.commands import status
from nupm.errors import NupmError
from nupm.paths import Home
from nupm.progress import count


def _report(report: proj.InstallReport) -> None:
    if report.fetched or report.env_changed:
        status(f"Installed {count(report.packages, 'package')} ({report.fetched} new in the store); "
                    f"environment written to .nupm/")
    else:
        status(f"Up to date: {count(report.packages, 'package')}")


def run_install(args) -> int:
    if args.packages or args.overlay:
        from nupm.commands.overlay import install_into

        return install_into(args)
    project = proj.find(Path.cwd(), Home.current())
    _report(proj.sync(project, args.registry, locked=args.locked, frozen=args.frozen))
    return 0


def run_update(args) -> int:
    from nupm import overlays
    from nupm.commands.overlay import update_overlay

    if args.overlay:
        return update_overlay(args)
    try:
        with proj.held(Path.cwd(), Home.current()) as project:
            return _update_project(args, project)
    except proj.NoProject:
        if overlays.active(Home.current()) is None:
            raise
        return update_overlay(args)


def _update_project(args, project: proj.Project) -> int:
    old = proj.read_lock(project)
    names = set(args.names)
    if names and old is not None:
        unknown = names - {p.name for p in old.packages}
        if unknown:
            raise NupmError(f"not in {project.lock_path.name}: {', '.join(sorted(unknown))}")
    unlock = names or {p.name for p in (old.packages if old else [])}
    before = {p.name: p.version for p in (old.packages if old else [])}
    lock = proj.resolve_lock(project, args.registry, keep=old, unlock=unlock)
    report = proj.install_lock(project, lock)
    proj.write_lock(project, lock)
    proj.mark_current(project)
    for pkg in lock.packages:
        if before.get(pkg.name) != pkg.version:
            status(f"Updated {pkg.name} {before.get(pkg.name, '(new)')} -> {pkg.version}")
    _report(report)
    return 0
