"""Shell hooks (automatic activation on cd) and `nupm setup`, which wires one into a shell's config.

The hook scripts are real files in the top-level shell-hooks/ folder (installed as nupm/shell_hooks);
rendering only adds completions for nupm's commands, generated from the argument parser. `nupm setup`
saves the rendered hook under NUPM_HOME/hooks/ and adds one marked block to the shell's config file
that sources it, so starting a shell never runs nupm.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from nupm.activation.quoting import quote_fish, quote_nu, quote_posix
from nupm.errors import NupmError
from nupm.fsutil import atomic_write, read_for_edit, write_edited
from nupm.paths import Home, bundled_dir

BEGIN = "# >>> nupm >>> (managed by `nupm setup`; `nupm setup --undo` removes this block)"
END = "# <<< nupm <<<"


def hooks_dir() -> Path:
    return bundled_dir("shell_hooks", "shell-hooks", "nupm.bash")


def _commands(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    for action in parser._actions:  # argparse keeps subcommands here; there is no public accessor
        if isinstance(action, argparse._SubParsersAction):
            return [(c.dest, c.help or "") for c in action._choices_actions]
    return []


def _completion(shell: str) -> str:
    from nupm.cli import build_parser

    commands = _commands(build_parser())
    names = " ".join(name for name, _ in commands)
    if shell == "bash":
        return (f"_nupm_complete() {{\n"
                f"    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
                f"        COMPREPLY=($(compgen -W {quote_posix(names)} -- \"${{COMP_WORDS[1]}}\"))\n"
                f"    fi\n}}\ncomplete -o default -F _nupm_complete nupm")
    if shell == "zsh":
        items = " ".join(quote_posix(f"{n}:{h.replace(':', ' ')}") for n, h in commands)
        return (f"_nupm() {{\n    local -a commands\n    commands=({items})\n"
                f"    if (( CURRENT == 2 )); then _describe command commands; else _files; fi\n}}\n"
                f"if (( $+functions[compdef] )); then compdef _nupm nupm; fi")
    if shell == "fish":
        return "\n".join(f"    complete -c nupm -f -n __fish_use_subcommand -a {quote_fish(n)} -d {quote_fish(h)}"
                         for n, h in commands)
    rows = ", ".join(f"{{value: {quote_nu(n)}, description: {quote_nu(h)}}}" for n, h in commands)
    return (f'def "nu-complete nupm" [] {{ [{rows}] }}\n'
            f'extern "nupm" [command?: string@"nu-complete nupm", ...args: string]')


def render(shell: str, home: Home | None = None) -> str:
    text = (hooks_dir() / f"nupm.{shell}").read_text(encoding="utf-8")
    trusted = str((home or Home.current()).trusted)
    quote = {"bash": quote_posix, "zsh": quote_posix, "fish": quote_fish, "nu": quote_nu}[shell]
    text = text.replace("__NUPM_TRUST_DIR__", quote(trusted))
    return text.replace(f"__NUPM_COMPLETION_{shell.upper()}__", _completion(shell))


# -- setup ----------------------------------------------------------------------------------------
@dataclass
class Setup:
    shell: str
    config: Path  # the file the block goes into
    hook: Path  # the rendered hook it sources
    block: str


def _nu_config_path() -> Path:
    from nupm.nushell import binary

    nu = binary()
    try:
        out = subprocess.run([nu, "-n", "-c", "$nu.config-path"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        raise NupmError("cannot ask nu where its config.nu is: is nu installed?") from None
    return Path(out.stdout.strip())


def plan(shell: str, home: Home) -> Setup:
    hook = home.hooks / f"nupm.{shell}"
    user = Path(os.path.expanduser("~"))
    if shell == "bash":
        config, body = user / ".bashrc", f"source {quote_posix(str(hook))}"
    elif shell == "zsh":
        config = Path(os.environ.get("ZDOTDIR", user)) / ".zshrc"
        body = f"source {quote_posix(str(hook))}"
    elif shell == "fish":
        base = Path(os.environ.get("XDG_CONFIG_HOME", user / ".config"))
        config, body = base / "fish" / "conf.d" / "nupm.fish", f"source {quote_fish(str(hook))}"
    else:
        config = _nu_config_path()
        body = (f"const NU_LIB_DIRS = [...$NU_LIB_DIRS {quote_nu(str(home.overlays))}]\n"
                f"source {quote_nu(str(hook))}")
    return Setup(shell, config, hook, f"{BEGIN}\n{body}\n{END}\n")


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
    atomic_write(setup.hook, render(setup.shell))
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
