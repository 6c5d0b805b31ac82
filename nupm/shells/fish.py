"""fish: `activate.fish`, the hook sourced from a conf.d file."""

from __future__ import annotations

import os
from pathlib import Path

from nupm.activation import render
from nupm.activation.quoting import quote_fish
from nupm.shells import Shell


class Fish(Shell):
    name = "fish"
    order = 3
    quote = staticmethod(quote_fish)
    hook_template = "fish/hook.fish"
    completion_template = "fish/completion.fish"

    def activation_files(self, description) -> dict[str, str]:
        return {"activate.fish": render.fill(render.template("fish/activate.fish"),
                                             render.sh_values(description, quote_fish))}

    def rc_file(self) -> Path:
        # conf.d: fish reads every file there at startup, so nupm owns a whole file instead of editing one.
        base = Path(os.environ.get("XDG_CONFIG_HOME", Path(os.path.expanduser("~")) / ".config"))
        return base / "fish" / "conf.d" / "nupm.fish"

    def subshell(self, target: Path, tmp: Path, nu: str | None = None) -> tuple[list[str], dict[str, str]]:
        return [self.binary(), "--init-command", f"source {quote_fish(str(target))}"], {}

    def completion(self, commands: list[tuple[str, str]]) -> str:
        # The template is one `complete` line, repeated per command.
        line = render.template(self.completion_template).removesuffix("\n")
        return "\n".join(render.fill(line, {"__NUPM_COMMAND__": quote_fish(n), "__NUPM_HELP__": quote_fish(h)})
                         for n, h in commands)


SHELL = Fish()
