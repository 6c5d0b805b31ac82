"""`nupm overlay …` and changing a global environment: `nupm install PKG`, `uninstall`, `update --overlay`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from nupm import overlays
from nupm.commands import status
from nupm.commands.confirm import confirm
from nupm.errors import NupmError, UsageError
from nupm.fsutil import atomic_write
from nupm.manifest_edit import without_dependencies
from nupm.paths import Home
from nupm.progress import count


def target(args, home: Home) -> overlays.Overlay:
    """The global environment a command changes: --overlay NAME, else the active one."""
    if getattr(args, "overlay", None):
        return overlays.get(home, args.overlay)
    found = overlays.active(home)
    if found is None:
        raise UsageError("no global environment is active: pass --overlay NAME "
                         "(to add a dependency to this project, use `nupm add`)")
    return found


def _commit(change: overlays.Change, action: str, yes: bool) -> int:
    """Show what changes, ask, then apply it as a generation."""
    overlay = change.overlay
    for name in change.already:
        status(f"{name} is already installed in {overlay.name} (-u updates it, -r reinstalls it)")
    if change.empty:
        status(f"{overlay.name}: nothing to change")
        return 0
    confirm(change.plan(), f"{action} global environment {overlay.name}", yes)
    overlays.commit(change)
    status(f"{overlay.name}: {change.summary}")
    return 0


def install_into(args) -> int:
    home = Home.current()
    overlay = target(args, home)
    with overlays.held(home, overlay.name, status):
        return _install_into(args, overlay)


def _install_into(args, overlay: overlays.Overlay) -> int:
    if not args.packages:  # `nupm install --overlay NAME`: make the directory match its lock again
        overlays.apply(overlay, overlay.manifest_text(), overlay.lock(), "sync")
        status(f"{overlay.name}: up to date")
        return 0
    change = overlays.plan_install(overlay, args.packages, args.registry, args.update, args.reinstall)
    return _commit(change, "change", args.yes)


def run_uninstall(args) -> int:
    home = Home.current()
    overlay = target(args, home)
    with overlays.held(home, overlay.name, status):
        return _uninstall(args, overlay)


def _uninstall(args, overlay: overlays.Overlay) -> int:
    missing = [n for n in args.names if n not in overlay.manifest().dependencies]
    if missing:
        raise NupmError(f"not installed in {overlay.name}: {', '.join(missing)}")
    text = without_dependencies(overlay.manifest_text(), args.names)
    return _commit(overlays.plan_change(overlay, text, None, set()), "change", args.yes)


def update_overlay(args) -> int:
    home = Home.current()
    overlay = target(args, home)
    with overlays.held(home, overlay.name, status):
        return _update(args, overlay)


def _update(args, overlay: overlays.Overlay) -> int:
    names = set(args.names) or {p.name for p in overlay.lock().packages}
    unknown = names - {p.name for p in overlay.lock().packages}
    if unknown:
        raise NupmError(f"not in {overlay.name}: {', '.join(sorted(unknown))}")
    return _commit(overlays.plan_change(overlay, overlay.manifest_text(), args.registry, names), "update", args.yes)


# -- nupm overlay ---------------------------------------------------------------------------------
def run_overlay(args) -> int:
    handler = {"new": _new, "list": _list, "remove": _remove, "export": _export, "import": _import,
               "history": _history, "rollback": _rollback}[args.overlay_command]
    return handler(args, Home.current())


def _emit(rows: list[dict], as_json: bool, line) -> int:
    """A listing as one JSON document, or one line per row."""
    if as_json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(line(row))
    return 0


def _new(args, home: Home) -> int:
    overlay = overlays.create(home, args.name, status)
    status(f"Created global environment {overlay.name} in {overlay.dir}")
    status(f"  nu: overlay use --reload {overlay.name}   (with {home.overlays} in NU_LIB_DIRS)")
    status(f"  bash, zsh, fish: eval \"$(nupm activate --env {overlay.name})\"")
    return 0


def _list(args, home: Home) -> int:
    if args.name:
        overlay = overlays.get(home, args.name)
        rows = [{"name": p.name, "version": p.version, "type": p.type, "source": p.source.describe(),
                 "direct": p.name in overlay.manifest().dependencies} for p in overlay.lock().packages]
        return _emit(rows, args.json, lambda r: f"{r['name']}  {r['version']}  {r['type']}"
                     + ("" if r["direct"] else "  (dependency)"))
    rows = [{"name": o.name, "packages": len(o.lock().packages), "active": o.is_active(), "path": str(o.dir)}
            for o in overlays.all_overlays(home)]
    return _emit(rows, args.json, lambda r: f"{'*' if r['active'] else ' '} {r['name']}  {r['packages']} packages  "
                 f"{r['path']}")


def _remove(args, home: Home) -> int:
    with overlays.held(home, args.name, status):
        return _remove_held(args, home)


def _remove_held(args, home: Home) -> int:
    overlay = overlays.get(home, args.name)
    if overlay.is_active() and not args.force:
        raise NupmError(f"{overlay.name} is active in this shell; deactivate it first or pass --force")
    confirm([f"remove {overlay.dir} and its {len(overlays.generations(overlay))} generations"],
            f"remove global environment {overlay.name}", args.yes)
    overlays.remove(overlay)
    status(f"Removed global environment {overlay.name}")
    return 0


def _export(args, home: Home) -> int:
    text = overlays.export_text(overlays.get(home, args.name))
    if args.output:
        atomic_write(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return 0


def _import(args, home: Home) -> int:
    overlay = overlays.import_file(home, Path(args.file), args.name, status)
    status(f"Imported global environment {overlay.name} ({count(len(overlay.lock().packages), 'package')})")
    return 0


def _history(args, home: Home) -> int:
    overlay = overlays.get(home, args.name)
    history = overlays.generations(overlay)
    rows = [{"number": g.number, "date": g.date, "change": g.change, "current": g is history[-1]}
            for g in history]
    return _emit(rows, args.json, lambda r: f"{'*' if r['current'] else ' '} {r['number']:>4}  {r['date']}  "
                 f"{r['change']}")


def _rollback(args, home: Home) -> int:
    with overlays.held(home, args.name, status):
        return _rollback_held(args, home)


def _rollback_held(args, home: Home) -> int:
    overlay = overlays.get(home, args.name)
    history = overlays.generations(overlay)
    wanted = args.to if args.to is not None else (history[-1].number - 1 if history else 0)
    if wanted not in {g.number for g in history}:  # refused before anything is announced
        known = ", ".join(str(g.number) for g in history) or "none"
        raise NupmError(f"{overlay.name} has no generation {wanted} (it has {known})")
    confirm([f"return to generation {wanted}"], f"roll back global environment {overlay.name}", args.yes)
    found = overlays.rollback(overlay, args.to)
    status(f"{overlay.name}: rolled back to generation {found.number}")
    return 0
