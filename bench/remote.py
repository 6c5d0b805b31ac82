"""Installing git packages over HTTP, as a user does it, against a real nginx on 127.0.0.1 (not tests: they
print figures and ratios, they do not fail).

    python bench/remote.py [--runs N]      # medians of N runs (default 5); needs git and nginx

Set-up (deterministic: fixed contents, authors and dates, so every sha is the same on every run): 20 Nushell
module packages pkg01..pkg20, each a git repository of 30 commits with a handful of files of a few KB
(nupm.toml for nupm, nupm.nuon for Nushell nupm, <name>/mod.nu, util.nu, data.nu, README.md, tests/), some
depending on others with caret ranges (pkg01 -> pkg02, pkg03; ...). Each is pushed to a bare repository
served over git's dumb HTTP protocol (/git/<name>.git, packed, `git update-server-info`), tagged v1.0.0 and
published with `nupm publish --registry <site>/reg` (Nushell nupm's registry.nuon + <name>.nuon, plus
nupm-index.json and the sparse index). /plain/ holds only registry.nuon and the .nuon files copied from
reg/: Nushell nupm's format, nothing else. /big/ is a synthetic 1,000-package registry in the publish
format (git rows, nupm-index.json, sparse index), written directly, without 1,000 repositories.

nupm runs as `python -m nupm` from this checkout, every run in a hermetic environment (fresh HOME,
XDG_*_HOME, NUPM_HOME, NUPM_CONFIG). Requests and bytes (bodies only) come from nginx's access log, split
into registry files and git files. Lines of the table:

  cold add N, REG, jobs J   `nupm add pkg01 ... pkgN` into a new project with nothing cached (fresh HOME,
                            cache and store each run), default parallelism (config `jobs`, 8) or --jobs 1;
                            REG is reg/ (with the indexes) or plain/ (Nushell's format only). N = 5 and 10
                            show how the cost grows with the number of packages: a fixed start (python,
                            registry.nuon) plus, per package, one registry file and one dumb-HTTP clone
                            (8 requests, 3 of them git's own 404 probes); the `growth` line gives the slope.
                            Columns: wall time; registry requests and KB; git requests and KB; 404s.
  warm re-lock, REG         after one cold add, delete nupm.lock and run `nupm lock`: every registry file
                            should be revalidated (304, no body) and git never asked.
  search, 1,000 pkgs        `nupm search pkg1 --json` over /big/, warm (the first run fills the cache);
                            target: under 300 ms.
  Nushell nupm              the peer: github.com/nushell/nupm (the snapshot in /work/.mirror, exported to a
                            temp dir at run time) installing the same 20 packages over HTTP, `nupm install
                            --registry b pkgNN` for each, in one nu process (it resolves no dependencies, so
                            all 20 are named). Tried in order: its newest commit, then PEER_REVISIONS' older
                            one, on each nu at hand, from plain/; when it refuses plain/'s files as not
                            matching their hash, from nu/: the same tables written by nu's `to nuon`, as
                            its own `nupm publish` writes them. Every failed attempt is printed after the
                            table, from nu's first error on.

Ratios: serial / parallel for each registry, and the peer against nupm (from plain/, jobs 8 and jobs 1).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))
from nginx import Nginx  # noqa: E402

from nupm import nuon  # noqa: E402
from nupm.sources.registry import sparse_path  # noqa: E402

COUNT = 20
COMMITS = 30
EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z; commit n of a repo is n hours later
DEPENDS = {1: (2, 3), 4: (5,), 6: (2, 7), 9: (10, 11), 12: (13,), 15: (16, 17), 18: (1,)}
BIG = 1000
SEARCH_TERM = "pkg1"
PEER_MIRROR = Path("/work/.mirror/nushell+nupm/repo")
# HEAD, then c33f85d (2025-06): the newest that runs on a nu at hand (HEAD needs `get -o`, nu >= 0.106, and
# `$nu.temp-path`, gone by 0.115).
PEER_REVISIONS = ("HEAD", "c33f85d")
NU_CANDIDATES = [REPO / ".tools/nu-0.115.1/node_modules/@nushell/linux-x64/bin/nu",
                 Path("/tmp/nu/node_modules/@nushell/linux-x64/bin/nu"),
                 REPO / ".tools/nu-0.101.0/node_modules/@nushell/linux-x64/bin/nu"]
WORDS = ("table record column stream pipe filter glob path parse split join trim color theme prompt hook "
         "overlay module script plugin cache index registry version range semver lock store fetch clone "
         "branch tag commit tree blob pack delta config env alias closure block span error signal job").split()


# -- git and the packages -----------------------------------------------------------------------------------
def git(*args: str, cwd: Path, stdin: bytes | None = None) -> str:
    # Neither the user's nor the system's git config may change shas or fail the build.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0")
    proc = subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", *args],
                          cwd=cwd, env=env, input=stdin, capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}:\n{proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode().strip()


def name_of(i: int) -> str:
    return f"pkg{i:02d}"


def prose(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def chunk(rng: random.Random, n: int) -> str:
    """One documented command, ~300 bytes."""
    return (f"\n# {prose(rng, 14)}.\n# {prose(rng, 12)}.\nexport def {rng.choice(WORDS)}-{n} [value: any] {{\n"
            f"    $value | to text | str replace --all '{rng.choice(WORDS)}' '{rng.choice(WORDS)}'"
            f" | str trim\n}}\n")


def initial_files(i: int, rng: random.Random) -> dict[str, str]:
    name = name_of(i)
    deps = "".join(f'{name_of(d)} = "^1.0"\n' for d in DEPENDS.get(i, ()))
    toml = (f'[package]\nname = "{name}"\nversion = "1.0.0"\ntype = "module"\n'
            f'description = "{name}: {prose(rng, 6)}"\nlicense = "MIT"\n')
    if deps:
        toml += f"\n[dependencies]\n{deps}"
    # Nushell nupm reads nupm.nuon only; nupm prefers nupm.toml when both are there.
    nuon_manifest = (f'{{\n    name: {name}\n    version: "1.0.0"\n    description: "{name}, a benchmark package"\n'
                     "    type: module\n    license: MIT\n}\n")
    files = {
        "nupm.toml": toml,
        "nupm.nuon": nuon_manifest,
        f"{name}/mod.nu": f"# {name}: {prose(rng, 10)}.\nexport use util.nu *\nexport use data.nu *\n\n"
                          f'export def hello [] {{ "{name} 1.0.0" }}\n',
        f"{name}/util.nu": f"# Helpers of {name}.\n",
        f"{name}/data.nu": f"# Data of {name}.\n",
        "README.md": f"# {name}\n\n{prose(rng, 60)}\n",
        "tests/mod.nu": f"use ../{name}\n\nexport def test_hello [] {{\n    assert equal ({name} hello) "
                        f'"{name} 1.0.0"\n}}\n',
    }
    for n in range(4):  # each source file starts at ~1 KB
        for rel in (f"{name}/mod.nu", f"{name}/util.nu", f"{name}/data.nu"):
            files[rel] += chunk(rng, n * 3 + len(rel))
    return files


def fast_import_stream(i: int) -> bytes:
    """COMMITS commits: the package, then one command added to one file per commit (files end at ~3 KB)."""
    rng = random.Random(i)
    name = name_of(i)
    files = initial_files(i, rng)
    out = bytearray()

    def data(text: str) -> None:
        raw = text.encode()
        out.extend(b"data %d\n" % len(raw) + raw + b"\n")

    for n in range(1, COMMITS + 1):
        if n == 1:
            changed = dict(files)
            message = f"{name}: first version"
        else:
            rel = [f"{name}/mod.nu", f"{name}/util.nu", f"{name}/data.nu", "README.md"][n % 4]
            files[rel] += chunk(rng, 100 + n) if rel.endswith(".nu") else f"\n{prose(rng, 40)}\n"
            changed = {rel: files[rel]}
            message = f"{name}: {prose(rng, 5)}"
        out.extend(f"commit refs/heads/main\nmark :{n}\n"
                   f"committer bench <bench@example.invalid> {EPOCH + 3600 * n} +0000\n".encode())
        data(message)
        if n > 1:
            out.extend(f"from :{n - 1}\n".encode())
        for rel, text in sorted(changed.items()):
            out.extend(f"M 644 inline {rel}\n".encode())
            data(text)
    return bytes(out)


def build_packages(site: Path, src: Path, url: str, env: dict) -> None:
    """20 repositories in src/, pushed to site/git/ and published to site/reg; site/plain is the copy."""
    for i in range(1, COUNT + 1):
        name = name_of(i)
        work, bare = src / name, site / "git" / f"{name}.git"
        work.mkdir(parents=True)
        bare.parent.mkdir(parents=True, exist_ok=True)
        git("init", "-q", "-b", "main", str(work), cwd=src)
        git("fast-import", "--quiet", cwd=work, stdin=fast_import_stream(i))
        git("reset", "-q", "--hard", "main", cwd=work)
        git("tag", "v1.0.0", cwd=work)
        git("remote", "add", "origin", f"{url}/git/{name}.git", cwd=work)
        git("init", "-q", "--bare", "-b", "main", str(bare), cwd=src)
        git("push", "-q", str(bare), "main", "v1.0.0", cwd=work)
        git("repack", "-a", "-d", "-q", cwd=bare)  # one pack: what a served repository looks like
        git("update-server-info", cwd=bare)  # the dumb protocol reads info/refs and objects/info/packs
    for i in range(1, COUNT + 1):
        run_nupm(["publish", "--registry", str(site / "reg")], src / name_of(i), env)
    plain = site / "plain"
    plain.mkdir()
    for f in (site / "reg").glob("*.nuon"):
        shutil.copy2(f, plain / f.name)


def build_big_registry(root: Path, url: str) -> None:
    """BIG packages of 1-3 versions in the publish format (git rows), without repositories behind them."""
    rng = random.Random(1000)
    root.mkdir(parents=True)
    listing, index = [], {}
    for i in range(1, BIG + 1):
        name = f"pkg{i}"
        repo = f"{url}/git/big/{name}.git"
        versions = [f"1.{minor}.0" for minor in range(rng.randint(1, 3))]
        rows, entries = [], {}
        description = f"{prose(rng, 5)} for nushell"
        for version in versions:
            sha = hashlib.sha1(f"{name}@{version}".encode()).hexdigest()
            deps = {f"pkg{d}": "^1.0" for d in sorted(rng.sample(range(1, BIG + 1), rng.randint(0, 2))) if d != i}
            rows.append({"name": name, "version": version, "path": "", "type": "git",
                         "info": {"url": repo, "revision": f"v{version}"}})
            entries[version] = {"type": "module", "hash": "sha256-" + hashlib.sha256(sha.encode()).hexdigest(),
                                "dependencies": deps, "description": description,
                                "source": {"type": "git", "url": repo, "revision": sha, "path": ""}}
        text = nuon.dumps_table(rows, ["name", "version", "path", "type", "info"])
        (root / f"{name}.nuon").write_text(text)
        listing.append({"name": name, "path": f"{name}.nuon", "hash": "md5-" + hashlib.md5(text.encode()).hexdigest()})
        index[name] = entries
        sparse = root / sparse_path(name)
        sparse.parent.mkdir(parents=True, exist_ok=True)
        sparse.write_text(json.dumps({"name": name, "versions": entries}, indent=1, sort_keys=True) + "\n")
    (root / "index" / "config.json").write_text(json.dumps({"version": 1}) + "\n")
    (root / "registry.nuon").write_text(nuon.dumps_table(sorted(listing, key=lambda r: r["name"]),
                                                         ["name", "path", "hash"]))
    (root / "nupm-index.json").write_text(json.dumps({"version": 1, "packages": index}, indent=1, sort_keys=True)
                                          + "\n")


# -- running nupm ------------------------------------------------------------------------------------------
def hermetic(base: Path, registry_url: str | None) -> dict:
    """A fresh user: HOME, XDG dirs, NUPM_HOME and a config.toml naming one registry, all under `base`."""
    home = base / "home"
    dirs = {"HOME": home, "XDG_CACHE_HOME": home / ".cache", "XDG_CONFIG_HOME": home / ".config",
            "XDG_DATA_HOME": home / ".local/share", "XDG_STATE_HOME": home / ".local/state",
            "NUPM_HOME": base / "nupm-home", "TMPDIR": base / "tmp"}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    config = base / "config.toml"
    config.write_text(f'[registries]\nb = "{registry_url}"\n' if registry_url else "")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUPM_", "GIT_", "XDG_"))}
    env.update({k: str(v) for k, v in dirs.items()})
    env.update(NUPM_CONFIG=str(config), GIT_CONFIG_NOSYSTEM="1",
               PYTHONPATH=os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]))
    return env


def run_nupm(args: list[str], cwd: Path, env: dict) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "nupm", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"nupm {' '.join(args)} failed (exit {proc.returncode}):\n{proc.stderr}")
    return elapsed, proc


def remove(path: Path) -> None:
    """rmtree for trees nupm made read-only (its store)."""
    for dirpath, _, _ in os.walk(path):
        os.chmod(dirpath, 0o700)
    shutil.rmtree(path, ignore_errors=True)


def traffic(server: Nginx) -> dict:
    reqs = server.requests()
    reg = [r for r in reqs if not r.path.startswith("/git/")]
    gits = [r for r in reqs if r.path.startswith("/git/")]
    return {"reg_req": len(reg), "reg_bytes": sum(r.bytes_sent for r in reg), "git_req": len(gits),
            "git_bytes": sum(r.bytes_sent for r in gits), "n304": sum(r.status == 304 for r in reqs),
            "n404": sum(r.status == 404 for r in reqs), "bodies": sum(r.bytes_sent for r in reqs),
            "requests": len(reqs)}


def medians(samples: list[dict]) -> dict:
    return {k: statistics.median(s[k] for s in samples) for k in samples[0]}


def cold_add(tmp: Path, server: Nginx, registry: str, count: int, jobs: int | None, runs: int) -> dict:
    samples, lock_text = [], None
    for run in range(runs):
        base = tmp / f"cold-{registry}-{count}-{jobs}-{run}"
        env = hermetic(base, f"{server.url}/{registry}/registry.nuon")
        project = base / "app"
        project.mkdir()
        run_nupm(["init", "--name", "app"], project, env)
        server.clear_log()
        wall, _ = run_nupm(["add", *map(name_of, range(1, count + 1)), *(["--jobs", str(jobs)] if jobs else [])],
                           project, env)
        lock = (project / "nupm.lock").read_text()
        if lock_text is not None and lock != lock_text:
            raise RuntimeError(f"cold add {registry} jobs={jobs}: the lock differs between runs")
        lock_text = lock
        samples.append({"wall": wall, **traffic(server), "locked": lock.count("[[package]]")})
        remove(base)
    return {**medians(samples), "lock": lock_text}


def warm_relock(tmp: Path, server: Nginx, registry: str, runs: int) -> dict:
    base = tmp / f"warm-{registry}"
    env = hermetic(base, f"{server.url}/{registry}/registry.nuon")
    project = base / "app"
    project.mkdir()
    run_nupm(["init", "--name", "app"], project, env)
    run_nupm(["add", *map(name_of, range(1, COUNT + 1))], project, env)
    first = (project / "nupm.lock").read_text()
    samples = []
    for _ in range(runs):
        (project / "nupm.lock").unlink()
        server.clear_log()
        wall, _ = run_nupm(["lock"], project, env)
        if (project / "nupm.lock").read_text() != first:
            raise RuntimeError(f"warm re-lock from {registry}/ locked something else than the add")
        samples.append({"wall": wall, **traffic(server)})
    remove(base)
    return medians(samples)


def warm_search(tmp: Path, server: Nginx, runs: int) -> dict:
    base = tmp / "search"
    env = hermetic(base, f"{server.url}/big/registry.nuon")
    run_nupm(["search", SEARCH_TERM, "--json"], base, env)  # fills the cache
    samples = []
    for _ in range(runs):
        server.clear_log()
        wall, proc = run_nupm(["search", SEARCH_TERM, "--json"], base, env)
        samples.append({"wall": wall, **traffic(server), "found": len(json.loads(proc.stdout))})
    remove(base)
    return medians(samples)


# -- the peer: Nushell's nupm ----------------------------------------------------------------------------------
def nu_version(nu: Path) -> str:
    proc = subprocess.run([str(nu), "--version"], capture_output=True, text=True)
    return proc.stdout.strip() or "?"


def peer_checkout(tmp: Path, revision: str) -> Path:
    dest = tmp / f"nushell-nupm-{revision}"
    if not dest.is_dir():
        dest.mkdir()
        archive = subprocess.run(["git", f"--git-dir={PEER_MIRROR}", "archive", "--format=tar", revision],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def nu_written_registry(site: Path, nu: Path) -> str:
    """plain/ as Nushell nupm's own `nupm publish` writes it: each file is `to nuon` of its table (no final
    newline, bare words) and registry.nuon's hash is the md5 of that text, which is what Nushell nupm checks
    (`open <file> | to nuon | hash md5`, not the file's bytes)."""
    target = site / "nu"
    if not target.is_dir():
        target.mkdir()
        script = ("let rows = open plain/registry.nuon | each {|r|\n"
                  "    let text = open $'plain/($r.path)' | to nuon\n"
                  "    $text | save --raw $'nu/($r.path)'\n"
                  "    {name: $r.name, path: $r.path, hash: $'md5-($text | hash md5)'}\n"
                  "}\n$rows | to nuon | save --raw nu/registry.nuon")
        subprocess.run([str(nu), "-n", "-c", script], cwd=site, check=True, capture_output=True)
    return "nu"


def peer_install(tmp: Path, server: Nginx, checkout: Path, nu: Path, registry: str,
                 run: int) -> tuple[float, dict, str, bool]:
    base = tmp / f"peer-{run}"
    env = hermetic(base, None)
    names = " ".join(map(name_of, range(1, COUNT + 1)))
    script = "\n".join([
        f"$env.NUPM_HOME = '{base / 'nu-home'}'",
        f"$env.NUPM_CACHE = '{base / 'nu-cache'}'",
        f"$env.NUPM_TEMP = '{base / 'tmp'}'",
        f"$env.NUPM_INDEX_PATH = '{base / 'registry_index.nuon'}'",
        f"$env.NUPM_REGISTRIES = {{b: '{server.url}/{registry}/registry.nuon'}}",
        f"use '{checkout / 'nupm'}'",
        f"for p in [{names}] {{ nupm install --no-confirm --registry b $p }}",
    ])
    server.clear_log()
    start = time.perf_counter()
    proc = subprocess.run([str(nu), "-n", "-c", script], cwd=base, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    modules = base / "nu-home" / "modules"
    installed = sorted(p.name for p in modules.iterdir()) if modules.is_dir() else []
    ok = proc.returncode == 0 and installed == list(map(name_of, range(1, COUNT + 1)))
    said = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr).strip()
    stats = traffic(server)
    remove(base)
    return wall, stats, said, ok


def errors_only(said: str) -> str:
    """What nu printed from its first error on (deprecation warnings before it are left out, and counted)."""
    lines = said.splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith("Error")), 0)
    skipped = f" ({first} lines of warnings before it left out)" if first else ""
    return f"{skipped}:\n" + "\n".join(f"    {line}" for line in lines[first:])


def peer(tmp: Path, server: Nginx, site: Path, runs: int) -> tuple[dict | None, list[str]]:
    """Nushell nupm's newest snapshot first, on each nu, from plain/; then the fallbacks of PEER_REVISIONS and
    the registry as Nushell nupm writes it. Every failed attempt is reported with what it printed."""
    if not (PEER_MIRROR / "HEAD").exists():
        return None, [f"no snapshot of Nushell nupm at {PEER_MIRROR}"]
    nus = {}
    for nu in NU_CANDIDATES:
        if nu.exists():
            nus.setdefault(nu_version(nu), nu)  # one binary per version
    notes = []
    for revision in PEER_REVISIONS:
        checkout = peer_checkout(tmp, revision)
        for version, nu in nus.items():
            for registry in ("plain", "nu"):
                if registry == "nu":
                    registry = nu_written_registry(site, nu)
                wall, stats, said, ok = peer_install(tmp, server, checkout, nu, registry, 0)
                what = f"Nushell nupm {revision} on nu {version}, {registry}/"
                if not ok:
                    notes.append(f"{what}: failed; it printed{errors_only(said)}")
                    if "does not match expected hash" in said:
                        continue  # the same packages, written the way Nushell nupm hashes them
                    break
                samples = [{"wall": wall, **stats}]
                for run in range(1, runs):
                    wall, stats, said, ok = peer_install(tmp, server, checkout, nu, registry, run)
                    if not ok:
                        notes.append(f"{what}: failed on run {run + 1} after succeeding:\n{said}")
                        return None, notes
                    samples.append({"wall": wall, **stats})
                return {**medians(samples), "what": what, "registry": registry}, notes
    return None, notes or ["no nu binary found"]


# -- the report ------------------------------------------------------------------------------------------------
def kb(n: float) -> str:
    return f"{n / 1024:.0f}" if n >= 1024 or n == 0 else f"{n / 1024:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure; medians are printed (default 5)")
    runs = max(1, parser.parse_args().runs)

    tmp = Path(tempfile.mkdtemp(prefix="nupm-bench-remote-"))
    site = tmp / "site"
    site.mkdir()
    server = Nginx(site, tmp / "nginx")
    try:
        server.start()
        build_packages(site, tmp / "src", server.url, hermetic(tmp / "publisher", None))
        build_big_registry(site / "big", server.url)
        packs = sorted(site.glob("git/*.git/objects/pack/*.pack"))
        pack_kb = statistics.median(p.stat().st_size for p in packs) / 1024

        rows = []  # label, stats, notes
        cold = {}
        for registry in ("reg", "plain"):
            for jobs in (None, 1):
                cold[registry, jobs] = stats = cold_add(tmp, server, registry, COUNT, jobs, runs)
                rows.append((f"cold add {COUNT}, {registry}/, jobs {jobs or 8}", stats,
                             f"{stats['locked']:.0f} locked"))
        if cold["reg", None]["lock"].replace("/reg/", "/plain/") != cold["plain", None]["lock"]:
            print("note: reg/ and plain/ locked different packages or commits")
        for count in (5, 10):
            for jobs in (None, 1):
                stats = cold_add(tmp, server, "reg", count, jobs, runs)
                rows.append((f"cold add {count}, reg/, jobs {jobs or 8}", stats, f"{stats['locked']:.0f} locked"))
        for registry in ("reg", "plain"):
            stats = warm_relock(tmp, server, registry, runs)
            rows.append((f"warm re-lock, {registry}/", stats, f"{stats['n304']:.0f} x 304"))
        search = warm_search(tmp, server, runs)
        rows.append((f"search {SEARCH_TERM} --json, {BIG:,} pkgs, warm", search,
                     f"{search['found']:.0f} found, {search['n304']:.0f} x 304; target < 300 ms"))
        theirs, peer_notes = peer(tmp, server, site, runs)
        if theirs:
            rows.append((f"Nushell nupm install x{COUNT}, {theirs['registry']}/", theirs, theirs["what"]))
    finally:
        server.stop()
        remove(tmp)

    print(f"{COUNT} git packages ({COMMITS} commits, pack ~{pack_kb:.0f} KB each) over nginx on 127.0.0.1; "
          f"medians of {runs} run{'s' if runs > 1 else ''}; KB = bodies sent")
    width = max(len(r[0]) for r in rows)
    print(f"{'':<{width}}  {'wall':>8}  {'registry req/KB':>15}  {'git req/KB':>11}  {'404':>4}  notes")
    for label, s, note in rows:
        print(f"{label:<{width}}  {s['wall'] * 1000:5.0f} ms  {s['reg_req']:7.0f} {kb(s['reg_bytes']):>7}  "
              f"{s['git_req']:5.0f} {kb(s['git_bytes']):>5}  {s['n404']:4.0f}  {note}")
    print()
    for registry in ("reg", "plain"):
        print(f"serial / parallel, {registry}/: {cold[registry, 1]['wall'] / cold[registry, None]['wall']:.2f}x")
    per = {n: next(s for label, s, _ in rows if label == f"cold add {n}, reg/, jobs 8")["wall"] for n in (5, 10, 20)}
    print(f"growth, reg/ jobs 8: 5 -> 10 -> 20 packages = {per[5] * 1000:.0f} -> {per[10] * 1000:.0f} -> "
          f"{per[20] * 1000:.0f} ms ({(per[20] - per[5]) / 15 * 1000:.0f} ms per extra package)")
    if theirs:
        ours = cold["plain", None]["wall"]
        print(f"Nushell nupm ({theirs['registry']}/) / nupm (plain/, jobs 8): {theirs['wall'] / ours:.2f}x; "
              f"against nupm --jobs 1: {theirs['wall'] / cold['plain', 1]['wall']:.2f}x")
    if peer_notes:
        print("\nNushell nupm, attempts that failed:")
        for note in peer_notes:
            print(f"  {note}")


if __name__ == "__main__":
    main()
