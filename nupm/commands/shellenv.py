"""`nupm activate`, `nupm shell`, `nupm run` and `nupm env`: using an environment from a shell."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from nupm import environment
from nupm import project as proj
from nupm.activation.quoting import quote_fish, quote_nu, quote_posix
from nupm.activation.render import module_file
from nupm.errors import NupmError, UsageError

_ALIASES = {"nushell": "nu", "nu": "nu", "bash": "bash", "zsh": "zsh", "fish": "fish"}


def detect_shell(given: str | None) -> str:
    if given:
        return given
    import shellingham

    try:
        name, _ = shellingham.detect_shell()
    except shellingham.ShellDetectionFailure:
        raise UsageError("cannot detect your shell; pass --shell nu|bash|zsh|fish") from None
    if name.lower() not in _ALIASES:
        raise UsageError(f"{name} is not supported; pass --shell nu|bash|zsh|fish")
    return _ALIASES[name.lower()]


def ready_environment(env_name: str | None = None) -> tuple[Path, dict]:
    """(env dir, description) of a global environment by name, or of this project, syncing the project
    first (as `uv run` does) when needed."""
    if env_name:
        from nupm import overlays
        from nupm.paths import Home

        env_dir = overlays.get(Home.current(), env_name).dir
    else:
        project = proj.find(Path.cwd())
        proj.sync(project, quiet=True)
        env_dir = project.env_dir
    description = environment.read_description(env_dir)
    if description is None:
        raise NupmError(f"{env_dir} is missing; run `nupm install`")
    return env_dir, description


def activation_target(shell: str, env_dir: Path, description: dict) -> Path:
    """The file (or, for a global environment in nu, the directory module) that activates."""
    if shell != "nu":
        return env_dir / f"activate.{shell}"
    # A global environment is a directory module: `overlay use DIR` names the overlay after it.
    return env_dir if description["kind"] == "global" else env_dir / module_file(description)


def activation_line(shell: str, env_dir: Path, description: dict) -> str:
    target = activation_target(shell, env_dir, description)
    if shell == "nu":
        # --reload: re-activating an overlay that was hidden would otherwise restore the env it had then,
        # PWD included, and move the user back to that directory.
        return f"overlay use --reload {quote_nu(str(target))}"
    if shell == "fish":
        return f"source {quote_fish(str(target))}"
    return f"source {quote_posix(str(target))}"


def run_activate(args) -> int:
    env_dir, description = ready_environment(args.env)
    print(activation_line(detect_shell(args.shell), env_dir, description))
    return 0


def run_env(args) -> int:
    _, description = ready_environment(args.env)
    if args.json:
        print(json.dumps(description, indent=2, ensure_ascii=False))
        return 0
    print(f"environment {description['name']} ({description['kind']} at {description['root']})")
    print(f"PATH += {os.pathsep.join(description['path'])}")
    print(f"lib dirs: {', '.join(description['lib_dirs'])}")
    for key, value in description["variables"].items():
        print(f"variable {key}={value!r}")
    for name, path in description["modules"].items():
        print(f"module {name} -> {path}")
    for name, command in description["commands"].items():
        print(f"command {name} ({command['package']}) -> {command['target']}")
    return 0


def activated_environ(description: dict, base: dict[str, str]) -> dict[str, str]:
    """What the process environment looks like with the environment active (for `run` and `shell`)."""
    env = dict(base)
    entries = description["path"]
    rest = [p for p in env.get("PATH", "").split(os.pathsep) if p and p not in entries]
    env["PATH"] = os.pathsep.join([*entries, *rest])
    env.update(description["variables"])
    env["NUPM_ENV"] = description["name"]
    env["NUPM_ENV_ROOT"] = description["root"]
    return env


def run_run(args) -> int:
    if not args.cmd:
        raise UsageError("nupm run needs a command: nupm run CMD [ARGS...]")
    _, description = ready_environment(args.env)
    env = activated_environ(description, dict(os.environ))
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


def _task(description: dict, cmd: list[str]) -> list[str] | None:
    """A manifest [scripts] task is Nushell code, run with the environment's modules importable and the
    extra arguments appended as quoted words."""
    from nupm import manifest as manifest_mod
    from nupm.nushell import binary as nu_binary

    path = manifest_mod.manifest_in(Path(description["root"]))
    tasks = manifest_mod.load(path).tasks if path else {}
    if cmd[0] not in tasks:
        return None
    words = " ".join(quote_nu(a) for a in cmd[1:])
    lib = " ".join(quote_nu(d) for d in description["lib_dirs"])
    return [nu_binary(), "--no-config-file", "-c", f"const NU_LIB_DIRS = [{lib}]\n{tasks[cmd[0]]} {words}"]


def _shell_argv(shell: str, activate: Path, tmp: Path) -> tuple[list[str], dict[str, str]]:
    """An interactive shell that reads the user's own startup files, then activates."""
    if shell == "nu":
        return ["nu", "--execute", f"overlay use {quote_nu(str(activate))}"], {}
    if shell == "fish":
        return ["fish", "--init-command", f"source {quote_fish(str(activate))}"], {}
    if shell == "bash":
        rc = tmp / "bashrc"
        rc.write_text(f'if [ -f ~/.bashrc ]; then . ~/.bashrc; fi\nsource {quote_posix(str(activate))}\n')
        return ["bash", "--rcfile", str(rc), "-i"], {}
    user_dir = os.environ.get("ZDOTDIR", os.path.expanduser("~"))
    for name in (".zshenv", ".zprofile", ".zlogin"):
        (tmp / name).write_text(f'[ -f {quote_posix(user_dir)}/{name} ] && source {quote_posix(user_dir)}/{name}\n')
    (tmp / ".zshrc").write_text(f"ZDOTDIR={quote_posix(user_dir)}\n"
                                f"[ -f \"$ZDOTDIR/.zshrc\" ] && source \"$ZDOTDIR/.zshrc\"\n"
                                f"source {quote_posix(str(activate))}\n")
    return ["zsh", "-i"], {"ZDOTDIR": str(tmp)}


def run_shell(args) -> int:
    env_dir, description = ready_environment(args.env)
    shell = detect_shell(args.shell)
    target = activation_target(shell, env_dir, description)
    with tempfile.TemporaryDirectory(prefix="nupm-shell-") as tmp:
        argv, extra = _shell_argv(shell, target, Path(tmp))
        # The subshell owns the terminal: Ctrl-C there must not end nupm, which only waits.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            return subprocess.call(argv, env={**os.environ, **extra})
        except FileNotFoundError:
            raise NupmError(f"{argv[0]} is not installed") from None
        finally:
            signal.signal(signal.SIGINT, previous)
