"""bash: `activate.bash` from the POSIX template, the hook sourced from ~/.bashrc."""

from __future__ import annotations

import os
from pathlib import Path

from nupm.activation import render
from nupm.activation.quoting import quote_posix
from nupm.shells import Shell


def posix_activation(description, shell: str) -> str:
    """bash and zsh share one activation template; it names the shell in its first line."""
    values = {**render.sh_values(description, quote_posix), "__NUPM_SHELL__": shell,
              "__NUPM_NAME_TEXT__": description.name}
    return render.fill(render.template("posix/activate.sh"), values)


class Bash(Shell):
    name = "bash"
    order = 1
    quote = staticmethod(quote_posix)
    hook_template = "bash/hook.bash"
    completion_template = "bash/completion.bash"

    def activation_files(self, description) -> dict[str, str]:
        return {"activate.bash": posix_activation(description, "bash")}

    def rc_file(self) -> Path:
        return Path(os.path.expanduser("~")) / ".bashrc"

    def subshell(self, target: Path, tmp: Path, nu: str | None = None) -> tuple[list[str], dict[str, str]]:
        # --rcfile replaces ~/.bashrc, so the replacement reads it first.
        rc = tmp / "bashrc"
        rc.write_text(f'if [ -f ~/.bashrc ]; then . ~/.bashrc; fi\nsource {quote_posix(str(target))}\n')
        return [self.binary(), "--rcfile", str(rc), "-i"], {}

    def completion(self, commands: list[tuple[str, str]]) -> str:
        names = " ".join(name for name, _ in commands)
        return render.fill(render.template(self.completion_template), {"__NUPM_COMMANDS__": quote_posix(names)})


SHELL = Bash()
