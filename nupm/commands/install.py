"""`nupm install` and `nupm update`."""

from __future__ import annotations

from pathlib import Path

from nupm import project as proj
from nupm.commands import status
from nupm.fastpath import up_to_date
from nupm.paths import Home
from nupm.progress import count


def _report(report: proj.InstallReport) -> None:
    if report.fetched or report.env_changed:
        status(f"Installed {count(report.packages, 'package')} ({report.fetched} new in the store); "
                    f"environment written to .nupm/")
    else:
        status(up_to_date(report.packages))


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
    report, changes = proj.update(project, set(args.names), args.registry)
    for name, old, new in changes:
        status(f"Updated {name} {old or '(new)'} -> {new}")
    _report(report)
    return 0
