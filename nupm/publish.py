"""`nupm publish`: add this package's version to a registry directory, in Nushell nupm's format
(registry.nuon + <name>.nuon) and in nupm's two richer layouts: the full index (nupm-index.json: type,
content hash, dependencies, description, source) and the sparse index (index/config.json and one
index/<p>/<name>.json per package, for registries too large to read whole). A package inside a git
repository is published as a `git` row (url + the tag at HEAD, else HEAD's sha); otherwise as a `local`
row whose path is relative to the registry.

The directory is a static site: any web server, CDN or object store serves it as it is."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nupm import digest, nuon
from nupm.errors import NupmError
from nupm.fsutil import atomic_write, tree_hash
from nupm.manifest import Manifest
from nupm.sources.registry import INDEX_FILE, REGISTRY_FILE, SPARSE_CONFIG, sparse_path


@dataclass
class Entry:
    row: dict  # the <name>.nuon row
    index: dict  # the nupm-index.json entry


def _git(root: Path, *args: str) -> str | None:
    proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def _dependencies(manifest: Manifest) -> dict[str, str]:
    pinned = [n for n, r in manifest.dependencies.items() if r.kind != "registry"]
    if pinned:
        raise NupmError(f"cannot publish with path or git dependencies ({', '.join(pinned)}): "
                        "publish those to the registry first and depend on a version range")
    deps = {n: str(r.range or "*") for n, r in sorted(manifest.dependencies.items())}
    if manifest.nu_version:
        deps["nushell"] = manifest.nu_version  # a requirement on Nushell, checked where it is installed
    return dict(sorted(deps.items()))


def check_clean(manifest: Manifest, allow_dirty: bool) -> None:
    """Refuse uncommitted changes in a package kept in git (unless allowed): the commit is what is published."""
    _git_source(manifest, allow_dirty)


def _git_source(manifest: Manifest, allow_dirty: bool) -> dict | None:
    root = manifest.root
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is None:
        return None
    if _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}") is None:
        raise NupmError("the git repository has no commit yet: commit the package first")
    dirty = _git(root, "status", "--porcelain", "--", ".")
    if dirty and not allow_dirty:
        raise NupmError(f"the working tree has uncommitted changes:\n{dirty}\n(commit them, or pass --allow-dirty "
                        "to publish HEAD as it is)")
    sha = _git(root, "rev-parse", "HEAD")
    tags = (_git(root, "tag", "--points-at", "HEAD") or "").split()
    preferred = [t for t in tags if t in (f"v{manifest.version}", manifest.version)]
    revision = (preferred or tags or [sha])[0]
    url = _git(root, "remote", "get-url", "origin") or top
    subdir = Path(os.path.relpath(root.resolve(), Path(top).resolve())).as_posix()
    return {"url": url, "revision": revision, "sha": sha, "path": "" if subdir == "." else subdir, "top": top}


def _hash_at(top: str, sha: str, subdir: str) -> str:
    """The content hash of the package as committed (what a git install will fetch)."""
    from nupm.sources.git import extract_tar

    archive = subprocess.run(["git", "-C", top, "archive", "--format=tar", sha, *([subdir] if subdir else [])],
                             capture_output=True, check=True).stdout
    with tempfile.TemporaryDirectory(prefix="nupm-publish-") as tmp:
        extract_tar(archive, Path(tmp), subdir)
        return tree_hash(Path(tmp))


def entry_for(manifest: Manifest, registry: Path, allow_dirty: bool) -> Entry:
    deps = _dependencies(manifest)
    git = _git_source(manifest, allow_dirty)
    if git:
        row = {"name": manifest.name, "version": manifest.version, "path": git["path"], "type": "git",
               "info": {"url": git["url"], "revision": git["revision"]}}
        source = {"type": "git", "url": git["url"], "revision": git["sha"], "path": git["path"]}
        content_hash = _hash_at(git["top"], git["sha"], git["path"])
    else:
        # A copy inside the registry, not the live source directory: later edits there must not change
        # what consumers of this version get (and the registry directory is what gets served).
        rel = f"packages/{manifest.name}-{manifest.version}"
        row = {"name": manifest.name, "version": manifest.version, "path": rel, "type": "local", "info": None}
        source = {"type": "local", "path": rel}
        content_hash = tree_hash(manifest.root)
    index = {"type": manifest.type, "hash": content_hash, "dependencies": deps, "source": source,
             **{k: v for k, v in _metadata(manifest).items() if v}}
    return Entry(row, index)


def _metadata(manifest: Manifest) -> dict:
    """What `nupm search` and `nupm info` show without fetching the package."""
    import tomllib

    try:
        package = tomllib.loads(manifest.path.read_text(encoding="utf-8")).get("package", {}) \
            if not manifest.is_nuon else {}
    except (OSError, tomllib.TOMLDecodeError):
        package = {}
    found = {"description": manifest.description, "license": package.get("license"),
             "repository": package.get("repository")}
    return {k: v for k, v in found.items() if isinstance(v, str)}


def _load_table(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    table = nuon.load(path)
    if not isinstance(table, list):
        raise NupmError(f"{path} is not a table")
    return table


def publish(manifest: Manifest, registry: Path, allow_dirty: bool, dry_run: bool) -> Entry:
    entry = entry_for(manifest, registry, allow_dirty)
    pkg_file = registry / f"{manifest.name}.nuon"
    rows = _load_table(pkg_file)
    if any(r.get("name") == manifest.name and str(r.get("version")) == manifest.version for r in rows):
        raise NupmError(f"{manifest.name} {manifest.version} is already in {registry}; bump the version")
    if dry_run:
        return entry
    registry.mkdir(parents=True, exist_ok=True)
    pkg_text = nuon.dumps_table([*rows, entry.row], ["name", "version", "path", "type", "info"])
    listing = [r for r in _load_table(registry / REGISTRY_FILE) if r.get("name") != manifest.name]
    listing.append({"name": manifest.name, "path": pkg_file.name,
                    "hash": "md5-" + digest.md5(pkg_text.encode()).hexdigest()})
    index_path = registry / INDEX_FILE
    index = json.loads(index_path.read_text()) if index_path.is_file() else {"version": 1, "packages": {}}
    index["packages"].setdefault(manifest.name, {})[manifest.version] = entry.index
    if entry.row["type"] == "local":
        from nupm.fsutil import built_beside, copy_tree

        copy = registry / entry.row["path"]
        copy.parent.mkdir(parents=True, exist_ok=True)
        with built_beside(copy) as tmp:
            copy_tree(manifest.root, tmp)
        if tree_hash(copy) != entry.index["hash"]:
            raise NupmError(f"the copy in {copy} does not match the package (changed while publishing?)")
    sparse_file = registry / sparse_path(manifest.name)
    sparse = {"name": manifest.name, "versions": index["packages"][manifest.name]}
    # The package files first: a registry.nuon naming a missing file would break every reader.
    sparse_file.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(sparse_file, json.dumps(sparse, indent=1, sort_keys=True) + "\n")
    if not (registry / SPARSE_CONFIG).is_file():
        atomic_write(registry / SPARSE_CONFIG, json.dumps({"version": 1}) + "\n")
    atomic_write(pkg_file, pkg_text)
    atomic_write(registry / REGISTRY_FILE,
                 nuon.dumps_table(sorted(listing, key=lambda r: r["name"]), ["name", "path", "hash"]))
    atomic_write(index_path, json.dumps(index, indent=1, sort_keys=True) + "\n")
    return entry

