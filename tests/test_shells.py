"""The shell descriptions in nupm/shells/: each is complete, and nothing else has to change to add one."""

from __future__ import annotations

from pathlib import Path

import pytest

from nupm import shells
from nupm.activation import render
from nupm.errors import UsageError

TEMPLATES = Path(render.__file__).parent


def test_every_shell_is_described_with_its_templates():
    found = shells.every()
    assert [s.name for s in found] == ["nu", "bash", "zsh", "fish"]
    for shell in found:
        assert (TEMPLATES / shell.hook_template).is_file(), shell.name
        assert (TEMPLATES / shell.completion_template).is_file(), shell.name
        assert shell.hook_template.split("/")[0] == shell.name  # its own template folder
        assert "__NUPM_COMPLETION__" in render.template(shell.hook_template)
        assert "__NUPM_TRUST_DIR__" in render.template(shell.hook_template)


def test_each_hook_sources_only_files_the_environment_has():
    description = {"name": "demo", "kind": "project", "root": "/p", "path": ["/p/.nupm/bin"], "env_dir": "/p/.nupm",
                   "lib_dirs": ["/p/.nupm/lib"], "variables": {}, "modules": {},
                   "plugins": {"hello": {"target": "/s/nu_plugin_hello", "package": "hello"}}}
    files = render.render_all(description)
    for shell in shells.every():
        assert set(shell.hook_sources()) <= set(files), shell.name
    # Without plugins, the one file it may lack is the plugins' (the hook reads it only when it is there).
    description.pop("plugins")
    assert set(shells.every_hook_source()) - set(render.render_all(description)) == {"plugins/use.nu"}


def test_aliases_and_unknown_names():
    assert shells.get("nu").aliases == ("nushell",)
    with pytest.raises(UsageError, match="nu|bash|zsh|fish"):
        shells.get("tcsh")


def test_completions_name_every_command_in_each_shell():
    commands = [("install", "sync: this project"), ("it's", "a 'quoted' help")]
    for shell in shells.every():
        text = shell.completion(commands)
        assert "__NUPM_" not in text
        assert "install" in text, shell.name
