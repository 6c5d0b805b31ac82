"""zsh: `activate.zsh` from the POSIX template, the hook sourced from $ZDOTDIR/.zshrc."""

from __future__ import annotations

import os
from pathlib import Path

from nupm.activation import render
from nupm.activation.quoting import quote_posix
from nupm.shells import Shell
from nupm.shells.bash import posix_activation


def _zdotdir() -> str:
    return os.environ.get("ZDOTDIR", os.path.expanduser("~"))


class Zsh(Shell):
    name = "zsh"
    order = 2
    quote = staticmethod(quote_posix)
    hook_template = "zsh/hook.zsh"
    completion_template = "zsh/completion.zsh"

    def activation_files(self, description) -> dict[str, str]:
        return {"activate.zsh": posix_activation(description, "zsh")}

    def rc_file(self) -> Path:
        return Path(_zdotdir()) / ".zshrc"

    def subshell(self, target: Path, tmp: Path, nu: str | None = None) -> tuple[list[str], dict[str, str]]:
        # zsh has no --rcfile: a ZDOTDIR of our own whose startup files read the user's, then activate.
        user_dir = _zdotdir()
        for name in (".zshenv", ".zprofile", ".zlogin"):
            (tmp / name).write_text(f'[ -f {quote_posix(user_dir)}/{name} ] && source {quote_posix(user_dir)}/{name}\n')
        (tmp / ".zshrc").write_text(f"ZDOTDIR={quote_posix(user_dir)}\n"
                                    f"[ -f \"$ZDOTDIR/.zshrc\" ] && source \"$ZDOTDIR/.zshrc\"\n"
                                    f"source {quote_posix(str(target))}\n")
        return [self.binary(), "-i"], {"ZDOTDIR": str(tmp)}

    def completion(self, commands: list[tuple[str, str]]) -> str:
        items = " ".join(quote_posix(f"{n}:{h.replace(':', ' ')}") for n, h in commands)
        return render.fill(render.template(self.completion_template), {"__NUPM_COMMANDS__": items})


SHELL = Zsh()
