"""Compile an environment description into its activation modules, one per shell.

Each shell's template is a real shell file beside this module; this is the one place that fills
their `__NUPM_*__` placeholders, with every value passed through that shell's quoting function.
Rendering is a pure function of the description, so it is snapshot-tested.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from nupm.activation.quoting import quote_fish, quote_nu, quote_posix
from nupm.errors import NupmError
from nupm.manifest import valid_name


@cache
def _template(path: str) -> str:
    # Beside this module (pip installs package data as plain files); importlib.resources costs ~8 ms
    # to import, which the no-op install cannot afford.
    return (Path(__file__).parent / path).read_text(encoding="utf-8")


def _fill(template: str, values: dict[str, str]) -> str:
    # One pass over exactly the known placeholders (longest first, so they may abut identifiers like
    # _nupm_deactivate___NUPM_LAYER__), and a value containing a placeholder is never substituted again.
    pattern = re.compile("|".join(re.escape(k) for k in sorted(values, key=len, reverse=True)))
    return pattern.sub(lambda m: values[m.group(0)], template)


_LAYERS = {"project": ("P", "_NUPM_PROJECT_ROOT"), "global": ("G", "_NUPM_GLOBAL_ROOT")}


def _layer_values(d: dict) -> dict[str, str]:
    tag, root_var = _LAYERS[d["kind"]]
    return {"__NUPM_LAYER__": d["kind"], "__NUPM_TAG__": tag, "__NUPM_ROOT_VAR__": root_var}


def _sh_values(d: dict, q) -> dict[str, str]:
    """bash, zsh and fish templates share their placeholders; only the quoting differs."""
    tag = _LAYERS[d["kind"]][0]
    return {
        **_layer_values(d),
        "__NUPM_NAME__": q(d["name"]),
        "__NUPM_ROOT__": q(d["root"]),
        "__NUPM_PATH_ADD__": "\n".join(f"_nupm_path_add {q(p)}" for p in reversed(d["path"])),
        "__NUPM_PATH_REMOVE__": "\n".join(f"    _nupm_path_remove {q(p)}" for p in d["path"]),
        "__NUPM_SET__": "\n".join(f"_nupm_set {tag} {k} {q(v)}" for k, v in d["variables"].items()),
        "__NUPM_RESTORE__": "\n".join(f"    _nupm_restore {tag} {k}" for k in d["variables"]),
    }


def _posix_values(d: dict, shell: str) -> dict[str, str]:
    return {**_sh_values(d, quote_posix), "__NUPM_SHELL__": shell, "__NUPM_NAME_TEXT__": d["name"]}


def _nu_values(d: dict) -> dict[str, str]:
    q = quote_nu
    variables = ", ".join(f"{k}: {q(v)}" for k, v in d["variables"].items())
    return {
        **_layer_values(d),
        "__NUPM_NAME__": q(d["name"]),
        "__NUPM_NAME_TEXT__": d["name"],
        "__NUPM_ROOT__": q(d["root"]),
        "__NUPM_PATH__": " ".join(q(p) for p in d["path"]),
        "__NUPM_VARIABLES__": "{" + variables + "}",
        # What a later environment strips when it replaces this one; JSON built here, not at activation.
        "__NUPM_UNDO__": q(json.dumps({"kind": d["kind"], "path": d["path"], "vars": list(d["variables"])},
                                     ensure_ascii=False)),
        "__NUPM_LIB_DIRS__": " ".join(q(p) for p in d["lib_dirs"]),
        "__NUPM_MODULES__": "\n".join(f"export use {q(path)}" for path in d["modules"].values()),
    }


HOOK_OVERLAY = "nupm-project"
HOOK_MODULE = ".hook.nu"  # a dot: no package name can collide with it


def module_file(description: dict) -> str:
    """The Nushell module's file: `<name>.nu` in a project (the stem names the overlay); `mod.nu` in a
    global environment, whose directory is its name, so `overlay use NAME` finds it in the lib dirs."""
    return "mod.nu" if description["kind"] == "global" else f"{description['name']}.nu"


def render_all(description: dict) -> dict[str, str]:
    """File name in .nupm/ -> content, for every shell."""
    name = description["name"]
    # Environment names reach prompts (PS1 expands $(...)) and nu's parse-time `overlay hide NAME`, so only
    # the package-name alphabet may be used bare.
    if not valid_name(name):
        raise NupmError(f"environment name {name!r} must use lowercase letters, digits, - and _")
    files = {
        "activate.bash": _fill(_template("posix/activate.sh"), _posix_values(description, "bash")),
        "activate.zsh": _fill(_template("posix/activate.sh"), _posix_values(description, "zsh")),
        "activate.fish": _fill(_template("fish/activate.fish"), _sh_values(description, quote_fish)),
        module_file(description): _fill(_template("nu/activate.nu"), _nu_values(description)),
    }
    if description["kind"] == "project":
        # The same module under the fixed overlay name the Nushell hook uses (`overlay hide nupm-project`).
        values = {**_nu_values(description), "__NUPM_NAME_TEXT__": HOOK_OVERLAY}
        files[HOOK_MODULE] = _fill(_template("nu/activate.nu"), values)
    return files
