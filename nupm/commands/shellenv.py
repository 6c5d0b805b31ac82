"""`nupm activate`, `nupm shell`, `nupm run` and `nupm env`: using an environment from a shell."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from nupm import project as proj
from nupm import shells
from nupm.description import Description, require_built
from nupm.errors import NupmError, UsageError
from nupm.paths import Home


def ready_environment(env_name: str | None = None) -> tuple[Path, Description]:
    """(env dir, description) of a global environment by name, or of this project, syncing the project
    first (as `uv run` does) when needed."""
    if env_name:
        from nupm import overlays

        env_dir = overlays.get(Home.current(), env_name).dir
        return env_dir, require_built(env_dir)
    project = proj.find(Path.cwd(), Home.current())
    return project.env_dir, proj.synced_description(project)


def run_activate(args) -> int:
    env_dir, description = ready_environment(args.env)
    shell = shells.detect(args.shell)
    print(shell.activation_line(env_dir, description))
    return 0


def run_env(args) -> int:
    _, description = ready_environment(args.env)
    if args.json:
        sys.stdout.write(description.render())
        return 0
    d = description
    print(f"environment {d.name} ({d.kind} at {d.root})")
    print(f"PATH += {os.pathsep.join(d.path)}")
    print(f"lib dirs: {', '.join(d.lib_dirs)}")
    for key, value in d.variables.items():
        print(f"variable {key}={value!r}")
    for name, path in d.modules.items():
        print(f"module {name} -> {path}")
    for name, command in d.commands.items():
        print(f"command {name} ({command.package}) -> {command.target}")
    for name, plugin in d.plugins.items():
        print(f"plugin {name} ({plugin.package}) -> {plugin.target}")
    if d.plugins:
        print(f"plugins registered with nu {d.plugin_nu_version} ({d.plugin_nu})")
    return 0


def run_run(args) -> int:
    if not args.cmd:
        raise UsageError("nupm run needs a command: nupm run CMD [ARGS...]")
    _, description = ready_environment(args.env)
    env = description.environ(dict(os.environ))
    argv = _task(description, args.cmd) if not args.env else None
    if argv:
        args.cmd = argv
    sys.stdout.flush()
    try:
        os.execvpe(args.cmd[0], args.cmd, env)  # the command replaces nupm: its exit code is ours
    except FileNotFoundError:
        raise NupmError(f"command not found: {args.cmd[0]}") from None
    except PermissionError:
        raise NupmError(f"permission denied: {args.cmd[0]}") from None


def _task(description: Description, cmd: list[str]) -> list[str] | None:
    """The argv of the manifest's [scripts] task named cmd[0], if there is one."""
    from nupm import manifest as manifest_mod
    from nupm.launch import task_argv

    path = manifest_mod.manifest_in(Path(description.root))
    tasks = manifest_mod.load(path).tasks if path else {}
    return task_argv(tasks[cmd[0]], cmd[1:], list(description.lib_dirs), list(description.path)) \
        if cmd[0] in tasks else None


def run_shell(args) -> int:
    env_dir, description = ready_environment(args.env)
    shell = shells.detect(args.shell)
    target = shell.activation_target(env_dir, description)
    with tempfile.TemporaryDirectory(prefix="nupm-shell-") as tmp:
        argv, extra = shell.subshell(target, Path(tmp), description.nu)
        # The subshell owns the terminal: Ctrl-C there must not end nupm, which only waits.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            return subprocess.call(argv, env={**os.environ, **extra})
        except FileNotFoundError:
            raise NupmError(f"{argv[0]} is not installed") from None
        finally:
            signal.signal(signal.SIGINT, previous)
