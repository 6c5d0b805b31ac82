"""Nushell plugins an environment provides: their names, registering them in the environment's own plugin
registry file (never the user's `$nu.plugin-path`), and reading back which files a registry names.

Nushell learns a plugin's commands by running it once (`plugin add`) and keeps its signatures in a registry
file (msgpack, brotli-compressed); `plugin use --plugin-config FILE NAME` then loads them at parse time
without running the plugin. Both are done by nu itself here: the file format is Nushell's to change.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from nupm.errors import NupmError

PREFIX = "nu_plugin_"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z")
# What nu says of a plugin built against another protocol version (nu-plugin-engine's handshake check).
_INCOMPATIBLE = re.compile(r"compiled for nushell version (\S+), which is not compatible with version (\S+)")


class PluginRefused(NupmError):
    """A plugin this environment's Nushell cannot load (another Nushell's build, not a plugin at all)."""


def plugin_name(filename: str) -> str | None:
    """The name Nushell gives the plugin in `filename` (its stem without `nu_plugin_`), or None when the
    file cannot be one: `nu_plugin_hello.py` is `hello`."""
    stem = Path(filename).stem
    name = stem.removeprefix(PREFIX)
    return name if stem.startswith(PREFIX) and _NAME.match(name) else None


def register(nu: str, registry: Path, plugins: dict[str, tuple[str, str]]) -> None:
    """Add each plugin (name -> (executable, who provides it)) to `registry` with `nu`: nu runs the plugin
    once to ask its signatures and refuses one built for another Nushell. One process per plugin, in turn,
    so a failure names its plugin; they all write the one registry file."""
    import subprocess

    from nupm.activation.quoting import quote_nu

    for name, (target, owner) in plugins.items():
        code = (f"try {{ plugin add --plugin-config {quote_nu(str(registry))} {quote_nu(target)} }} "
                # The error as one line of JSON (`json` in nu 0.101, `details` later): its messages nest.
                "catch {|e| print --stderr ($e.json? | default ($e.details? | to json --raw)); exit 1 }")
        env = {**os.environ, "NO_COLOR": "1"}
        try:
            proc = subprocess.run([nu, "--no-config-file", "-c", code], capture_output=True, text=True, env=env,
                                  timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise NupmError(f"cannot run {nu} to register plugin {name}: {e}") from None
        if proc.returncode != 0:
            raise _refusal(name, target, owner, nu, proc.stderr)


def _refusal(name: str, target: str, owner: str, nu: str, stderr: str) -> PluginRefused:
    messages = _messages(stderr)
    for message in messages:
        if found := _INCOMPATIBLE.search(message):
            built, here = found.groups()
            minor = ".".join(here.split(".")[:2])
            return PluginRefused(
                f"plugin {name} of {owner} is compiled for Nushell {built}, and this environment's Nushell is "
                f"{here}, which cannot load it (a plugin loads only in the Nushell minor version it was built "
                f"for): use a build of {owner} for Nushell {minor}, or pin [tool] nu to a Nushell "
                f"{'.'.join(built.split('.')[:2])} release")
    why = messages[-1] if messages else (stderr.strip().splitlines() or ["nu failed"])[-1]
    return PluginRefused(f"plugin {name} of {owner} ({target}) cannot be registered with {nu}: {why}")


def _messages(stderr: str) -> list[str]:
    """Every `msg` of the error nu printed as JSON, outermost first; [] when it printed something else."""
    for line in reversed(stderr.strip().splitlines()):
        try:
            error = json.loads(line)
        except ValueError:
            continue
        found: list[str] = []
        stack = [error]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                if isinstance(item.get("msg"), str):
                    found.append(item["msg"])
                inner = item.get("inner")
                stack.extend(inner if isinstance(inner, list) else [])
        return found
    return []


def registered_files(nu: str, registries: list[Path]) -> set[str] | None:
    """Every plugin executable the registry files name, read by nu (`from msgpackz`); None when nu cannot
    read them."""
    import subprocess

    from nupm.activation.quoting import quote_nu

    if not registries:
        return set()
    files = " ".join(quote_nu(str(r)) for r in registries)
    code = f"[{files}] | each {{|r| open --raw $r | from msgpackz | get plugins.filename }} | flatten | to json --raw"
    try:
        proc = subprocess.run([nu, "--no-config-file", "-c", code], capture_output=True, text=True, timeout=120,
                              check=False, env={**os.environ, "NO_COLOR": "1"})
        found = json.loads(proc.stdout) if proc.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    if not isinstance(found, list) or not all(isinstance(f, str) for f in found):
        return None
    return set(found)
