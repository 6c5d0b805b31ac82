"""`nupm new`: a package created from the templates under the top-level templates/ folder.

One renderer fills every kind: `__name__` in paths, `{{name}}` and `{{description}}` in contents,
`_gitignore` → `.gitignore` (a dotfile would not survive packaging). The package is built in a temp dir
beside the target and renamed into place, so a failure leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from nupm.errors import UsageError
from nupm.fsutil import built_beside
from nupm.manifest import NAME_RULE, valid_name
from nupm.paths import bundled_dir

RESERVED = frozenset({"nu", "nushell", "std", "nupm", "tests", "lib", "bin"})
_DESCRIPTIONS = {"module": "A Nushell module", "script": "A Nushell script", "custom": "A package built by build.nu"}


def templates_dir() -> Path:
    return bundled_dir("templates", "templates", "module")


def check_new_name(name: str) -> None:
    if not valid_name(name):
        raise UsageError(f"invalid package name {name!r}: use {NAME_RULE}")
    if name in RESERVED:
        raise UsageError(f"{name!r} is reserved (it would shadow {'Nushell' if name in ('nu', 'std') else 'nupm'}"
                         f" names); reserved: {', '.join(sorted(RESERVED))}")


def create(name: str, kind: str, target: Path, git: bool) -> list[Path]:
    check_new_name(name)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{target} already exists and is not empty; nothing was changed")
    source = templates_dir() / kind
    target.parent.mkdir(parents=True, exist_ok=True)
    with built_beside(target, replace=True) as tmp:  # replaces the empty directory, if there is one
        files = _render(source, tmp, name, kind)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp made it 0700; the package root is an ordinary directory
    if git and shutil.which("git"):
        subprocess.run(["git", "init", "--quiet", str(target)], check=False, capture_output=True)
    return [target / f.relative_to(tmp) for f in files]


def _render(source: Path, dest: Path, name: str, kind: str) -> list[Path]:
    values = {"{{name}}": name, "{{description}}": f"{_DESCRIPTIONS[kind]}: {name}"}
    written = []
    for path in sorted(source.rglob("*")):
        if path.is_dir():
            continue
        rel = path.relative_to(source).as_posix().replace("__name__", name)
        rel = "/".join(".gitignore" if part == "_gitignore" else part for part in rel.split("/"))
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        text = path.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace(key, value)
        out.write_text(text, encoding="utf-8")
        # A script with a shebang is made executable whatever the installed template's mode is.
        os.chmod(out, 0o755 if text.startswith("#!") else 0o644)
        written.append(out)
    return written
