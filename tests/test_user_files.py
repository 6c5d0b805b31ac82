"""Edits of files that belong to the user (nupm.toml, ~/.bashrc, config.toml) keep what nupm did not mean to
change: a symlink stays a link and the file it points at changes, CRLF stays CRLF, bytes that are not UTF-8
stay as they were."""

from __future__ import annotations

from conftest import make_project, make_registry


def _registry(env, tmp_path):
    env.configure(main=make_registry(tmp_path / "reg", [("spam", "1.0.0", {}), ("eggs", "1.0.0", {})]))


def test_add_and_remove_write_through_a_symlinked_manifest(env, tmp_path):
    _registry(env, tmp_path)
    project = make_project(env.tmp / "app")
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    (project / "nupm.toml").rename(dotfiles / "nupm.toml")
    (project / "nupm.toml").symlink_to(dotfiles / "nupm.toml")
    env.ok("add", "spam", cwd=project)
    assert (project / "nupm.toml").is_symlink()
    assert 'spam = "^1.0.0"' in (dotfiles / "nupm.toml").read_text()
    env.ok("remove", "spam", cwd=project)
    assert (project / "nupm.toml").is_symlink() and "spam" not in (dotfiles / "nupm.toml").read_text()


def test_a_crlf_manifest_stays_crlf(env, tmp_path):
    _registry(env, tmp_path)
    project = make_project(env.tmp / "app")
    text = (project / "nupm.toml").read_text().replace("\n", "\r\n")
    (project / "nupm.toml").write_bytes(("# my comment\r\n" + text).encode())
    env.ok("add", "spam", "eggs", cwd=project)
    env.ok("remove", "eggs", cwd=project)
    data = (project / "nupm.toml").read_bytes()
    assert b"spam" in data and b"# my comment\r\n" in data
    assert data.count(b"\n") == data.count(b"\r\n")


def test_setup_keeps_a_latin1_and_symlinked_bashrc_byte_for_byte(env, tmp_path):
    home = tmp_path / "user"
    original = "# caf\xe9 au lait\r\nexport A=1\r\n".encode("latin-1")
    (tmp_path / "dotfiles").mkdir()
    real = tmp_path / "dotfiles" / "bashrc"
    real.write_bytes(original)
    (home / ".bashrc").symlink_to(real)
    env.ok("setup", "bash", "-y")
    assert (home / ".bashrc").is_symlink()
    data = real.read_bytes()
    assert data.startswith(original) and b"nupm setup" in data and b"\r\n# >>> nupm" in data
    env.ok("setup", "bash", "--undo")
    assert real.read_bytes() == original and (home / ".bashrc").is_symlink()


def test_registry_edits_write_through_a_symlinked_config(env, tmp_path):
    real = tmp_path / "dotfiles" / "config.toml"
    real.parent.mkdir()
    real.write_bytes(b"# mine\r\n[registries]\r\n")
    env.config.unlink()
    env.config.symlink_to(real)
    env.ok("registry", "add", "web", "https://example.invalid/registry.nuon")
    assert env.config.is_symlink() and b'web = "https://example.invalid/registry.nuon"\r\n' in real.read_bytes()
