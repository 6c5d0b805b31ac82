"""Nushell: an overlay module per environment, the hook sourced from config.nu."""

from __future__ import annotations

import json
from pathlib import Path

from nupm.activation import render
from nupm.activation.quoting import quote_nu
from nupm.errors import NupmError
from nupm.shells import Shell

HOOK_OVERLAY = "nupm-project"
HOOK_MODULE = ".hook.nu"  # a dot: no package name can collide with it


def module_file(description) -> str:
    """The Nushell module's file: `<name>.nu` in a project (the stem names the overlay); `mod.nu` in a
    global environment, whose directory is its name, so `overlay use NAME` finds it in the lib dirs."""
    return "mod.nu" if description.kind == "global" else f"{description.name}.nu"


def _values(d) -> dict[str, str]:
    q = quote_nu
    variables = ", ".join(f"{k}: {q(v)}" for k, v in d.variables.items())
    return {
        **render.layer_values(d),
        "__NUPM_NAME__": q(d.name),
        "__NUPM_NAME_TEXT__": d.name,
        "__NUPM_ROOT__": q(d.root),
        "__NUPM_PATH__": " ".join(q(p) for p in d.path),
        "__NUPM_VARIABLES__": "{" + variables + "}",
        # What a later environment strips when it replaces this one; JSON built here, not at activation.
        "__NUPM_UNDO__": q(json.dumps({"kind": d.kind, "path": list(d.path), "vars": list(d.variables)},
                                     ensure_ascii=False)),
        "__NUPM_LIB_DIRS__": " ".join(q(p) for p in d.lib_dirs),
        "__NUPM_MODULES__": "\n".join(f"export use {q(path)}" for path in d.modules.values()),
        "__NUPM_NU_CHECK__": _nu_check(d),
    }


def _nu_check(d) -> str:
    """Lines that say, at activation, when the nu running is not one the environment works on (its pinned
    Nushell, or its nu-version); nothing for an environment without either."""
    from nupm.versions import Range

    bounds = Range(d.nu_range).bounds() if d.nu_range else None
    if bounds is None:
        return ""
    low, high = (None if b is None else b[0] * 1_000_000 + b[1] * 1_000 + b[2] for b in bounds)
    outside = f"$key < {low}" + (f" or $key >= {high}" if high is not None else "")
    what = f"runs Nushell {d.nu_range[1:]} (`nupm shell` starts it)" if d.nu else f"needs Nushell {d.nu_range}"
    return ("\n    # Said at activation: the nu running this is not one the environment works on.\n"
            "    let here = ((version).version | str replace --regex '[-+].*' '' | split row '.' | into int)\n"
            "    let key = ($here.0 * 1000000 + $here.1 * 1000 + $here.2)\n"
            f"    if {outside} {{ print --stderr ({quote_nu(f'nupm: {d.name} {what}; this nu is ')} + "
            "(version).version) }")


class Nu(Shell):
    name = "nu"
    aliases = ("nushell",)
    order = 0
    quote = staticmethod(quote_nu)
    hook_template = "nu/hook.nu"
    completion_template = "nu/completion.nu"

    def activation_files(self, description) -> dict[str, str]:
        template = render.template("nu/activate.nu")
        files = {module_file(description): render.fill(template, _values(description))}
        if description.kind == "project":
            # The same module under the fixed overlay name the Nushell hook uses (`overlay hide nupm-project`).
            files[HOOK_MODULE] = render.fill(template, {**_values(description), "__NUPM_NAME_TEXT__": HOOK_OVERLAY})
        return files

    def hook_sources(self) -> tuple[str, ...]:
        return (HOOK_MODULE,)

    def activation_target(self, env_dir: Path, description) -> Path:
        # A global environment is a directory module: `overlay use DIR` names the overlay after it.
        return env_dir if description.kind == "global" else env_dir / module_file(description)

    def source_line(self, target: Path) -> str:
        # --reload: re-activating an overlay that was hidden would otherwise restore the env it had then,
        # PWD included, and move the user back to that directory.
        return f"overlay use --reload {quote_nu(str(target))}"

    def rc_file(self) -> Path:
        import subprocess

        try:
            out = subprocess.run([self.binary(), "-n", "-c", "$nu.config-path"], capture_output=True, text=True,
                                 check=True)
        except (OSError, subprocess.CalledProcessError):
            raise NupmError("cannot ask nu where its config.nu is: is nu installed?") from None
        return Path(out.stdout.strip())

    def rc_lines(self, hook: Path, overlays: Path) -> str:
        # `overlay use NAME` of a global environment finds it through the parse-time NU_LIB_DIRS.
        return f"const NU_LIB_DIRS = [...$NU_LIB_DIRS {quote_nu(str(overlays))}]\nsource {quote_nu(str(hook))}"

    def subshell(self, target: Path, tmp: Path, nu: str | None = None) -> tuple[list[str], dict[str, str]]:
        return [nu or self.binary(), "--execute", f"overlay use {quote_nu(str(target))}"], {}

    def completion(self, commands: list[tuple[str, str]]) -> str:
        rows = ", ".join(f"{{value: {quote_nu(n)}, description: {quote_nu(h)}}}" for n, h in commands)
        return render.fill(render.template(self.completion_template), {"__NUPM_COMMANDS__": rows})

    def binary(self) -> str:
        from nupm.nushell import binary

        return binary()


SHELL = Nu()
