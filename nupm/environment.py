"""The environment: what a locked project puts on PATH and in Nushell's lib dirs.

`describe` computes the description shell-free from the manifest and the store entries; `write`
materialises `.nupm/` (bin/ commands, lib/ module links, env.json) beside the old one and swaps it
in. Activation modules for each shell are compiled from env.json alone.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from nupm import fastpath
from nupm.description import Command, Description, Package, Plugin
from nupm.errors import NupmError
from nupm.fsutil import built_beside, debris_in, pause_point, remove_tree, write_new
from nupm.lock import LockedPackage
from nupm.manifest import Manifest
from nupm.paths import ENV_DESCRIPTION, PLUGIN_REGISTRY
from nupm.store import StoreEntry

STAMP = "stamp"


class ConflictingNames(NupmError):
    pass


def describe(manifest: Manifest, installed: list[tuple[LockedPackage, StoreEntry]], env_dir: Path,
             kind: str = "project") -> Description:
    """The complete, machine-readable description of one environment, from the locked packages and their
    store entries.

    `kind` is "project" (env_dir is the project's .nupm/, the project's own module is included) or
    "global" (env_dir is NUPM_HOME/overlays/<name>, which is also the environment's root).
    """
    from nupm import views

    env_dir = env_dir.absolute()
    modules: dict[str, str] = {}
    collections: dict[str, str] = {}
    commands: dict[str, Command] = {}
    plugins: dict[str, Plugin] = {}
    owners: dict[str, str] = {}
    nu, nu_range = None, manifest.nu_version
    view_dirs, shims, shimmed = views.views(installed, env_dir)
    for pkg, entry in sorted(installed, key=_by_id):
        if pkg.copy:
            continue  # found by its dependants' views only
        if entry.type == "nushell":
            nu, nu_range = str(entry.path / entry.binaries["nu"]), f"={entry.version}"
        _offer(entry.name, entry.path, entry.modules, entry.scripts, entry.binaries, modules, commands, owners,
               views.lib_of(env_dir, pkg.id, view_dirs))
        _offer_plugins(entry.name, entry.path, entry.plugins, plugins, owners)
        for name, rel in entry.collections.items():
            _claim(owners, f"module {name}", entry.name)
            collections[name] = str(entry.path / rel)
    modules.update(shimmed)
    packages = [Package(e.name, e.version, e.type, e.hash, str(e.path)) for _, e in sorted(installed, key=_by_id)]
    _check_path_entries([env_dir / "bin"])
    if kind == "project":
        own = OwnCode.of(manifest)
        _offer(manifest.name, own.root, own.modules, own.scripts, {}, modules, commands, owners)
        _offer_plugins(manifest.name, own.root, own.plugins, plugins, owners)
    plugin_nu, plugin_nu_version = _plugin_nu(nu, manifest.name) if plugins else (None, None)
    return Description(
        name=manifest.name,
        kind=kind,
        root=str(manifest.root.absolute() if kind == "project" else env_dir),
        env_dir=str(env_dir),
        path=(str(env_dir / "bin"),),
        lib_dirs=(str(env_dir / "lib"),),
        variables=dict(sorted(manifest.env.items())),
        modules=dict(sorted(modules.items())),
        collections=dict(sorted(collections.items())),
        commands=dict(sorted(commands.items())),
        packages=tuple(packages),
        nu=nu,
        nu_range=nu_range,
        plugins=dict(sorted(plugins.items())),
        plugin_nu=plugin_nu,
        plugin_nu_version=plugin_nu_version,
        views=view_dirs,
        shims=shims,
    )


def _by_id(installed: tuple[LockedPackage, StoreEntry]) -> str:
    return installed[0].id


def _plugin_nu(pinned: str | None, name: str) -> tuple[str, str]:
    """The nu that registers the environment's plugins, and its version: the environment's own Nushell,
    else the nu that runs packages here (the one the user's shells run). Its version is part of the
    description, so another nu found here later makes the environment register them again."""
    import shutil

    from nupm.nushell import binary, version_of

    nu = pinned or shutil.which(binary())
    version = version_of(nu) if nu else None
    if nu is None or version is None:
        raise NupmError(f"{name} provides Nushell plugins, and registering them needs nu, which is not installed "
                        f"here ({binary()!r}); install Nushell, set NUPM_NU, or pin one with [tool] nu in nupm.toml")
    return os.path.realpath(nu), str(version)


def _check_path_entries(entries: list[Path]) -> None:
    for entry in entries:
        if ":" in str(entry):
            raise NupmError(f"{entry} contains ':', which cannot appear in a PATH entry; move the project")


@dataclass(frozen=True)
class OwnCode:
    """A project's own module and scripts, used live from its directory (like an editable install): not a
    store entry, so nothing of it is hashed, copied or kept alive by gc."""

    root: Path
    modules: dict[str, str]  # name -> path relative to root
    scripts: dict[str, str]
    plugins: dict[str, str]

    @classmethod
    def of(cls, manifest: Manifest) -> OwnCode:
        root = manifest.root
        modules, scripts = {}, {}
        if manifest.type == "module" and (root / manifest.name / "mod.nu").is_file():
            modules[manifest.name] = manifest.name
        if manifest.type == "script" and (root / f"{manifest.name}.nu").is_file():
            scripts[manifest.name] = f"{manifest.name}.nu"
        for extra in manifest.scripts:
            if (root / extra).is_file():
                scripts[Path(extra).name.removesuffix(".nu")] = extra
        from nupm.plugins import plugin_name

        plugins = {plugin_name(Path(p).name): p for p in manifest.plugins if (root / p).is_file()}
        return cls(root.absolute(), modules, scripts, plugins)


def _offer(owner: str, base: Path, offered_modules: dict, scripts: dict, binaries: dict,
           modules: dict, commands: dict, owners: dict, lib: str | None = None) -> None:
    """Add what `owner` provides (paths relative to `base`), refusing a name another package provides;
    `lib`: the view its scripts run with, when it has private copies."""
    for name, rel in offered_modules.items():
        _claim(owners, f"module {name}", owner)
        modules[name] = str(base / rel)
    for name, rel in scripts.items():
        _claim(owners, f"command {name}", owner)
        commands[name] = Command("nu-script", str(base / rel), owner, lib)
    for name, rel in binaries.items():
        _claim(owners, f"command {name}", owner)
        commands[name] = Command("binary", str(base / rel), owner)


def _offer_plugins(owner: str, base: Path, offered: dict, plugins: dict, owners: dict) -> None:
    for name, rel in offered.items():
        _claim(owners, f"plugin {name}", owner)
        plugins[name] = Plugin(str(base / rel), owner)


def _claim(owners: dict, what: str, owner: str) -> None:
    if what in owners and owners[what] != owner:
        raise ConflictingNames(f"{what} is provided by both {owners[what]} and {owner}")
    owners[what] = owner


def generated_files(description: Description) -> dict[str, str]:
    """Every generated text file of the environment: the description, its activation modules, and
    `stamp`, an id of this generation that shell hooks read with a builtin to notice a regeneration."""
    import zlib  # a change id, not a security check: zlib is cheap to import on the no-op path

    from nupm.activation.render import render_all

    # `name`: what the hooks call the environment in their messages, read with a builtin.
    files = {ENV_DESCRIPTION: description.render(), **render_all(description), "name": description.name + "\n"}
    raw = "\0".join(files[k] for k in sorted(files)).encode()
    return {**files, STAMP: f"{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}\n"}


def touch_stamp(env_dir: Path, sources: list[Path]) -> None:
    """Mark the environment as current against its sources (manifest, lock) even when nothing had to be
    rewritten, so a hook stops reporting it out of date."""
    stamp = env_dir / STAMP
    try:
        mtime = stamp.stat().st_mtime
        if any(s.exists() and s.stat().st_mtime > mtime for s in sources):
            os.utime(stamp)
    except FileNotFoundError:
        pass


def is_current(env_dir: Path, files: dict[str, str], description: Description) -> bool:
    """Same files, every link and command still in place, the plugin registry there (a hand-deleted file is
    repaired)."""
    base = os.fspath(env_dir)
    for name, content in files.items():
        if _read_text(os.path.join(base, name)) != content:
            return False
    lib, bin_ = os.path.join(base, "lib"), os.path.join(base, "bin")
    exists = os.path.exists
    return (all(exists(os.path.join(lib, name)) for name in description.links())
            and all(exists(os.path.join(bin_, name)) for name in description.commands)
            and (not description.plugins or exists(os.path.join(base, PLUGIN_REGISTRY)))
            and all(exists(os.path.join(d, "mod.nu")) for d in description.shims)
            and all(exists(os.path.join(d, name)) for d, entries in description.views.items() for name in entries))


def _read_text(path: str) -> str | None:
    """The file's text; None when it is missing or is not UTF-8 (then it is not what nupm wrote)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        raw = chunk = os.read(fd, 1 << 18)
        while len(chunk) == 1 << 18:  # a short read of a regular file is its end
            chunk = os.read(fd, 1 << 18)
            raw += chunk
    except IsADirectoryError:
        return None
    finally:
        os.close(fd)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def check_links(env_dir: Path, description: Description) -> None:
    """Every module link and command of the written environment leads somewhere: an install that would
    leave a dangling link fails instead of exiting 0."""
    lib, bin_ = os.path.join(env_dir, "lib"), os.path.join(env_dir, "bin")
    exists = os.path.exists
    broken = [os.path.join(lib, name) for name in description.links() if not exists(os.path.join(lib, name))]
    broken += [os.path.join(bin_, name) for name, command in description.commands.items()
               if not exists(os.path.join(bin_, name)) or not exists(command.target)]
    broken += [plugin.target for plugin in description.plugins.values() if not exists(plugin.target)]
    broken += [os.path.join(d, name) for d, entries in description.views.items() for name in entries
               if not exists(os.path.join(d, name))]
    broken += [shim.source for shim in description.shims.values() if not exists(shim.source)]
    if broken:
        raise NupmError(f"the environment in {env_dir} has links that lead nowhere ({', '.join(broken[:3])}); "
                        "was the store changed meanwhile? run the command again")


def write(env_dir: Path, description: Description, extra: dict[str, str] | None = None) -> bool:
    """Regenerate `env_dir` atomically; False (and nothing touched) when it is already current.

    `extra` files (a global environment's manifest and lock) are swapped in together with the rest.
    """
    files = {**generated_files(description), **(extra or {})}
    if is_current(env_dir, files, description):
        return False
    kept = _registry_to_keep(env_dir, description)
    for stale in debris_in(env_dir.parent):  # what a killed nupm left beside it
        if stale.name.startswith(f"{env_dir.name}."):
            remove_tree(stale)
    with built_beside(env_dir, replace=True, prefix=f"{env_dir.name}.tmp-") as tmp:
        _fill(tmp, description, kept)
        base = os.fspath(tmp)
        for name, content in files.items():
            write_new(os.path.join(base, name), content.encode("utf-8"))
        os.chmod(tmp, 0o755)
        pause_point("env-built")
    return True


def _registry_to_keep(env_dir: Path, description: Description) -> bytes | None:
    """The plugin registry the environment has, when the new one would register the same plugins with the
    same nu: it is kept, and no plugin runs again (a changed variable rewrites the environment)."""
    from nupm.description import read

    old = read(env_dir) if description.plugins else None
    if old is None or (old.plugins, old.plugin_nu, old.plugin_nu_version) != (
            description.plugins, description.plugin_nu, description.plugin_nu_version):
        return None
    try:
        return (env_dir / PLUGIN_REGISTRY).read_bytes()
    except OSError:
        return None


def _fill(tmp: Path, description: Description, kept: bytes | None = None) -> None:
    base = os.fspath(tmp)
    lib, bin_ = os.path.join(base, "lib"), os.path.join(base, "bin")
    os.mkdir(bin_)
    os.mkdir(lib)
    write_new(os.path.join(base, ".gitignore"), b"*\n")
    write_new(os.path.join(base, fastpath.STATE), b"")  # filled in place after each sync: see nupm.fastpath
    lib_dir = description.lib_dirs[0]
    for name, target in description.links().items():
        os.symlink(target, os.path.join(lib, name))
    # Where the plugin registry will be once this directory is swapped in (its contents name no path of its own).
    registry = os.path.join(description.env_dir, PLUGIN_REGISTRY) if description.plugins else None
    for name, command in description.commands.items():
        path = os.path.join(bin_, name)
        if command.kind == "binary":
            os.symlink(command.target, path)
        else:
            wrapper = script_wrapper(command.target, command.lib or lib_dir, description.nu, registry,
                                     private=command.lib is not None)
            write_new(path, wrapper.encode("utf-8"), 0o755)
    if description.views or description.shims:
        from nupm import views

        views.write(base, description)
    if description.plugins:
        from nupm.plugins import register

        os.mkdir(os.path.dirname(os.path.join(base, PLUGIN_REGISTRY)))
        if kept is not None:
            write_new(os.path.join(base, PLUGIN_REGISTRY), kept)
        else:
            register(description.plugin_nu, Path(base, PLUGIN_REGISTRY),
                     {name: (p.target, p.package) for name, p in description.plugins.items()})


def script_wrapper(script: str, lib_dir: str, nu: str | None = None, plugins: str | None = None,
                   private: bool = False) -> str:
    """A POSIX sh launcher: the script runs in nu with the environment's modules importable (and its
    plugins, from the `plugins` registry file); in the environment's own Nushell when it has one ([tool]
    nu), else in NUPM_NU or the nu on PATH. A `private` lib dir (a package's own view, with its private
    copies) must be the only one: nu 0.115 searches an inherited NU_LIB_DIRS before -I."""
    runner = shlex.quote(nu) if nu else '"${NUPM_NU:-nu}"'
    registry = f"--plugin-config {shlex.quote(plugins)} " if plugins else ""
    return ("#!/bin/sh\n"
            "# generated by nupm\n"
            + ("unset NU_LIB_DIRS\n" if private else "")
            # -I, not --include-path: nu 0.101 re-parses the long flag's value as code.
            + f'exec {runner} {registry}-I {shlex.quote(lib_dir)} {shlex.quote(script)} "$@"\n')
