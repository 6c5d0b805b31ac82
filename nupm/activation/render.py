"""Compile an environment description into its activation modules, one per shell, and fill the hooks.

Each shell's templates are real shell files in a folder beside this module (`bash/`, `zsh/`, `fish/`,
`nu/`, and `posix/` that bash and zsh share); this is the one place that fills their `__NUPM_*__`
placeholders. Which templates a shell has and the values that go into them (each passed through that
shell's quoting function) are the shell's own description, in `nupm/shells/`. Rendering is a pure function
of the description, so it is snapshot-tested.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from nupm.errors import NupmError
from nupm.manifest import valid_name


@cache
def template(path: str) -> str:
    """A template by its path below this folder, e.g. `posix/activate.sh`."""
    # Beside this module (pip installs package data as plain files); importlib.resources costs ~8 ms
    # to import, which the no-op install cannot afford.
    return (Path(__file__).parent / path).read_text(encoding="utf-8")


def fill(text: str, values: dict[str, str]) -> str:
    # One pass over exactly the known placeholders (longest first, so they may abut identifiers like
    # _nupm_deactivate___NUPM_LAYER__), and a value containing a placeholder is never substituted again.
    pattern = re.compile("|".join(re.escape(k) for k in sorted(values, key=len, reverse=True)))
    return pattern.sub(lambda m: values[m.group(0)], text)


_LAYERS = {"project": ("P", "_NUPM_PROJECT_ROOT"), "global": ("G", "_NUPM_GLOBAL_ROOT")}


def layer_values(d) -> dict[str, str]:
    """The placeholders every shell's template has for the layer (project or global) it activates."""
    tag, root_var = _LAYERS[d.kind]
    return {"__NUPM_LAYER__": d.kind, "__NUPM_TAG__": tag, "__NUPM_ROOT_VAR__": root_var}


def sh_values(d, q) -> dict[str, str]:
    """bash, zsh and fish templates share their placeholders; only the quoting `q` differs."""
    tag = _LAYERS[d.kind][0]
    return {
        **layer_values(d),
        "__NUPM_NAME__": q(d.name),
        "__NUPM_ROOT__": q(d.root),
        "__NUPM_PATH_ADD__": "\n".join(f"_nupm_path_add {q(p)}" for p in reversed(d.path)),
        "__NUPM_PATH_REMOVE__": "\n".join(f"    _nupm_path_remove {q(p)}" for p in d.path),
        "__NUPM_SET__": "\n".join(f"_nupm_set {tag} {k} {q(v)}" for k, v in d.variables.items()),
        "__NUPM_RESTORE__": "\n".join(f"    _nupm_restore {tag} {k}" for k in d.variables),
    }


def render_all(description) -> dict[str, str]:
    """File name in .nupm/ -> content, for every shell. Takes a `Description` or env.json's document."""
    from nupm import shells
    from nupm.environment import Description

    d = description if isinstance(description, Description) else Description.from_json(description)
    # Environment names reach prompts (PS1 expands $(...)) and nu's parse-time `overlay hide NAME`, so only
    # the package-name alphabet may be used bare.
    if not valid_name(d.name):
        raise NupmError(f"environment name {d.name!r} must use lowercase letters, digits, - and _")
    return {name: text for shell in shells.every() for name, text in shell.activation_files(d).items()}


def hook(shell, trust_dir: Path, commands: list[tuple[str, str]]) -> str:
    """A shell's cd hook, with where trust records live and completions for nupm's `commands` (name, help)."""
    completion = shell.completion(commands).removesuffix("\n")
    return fill(template(shell.hook_template),
                {"__NUPM_TRUST_DIR__": shell.quote(str(trust_dir)), "__NUPM_COMPLETION__": completion})
