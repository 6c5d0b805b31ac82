"""Private versions of a module: each dependant's own view of the lib dirs.

When the lock gives a package a private copy of a module (two dependants need versions no one version
meets), that dependant's `use NAME` must find its copy while everyone else's finds the shared version, in
one Nushell session. Nushell resolves a module's `use NAME` when it parses that module: first a module of
that name already in scope, then the parse-time constant `NU_LIB_DIRS` as it stands there (nu 0.101 too).
So, in an environment with copies:

- each module package with module dependencies is used through a *shim*: a directory under `shims/<id>/`
  holding links to the module's files and its own `mod.nu`, the package's unchanged but for a first line
  that sets `const NU_LIB_DIRS` to its view and `use`s the dependencies the lock chose for it (a module of
  the same name already in scope, the user's or another package's, would otherwise stand in for them);
- a package that has copies gets a *view*: `views/<id>/`, its copies, searched before lib/; a script
  package's view is all of lib/ with its copies in place, the one lib dir its scripts run with.

Every module with dependencies gets a shim, not only those that have copies: a module parsed from inside
another module's view would otherwise see that view. An environment without copies has neither.
"""

from __future__ import annotations

import os
from pathlib import Path

from nupm.activation.quoting import quote_nu
from nupm.description import Shim
from nupm.errors import NupmError
from nupm.fsutil import write_new
from nupm.lock import Routes
from nupm.paths import SHIMS, VIEWS

MODULE_FILE = "mod.nu"


class PrivateCommands(NupmError):
    pass


def views(installed: list, env_dir: Path) -> tuple[dict[str, dict[str, str]], dict[str, Shim], dict[str, str]]:
    """For `installed` (locked package, store entry) pairs: the views (directory -> the copies it holds,
    name -> where), the shims (directory -> Shim), and the shared modules now found through a shim (name -> shim
    directory). All empty without private copies."""
    if not any(pkg.copy for pkg, _ in installed):
        return {}, {}, {}
    by_id = {pkg.id: (pkg, entry) for pkg, entry in installed}
    routes = Routes([pkg for pkg, _ in installed])
    _refuse_private_commands(installed, routes)

    def target(dependant: str, name: str) -> str | None:
        found = routes.target(dependant, name)
        return found.id if found else None

    def dependency_modules(ident: str) -> list[tuple[str, str]]:
        """(module name, the package id providing it) for each module dependency of `ident`."""
        pkg = by_id[ident][0]
        return [(name, t) for dep in sorted(pkg.dependencies) if (t := target(ident, dep))
                for name in sorted(by_id[t][1].modules)]

    def has_libraries(ident: str) -> bool:
        """Whether `ident` depends on modules or collections (`use utils/file.nu`): then its view matters."""
        pkg = by_id[ident][0]
        return any((t := target(ident, dep)) and (by_id[t][1].modules or by_id[t][1].collections)
                   for dep in pkg.dependencies)

    shimmed = {ident for ident, (_, entry) in by_id.items() if entry.modules and has_libraries(ident)}

    def module_path(ident: str, name: str) -> str:
        entry = by_id[ident][1]
        return str(env_dir / SHIMS / ident / name) if ident in shimmed else str(entry.path / entry.modules[name])

    view_dirs: dict[str, dict[str, str]] = {}
    for ident, (pkg, _) in by_id.items():
        overrides = {}
        for dep in pkg.dependencies:
            copy = routes.target(ident, dep)
            if copy is not None and copy.copy:
                entry = by_id[copy.id][1]
                overrides.update({name: module_path(copy.id, name) for name in entry.modules})
                overrides.update({name: str(entry.path / rel) for name, rel in entry.collections.items()})
        if overrides:
            view_dirs[str(env_dir / VIEWS / ident)] = dict(sorted(overrides.items()))
    lib = str(env_dir / "lib")
    shims = {}
    for ident in sorted(shimmed):
        entry = by_id[ident][1]
        own = str(env_dir / VIEWS / ident)
        for name, rel in sorted(entry.modules.items()):
            shims[str(env_dir / SHIMS / ident / name)] = Shim(
                source=str(entry.path / rel), libs=(own, lib) if own in view_dirs else (lib,),
                uses=tuple(module_path(t, m) for m, t in dependency_modules(ident)))
    shared = {name: str(env_dir / SHIMS / ident / name) for ident in shimmed if by_id[ident][0].copy is None
              for name in by_id[ident][1].modules}
    return view_dirs, shims, shared


def lib_of(env_dir: Path, ident: str, view_dirs: dict) -> str | None:
    """The lib dir a package's scripts run with: its view, or None for the environment's lib/."""
    own = str(env_dir / VIEWS / ident)
    return own if own in view_dirs else None


def _refuse_private_commands(installed: list, routes: Routes) -> None:
    """An environment has one command of each name: a private copy may bring a module, nothing to run."""
    for pkg, entry in installed:
        provided = [*entry.scripts, *entry.binaries, *(f"plugin {p}" for p in entry.plugins)]
        if pkg.copy and provided:
            found = routes.by_id.get(pkg.name)  # the shared version's id is its name
            shared = f"{found.name} {found.version}" if found else f"another {pkg.name}"
            raise PrivateCommands(
                f"{pkg.name} {pkg.version} would be private to {', '.join(pkg.serves)} (which cannot share "
                f"{shared}), but it also provides {', '.join(sorted(provided))}: an environment has one command "
                "of each name, so only a package that is just a module can have a version of its own per dependant")


# -- writing -------------------------------------------------------------------------------------
def write(base: str, description) -> None:
    """Make the views and shims of `description` in `base`, the environment directory being built (their
    paths name the directory it will become). A module searches its view, then lib/, so its view holds its
    copies alone; a script runs with one lib dir (nu 0.101 takes one -I), so its view is all of lib/ with
    the copies in place (a view per package: the links grow as packages with copies times lib/'s entries)."""
    env_dir = description.env_dir
    links = description.links()
    complete = {command.lib for command in description.commands.values() if command.lib}
    for directory, overrides in description.views.items():
        made = os.path.join(base, _inside(env_dir, directory))
        os.makedirs(made)
        for name, target in ({**links, **overrides} if directory in complete else overrides).items():
            os.symlink(target, os.path.join(made, name))
    for directory, shim in description.shims.items():
        made = os.path.join(base, _inside(env_dir, directory))
        os.makedirs(made)
        if os.path.isdir(shim.source):
            folder, main = shim.source, os.path.join(shim.source, MODULE_FILE)
        else:  # a module file (a custom package's modules/x.nu): its directory, as a directory module
            folder, main = os.path.dirname(shim.source), shim.source
        for name in sorted(os.listdir(folder)):
            if name != MODULE_FILE and os.path.join(folder, name) != main:
                os.symlink(os.path.join(folder, name), os.path.join(made, name))
        with open(main, "rb") as f:
            code = f.read()
        write_new(os.path.join(made, MODULE_FILE), patched(code, shim))


def patched(code: bytes, shim: Shim) -> bytes:
    """The module's code with its view set first, on its own first line's start, so that every line number
    in Nushell's errors is the package's own."""
    bom = b"\xef\xbb\xbf" if code.startswith(b"\xef\xbb\xbf") else b""
    uses = "".join(f"use {quote_nu(path)}; " for path in shim.uses)
    libs = " ".join(quote_nu(d) for d in shim.libs)
    first = f"const NU_LIB_DIRS = [{libs}]; {uses}".encode()
    return bom + first + code[len(bom):]


def _inside(env_dir: str, path: str) -> str:
    rel = os.path.relpath(path, env_dir)
    if rel.startswith(".."):
        raise NupmError(f"{path} is not inside the environment {env_dir}")
    return rel
