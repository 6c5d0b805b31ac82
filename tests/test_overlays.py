"""Global environments: overlay commands, installing into them, generations, layering in real shells."""

from __future__ import annotations

import json
import os
import sys

import pexpect
import pytest
import shells as sh
from conftest import NU, make_project, make_registry

PACKAGES = [("utils", "1.0.0", {}), ("utils", "2.0.0", {}), ("tool", "1.0.0", {}, "script"),
            ("colors", "1.0.0", {"utils": "^1"})]


@pytest.fixture
def genv(env):
    env.configure(main=make_registry(env.tmp / "reg", PACKAGES))
    env.ok("overlay", "new", "work")
    return env


def overlay_dir(env, name="work"):
    return env.home / "overlays" / name


def lock_text(env, name="work"):
    return (overlay_dir(env, name) / "nupm.lock").read_text()


def test_new_list_and_bad_names(genv):
    d = overlay_dir(genv)
    expected = {"nupm.toml", "nupm.lock", "env.json", "mod.nu", "activate.bash", "bin", "lib"}
    assert expected <= {p.name for p in d.iterdir()}
    assert json.loads((d / "env.json").read_text())["kind"] == "global"
    rows = json.loads(genv.ok("overlay", "list", "--json").stdout)
    assert rows == [{"name": "work", "packages": 0, "active": False, "path": str(d)}]
    assert genv.run("overlay", "new", "work").returncode == 1
    assert genv.run("overlay", "new", "Bad Name").returncode == 2


def test_install_needs_yes_without_a_terminal(genv):
    before = lock_text(genv)
    result = genv.run("install", "tool", "--overlay", "work")
    assert result.returncode == 2 and "pass -y" in result.stderr
    assert lock_text(genv) == before
    genv.ok("install", "tool", "colors", "--overlay", "work", "-y")
    rows = json.loads(genv.ok("overlay", "list", "work", "--json").stdout)
    assert {(r["name"], r["version"], r["direct"]) for r in rows} == {
        ("tool", "1.0.0", True), ("colors", "1.0.0", True), ("utils", "1.0.0", False)}
    assert 'tool = "^1.0.0"' in (overlay_dir(genv) / "nupm.toml").read_text()
    assert "already installed" in genv.ok("install", "tool", "--overlay", "work", "-y").stderr


def test_install_goes_to_the_active_environment(genv):
    result = genv.run("install", "tool", "-y")
    assert result.returncode == 2 and "no global environment is active" in result.stderr
    genv.vars["NUPM_GLOBAL_ENV"] = "work"
    genv.ok("install", "tool", "-y")
    assert "tool" in lock_text(genv)
    genv.ok("uninstall", "tool", "-y")
    assert "tool" not in lock_text(genv)
    assert genv.run("uninstall", "tool", "-y").returncode == 1


def test_update_and_history(genv):
    genv.ok("install", "utils@^1", "--overlay", "work", "-y")
    make_registry(genv.tmp / "reg", [*PACKAGES, ("utils", "1.5.0", {})])
    genv.ok("update", "--overlay", "work", "-y")
    assert '"1.5.0"' in lock_text(genv)
    history = json.loads(genv.ok("overlay", "history", "work", "--json").stdout)
    assert [h["change"] for h in history] == ["created", "+utils 1.0.0", "utils 1.0.0 -> 1.5.0"]
    assert [h["current"] for h in history] == [False, False, True]


def test_rollback_twice_returns_where_you_were(genv):
    genv.ok("install", "tool", "--overlay", "work", "-y")
    with_tool = lock_text(genv)
    genv.ok("install", "colors", "--overlay", "work", "-y")
    both = lock_text(genv)
    genv.ok("overlay", "rollback", "work", "-y")
    assert lock_text(genv) == with_tool
    assert "colors" not in json.loads((overlay_dir(genv) / "env.json").read_text())["modules"]
    genv.ok("overlay", "rollback", "work", "-y")
    assert lock_text(genv) == both
    genv.ok("overlay", "rollback", "work", "--to", "1", "-y")
    assert "[[package]]" not in lock_text(genv)
    assert genv.run("overlay", "rollback", "work", "--to", "99", "-y").returncode == 1


def test_export_import_round_trip_is_identical(genv, tmp_path):
    genv.ok("install", "tool", "colors", "--overlay", "work", "-y")
    out = tmp_path / "work.toml"
    genv.ok("overlay", "export", "work", "-o", str(out))
    genv.vars["NUPM_HOME"] = str(tmp_path / "other-home")
    genv.config.unlink()  # the import needs no registry: the lock says where everything is
    genv.ok("overlay", "import", str(out))
    genv.ok("overlay", "import", str(out), "--name", "copy")
    other = tmp_path / "other-home" / "overlays"
    assert (other / "work" / "nupm.lock").read_text() == (other / "copy" / "nupm.lock").read_text()
    genv.vars["NUPM_HOME"] = str(genv.home)
    assert (other / "work" / "nupm.lock").read_text() == lock_text(genv)
    assert 'name = "copy"' in (other / "copy" / "nupm.toml").read_text()
    genv.vars["NUPM_HOME"] = str(tmp_path / "other-home")
    assert genv.run("overlay", "import", str(out)).returncode == 1


def test_remove_refuses_the_active_one(genv):
    genv.vars["NUPM_GLOBAL_ENV"] = "work"
    result = genv.run("overlay", "remove", "work", "-y")
    assert result.returncode == 1 and "active" in result.stderr
    genv.ok("overlay", "remove", "work", "-y", "--force")
    assert not overlay_dir(genv).exists() and not (genv.home / "generations" / "work").exists()


def test_generations_are_gc_roots(genv):
    genv.ok("install", "utils@^2", "--overlay", "work", "-y")
    genv.ok("uninstall", "utils", "--overlay", "work", "-y")
    genv.ok("gc")
    assert any(p.name.startswith("utils-2.0.0-") for p in (genv.home / "store").iterdir())
    genv.config.unlink()
    genv.ok("overlay", "rollback", "work", "-y")  # offline: the store still has it
    assert "utils" in json.loads((overlay_dir(genv) / "env.json").read_text())["modules"]
    genv.ok("overlay", "remove", "work", "-y")
    genv.ok("gc")
    assert not any(p.name.startswith("utils-") for p in (genv.home / "store").iterdir())


def test_isolation_between_environments(genv):
    genv.ok("overlay", "new", "old")
    genv.ok("install", "utils@^1", "--overlay", "old", "-y")
    genv.ok("install", "utils@^2", "--overlay", "work", "-y")
    targets = {name: os.readlink(overlay_dir(genv, name) / "lib" / "utils") for name in ("old", "work")}
    assert "utils-1.0.0-" in targets["old"] and "utils-2.0.0-" in targets["work"]
    if NU:
        for name, version in (("old", "utils 1.0.0"), ("work", "utils 2.0.0")):
            code = f"const NU_LIB_DIRS = [{json.dumps(str(genv.home / 'overlays'))}]; overlay use {name}; " \
                   "print (utils version)"
            out = sh.run("nu", [code], {**os.environ}, genv.tmp)
            assert out.stdout.decode().strip() == version, out.stderr


def test_reinstall_refetches_a_damaged_entry(genv):
    genv.ok("install", "tool", "--overlay", "work", "-y")
    entry = next(p for p in (genv.home / "store").iterdir() if p.is_dir() and p.name.startswith("tool-"))
    os.chmod(entry, 0o755)
    os.chmod(entry / "tool.nu", 0o644)
    (entry / "tool.nu").write_text("broken")
    assert genv.run("store", "verify").returncode == 1
    genv.ok("install", "tool", "-r", "--overlay", "work", "-y")
    assert genv.run("store", "verify").returncode == 0


def answer_prompt(genv, answer: str) -> int:
    child = pexpect.spawn(sys.executable, ["-m", "nupm", "install", "tool", "--overlay", "work"], env=genv.vars,
                          cwd=str(genv.tmp), encoding="utf-8", timeout=30)
    child.expect(r"\[y/N\]")
    child.sendline(answer)
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


def test_confirmation_on_a_terminal(genv):
    assert answer_prompt(genv, "n") == 1 and "tool" not in lock_text(genv)
    assert answer_prompt(genv, "y") == 0 and "tool" in lock_text(genv)


# -- layering in the real shells ------------------------------------------------------------------
def activate_global(shell: str, env, name: str = "work") -> list[str]:
    if shell == "nu":
        return [f"const NU_LIB_DIRS = [{sh.quote('nu', str(env.home / 'overlays'))}]", f"overlay use {name}"]
    return [f"source {sh.quote(shell, str(overlay_dir(env, name) / f'activate.{shell}'))}"]


def undo(shell: str, name: str) -> str:
    return f"overlay hide {name}" if shell == "nu" else "deactivate"


@pytest.mark.parametrize("shell", sh.shell_params())
def test_project_layers_over_global_and_returns_to_it(shell, genv):
    sh.require(shell)
    genv.ok("install", "tool", "--overlay", "work", "-y")
    project = make_project(genv.tmp / "app", "app", deps={"colors": "*"}, extra='\n[env]\nAPP_VAR = "1"\n')
    genv.ok("install", cwd=project)
    shell_env = sh.base_env(genv.tmp / "user")
    if NU:
        shell_env["PATH"] = f"{os.path.dirname(NU)}:{shell_env['PATH']}"
        shell_env["NUPM_NU"] = NU
    lines = [sh.dump_env(shell, "base"), *activate_global(shell, genv), sh.dump_env(shell, "global"),
             sh.activate(shell, project / ".nupm", "app"), sh.dump_env(shell, "both"), "tool",
             undo(shell, "app"), sh.dump_env(shell, "back"), undo(shell, "work"), sh.dump_env(shell, "end")]
    out = sh.run(shell, lines, shell_env, genv.tmp / "user")
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    base, glob, both, back, end = (sh.section(out.stdout, t) for t in ("base", "global", "both", "back", "end"))
    project_bin, global_bin = str(project / ".nupm" / "bin"), str(overlay_dir(genv) / "bin")
    assert both["PATH"] == f"{project_bin}:{global_bin}:{base['PATH']}"
    assert both["NUPM_ENV"] == "app" and both["NUPM_GLOBAL_ENV"] == "work" and both["APP_VAR"] == "1"
    assert b"tool 1.0.0" in out.stdout  # the global env's command still works inside the project
    assert back == glob and glob["NUPM_ENV"] == "work"
    assert end == base


@pytest.mark.parametrize("shell", sh.shell_params())
def test_activate_env_prints_a_working_line(shell, genv):
    sh.require(shell)
    line = genv.ok("activate", "--env", "work", "--shell", shell).stdout.strip()
    lines = [line, sh.echo_var(shell, "NUPM_ENV"), sh.echo_var(shell, "NUPM_GLOBAL_ENV"), undo(shell, "work"),
             sh.echo_var(shell, "NUPM_ENV")]
    out = sh.run(shell, lines, sh.base_env(genv.tmp / "user"), genv.tmp)
    assert out.stdout.decode().split("\n")[:3] == ["[work]", "[work]", "<unset>"], out.stderr


def test_update_flag_and_update_outside_a_project(genv):
    genv.ok("install", "utils@^1", "--overlay", "work", "-y")
    make_registry(genv.tmp / "reg", [*PACKAGES, ("utils", "1.5.0", {})])
    genv.ok("install", "utils", "--overlay", "work", "-y")
    assert '"1.0.0"' in lock_text(genv)  # already installed: left alone
    genv.ok("install", "utils", "-u", "--overlay", "work", "-y")
    assert '"1.5.0"' in lock_text(genv)
    make_registry(genv.tmp / "reg", [*PACKAGES, ("utils", "1.5.0", {}), ("utils", "1.6.0", {})])
    genv.vars["NUPM_GLOBAL_ENV"] = "work"
    genv.ok("update", "-y", cwd=genv.tmp)  # no project here: the active global environment
    assert '"1.6.0"' in lock_text(genv)
