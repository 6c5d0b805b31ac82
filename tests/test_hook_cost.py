"""What the hooks still notice at the next prompt now that a prompt where nothing changed skips the walk up
from PWD (fish, nu) and the mtimes (nu): real interactive shells through a pty, as in test_hooks.py."""

from __future__ import annotations

import time

import pytest
import shells as sh
from conftest import make_project
from test_hooks import session, world  # noqa: F401  (world is the fixture the sessions need)

WARNING = "is out of date, run nupm install"


def _touch_later(path, text: str) -> None:
    time.sleep(0.05)  # a later mtime than the stamp's, whatever the file system's tick
    path.write_text(path.read_text() + text)


@pytest.mark.parametrize("shell", sh.shell_params())
def test_a_changed_lock_alone_is_out_of_date_at_the_next_prompt(shell, world):  # noqa: F811
    s = session(world, shell)
    s.run("cd a")
    assert s.var("NUPM_ENV") == "a"
    _touch_later(world["a"] / "nupm.lock", "# pulled\n")
    said = s.run("") + s.run("")
    assert said.count(WARNING) == 1, said
    s.close()


@pytest.mark.parametrize("shell", sh.shell_params())
def test_the_warning_comes_back_after_an_install_that_changed_nothing(shell, world):  # noqa: F811
    s = session(world, shell)
    s.run("cd a")
    manifest = world["a"] / "nupm.toml"
    _touch_later(manifest, "# a note\n")
    assert WARNING in s.run("")
    world["env"].ok("install", cwd=world["a"])  # the same environment: only the stamp's mtime moves
    assert WARNING not in s.run("") + s.run("")
    _touch_later(manifest, "# another note\n")
    assert WARNING in s.run("")
    assert s.var("NUPM_ENV") == "a"
    s.close()


@pytest.mark.parametrize("shell", sh.shell_params())
def test_a_project_installed_where_the_shell_is_is_active_at_the_next_prompt(shell, world):  # noqa: F811
    env = world["env"]
    fresh = make_project(env.tmp / "fresh", "fresh")
    s = session(world, shell)
    s.run("cd fresh")
    assert s.var("NUPM_ENV") == "none"
    env.ok("install", cwd=fresh)
    s.run("")
    assert s.var("NUPM_ENV") == "fresh"
    s.close()


@pytest.mark.parametrize("shell", sh.shell_params())
def test_a_project_whose_path_has_glob_characters(shell, world):  # noqa: F811
    env = world["env"]
    odd = make_project(env.tmp / "we[i]rd*?", "odd")
    env.ok("install", cwd=odd)
    s = session(world, shell)
    s.run("cd 'we[i]rd*?'")
    assert s.var("NUPM_ENV") == "odd"
    s.run("")
    assert s.var("NUPM_ENV") == "odd"
    _touch_later(odd / "nupm.toml", "# a note\n")
    assert WARNING in s.run("")
    s.run("cd ..")
    assert s.var("NUPM_ENV") == "none"
    s.close()
