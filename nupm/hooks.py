"""Shell hooks (automatic activation on cd) and `nupm setup`, which wires one into a shell's config.

The hook scripts are real files, `nupm/activation/<shell>/hook.<shell>`; rendering adds where trust records
live and completions for nupm's commands. `nupm setup` saves the rendered hook under NUPM_HOME/hooks/ and
adds one marked block to the shell's config file that sources it, so starting a shell never runs nupm.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nupm.activation.render import hook
from nupm.errors import NupmError
from nupm.fsutil import atomic_write, read_for_edit, write_edited
from nupm.paths import Home
from nupm.shells import Shell

BEGIN = "# >>> nupm >>> (managed by `nupm setup`; `nupm setup --undo` removes this block)"
END = "# <<< nupm <<<"


def render(shell: Shell, home: Home, commands: list[tuple[str, str]]) -> str:
    """The hook to save for `shell`; `commands` (name, help) are nupm's subcommands, for its completions."""
    return hook(shell, home.trusted, commands)


# -- setup ----------------------------------------------------------------------------------------
@dataclass
class Setup:
    shell: Shell
    config: Path  # the file the block goes into
    hook: Path  # where the rendered hook is saved
    text: str  # the rendered hook
    block: str


def plan(shell: Shell, home: Home, commands: list[tuple[str, str]]) -> Setup:
    hook_path = home.hooks / f"nupm.{shell.name}"
    body = shell.rc_lines(hook_path, home.overlays)
    return Setup(shell, shell.rc_file(), hook_path, render(shell, home, commands), f"{BEGIN}\n{body}\n{END}\n")


def _without_block(text: str) -> str:
    start = text.find(BEGIN)
    if start < 0:
        return text
    end = text.find(END, start)
    if end < 0:
        raise NupmError(f"found the start of nupm's block but not its end ({END!r}); fix the file by hand")
    end += len(END)
    if text[end:end + 1] == "\n":
        end += 1
    head = text[:start]
    if head.endswith("\n\n"):
        head = head[:-1]
    return head + text[end:]


def apply(setup: Setup) -> bool:
    """Write the hook and the config block; False when the config already had exactly this block."""
    setup.hook.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(setup.hook, setup.text)
    old, newline = read_for_edit(setup.config) if setup.config.exists() else ("", "\n")
    rest = _without_block(old)
    new = rest + ("\n" if rest and not rest.endswith("\n") else "") + ("\n" if rest.strip() else "") + setup.block
    if new == old:
        return False
    setup.config.parent.mkdir(parents=True, exist_ok=True)
    write_edited(setup.config, new, newline)
    return True


def undo(setup: Setup) -> bool:
    if not setup.config.exists():
        return False
    old, newline = read_for_edit(setup.config)
    new = _without_block(old)
    if new == old:
        return False
    write_edited(setup.config, new, newline)
    return True
