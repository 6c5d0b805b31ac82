"""Nushell plugins that packages provide: registered in the environment's own plugin registry file (the user's
`$nu.plugin-path` stays byte-identical), usable after activation in a real nu, refused at install when built
for another Nushell, kept by `nupm gc` while an environment's registry names them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import shells as sh
from conftest import NU, REPO, make_project, needs_nu, write_package
from test_hooks import PROMPT, TmuxSession

PLUGIN = Path(__file__).parent / "plugins" / "nu_plugin_greeting.py"


def plugin_file(directory: Path, name: str, built_for: str | None = None) -> Path:
    """A copy of the Python test plugin as `nu_plugin_NAME` (its command: `NAME-hi`), executable."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"nu_plugin_{name}"
    text = PLUGIN.read_text().replace("BUILT_FOR = None", f"BUILT_FOR = {built_for!r}")
    path.write_text(f"#!{sys.executable}\n{text}")
    path.chmod(0o755)
    return path


def plugin_package(directory: Path, name: str, version: str = "1.0.0", built_for: str | None = None) -> Path:
    """A module package shipping a plugin, whose module wraps the plugin's command."""
    write_package(directory, name, version, body=f'export def greet [] {{ $"({name}-hi)!" }}\n')
    manifest = directory / "nupm.toml"
    manifest.write_text(manifest.read_text().replace('type = "module"\n',
                                                     f'type = "module"\nplugins = ["nu_plugin_{name}"]\n'))
    plugin_file(directory, name, built_for)
    return directory


def nu_run(env, code: str) -> subprocess.CompletedProcess:
    return subprocess.run([NU, "-c", code], env=env.vars, capture_output=True, text=True, cwd=env.tmp)


def user_registry(env) -> Path:
    """The user's own plugin registry ($nu.plugin-path in the test's HOME), with a plugin of theirs in it."""
    path = Path(nu_run(env, "$nu.plugin-path").stdout.strip())
    assert str(path).startswith(str(env.tmp))
    path.parent.mkdir(parents=True, exist_ok=True)  # nu 0.101 does not make it
    mine = plugin_file(env.tmp / "user-plugins", "mine")
    added = nu_run(env, f"plugin add '{mine}'")
    assert added.returncode == 0, added.stderr
    assert path.is_file()
    return path


@pytest.fixture
def app(env):
    hello = plugin_package(env.tmp / "pkgs" / "hello", "hello")
    app = make_project(env.tmp / "app", "app", deps={"hello": {"path": str(hello)}}, type_="script",
                       extra='\n[scripts]\nhi = "hello-hi"\n')
    (app / "app.nu").write_text("def main [] { print (hello-hi) }\n")
    return app


def session(env, tmp: Path) -> TmuxSession:
    sh.require("nu")
    if not shutil.which("tmux"):
        pytest.skip("SKIPPED LOUDLY: tmux is not installed (tests/run.sh installs it)")
    ours = {k: v for k, v in env.vars.items() if k.startswith(("NUPM_", "XDG_"))}
    shell_env = {**sh.base_env(env.tmp / "user"), **ours, "TERM": "xterm", "PYTHONPATH": str(REPO),
                 "PATH": f"{os.path.dirname(NU)}:{os.environ['PATH']}"}
    hook = env.tmp / "hook.nu"
    hook.write_text(env.ok("hook", "nu").stdout)
    tmp.mkdir()
    return TmuxSession("nu", shell_env, env.tmp, hook, tmp)


def shown(s: TmuxSession, line: str) -> str:
    """The output of `line`, without the echoed line and the prompt."""
    out = s.run(line)
    return out.split(line, 1)[-1].replace(PROMPT, "")


@needs_nu
def test_a_python_plugin_is_registered_for_the_environment_and_usable_after_activation(env, app):
    user = user_registry(env)
    before = user.read_bytes()
    env.ok("install", cwd=app)
    registry = app / ".nupm" / "plugins" / "registry.msgpackz"
    assert registry.is_file()
    # Script launchers and [scripts] tasks load the environment's plugins.
    launched = subprocess.run([str(app / ".nupm" / "bin" / "app")], env=env.vars, capture_output=True, text=True)
    assert launched.stdout.strip() == "hi from hello", launched.stderr
    assert env.ok("run", "hi", cwd=app).stdout.strip() == "hi from hello"

    s = session(env, env.tmp / "nu-session")
    try:
        assert "not found" in shown(s, "hello-hi")
        # The cd hook: the plugin's command, and the module wrapping it, parsed after the plugin was loaded.
        s.run("cd app")
        assert "hi from hello" in shown(s, "hello-hi")
        assert "hi from hello!" in shown(s, "hello greet")
        assert "hi from mine" in shown(s, "mine-hi")  # the user's own plugins stay
        s.run("cd ..")
        assert "not found" in shown(s, "hello-hi")
        s.run("cd app")
        assert "hi from hello" in shown(s, "hello-hi")
        s.run("cd ..")
        # By hand, with the line `nupm activate` prints; `deactivate` takes the plugin's commands away.
        line = env.ok("activate", "--shell", "nu", cwd=app).stdout.strip()
        assert "overlay new app; source " in line and "plugins/use.nu'#; overlay use --reload " in line
        s.run(line)
        assert "hi from hello!" in shown(s, "hello greet")
        s.run("deactivate")
        assert "not found" in shown(s, "hello-hi")
        # Activated again, in another directory than the one it was deactivated in, it stays there.
        s.run("cd pkgs")
        s.run(line)
        assert s.var("PWD") == str(env.tmp / "pkgs")
        assert "hi from hello" in shown(s, "hello-hi")
    finally:
        s.close()
    env.ok("remove", "hello", cwd=app)
    assert not (app / ".nupm" / "plugins").exists()
    assert user.read_bytes() == before


@needs_nu
def test_a_plugin_built_for_another_nushell_is_refused_at_install_with_both_versions(env):
    user = user_registry(env)
    before = user.read_bytes()
    old = plugin_package(env.tmp / "pkgs" / "old", "old", built_for="0.90.0")
    app = make_project(env.tmp / "app", "app", deps={"old": {"path": str(old)}})
    proc = env.run("install", cwd=app)
    here = subprocess.run([NU, "--version"], capture_output=True, text=True).stdout.strip()
    assert proc.returncode == 1, proc.stderr
    message = proc.stderr.strip().splitlines()[-1]
    assert message.startswith("error: plugin old of old is compiled for Nushell 0.90.0"), proc.stderr
    assert f"this environment's Nushell is {here}" in message
    assert "Traceback" not in proc.stderr
    assert not (app / ".nupm").exists()
    assert user.read_bytes() == before


@needs_nu
def test_a_custom_package_builds_a_plugin_into_plugins(env):
    built = env.tmp / "pkgs" / "built"
    write_package(built, "built", "1.0.0", "custom")
    plugin_file(built / "src", "built")
    (built / "build.nu").write_text(
        "def main [package_file: path] {\n"
        "    mkdir ($env.NUPM_PREFIX | path join plugins)\n"
        "    ^cp -p src/nu_plugin_built ($env.NUPM_PREFIX | path join plugins)\n"
        "}\n")
    app = make_project(env.tmp / "app", "app", deps={"built": {"path": str(built)}},
                       extra='\n[scripts]\nhi = "built-hi"\n')
    env.ok("install", cwd=app)
    assert env.ok("run", "hi", cwd=app).stdout.strip() == "hi from built"
    assert "plugin built (built) -> " in env.ok("env", cwd=app).stdout


@needs_nu
def test_gc_keeps_the_plugins_an_environment_registry_names(env, app):
    env.ok("install", cwd=app)
    entry = next((env.home / "store").glob("hello-1.0.0-*/"))
    # hello 2.0.0 replaces 1.0.0 in the environment; by hand, its registry goes on naming 1.0.0's plugin.
    plugin_package(env.tmp / "pkgs" / "hello2", "hello", "2.0.0")
    manifest = app / "nupm.toml"
    manifest.write_text(manifest.read_text().replace("pkgs/hello", "pkgs/hello2"))
    env.ok("install", cwd=app)
    registry = app / ".nupm" / "plugins" / "registry.msgpackz"
    added = nu_run(env, f"plugin add --plugin-config '{registry}' '{entry / 'nu_plugin_hello'}'")
    assert added.returncode == 0, added.stderr
    env.ok("gc")
    assert entry.is_dir()
    # Written again by nupm, the registry names 2.0.0's alone: 1.0.0 goes.
    registry.unlink()
    env.ok("install", cwd=app)
    env.ok("gc")
    assert not entry.exists()
    assert next((env.home / "store").glob("hello-2.0.0-*/")).is_dir()


@pytest.mark.parametrize(("value", "message"), [
    ('"nu_plugin_x"', "plugins must be a list"),
    ('["../nu_plugin_x"]', "must stay inside the package"),
    ('["hello.py"]', "must be named nu_plugin_NAME"),
    ('["nu_plugin_"]', "must be named nu_plugin_NAME"),
])
def test_bad_plugin_lists_are_refused_with_their_position(env, value, message):
    app = make_project(env.tmp / "app", "app")
    manifest = app / "nupm.toml"
    manifest.write_text(manifest.read_text().replace('type = "module"\n', f'type = "module"\nplugins = {value}\n'))
    before = manifest.read_bytes()
    proc = env.run("install", cwd=app)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: nupm.toml:5:11: "), proc.stderr  # the value of `plugins`
    assert message in proc.stderr
    assert manifest.read_bytes() == before


NEWEST, OLDEST = os.environ.get("NUPM_TEST_NU_NEWEST"), os.environ.get("NUPM_TEST_NU_OLDEST")


@pytest.mark.skipif(not (NEWEST and OLDEST), reason="SKIPPED LOUDLY: NUPM_TEST_NU_NEWEST and NUPM_TEST_NU_OLDEST name "
                                                    "no two nu binaries (tests/run.sh sets them)")
def test_plugins_follow_the_nu_found_here_and_activation_says_when_another_runs(env, app):
    versions = {b: subprocess.run([b, "--version"], capture_output=True, text=True).stdout.strip()
                for b in (NEWEST, OLDEST)}

    def said(binary: str) -> str:
        proc = subprocess.run([binary, "-n", "-c", "overlay use .nupm/app.nu"], cwd=app, env=env.vars,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        return proc.stderr.strip()

    for registrar, other in ((NEWEST, OLDEST), (OLDEST, NEWEST)):
        env.vars["NUPM_NU"] = registrar
        env.ok("install", cwd=app)  # another nu found here: the plugins are registered again, with it
        assert f"plugins registered with nu {versions[registrar]}" in env.ok("env", cwd=app).stdout
        assert said(registrar) == ""
        assert said(other) == (f"nupm: app's plugins are registered for Nushell {versions[registrar]}, and a "
                               "compiled plugin loads in no other minor version (`nupm install` run with this nu "
                               f"registers them for it); this nu is {versions[other]}")
