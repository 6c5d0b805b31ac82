"""Shared fixtures: an isolated NUPM_HOME/config per test, a nupm runner, registry builders."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

# CI explores the same examples on every run (a red CI means a bug, reproducibly); a developer's runs explore
# new ones each time.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


def find_nu() -> str | None:
    return os.environ.get("NUPM_TEST_NU") or shutil.which("nu")


NU = find_nu()
_skip_without_nu = pytest.mark.skipif(NU is None, reason="SKIPPED LOUDLY: no `nu` binary (tests/run.sh installs it)")


def needs_nu(test):
    """Runs the real nu; also marked `nu` so tests/run.sh can repeat them on the oldest supported nu."""
    return pytest.mark.nu(_skip_without_nu(test))
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="SKIPPED LOUDLY: git is not installed")


@dataclass
class Env:
    tmp: Path
    home: Path
    config: Path
    vars: dict

    def run(self, *args: str, cwd: Path | None = None, check: bool | None = None,
            input: str | None = None, extra: dict | None = None) -> subprocess.CompletedProcess:
        # No terminal on stdin (even when pytest runs in one): confirmations must not wait for a human.
        stdin = None if input is not None else subprocess.DEVNULL
        variables = {**self.vars, **(extra or {})}
        proc = subprocess.run([sys.executable, "-m", "nupm", *args], cwd=cwd or self.tmp, env=variables,
                              capture_output=True, text=True, input=input, stdin=stdin)
        if check is True and proc.returncode != 0:
            raise AssertionError(f"nupm {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def ok(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return self.run(*args, cwd=cwd, check=True)

    def configure(self, **registries: Path) -> None:
        lines = ["[registries]"] + [f'{name} = {json.dumps(str(path))}' for name, path in registries.items()]
        self.config.write_text("\n".join(lines) + "\n")


def interruptible() -> None:
    """Popen's preexec_fn for a process a test stops with SIGINT: a suite started in the background by a
    non-interactive shell inherits SIGINT ignored, and so would the process, which then never stops."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


USER_DIRS = ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "NUPM_HOME",
             "NUPM_CONFIG", "NUPM_CACHE_DIR")


@pytest.fixture(autouse=True, scope="session")
def _no_real_user_dirs(tmp_path_factory):
    """Every process a test starts without the `env` fixture (a bare fish or bash to check quoting, a hook's
    syntax) inherits a HOME, XDG dirs and NUPM_HOME inside the session's temp dir: fish, for one, creates
    $XDG_DATA_HOME/fish on its first run, and that must not be the developer's."""
    base = tmp_path_factory.mktemp("user")
    saved = {name: os.environ.get(name) for name in USER_DIRS}
    for name in USER_DIRS:
        os.environ[name] = str(base / name.lower())
    (base / "home").mkdir()
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def env(tmp_path: Path) -> Env:
    home = tmp_path / "nupm-home"
    config = tmp_path / "config.toml"
    variables = {k: v for k, v in os.environ.items() if not k.startswith(("NUPM_", "XDG_"))}
    variables.update(NUPM_HOME=str(home), NUPM_CONFIG=str(config), HOME=str(tmp_path / "user"))
    # Every XDG directory inside the test's tmp dir: nothing may read or write a real user's dirs.
    for var, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
                     ("XDG_CACHE_HOME", ".cache"), ("XDG_STATE_HOME", ".local/state")):
        variables[var] = str(tmp_path / "user" / sub)
    if not os.environ.get("NUPM_TEST_INSTALLED"):  # tests/run.sh tests the pip-installed copy instead
        variables["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    if NU:
        variables["NUPM_NU"] = NU
    (tmp_path / "user").mkdir()
    # No registry unless a test configures one: the default (the official registry on the internet) is
    # for users, never for the suite.
    config.write_text("[registries]\n")
    return Env(tmp_path, home, config, variables)


# -- building packages and registries -----------------------------------------------------------------
def write_package(directory: Path, name: str, version: str, type_: str = "module",
                  deps: dict | None = None, body: str | None = None, fmt: str = "toml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    deps = deps or {}
    if fmt == "toml":
        lines = ["[package]", f'name = "{name}"', f'version = "{version}"', f'type = "{type_}"', "", "[dependencies]"]
        for dep, spec in deps.items():
            if isinstance(spec, dict):
                inner = ", ".join(f"{k} = {json.dumps(v)}" for k, v in spec.items())
                lines.append(f"{dep} = {{ {inner} }}")
            else:
                lines.append(f"{dep} = {json.dumps(spec)}")
        (directory / "nupm.toml").write_text("\n".join(lines) + "\n")
    else:
        dep_text = ", ".join(f"{d}: {json.dumps(s)}" for d, s in deps.items())
        (directory / "nupm.nuon").write_text(
            f'{{name: {name}, version: "{version}", type: {type_}, dependencies: {{{dep_text}}}}}\n')
    if type_ == "module":
        (directory / name).mkdir(exist_ok=True)
        (directory / name / "mod.nu").write_text(body or f'export def version [] {{ "{name} {version}" }}\n')
    elif type_ == "script":
        (directory / f"{name}.nu").write_text(body or f'def main [] {{ print "{name} {version}" }}\n')
    return directory


def make_registry(root: Path, packages: list[tuple]) -> Path:
    """packages: (name, version, deps) or (name, version, deps, type); Nushell nupm's format."""
    root.mkdir(parents=True, exist_ok=True)
    by_name: dict[str, list[str]] = {}
    for spec in packages:
        name, version, deps = spec[:3]
        type_ = spec[3] if len(spec) > 3 else "module"
        write_package(root / "pkgs" / f"{name}-{version}", name, version, type_, deps)
        by_name.setdefault(name, []).append(version)
    rows = []
    for name, versions in sorted(by_name.items()):
        body = ", ".join(f'[{name}, "{v}", pkgs/{name}-{v}, local, null]' for v in versions)
        (root / f"{name}.nuon").write_text(f"[[name, version, path, type, info]; {body}]\n")
        rows.append(f"[{name}, {name}.nuon]")
    (root / "registry.nuon").write_text("[[name, path]; " + ", ".join(rows) + "]\n")
    return root


def make_project(directory: Path, name: str = "app", deps: dict | None = None, type_: str = "module",
                 extra: str = "") -> Path:
    write_package(directory, name, "0.1.0", type_, deps)
    if extra:
        with open(directory / "nupm.toml", "a") as f:
            f.write(extra)
    return directory


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root with its bytes, to prove nothing changed."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
