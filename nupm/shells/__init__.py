"""The shells nupm serves, each described in one file of this package behind the one interface `Shell`.

A description says everything nupm knows about a shell: its name and aliases, how it quotes, which
activation files it gets and how it sources one, where its rc file is and what line `nupm setup` puts
there, how a subshell starts with an environment active, its hook and completion templates (real files in
`nupm/activation/<name>/`) and how to find its binary. Nothing else in nupm names a shell. Adding one means
adding `nupm/shells/<name>.py` (defining `SHELL`) and its template folder.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from pathlib import Path

from nupm.errors import UsageError


class Shell:
    name: str = ""
    aliases: tuple[str, ...] = ()  # other names a process of this shell may have (shellingham's view)
    order: int = 99  # where it comes in lists and help: Nushell first
    quote: Callable[[str], str]  # any string as a literal the shell reads back exactly
    hook_template: str = ""  # below nupm/activation/
    completion_template: str = ""

    def activation_files(self, description) -> dict[str, str]:
        """File name in .nupm/ (or in a global environment's directory) -> its content."""
        raise NotImplementedError

    def hook_sources(self) -> tuple[str, ...]:
        """Files of .nupm/ this shell's cd hook sources (trust checks that none changed since)."""
        return (f"activate.{self.name}",)

    def activation_target(self, env_dir: Path, description) -> Path:
        """The file the activation line sources."""
        return env_dir / f"activate.{self.name}"

    def source_line(self, target: Path) -> str:
        """What the user runs (or `nupm activate` prints) to activate `target`."""
        return f"source {self.quote(str(target))}"

    def activation_line(self, env_dir: Path, description) -> str:
        return self.source_line(self.activation_target(env_dir, description))

    def rc_file(self) -> Path:
        """Where `nupm setup` puts its block."""
        raise NotImplementedError

    def rc_lines(self, hook: Path, overlays: Path) -> str:
        """The body of `nupm setup`'s block: source the rendered `hook` (global environments live in
        `overlays`)."""
        return f"source {self.quote(str(hook))}"

    def subshell(self, target: Path, tmp: Path, nu: str | None = None) -> tuple[list[str], dict[str, str]]:
        """argv and extra environment of an interactive shell that reads the user's own startup files and
        then activates `target`; `tmp` is a directory for any file it needs, removed after it exits; `nu`
        is the environment's own Nushell ([tool] nu), which a Nushell subshell runs."""
        raise NotImplementedError

    def completion(self, commands: list[tuple[str, str]]) -> str:
        """Completions for nupm's subcommands (name, help), from the completion template."""
        raise NotImplementedError

    def binary(self) -> str:
        return self.name


@cache
def every() -> tuple[Shell, ...]:
    """Every shell with a description in this package, in `order`."""
    here = Path(__file__).parent
    found = [importlib.import_module(f"{__name__}.{path.stem}").SHELL
             for path in here.glob("*.py") if path.stem != "__init__"]
    return tuple(sorted(found, key=lambda s: (s.order, s.name)))


def names() -> list[str]:
    return [shell.name for shell in every()]


def get(name: str) -> Shell:
    for shell in every():
        if name == shell.name:
            return shell
    raise UsageError(f"{name} is not a shell nupm knows; pass {'|'.join(names())}")


def detect(given: str | None) -> Shell:
    """The shell named on the command line, else the one nupm runs under."""
    if given:
        return get(given)
    import shellingham

    choices = "|".join(names())
    try:
        found, _ = shellingham.detect_shell()
    except shellingham.ShellDetectionFailure:
        raise UsageError(f"cannot detect your shell; pass --shell {choices}") from None
    for shell in every():
        if found.lower() in (shell.name, *shell.aliases):
            return shell
    raise UsageError(f"{found} is not supported; pass --shell {choices}")


def every_hook_source() -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for shell in every() for name in shell.hook_sources()))
