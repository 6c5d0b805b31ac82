"""How a command starts inside an environment (`nupm run`, `nupm shell`, `nupm test`): its process
environment, and the argv of a manifest [scripts] task. Cheap to import: the no-op fast path uses it."""

from __future__ import annotations

import os


def environ(base: dict[str, str], path: list[str], variables: dict[str, str], name: str,
            root: str) -> dict[str, str]:
    """`base` with the environment active: its PATH entries first (each once), its variables set,
    NUPM_ENV and NUPM_ENV_ROOT naming it."""
    env = dict(base)
    rest = [p for p in env.get("PATH", "").split(os.pathsep) if p and p not in path]
    env["PATH"] = os.pathsep.join([*path, *rest])
    env.update(variables)
    env["NUPM_ENV"] = name
    env["NUPM_ENV_ROOT"] = root
    return env


def task_argv(code: str, args: list[str], lib_dirs: list[str], path: list[str]) -> list[str]:
    """A [scripts] task is Nushell code, run with the environment's modules importable and the extra
    arguments appended as quoted words; by the environment's own nu ([tool] nu puts it first on its
    `path`), else by NUPM_NU or the nu on PATH."""
    from nupm.activation.quoting import quote_nu
    from nupm.nushell import binary

    own = os.path.join(path[0], "nu") if path else ""
    nu = own if own and os.path.isfile(own) else binary()
    words = " ".join(quote_nu(a) for a in args)
    lib = " ".join(quote_nu(d) for d in lib_dirs)
    plugins = plugin_lines(os.path.dirname(path[0])) if path else ""
    return [nu, "--no-config-file", "-c", f"const NU_LIB_DIRS = [{lib}]\n{plugins}{code} {words}"]


def plugin_lines(env_dir: str) -> str:
    """Nushell code that loads the plugins of the environment in `env_dir` (its generated `plugin use`
    file), or nothing when it has none."""
    from nupm.activation.quoting import quote_nu
    from nupm.paths import PLUGIN_USE

    use = os.path.join(env_dir, PLUGIN_USE)
    return f"source {quote_nu(use)}\n" if os.path.isfile(use) else ""
