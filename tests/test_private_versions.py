"""Two versions of one module in one environment, each private to its dependants: resolved only when no shared
version exists, recorded in the lock, shown by `nupm tree`/`why`, and usable together in one real nu session
(oldest and newest supported nu: these tests are marked `nu`) after `overlay use`, through the cd hook and
through `.nupm/bin` launchers."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import NU, make_project, make_registry, needs_nu
from test_plugins import session, shown

# (name, version, dependencies, module body); every module says which version of what it uses.
UTILS = [("utils", v, {}, f'export def ver [] {{ "{v}" }}\n') for v in ("1.0.0", "1.1.0", "2.0.0")]
PACKAGES = [
    *UTILS,
    ("pkg-a", "1.0.0", {"utils": "^1"},
     'use utils\nexport def hello [] { $"a uses (utils ver)" }\n'
     'export def main [] { $"pkg-a main, utils (utils ver)" }\n'),
    ("pkg-c", "1.0.0", {"utils": "^2"}, 'use utils\nexport def hello [] { $"c uses (utils ver)" }\n'),
    # Three levels: app -> top-1 -> mid 1 -> utils 1, and app -> top-2 -> mid 2 -> utils 2.
    ("mid", "1.0.0", {"utils": "^1"}, 'use utils\nexport def hello [] { $"mid 1 uses (utils ver)" }\n'),
    ("mid", "2.0.0", {"utils": "^2"}, 'use utils\nexport def hello [] { $"mid 2 uses (utils ver)" }\n'),
    ("top-1", "1.0.0", {"mid": "^1"}, 'use mid\nexport def hello [] { $"top-1 -> (mid hello)" }\n'),
    ("top-2", "1.0.0", {"mid": "^2"}, 'use mid\nexport def hello [] { $"top-2 -> (mid hello)" }\n'),
    # pkg-b shares with pkg-a or pkg-c, whichever: utils >=1.1 <3
    ("pkg-b", "1.0.0", {"utils": ">=1.1 <3"}, 'use utils\nexport def hello [] { $"b uses (utils ver)" }\n'),
    ("pkg-d", "1.0.0", {"utils": "^2"}, 'use utils\nexport def hello [] { $"d uses (utils ver)" }\n'),
]


@pytest.fixture
def registry(env):
    reg = make_registry(env.tmp / "reg", [(n, v, d) for n, v, d, _ in PACKAGES]
                        + [("tool", "1.0.0", {"utils": "^1"}, "script"),
                           ("cmd", "1.0.0", {}, "script"), ("cmd", "2.0.0", {}, "script"),
                           ("needs-cmd-1", "1.0.0", {"cmd": "^1"}), ("needs-cmd-2", "1.0.0", {"cmd": "^2"})])
    for name, version, _, body in PACKAGES:
        (reg / "pkgs" / f"{name}-{version}" / name / "mod.nu").write_text(body)
    (reg / "pkgs" / "tool-1.0.0" / "tool.nu").write_text('use utils\ndef main [] { print $"tool uses (utils ver)" }\n')
    env.configure(main=reg)
    return reg


def nu(env, code: str, cwd) -> str:
    proc = subprocess.run([NU, "-n", "-c", code], env=env.vars, capture_output=True, text=True, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def locked(project) -> dict[str, str]:
    """id -> version, from the lock."""
    import tomllib

    packages = tomllib.loads((project / "nupm.lock").read_text())["package"]
    return {p.get("private", p["name"]): p["version"] for p in packages}


@needs_nu
def test_pkg_a_and_pkg_c_each_use_their_own_utils_in_one_nu_session(env, registry):
    app = make_project(env.tmp / "app", "app", deps={"pkg-a": "^1", "pkg-c": "^1"})
    env.ok("install", cwd=app)
    assert locked(app) == {"pkg-a": "1.0.0", "pkg-c": "1.0.0", "utils": "2.0.0", "utils@pkg-a": "1.1.0"}
    lock = (app / "nupm.lock").read_text()
    assert 'private = "utils@pkg-a"\nfor = ["pkg-a"]\n' in lock
    both = "print ([(pkg-a hello) (pkg-c hello) (pkg-a) (utils ver)] | to json -r)"
    want = '["a uses 1.1.0","c uses 2.0.0","pkg-a main, utils 1.1.0","2.0.0"]'
    assert nu(env, f"overlay use .nupm/app.nu; {both}", app) == want
    # A `utils` of the user's, already in scope when the environment is activated, stands in for neither.
    mine = env.tmp / "mine" / "utils"
    mine.mkdir(parents=True)
    (mine / "mod.nu").write_text('export def ver [] { "mine" }\n')
    assert nu(env, f"use '{mine}'; overlay use .nupm/app.nu; {both}", app) == want
    # The store is untouched: the private view lives in the environment.
    assert not any(p.name == "mod.nu" and "NU_LIB_DIRS" in p.read_text()
                   for p in (env.home / "store").rglob("mod.nu"))

    # Interactively: the cd hook, then by hand with the line `nupm activate` prints, each command its own parse.
    s = session(env, env.tmp / "nu-session")
    try:
        s.run("cd app")
        assert "a uses 1.1.0" in shown(s, "pkg-a hello")
        assert "c uses 2.0.0" in shown(s, "pkg-c hello")
        s.run("cd ..")
        s.run(env.ok("activate", "--shell", "nu", cwd=app).stdout.strip())
        assert "a uses 1.1.0" in shown(s, "pkg-a hello")
        assert "c uses 2.0.0" in shown(s, "pkg-c hello")
        assert "2.0.0" in shown(s, "use utils; utils ver")  # what the project's `use utils` means
    finally:
        s.close()


@needs_nu
def test_a_three_level_diamond_gets_two_private_copies(env, registry):
    app = make_project(env.tmp / "app", "app", deps={"top-1": "^1", "top-2": "^1"})
    env.ok("install", cwd=app)
    assert locked(app) == {"top-1": "1.0.0", "top-2": "1.0.0", "mid": "2.0.0", "mid@top-1": "1.0.0",
                           "utils": "2.0.0", "utils@mid@top-1": "1.1.0"}
    got = nu(env, "overlay use .nupm/app.nu; print ([(top-1 hello) (top-2 hello)] | to json -r)", app)
    assert got == '["top-1 -> mid 1 uses 1.1.0","top-2 -> mid 2 uses 2.0.0"]'
    tree = env.ok("tree", cwd=app).stdout
    assert tree.splitlines()[:7] == [
        "app 0.1.0",
        "├── top-1 1.0.0 (^1)",
        "│   └── mid 1.0.0 (^1, private)",
        "│       └── utils 1.1.0 (^1, private)",
        "└── top-2 1.0.0 (^1)",
        "    └── mid 2.0.0 (^2)",
        "        └── utils 2.0.0 (^2)",
    ]
    why = env.ok("why", "utils", cwd=app).stdout.splitlines()
    assert why == ["app 0.1.0 → top-1 1.0.0 (^1) → mid 1.0.0 (^1, private) → utils 1.1.0 (^1, private)",
                   "app 0.1.0 → top-2 1.0.0 (^1) → mid 2.0.0 (^2) → utils 2.0.0 (^2)",
                   "utils 1.1.0 is private to mid 1.0.0 (^1); the others share utils 2.0.0"]
    listed = env.ok("list", "--json", cwd=app).stdout
    assert '"private": "utils@mid@top-1"' in listed and '"for": [\n      "mid@top-1"\n    ]' in listed


@needs_nu
def test_one_shared_version_is_chosen_when_it_exists_and_nothing_changes(env, registry):
    # pkg-b (>=1.1 <3) shares utils 1.1.0 with pkg-a: no copy, no view, the modules used from the store.
    app = make_project(env.tmp / "app", "app", deps={"pkg-a": "^1", "pkg-b": "^1"})
    env.ok("install", cwd=app)
    assert locked(app) == {"pkg-a": "1.0.0", "pkg-b": "1.0.0", "utils": "1.1.0"}
    assert "private" not in (app / "nupm.lock").read_text()
    assert not (app / ".nupm" / "views").exists() and not (app / ".nupm" / "shims").exists()
    assert nu(env, "overlay use .nupm/app.nu; print ([(pkg-a hello) (pkg-b hello)] | to json -r)", app) == \
        '["a uses 1.1.0","b uses 1.1.0"]'
    # With pkg-c too, the locked utils stays shared (the groups are even: {pkg-a, pkg-b} could share 1.1.0 and
    # {pkg-b, pkg-c} 2.0.0) and pkg-c alone gets a copy.
    env.ok("add", "pkg-c@^1", cwd=app)
    assert locked(app) == {"pkg-a": "1.0.0", "pkg-b": "1.0.0", "pkg-c": "1.0.0", "utils": "1.1.0",
                           "utils@pkg-c": "2.0.0"}
    assert nu(env, "overlay use .nupm/app.nu; print ([(pkg-a hello) (pkg-b hello) (pkg-c hello)] | to json -r)",
              app) == '["a uses 1.1.0","b uses 1.1.0","c uses 2.0.0"]'


def test_the_project_requiring_the_module_itself_is_a_conflict(env, registry):
    app = make_project(env.tmp / "app", "app", deps={"pkg-c": "^1", "utils": "^1"})
    proc = env.run("install", cwd=app)
    assert proc.returncode == 1
    assert "no version of utils satisfies both ^1 and ^2" in proc.stderr
    assert "`use utils` in the project's shell must mean one version" in proc.stderr
    assert not (app / "nupm.lock").exists()


@needs_nu
def test_a_script_package_runs_with_its_private_view_and_bash_sees_its_command(env, registry):
    # tool, a script, needs utils 1; pkg-c and pkg-d share 2.0.0.
    app = make_project(env.tmp / "app", "app", deps={"tool": "^1", "pkg-c": "^1", "pkg-d": "^1"})
    env.ok("install", cwd=app)
    assert locked(app)["utils@tool"] == "1.1.0" and locked(app)["utils"] == "2.0.0"
    launcher = app / ".nupm" / "bin" / "tool"
    # An inherited NU_LIB_DIRS naming the shared lib must not win over the script's own view.
    out = subprocess.run([str(launcher)], env={**env.vars, "NU_LIB_DIRS": str(app / ".nupm" / "lib")},
                         capture_output=True, text=True)
    assert out.stdout.strip() == "tool uses 1.1.0", out.stderr
    assert nu(env, "overlay use .nupm/app.nu; tool", app) == "tool uses 1.1.0"
    bash = subprocess.run(["bash", "-c", "source .nupm/activate.bash && tool"], env=env.vars, cwd=app,
                          capture_output=True, text=True)
    assert bash.stdout.strip() == "tool uses 1.1.0", bash.stderr


def test_two_versions_of_a_script_package_are_a_conflict_named_clearly(env, registry):
    app = make_project(env.tmp / "app", "app", deps={"needs-cmd-1": "^1", "needs-cmd-2": "^1"})
    proc = env.run("install", cwd=app)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "error: cannot resolve cmd: needs-cmd-1 needs cmd 1.0.0, other packages cmd 2.0.0; cmd is a script "
        "package, whose commands exist once in an environment, so it cannot have a version of its own for each "
        "dependant")
    assert not (app / "nupm.lock").exists()


def test_a_private_copy_keeps_its_locked_version_until_updated_and_gc_keeps_it(env, registry):
    # The registry starts without utils 1.1.0: pkg-a's copy locks 1.0.0.
    (registry / "utils.nuon").write_text((registry / "utils.nuon").read_text().replace(
        ', [utils, "1.1.0", pkgs/utils-1.1.0, local, null]', ""))
    app = make_project(env.tmp / "app", "app", deps={"pkg-a": "^1", "pkg-c": "^1"})
    env.ok("install", cwd=app)
    assert locked(app)["utils@pkg-a"] == "1.0.0"
    (registry / "utils.nuon").write_text((registry / "utils.nuon").read_text().replace(
        "]]", '], [utils, "1.1.0", pkgs/utils-1.1.0, local, null]]'))
    env.ok("add", "cmd@^1", cwd=app)  # a re-resolution keeps what was locked
    assert locked(app)["utils@pkg-a"] == "1.0.0"
    store = sorted(p.name for p in (env.home / "store").iterdir())
    env.ok("gc", cwd=app)
    assert sorted(p.name for p in (env.home / "store").iterdir()) == store
    updated = env.ok("update", "utils", cwd=app)
    assert "Updated utils@pkg-a 1.0.0 -> 1.1.0" in updated.stderr
    assert locked(app) == {"cmd": "1.0.0", "pkg-a": "1.0.0", "pkg-c": "1.0.0", "utils": "2.0.0",
                           "utils@pkg-a": "1.1.0"}


@needs_nu
def test_a_global_environment_gets_private_copies_too(env, registry):
    env.ok("overlay", "new", "work")
    env.ok("install", "pkg-a", "pkg-c", "--overlay", "work", "-y")
    code = "overlay use --reload work; print ([(pkg-a hello) (pkg-c hello)] | to json -r)"
    proc = subprocess.run([NU, "-n", "-I", str(env.home / "overlays"), "-c", code], env=env.vars,
                          capture_output=True, text=True, cwd=env.tmp)
    assert proc.stdout.strip() == '["a uses 1.1.0","c uses 2.0.0"]', proc.stderr


@pytest.mark.parametrize(("edit", "key", "what"), [
    (lambda t: t.replace('private = "utils@pkg-a"', 'private = "utils@../../x"'), "private",
     "a private copy needs private ="),
    (lambda t: t.replace('for = ["pkg-a"]', 'for = ["nobody"]'), "for",
     "'utils@pkg-a' is for 'nobody', which is not locked"),
    (lambda t: t.replace('for = ["pkg-a"]', 'for = []'), "for", "a private copy needs private ="),
    (lambda t: t.replace('private = "utils@pkg-a"\n', ""), "for", "`for` belongs to a private copy"),
    (lambda t: t.replace('name = "pkg-c"', 'name = "utils"\nprivate = "utils@pkg-a"\nfor = ["pkg-a"]'), "private",
     "'utils@pkg-a' is locked twice"),
])
def test_a_hand_edited_private_copy_is_refused_with_its_position(env, registry, edit, key, what):
    app = make_project(env.tmp / "app", "app", deps={"pkg-a": "^1", "pkg-c": "^1"})
    env.ok("install", cwd=app)
    lock = app / "nupm.lock"
    text = edit(lock.read_text())
    lock.write_text(text)
    before = {p: p.read_bytes() for p in (app / ".nupm").rglob("*") if p.is_file()}
    proc = env.run("install", "--frozen", cwd=app)
    assert proc.returncode == 2, proc.stderr
    # The last table with that key is the one refused.
    line = text[:text.rindex(f"\n{key} =") + 1].count("\n") + 1
    number = text[:text.rindex(f"\n{key} =")].count("[[package]]")
    assert proc.stderr.startswith(f"error: nupm.lock:{line}:1: package #{number}: {what}"), proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    assert {p: p.read_bytes() for p in (app / ".nupm").rglob("*") if p.is_file()} == before


@needs_nu
def test_a_collection_of_module_files_can_be_private_too(env):
    # themes is a directory of .nu files without mod.nu: its dependants `use themes/dark.nu`.
    reg = make_registry(env.tmp / "reg", [("themes", "1.0.0", {}), ("themes", "2.0.0", {}),
                                          ("old-look", "1.0.0", {"themes": "^1"}),
                                          ("new-look", "1.0.0", {"themes": "^2"})])
    for version in ("1.0.0", "2.0.0"):
        folder = reg / "pkgs" / f"themes-{version}" / "themes"
        (folder / "mod.nu").unlink()
        (folder / "dark.nu").write_text(f'export def name [] {{ "dark {version}" }}\n')
    for name in ("old-look", "new-look"):
        (reg / "pkgs" / f"{name}-1.0.0" / name / "mod.nu").write_text(
            'use themes/dark.nu\nexport def theme [] { dark name }\n')
    env.configure(main=reg)
    app = make_project(env.tmp / "app", "app", deps={"old-look": "^1", "new-look": "^1"})
    env.ok("install", cwd=app)
    assert locked(app) == {"old-look": "1.0.0", "new-look": "1.0.0", "themes": "2.0.0", "themes@old-look": "1.0.0"}
    got = nu(env, "overlay use .nupm/app.nu; print ([(old-look theme) (new-look theme)] | to json -r)", app)
    assert got == '["dark 1.0.0","dark 2.0.0"]'


def test_a_module_that_also_provides_a_command_cannot_be_private(env):
    # kit is a module with a command: two versions would need two `kit-cli` on one PATH.
    reg = make_registry(env.tmp / "reg", [("kit", "1.0.0", {}), ("kit", "2.0.0", {}),
                                          ("one", "1.0.0", {"kit": "^1"}), ("two", "1.0.0", {"kit": "^2"})])
    for version in ("1.0.0", "2.0.0"):
        folder = reg / "pkgs" / f"kit-{version}"
        manifest = folder / "nupm.toml"
        manifest.write_text(manifest.read_text().replace('type = "module"\n',
                                                         'type = "module"\nscripts = ["kit-cli.nu"]\n'))
        (folder / "kit-cli.nu").write_text("def main [] { }\n")
    env.configure(main=reg)
    app = make_project(env.tmp / "app", "app", deps={"one": "^1", "two": "^1"})
    proc = env.run("install", cwd=app)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "error: kit 1.0.0 would be private to one (which cannot share kit 2.0.0), but it also provides kit-cli: "
        "an environment has one command of each name, so only a package that is just a module can have a "
        "version of its own per dependant")
    assert not (app / ".nupm").exists()


def test_a_private_copy_from_a_path_is_checked_for_changes_like_any_path_package(env, registry):
    local = make_project(env.tmp / "utils-local", "utils")  # utils 0.1.0, a directory of the user's
    make_project(env.tmp / "lib-a", "lib-a", deps={"utils": {"path": "../utils-local"}})
    app = make_project(env.tmp / "app", "app", deps={"pkg-c": "^1", "lib-a": {"path": "../lib-a"}})
    env.ok("install", cwd=app)
    assert locked(app) == {"lib-a": "0.1.0", "pkg-c": "1.0.0", "utils": "2.0.0", "utils@lib-a": "0.1.0"}
    assert env.run("lock", "--check", cwd=app).returncode == 0
    with open(local / "utils" / "mod.nu", "a") as f:
        f.write("# changed\n")
    proc = env.run("lock", "--check", cwd=app)
    assert proc.returncode == 1 and f"utils: files under {local} changed" in proc.stderr + proc.stdout


def test_info_and_outdated_tell_the_private_copy_apart(env, registry):
    app = make_project(env.tmp / "app", "app", deps={"pkg-a": "^1", "pkg-c": "^1"})
    env.ok("install", cwd=app)
    # The registry's rows carry no description: `info` reads it from the manifest (this printed a traceback).
    info = env.ok("info", "utils", cwd=app).stdout.splitlines()
    assert info[0] == "utils 2.0.0  (module, registry main)" and "license" not in "".join(info)
    assert f"  2.0.0 in project app ({app})" in info and f"  1.1.0 in project app ({app})" in info
    (registry / "utils.nuon").write_text((registry / "utils.nuon").read_text().replace(
        "]]", '], [utils, "1.9.0", pkgs/utils-1.1.0, local, null]]'))
    rows = {r["name"]: r for r in json.loads(env.ok("outdated", "--json", cwd=app).stdout)}
    assert rows["utils@pkg-a"]["allowed"] == "1.9.0" and rows["utils"]["allowed"] == "2.0.0"
