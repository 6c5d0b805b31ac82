"""Command-line entry point: parses arguments and dispatches to nupm.commands.*; no logic here."""

from __future__ import annotations

import os
import sys

from nupm import __version__
from nupm.errors import NupmError

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (4 ms) on the no-op fast path
if TYPE_CHECKING:
    import argparse


def _add_registry(p: argparse.ArgumentParser) -> None:
    p.add_argument("--registry", metavar="NAME|PATH|URL",
                   help="use only this registry (a configured name, a path or a URL)")
    _add_network(p)


def _add_network(p: argparse.ArgumentParser) -> None:
    p.add_argument("--offline", action="store_true",
                   help="use only what is cached: no network (also NUPM_OFFLINE=1)")
    p.add_argument("-j", "--jobs", type=_positive, metavar="N",
                   help="fetch, clone and build N packages at once (default: config `jobs`, else 8)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        from argparse import ArgumentTypeError

        raise ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        from argparse import ArgumentTypeError

        raise ArgumentTypeError("must be at least 1")
    return value


def _add_registry_commands(sub) -> None:
    p = sub.add_parser("registry", help="the registries packages come from")
    reg = p.add_subparsers(dest="registry_command", metavar="COMMAND", required=True)
    project = "in this project's nupm.toml instead of your config.toml"
    q = reg.add_parser("list", help="the registries, in the order they are searched")
    q.add_argument("--json", action="store_true", help="one JSON document on stdout")
    q.add_argument("--project", action="store_true", help="only this project's")
    edits = (("add", "add a registry (a directory, a registry.nuon, or an http(s) URL)", ["name", "location"]),
             ("remove", "remove a registry", ["name"]), ("rename", "rename a registry", ["name", "new_name"]),
             ("set-url", "point a registry somewhere else", ["name", "location"]))
    for verb, text, arguments in edits:
        q = reg.add_parser(verb, help=text)
        for argument in arguments:
            q.add_argument(argument, **({"metavar": "URL|PATH"} if argument == "location" else {}))
        q.add_argument("--project", action="store_true", help=project)
    q = reg.add_parser("describe", help="the packages a registry offers")
    q.add_argument("name")
    q.add_argument("--json", action="store_true", help="one JSON document on stdout")
    _add_network(q)


def _add_discovery_commands(sub) -> None:
    p = sub.add_parser("search", help="find packages by name and description in every registry")
    p.add_argument("term")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    _add_registry(p)
    p = sub.add_parser("info", help="a package's versions, type, description, and where it is installed")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    _add_registry(p)
    p = sub.add_parser("outdated", help="locked versions against the newest allowed and the newest")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    _add_network(p)


def _add_global(p: argparse.ArgumentParser) -> None:
    # One name for one concept everywhere: --overlay and --env both name a global environment.
    p.add_argument("--overlay", "--env", dest="overlay", metavar="NAME",
                   help="the global environment to change (default: the active one)")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")


def _add_overlay_commands(sub) -> None:
    p = sub.add_parser("overlay", help="global environments")
    ov = p.add_subparsers(dest="overlay_command", metavar="COMMAND", required=True)
    q = ov.add_parser("new", help="create a global environment")
    q.add_argument("name")
    q = ov.add_parser("list", help="list global environments, or one's packages")
    q.add_argument("name", nargs="?")
    q.add_argument("--json", action="store_true", help="one JSON document on stdout")
    q = ov.add_parser("remove", help="delete a global environment")
    q.add_argument("name")
    q.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    q.add_argument("--force", action="store_true", help="even if it is active")
    q = ov.add_parser("export", help="write manifest and lock as one TOML file")
    q.add_argument("name")
    q.add_argument("-o", "--output", metavar="FILE", help="default: stdout")
    q = ov.add_parser("import", help="recreate an exported global environment exactly")
    q.add_argument("file")
    q.add_argument("--name", help="a different name for it")
    q.add_argument("-y", "--yes", action="store_true", help="accepted like the other overlay commands (import "
                   "only creates, so it never asks)")
    q = ov.add_parser("history", help="the generations of a global environment")
    q.add_argument("name")
    q.add_argument("--json", action="store_true", help="one JSON document on stdout")
    q = ov.add_parser("rollback", help="return to an earlier generation")
    q.add_argument("name")
    q.add_argument("--to", type=int, metavar="N", help="generation number (default: the previous one)")
    q.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")


class _Sink:
    """Stands in for the parsers of commands not being run: every call is accepted and ignored."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: self


class _OnlyOne:
    """Builds only the subcommand the command line names: the other thirty-odd parsers are most of
    argparse's start-up, which even a no-op `nupm install` would otherwise pay."""

    def __init__(self, sub, wanted: str | None):
        self.sub, self.wanted, self.matched = sub, wanted, False

    def add_parser(self, name: str, **kwargs):
        if self.wanted is not None and name != self.wanted:
            return _Sink()
        self.matched = True
        return self.sub.add_parser(name, **kwargs)


class _ShellNames:
    """`choices` for a shell argument: the shells nupm describes (nupm.shells), looked up only when a
    command that takes one is parsed."""

    def __contains__(self, name) -> bool:
        from nupm.shells import names

        return name in names()

    def __iter__(self):
        from nupm.shells import names

        return iter(names())


def subcommands() -> list[tuple[str, str]]:
    """Every subcommand's name and help, for the shells' completions."""
    import argparse

    parser = build_parser(None)
    for action in parser._actions:  # argparse keeps subcommands here; there is no public accessor
        if isinstance(action, argparse._SubParsersAction):
            return [(c.dest, c.help or "") for c in action._choices_actions]
    return []


def _command_in(argv: list[str]) -> str | None:
    """The subcommand named in argv (skipping global options), if any."""
    args = iter(argv)
    for arg in args:
        if arg in ("-C", "--directory"):
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


# What the parser gives for a command named alone (`nupm install`, `nupm lock`: the calls made most), so
# they skip importing argparse, which with gettext, locale and shutil (its help formatter) is 10 ms of start-up,
# 25 ms on a cold page cache. tests/test_cli.py holds every row to the parser's own answer.
_ALONE = {
    "install": dict(packages=[], locked=False, frozen=False, overlay=None, yes=False, reinstall=False, update=False,
                    registry=None, offline=False, jobs=None),
    "lock": dict(check=False, registry=None, offline=False, jobs=None),
    "update": dict(names=[], overlay=None, yes=False, registry=None, offline=False, jobs=None),
    "list": dict(json=False),
    "tree": dict(json=False),
}


def parse(argv: list[str]):
    """argv as the parser reads it (an argparse.Namespace, or the same attributes for a command alone)."""
    if len(argv) == 1 and argv[0] in _ALONE:
        from types import SimpleNamespace

        values = {k: list(v) if isinstance(v, list) else v for k, v in _ALONE[argv[0]].items()}
        return SimpleNamespace(directory=None, command=argv[0], **values)
    return build_parser(_command_in(argv)).parse_args(argv)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `command`, only that subcommand is defined (None: all of them)."""
    import argparse  # here, not at the top: the no-op fast path never builds a parser

    parser = argparse.ArgumentParser(prog="nupm", description="Shell-native package and environment manager.")
    parser.add_argument("--version", action="version", version=f"nupm {__version__}")
    parser.add_argument("-C", "--directory", metavar="DIR", help="run as if started in DIR")
    sub = _OnlyOne(parser.add_subparsers(dest="command", metavar="COMMAND", required=True), command)

    p = sub.add_parser("init", help="create nupm.toml in the current directory")
    p.add_argument("--name", help="package name (default: the directory's name)")
    p.add_argument("--type", choices=["module", "script", "custom"], default=None,
                   help="package type (default: guessed from the files, else module)")
    p.add_argument("--version", dest="pkg_version", default="0.1.0", metavar="VERSION")

    p = sub.add_parser("add", help="add dependencies, then lock and install")
    p.add_argument("specs", nargs="*", metavar="SPEC", help="name or name@range")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--path", help="a local package directory")
    source.add_argument("--git", metavar="URL", help="a git repository")
    ref = p.add_mutually_exclusive_group()
    ref.add_argument("--tag")
    ref.add_argument("--rev")
    ref.add_argument("--branch")
    _add_registry(p)

    p = sub.add_parser("remove", help="remove dependencies of this project, then lock and install")
    p.add_argument("names", nargs="+", metavar="NAME")
    _add_network(p)

    p = sub.add_parser("lock", help="resolve nupm.toml into nupm.lock")
    p.add_argument("--check", action="store_true", help="exit 1 and say what changed if the lock is stale")
    _add_registry(p)

    p = sub.add_parser("install", help="sync this project, or install packages into a global environment")
    p.add_argument("packages", nargs="*", metavar="PKG", help="name or name@range, into the global environment")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--locked", action="store_true", help="fail if nupm.lock is missing or stale")
    mode.add_argument("--frozen", action="store_true", help="install exactly nupm.lock, no resolution")
    _add_global(p)
    p.add_argument("-r", "--reinstall", action="store_true", help="fetch the packages again even if installed")
    p.add_argument("-u", "--update", action="store_true", help="update the packages if a newer one is allowed")
    _add_registry(p)

    p = sub.add_parser("uninstall", help="remove packages from a global environment")
    p.add_argument("names", nargs="+", metavar="PKG")
    _add_global(p)
    _add_network(p)

    p = sub.add_parser("update", help="re-resolve to the newest allowed versions")
    p.add_argument("names", nargs="*", metavar="NAME", help="only these packages (default: all)")
    _add_global(p)
    _add_registry(p)

    _add_overlay_commands(sub)
    _add_registry_commands(sub)
    _add_discovery_commands(sub)

    for name, text in (("list", "list locked packages"), ("tree", "show the dependency tree")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--json", action="store_true", help="one JSON document on stdout")

    shells = _ShellNames()
    env_help = "a global environment instead of this project's"
    p = sub.add_parser("activate", help="print the line that activates the environment in your shell")
    p.add_argument("--shell", choices=shells, help="default: detected")
    p.add_argument("--env", "--overlay", dest="env", metavar="NAME", help=env_help)
    p = sub.add_parser("shell", help="start a subshell with the environment active")
    p.add_argument("--shell", choices=shells, help="default: detected")
    p.add_argument("--env", "--overlay", dest="env", metavar="NAME", help=env_help)
    p = sub.add_parser("run", help="run a [scripts] task, or any command, inside the environment")
    p.add_argument("--env", "--overlay", dest="env", metavar="NAME", help=env_help)
    p.add_argument("cmd", nargs=argparse.REMAINDER, metavar="CMD [ARGS...]")
    p = sub.add_parser("env", help="print the environment description")
    p.add_argument("--env", "--overlay", dest="env", metavar="NAME", help=env_help)
    p.add_argument("--json", action="store_true", help="the description as JSON (env.json)")

    p = sub.add_parser("gc", help="remove store entries no environment uses")
    p.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    p = sub.add_parser("store", help="inspect the shared store")
    store_sub = p.add_subparsers(dest="store_command", metavar="COMMAND", required=True)
    q = store_sub.add_parser("list", help="entries with their sizes")
    q.add_argument("--json", action="store_true", help="one JSON document on stdout")
    q = store_sub.add_parser("verify", help="re-hash every entry against its recorded hash")
    q.add_argument("--repair", action="store_true", help="fetch damaged entries again")
    p = sub.add_parser("cache", help="the download cache")
    cache_sub = p.add_subparsers(dest="cache_command", metavar="COMMAND", required=True)
    cache_sub.add_parser("clean", help="empty the download cache")

    p = sub.add_parser("new", help="create a package from a template")
    p.add_argument("name")
    kind = p.add_mutually_exclusive_group()
    kind.add_argument("--module", action="store_true", help="a module: NAME/mod.nu (the default)")
    kind.add_argument("--script", action="store_true", help="a script: NAME.nu, installed as a command")
    kind.add_argument("--custom", action="store_true", help="built by build.nu")
    p.add_argument("--path", metavar="DIR", help="where to create it (default: ./NAME)")
    p.add_argument("--no-git", action="store_true", help="do not run git init")
    sub.add_parser("check", help="validate the manifest and parse every .nu file with nu")
    p = sub.add_parser("test", help="run the exported test* commands of tests/ in parallel")
    p.add_argument("filter", nargs="?", help="only tests whose name contains this")
    p.add_argument("--json", action="store_true", help="per-test results as one JSON document")
    p = sub.add_parser("publish", help="add this version to a registry directory")
    p.add_argument("--registry", required=True, metavar="DIR", help="the registry directory")
    p.add_argument("--dry-run", action="store_true", help="print the entry, write nothing")
    p.add_argument("--allow-dirty", action="store_true", help="publish even with uncommitted changes")

    p = sub.add_parser("hook", help="print the shell hook that activates project environments on cd")
    p.add_argument("shell", choices=shells)
    p = sub.add_parser("setup", help="add the hook (and completions) to your shell's config")
    p.add_argument("shell", nargs="?", choices=shells, help="default: detected")
    p.add_argument("--undo", action="store_true", help="remove exactly the block setup added")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    p = sub.add_parser("trust", help="let the cd hook activate this environment (like `direnv allow`)")
    p.add_argument("dir", nargs="?", metavar="DIR", help="default: the current directory's project")
    p = sub.add_parser("untrust", help="stop the cd hook from activating this environment")
    p.add_argument("dir", nargs="?", metavar="DIR", help="default: the current directory's project")
    p = sub.add_parser("watch", help="re-lock and re-install when the manifest or path dependencies change")

    p = sub.add_parser("why", help="show why a package is in the environment")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    if command is not None and not sub.matched:
        return build_parser(None)  # an unknown command: the full parser says what exists
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    from importlib import import_module

    module = {"init": "init", "add": "edit", "remove": "edit", "lock": "lock", "install": "install",
              "update": "install", "list": "inspect", "tree": "inspect", "why": "inspect",
              "activate": "shellenv", "shell": "shellenv", "run": "shellenv", "env": "shellenv",
              "gc": "store", "store": "store", "cache": "store",
              "uninstall": "overlay", "overlay": "overlay",
              "new": "author", "check": "author", "test": "author", "publish": "author",
              "hook": "hooks", "setup": "hooks", "watch": "watch", "trust": "trust", "untrust": "trust",
              "registry": "registry",
              "search": "discover", "info": "discover", "outdated": "discover"}[args.command]
    handler = getattr(import_module(f"nupm.commands.{module}"), f"run_{args.command}")
    return handler(args) or 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        from nupm.fastpath import run as fast_path

        done = fast_path(argv)
        if done is not None:
            return done
    except BrokenPipeError:
        return _closed_pipe()
    args = parse(argv)
    try:
        if args.directory:
            os.chdir(args.directory)
        # Read where the network is first used (nupm.sources.network), once per process.
        if getattr(args, "offline", False):
            os.environ["NUPM_OFFLINE"] = "1"
        if getattr(args, "jobs", None):
            os.environ["NUPM_JOBS"] = str(args.jobs)
        if getattr(args, "json", False):
            from nupm import progress

            progress.use(progress.Quiet())
        return _dispatch(args)
    except NupmError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except FileNotFoundError as e:
        print(f"error: {e.strerror}: {e.filename}", file=sys.stderr)
        return 1
    except PermissionError as e:
        print(f"error: permission denied: {e.filename}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _closed_pipe()
    except OSError as e:  # a full disk, a read-only filesystem, too many open files...
        where = f": {e.filename}" if e.filename else ""
        print(f"error: {e.strerror or e}{where}", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 -- the one place a bug becomes one line instead of a traceback
        print(f"error: internal error ({type(e).__name__}: {e}); this is a bug in nupm {__version__}: please "
              "report it with the command you ran (NUPM_DEBUG=1 shows the traceback)", file=sys.stderr)
        if os.environ.get("NUPM_DEBUG"):
            raise
        return 1


def _closed_pipe() -> int:
    """The reader went away (`nupm list | head -1`): stop quietly, as other Unix tools do."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so Python's flush at exit does not complain again
    except OSError:
        pass
    return 141  # 128 + SIGPIPE, what a shell reports for a tool killed by the closed pipe
