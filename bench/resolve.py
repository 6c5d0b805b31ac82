"""Dependency resolution, nupm against uv, on the same graphs (not a test: it prints figures and ratios, it
does not fail).

    python bench/resolve.py                              # every graph, medians of 5 runs
    python bench/resolve.py --sizes 100,1000 --runs 3 --timeout 120
    python bench/resolve.py --only abandoned-1000        # one graph (a name from the table, or a prefix)
    python bench/resolve.py --keep /tmp/resolve-graphs   # write (or reuse) the graphs there and keep them
    python bench/resolve.py --nupm-src /tmp/old          # another nupm: git archive REV nupm | tar -x -C /tmp/old

Every graph is generated from a seed, so two runs with the same flags measure the same graphs; with --keep a
graph already in DIR (same generator, same parameters) is reused as it is, not written again.

Graphs:
  synthetic-N      a registry of N packages pkg0000..: 0-6 dependencies each, drawn Zipf-like so a few core
                   packages are depended on by many; 5-30 versions each (semver, several majors for some, 0.x
                   for some), released over time, each version's ranges aimed at what its dependencies had
                   released by then (caret ^1.2 / ^1.2.3, tilde ~1.2, explicit >=1.1.0 <1.4.0), so newer
                   versions require newer dependencies. The root asks for ~50 top-level packages (25 for
                   100, 112 for 5,000) with carets (^M.m) on the versions current at time 0.95, a project
                   written shortly before the last releases; those versions are made consistent, so there
                   is a solution, though not all newest. Every graph is also checked with uv (an unsolvable
                   one would be drawn again with the next seed).
  abandoned-1000   the same with 1,000 packages, of which ~20 % were abandoned halfway: their last versions
                   depend on old majors of core packages that the others have since left. The root was
                   written at that halfway point (carets on the versions of then), so a newest-first search
                   keeps meeting newer minors that need the new majors. Solvable by construction: the
                   halfway snapshot is made consistent.
  adversarial-KxM  K root packages adv1..advK with M versions 1.0.0..1.(M-1).0 each; adv<a> 1.i.0 needs
                   mid<a> ~1.i, and mid<a> 1.i.0 (i > 0) needs zshared ~<a+1>.i, a part of the one shared
                   dependency no other root's versions use; mid<a> 1.0.0 and only it needs zshared ^1.0. So
                   any two newest versions conflict, through a package one step away (seen only once the mid
                   is pinned, not when the roots' requirements meet), and only the oldest combination,
                   every root at 1.0.0, works. 4x10 and 5x15 are solved by resolvelib's backjumping after
                   hundreds of rounds; 6x20 and 8x20 exhaust nupm's 20,000 rounds with it.

Each graph is written twice: as a nupm registry laid out as `nupm publish` writes one (registry.nuon +
<pkg>.nuon in Nushell nupm's format, package dirs, nupm-index.json and the sparse index with type, hash and
dependencies, so resolution reads one small file per package it meets and opens no package directory) with a
project whose nupm.toml names it in [registries]; and as a flat
--find-links directory of empty wheels (METADATA with Requires-Dist, ranges translated to PEP 440: ^1.2.3 ->
>=1.2.3,<2.0.0, ^0.2.3 -> >=0.2.3,<0.3.0, ~1.2 -> >=1.2.0,<1.3.0) with a requirements.in for the root.

Measured, each command as a user runs it, wall time of the whole process (interpreter start included):
  nupm   `rm nupm.lock; nupm lock` (`nupm` from PATH, else `python -m nupm`), in a hermetic environment: HOME,
         XDG_*, NUPM_HOME, NUPM_CACHE_DIR under a temp dir, NUPM_CONFIG an empty [registries] table (so the
         official registry is never asked), NUPM_OFFLINE=1. One warm-up run, then the median of --runs; a
         warm-up slower than 10 s (or a timeout, --timeout, default 60 s) is the only run.
  uv     `uv pip compile requirements.in --find-links wheels --no-index --offline --quiet -o uv.txt`, with its
         own cache dir per graph (--cache-dir) and no user config: the first run fills the cache (shown as
         "uv cold"), the median of --runs warm runs after it is the "uv" column, as a user's second run.
Memory is the child's max RSS (/usr/bin/time -f %M, else a small launcher reading ru_maxrss from os.wait4).
"locked" is the number of packages in nupm.lock / in uv's output; "old" how many of uv's picks are not the
newest version of their package (how far from newest-first the solution lies); "differ" how many packages
nupm and uv lock at different versions (or only one of them locks). The growth lines fit
time ~ n^k over the synthetic rows (n = packages locked).
"""

from __future__ import annotations

import argparse
import base64
import bisect
import hashlib
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from conftest import make_registry  # noqa: E402

# Bump when the generator changes, so graphs kept in a --keep dir by an older version are written anew.
GENERATOR = 2
SLOW = 10.0  # seconds: a warm-up run slower than this is the only run
SEED_TRIES = 20


# -- ranges ---------------------------------------------------------------------------------------------
# A range is (npm text for nupm, lower bound, upper bound or None): v matches when lo <= v < hi. The PEP 440
# text is written from the bounds, so both tools get the same set whatever the npm shorthand was.
def fmt(v: tuple) -> str:
    return ".".join(map(str, v))


def caret(v: tuple, parts: int) -> tuple:
    major, minor, patch = v
    text = "^" + fmt(v[:parts])
    lo = (major, minor, patch if parts == 3 else 0)
    if major:
        hi = (major + 1, 0, 0)
    elif minor or parts == 2:
        hi = (0, minor + 1, 0)
    else:
        hi = (0, 0, patch + 1)
    return text, lo, hi


def tilde(v: tuple, parts: int) -> tuple:
    lo = (v[0], v[1], v[2] if parts == 3 else 0)
    return "~" + fmt(v[:parts]), lo, (v[0], v[1] + 1, 0)


def between(lo: tuple, hi: tuple) -> tuple:
    return f">={fmt(lo)} <{fmt(hi)}", lo, hi  # nupm's (npm's) syntax: space-separated, no comma


def pep440(rng: tuple) -> str:
    _, lo, hi = rng
    return f">={fmt(lo)},<{fmt(hi)}" if hi else f">={fmt(lo)}"


def admits(rng: tuple, v: tuple) -> bool:
    return rng[1] <= v and (rng[2] is None or v < rng[2])


# -- graphs ---------------------------------------------------------------------------------------------
# A graph: {"packages": {name: [(version, {dep: range})]}, "root": {name: range}}, versions as int tuples.
def synthetic(n: int, seed: int, abandoned: float = 0.0, snapshot: float | None = None) -> dict:
    """A registry of n packages released over time [0, 1] (see the module docstring). With `snapshot`, the
    versions current at that time are made mutually consistent and the root asks for them: a solution exists
    whatever was drawn."""
    rng = random.Random(seed)
    width = len(str(n - 1))
    names = [f"pkg{i:0{width}d}" for i in range(n)]
    core = max(1, n // 20)
    # Who depends on whom: only on earlier packages (no cycles; they are released earlier too), Zipf-like so
    # the first few are everywhere.
    cum = list(_accumulate(1 / (j + 1) ** 0.9 for j in range(n)))
    releases: dict[str, list] = {}  # name -> [(time, version, [dep names])]
    for i, name in enumerate(names):
        start = 0.45 * i / n
        gone = i >= core and rng.random() < abandoned
        end = rng.uniform(start + 0.05, max(start + 0.05, 0.5)) if gone else rng.uniform(0.9, 1.0)
        count = 5 + int(26 * rng.random() ** 2)  # 5-30, most packages have few
        times = [start, *sorted(rng.uniform(start, end) for _ in range(count - 2)), end]
        breaking = 0.15 if i < core else 0.06
        version = (0, 1, 0) if rng.random() < 0.3 else (1, 0, 0)
        deps = _draw(rng, cum, i, rng.choices(range(7), weights=[20, 22, 20, 15, 10, 7, 6])[0])
        history = []
        for k, t in enumerate(times):
            if k:
                r = rng.random()
                if r < breaking:
                    version = (1, 0, 0) if version[0] == 0 and rng.random() < 0.3 else \
                        (0, version[1] + 1, 0) if version[0] == 0 else (version[0] + 1, 0, 0)
                    if rng.random() < 0.3:  # a new major sometimes takes a new dependency, or drops one
                        deps = sorted(set(deps) | set(_draw(rng, cum, i, 1)))
                    elif deps and rng.random() < 0.15:
                        deps = deps[:-1]
                elif r < breaking + 0.3 and version[0]:
                    version = (version[0], version[1] + 1, 0)
                else:
                    version = (version[0], version[1], version[2] + 1)
            history.append((t, version, [names[j] for j in deps]))
        releases[name] = history

    def at(name: str, t: float) -> int:
        """Index of the newest version of `name` released by time t (its first if none was)."""
        return max(0, bisect.bisect_right([h[0] for h in releases[name]], t) - 1)

    packages: dict[str, list] = {}
    for name, history in releases.items():
        rows = []
        for t, version, dep_names in history:
            ranges = {}
            for dep in dep_names:
                dep_history = releases[dep]
                k = at(dep, t)
                ranges[dep] = _aimed(rng, [h[1] for h in dep_history], k)
            rows.append((version, ranges))
        packages[name] = rows

    if snapshot is not None:
        # The versions current at `snapshot` are made to work together: a range of one of them that misses
        # what its dependency had at that time becomes a caret on that.
        current = {name: releases[name][at(name, snapshot)][1] for name in names}
        for name in names:
            version, ranges = packages[name][at(name, snapshot)]
            for dep, r in ranges.items():
                if not admits(r, current[dep]):
                    ranges[dep] = caret(current[dep], 2)
    else:
        current = {name: releases[name][-1][1] for name in names}
    # The root: top-level packages (the later half, which few depend on), carets on their current versions.
    roots = max(25, min(n // 4, round(50 * (n / 1000) ** 0.5)))
    top = sorted(rng.sample(range(n // 2, n), roots))
    root = {names[i]: caret(current[names[i]], 2) for i in top}
    return {"packages": packages, "root": root}


def _accumulate(values):
    total = 0.0
    for v in values:
        total += v
        yield total


def _draw(rng: random.Random, cum: list, below: int, count: int) -> list[int]:
    """`count` distinct indices < below, weighted by cum (cumulative weights)."""
    count = min(count, below)
    found: set[int] = set()
    while len(found) < count:
        found.add(min(below - 1, bisect.bisect_left(cum, rng.random() * cum[below - 1], 0, below)))
    return sorted(found)


def _aimed(rng: random.Random, versions: list, k: int) -> tuple:
    """A range aimed at versions[k] (the newest the dependency had then): it always admits it; its lower
    bound is sometimes an older version of the same line, as people rarely raise lower bounds."""
    target = versions[k]
    same_line = [v for v in versions[:k + 1] if v[0] == target[0] and (target[0] or v[1] == target[1])]
    lower = target if rng.random() < 0.5 else rng.choice(same_line)
    r = rng.random()
    if r < 0.65:
        return caret(lower, rng.choice((2, 3)))
    if r < 0.80:
        return tilde(target, rng.choice((2, 3)))
    hi = (target[0] + 1, 0, 0) if rng.random() < 0.3 else (target[0], target[1] + rng.randint(1, 3), 0)
    return between((lower[0], lower[1], 0), hi)


def adversarial(k: int, m: int) -> dict:
    """See the module docstring: only every root (and so every mid) at 1.0.0 works."""
    packages: dict[str, list] = {"zshared": [((1, 0, 0), {})]}
    for a in range(1, k + 1):
        packages[f"adv{a}"] = [((1, i, 0), {f"mid{a}": tilde((1, i, 0), 2)}) for i in range(m)]
        mids = [((1, 0, 0), {"zshared": caret((1, 0, 0), 2)})]
        for i in range(1, m):
            packages["zshared"].append(((a + 1, i, 0), {}))
            mids.append(((1, i, 0), {"zshared": tilde((a + 1, i, 0), 2)}))
        packages[f"mid{a}"] = mids
    packages["zshared"].sort()
    return {"packages": packages, "root": {f"adv{a}": caret((1, 0, 0), 2) for a in range(1, k + 1)}}


def check_ranges(graph: dict, sample: int = 300) -> None:
    """nupm's reading of each npm text must be the bounds the PEP 440 text was written from."""
    from nupm.versions import Range, Version

    rng = random.Random(0)
    versions = {name: [v for v, _ in rows] for name, rows in graph["packages"].items()}
    edges = [(dep, r) for rows in graph["packages"].values() for _, deps in rows for dep, r in deps.items()]
    edges += list(graph["root"].items())
    for dep, r in rng.sample(edges, min(sample, len(edges))):
        parsed = Range(r[0])
        for v in versions[dep]:
            if parsed.admits(Version(fmt(v))) != admits(r, v):
                raise SystemExit(f"generator bug: nupm reads {r[0]!r} differently from {pep440(r)!r} at {fmt(v)}")


# -- writing --------------------------------------------------------------------------------------------
def write_registry(graph: dict, directory: Path) -> None:
    """registry/: Nushell nupm's format plus the full index (nupm-index.json) and the sparse index."""
    from nupm.fsutil import tree_hash

    registry = directory / "registry"
    specs = [(name, fmt(v), {d: r[0] for d, r in deps.items()})
             for name, rows in sorted(graph["packages"].items()) for v, deps in rows]
    make_registry(registry, specs)
    index: dict = {}
    for name, version, deps in specs:
        rel = f"pkgs/{name}-{version}"
        index.setdefault(name, {})[version] = {"type": "module", "hash": tree_hash(registry / rel),
                                               "dependencies": deps, "source": {"type": "local", "path": rel}}
    (registry / "nupm-index.json").write_text(json.dumps({"version": 1, "packages": index}))
    write_sparse_index(registry, index)


def write_sparse_index(registry: Path, index: dict) -> None:
    """The sparse index too, as `nupm publish` writes it: a lock then reads only the packages it meets, not
    the whole nupm-index.json (16 MB at 5,000 packages, 0.2 s of JSON)."""
    from nupm.sources.registry import SPARSE_CONFIG, sparse_path

    for name, versions in index.items():
        path = registry / sparse_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"name": name, "versions": versions}))
    (registry / SPARSE_CONFIG).write_text(json.dumps({"version": 1}))


def write_wheels_and_project(graph: dict, directory: Path) -> None:
    """wheels/ (uv's --find-links) and project/ (nupm.toml naming ../registry, and requirements.in)."""
    wheels = directory / "wheels"
    wheels.mkdir(parents=True)
    for name, rows in graph["packages"].items():
        for v, deps in rows:
            write_wheel(wheels, name, fmt(v), [f"{d}{pep440(r)}" for d, r in sorted(deps.items())])

    project = directory / "project"
    project.mkdir(parents=True)
    lines = ["[package]", 'name = "bench"', 'version = "0.1.0"', 'type = "module"', "", "[dependencies]"]
    lines += [f'{name} = "{r[0]}"' for name, r in sorted(graph["root"].items())]
    lines += ["", "[registries]", 'bench = "../registry"']
    (project / "nupm.toml").write_text("\n".join(lines) + "\n")
    (project / "requirements.in").write_text("".join(f"{n}{pep440(r)}\n" for n, r in sorted(graph["root"].items())))


def write_wheel(directory: Path, name: str, version: str, requires: list[str]) -> None:
    """An empty wheel: METADATA, WHEEL, RECORD; fixed dates, so the bytes are the same on every run."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{dist}/METADATA": "Metadata-Version: 2.1\n"
                            f"Name: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires),
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: nupm-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = ""
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record += f"{path},sha256={digest},{len(text.encode())}\n"
    files[f"{dist}/RECORD"] = record + f"{dist}/RECORD,,\n"
    with zipfile.ZipFile(directory / f"{name}-{version}-py3-none-any.whl", "w") as z:
        for path, text in files.items():
            z.writestr(zipfile.ZipInfo(path, (2020, 1, 1, 0, 0, 0)), text)


# -- running --------------------------------------------------------------------------------------------
# When /usr/bin/time is missing: fork, exec, and write the child's ru_maxrss (KB on Linux) to argv[1].
LAUNCHER = """import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)
"""


def measured(cmd: list[str], cwd: Path, env: dict, timeout: float, rss_file: Path) -> dict:
    """One run: {"seconds", "mb", "code", "err"}; seconds is None on timeout."""
    gnu_time = Path("/usr/bin/time")
    wrapper = [str(gnu_time), "-f", "%M", "-o", str(rss_file)] if gnu_time.exists() else \
        [sys.executable, "-c", LAUNCHER, str(rss_file)]
    rss_file.unlink(missing_ok=True)
    start = time.perf_counter()
    # Its own process group, so a timeout kills the tool and not just the wrapper around it.
    proc = subprocess.Popen([*wrapper, *cmd], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True, text=True)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"seconds": None, "mb": None, "code": None, "err": f"timeout after {timeout:.0f} s"}
    seconds = time.perf_counter() - start
    try:
        mb = int(rss_file.read_text().split()[-1]) / 1024
    except (OSError, ValueError, IndexError):
        mb = None
    return {"seconds": seconds, "mb": mb, "code": proc.returncode, "err": err.strip()}


def series(run, runs: int, warmup: bool = True) -> dict:
    """The median of `runs` runs after a warm-up; a slow, failed or timed-out warm-up is the only run."""
    first = run()
    if first["code"] != 0 or first["seconds"] >= SLOW:
        return {**first, "runs": 1}
    results = [run() for _ in range(runs)] if warmup else [first] + [run() for _ in range(runs - 1)]
    bad = next((r for r in results if r["code"] != 0), None)
    if bad:
        return {**bad, "runs": len(results)}
    mbs = [r["mb"] for r in results if r["mb"] is not None]
    return {"seconds": statistics.median(r["seconds"] for r in results), "mb": statistics.median(mbs) if mbs else None,
            "code": 0, "err": "", "runs": len(results), "first": first}


def nupm_cmd(src: str | None = None) -> list[str]:
    if src:
        return [sys.executable, "-m", "nupm"]  # from `src` (PYTHONPATH, see hermetic_env)
    exe = shutil.which("nupm")
    return [exe] if exe else [sys.executable, "-m", "nupm"]


def uv_cmd() -> list[str]:
    exe = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not Path(exe).exists():
        raise SystemExit("uv is needed: pip install uv (or the bench extra: pip install -e '.[bench]')")
    return [exe]


def hermetic_env(tmp: Path, nupm_src: str | None = None) -> dict:
    """Nothing from the user's dirs, config or registries; no network."""
    user = tmp / "user"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUPM_", "XDG_", "UV_", "VIRTUAL_ENV"))}
    env.update(HOME=str(user), NUPM_HOME=str(tmp / "nupm-home"), NUPM_CONFIG=str(tmp / "config.toml"),
               NUPM_CACHE_DIR=str(tmp / "nupm-cache"), NUPM_OFFLINE="1", UV_NO_CONFIG="1",
               UV_PYTHON_DOWNLOADS="never", UV_NO_PROGRESS="1")
    for var, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
                     ("XDG_CACHE_HOME", ".cache"), ("XDG_STATE_HOME", ".local/state"),
                     ("XDG_RUNTIME_DIR", "run")):
        env[var] = str(user / sub)
        (user / sub).mkdir(parents=True, exist_ok=True)
    (user / "run").chmod(0o700)
    (tmp / "config.toml").write_text("[registries]\n")  # empty: the official remote registry is never asked
    if nu := os.environ.get("NUPM_NU"):
        env["NUPM_NU"] = nu
    if nupm_src:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [nupm_src, os.environ.get("PYTHONPATH")]))
    return env


def uv_compile(graph_dir: Path, cache: Path) -> list[str]:
    return [*uv_cmd(), "pip", "compile", "requirements.in", "--find-links", str(graph_dir / "wheels"),
            "--no-index", "--offline", "--quiet", "--python", sys.executable, "-o", "uv.txt",
            "--cache-dir", str(cache)]


def uv_solution(project: Path) -> dict[str, str]:
    found = {}
    for line in (project / "uv.txt").read_text().splitlines():
        if "==" in line and not line.startswith(("#", " ")):
            name, _, version = line.partition("==")
            found[name.strip()] = version.split()[0]
    return found


# -- graphs on disk ------------------------------------------------------------------------------------
def graph_specs(sizes: list[int]) -> list[dict]:
    # The synthetic root was written at time 0.95 (of releases over [0, 1]): a few packages then move on, so
    # a lock is mostly, not all, newest versions. An older root means more backtracking: at 0.9 resolvelib
    # gives up on 5,000 packages, at 0.85 on 1,000 already.
    specs = [{"name": f"synthetic-{n}", "kind": "synthetic", "n": n, "seed": 1, "snapshot": 0.95} for n in sizes]
    specs.append({"name": "abandoned-1000", "kind": "abandoned", "n": 1000, "seed": 1, "snapshot": 0.55,
                  "abandoned": 0.2})
    specs += [{"name": f"adversarial-{k}x{m}", "kind": "adversarial", "k": k, "m": m}
              for k, m in ((4, 10), (5, 15), (6, 20), (8, 20))]
    return specs


def build(spec: dict, seed: int) -> dict:
    if spec["kind"] == "synthetic":
        return synthetic(spec["n"], seed, snapshot=spec["snapshot"])
    if spec["kind"] == "abandoned":
        return synthetic(spec["n"], seed, abandoned=spec["abandoned"], snapshot=spec["snapshot"])
    return adversarial(spec["k"], spec["m"])


def prepare(spec: dict, directory: Path, env: dict, tmp: Path) -> dict:
    """The graph in `directory`, written now or kept from an earlier run; returns its stamp."""
    stamp_file = directory / "graph.json"
    wanted = {"generator": GENERATOR, **spec}
    if stamp_file.exists():
        stamp = json.loads(stamp_file.read_text())
        if {k: stamp.get(k) for k in wanted} == wanted:
            return stamp
    shutil.rmtree(directory, ignore_errors=True)
    seed = spec.get("seed", 0)
    for attempt in range(SEED_TRIES):
        started = time.perf_counter()
        graph = build(spec, seed + attempt)
        check_ranges(graph)
        write_wheels_and_project(graph, directory)
        # Solvable? uv says (before the slow part, the registry, is written); an unsolvable draw is drawn
        # again with the next seed.
        proc = subprocess.run(uv_compile(directory, tmp / "uv-check"), cwd=directory / "project", env=env,
                              capture_output=True, text=True)
        shutil.rmtree(tmp / "uv-check", ignore_errors=True)
        if proc.returncode == 0:
            write_registry(graph, directory)
            newest = {name: fmt(rows[-1][0]) for name, rows in graph["packages"].items()}
            stamp = {**wanted, "seed_used": seed + attempt, "packages": len(graph["packages"]),
                     "versions": sum(len(rows) for rows in graph["packages"].values()), "newest": newest,
                     "seconds_to_write": round(time.perf_counter() - started, 1)}
            stamp_file.write_text(json.dumps(stamp, indent=1))
            return stamp
        print(f"  {spec['name']}: seed {seed + attempt} has no solution (uv); drawing again", file=sys.stderr)
        shutil.rmtree(directory)
    raise SystemExit(f"{spec['name']}: no solvable graph in {SEED_TRIES} seeds")


def bench_one(spec: dict, directory: Path, env: dict, tmp: Path, runs: int, timeout: float,
              nupm: list[str]) -> dict:
    project = directory / "project"
    stamp = prepare(spec, directory, env, tmp)

    def nupm_run():
        (project / "nupm.lock").unlink(missing_ok=True)  # else `nupm lock` finds it up to date and stops
        return measured([*nupm, "lock"], project, env, timeout, tmp / "rss")

    cache = tmp / "uv-cache" / spec["name"]
    shutil.rmtree(cache, ignore_errors=True)
    uv_cold = measured(uv_compile(directory, cache), project, env, 600, tmp / "rss")  # fills the cache
    uv = series(lambda: measured(uv_compile(directory, cache), project, env, 600, tmp / "rss"), runs,
                warmup=False) if uv_cold["code"] == 0 else {**uv_cold, "runs": 1}
    solution = uv_solution(project) if uv["code"] == 0 else {}
    nup = series(nupm_run, runs)
    lock = project / "nupm.lock"
    picked = {p["name"]: p["version"] for p in tomllib.loads(lock.read_text()).get("package", [])} \
        if nup["code"] == 0 and lock.exists() else None
    newest = stamp["newest"]
    return {"name": spec["name"], "kind": spec["kind"], "registry": stamp["packages"], "versions": stamp["versions"],
            "nupm": nup, "uv": uv, "uv_cold": uv_cold["seconds"],
            "nupm_locked": None if picked is None else len(picked),
            # Both pick newest first, but a different search may settle elsewhere: how many picks differ.
            "differ": None if picked is None or not solution else
            sum(1 for n in set(picked) | set(solution) if picked.get(n) != solution.get(n)),
            "uv_locked": len(solution) if solution else None,
            "old": sum(1 for n, v in solution.items() if newest.get(n) != v) if solution else None}


# -- the table ----------------------------------------------------------------------------------------
def cell_time(r: dict) -> str:
    if r["seconds"] is None:
        return "timeout"
    if r["code"] != 0:
        return f"failed {r['seconds']:.0f}s"  # after how long it gave up
    return f"{r['seconds']:.2f}" + ("*" if r.get("runs") == 1 else "")


def ratio(a, b) -> str:
    return f"{a / b:.1f}x" if a is not None and b else "-"


def show(rows: list[dict], timeout: float) -> None:
    head = ["graph", "reg pkgs", "versions", "nupm s", "uv s", "ratio", "uv cold s", "nupm MB", "uv MB", "ratio",
            "locked nupm/uv", "old", "differ"]
    table = []
    for row in rows:
        n, u = row["nupm"], row["uv"]
        ok = n["code"] == 0
        locked = f"{row['nupm_locked'] if row['nupm_locked'] is not None else '-'}/{row['uv_locked'] or '-'}"
        if ok and row["uv_locked"] is not None and row["nupm_locked"] != row["uv_locked"]:
            locked += " (mismatch)"
        table.append([row["name"], str(row["registry"]), str(row["versions"]), cell_time(n), cell_time(u),
                      ratio(n["seconds"], u["seconds"]) if ok else "-",
                      f"{row['uv_cold']:.2f}" if row["uv_cold"] is not None else "-",
                      f"{n['mb']:.0f}" if n["mb"] is not None and ok else "-",
                      f"{u['mb']:.0f}" if u["mb"] is not None else "-",
                      ratio(n["mb"], u["mb"]) if ok else "-", locked,
                      "-" if row["old"] is None else str(row["old"]),
                      "-" if row["differ"] is None else str(row["differ"])])
    widths = [max(len(head[i]), *(len(t[i]) for t in table)) for i in range(len(head))]
    print("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths, strict=True))))
    for t in table:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(t, widths, strict=True))))
    print(f"(* one run only: --runs 1, or slower than {SLOW:.0f} s, or failed; nupm timeout {timeout:.0f} s; "
          "uv warm, 'uv cold' its first run with an empty cache)")
    for row in rows:
        if row["nupm"]["code"] not in (0, None):
            print(f"{row['name']}: nupm: {row['nupm']['err'].splitlines()[-1] if row['nupm']['err'] else '?'}")
        if row["uv"]["code"] != 0:
            print(f"{row['name']}: uv: {row['uv']['err'][-300:]}")

    sized = [r for r in rows if r["kind"] == "synthetic"]
    for tool, key in (("nupm", "nupm_locked"), ("uv", "uv_locked")):
        points = [(r[key], r[tool]["seconds"]) for r in sized
                  if r[tool]["code"] == 0 and r[tool]["seconds"] and r[key]]
        if len(points) >= 2:
            print(f"growth, {tool}: time ~ n^{slope(points):.2f} over n = {', '.join(str(p[0]) for p in points)} "
                  "packages locked")
        elif sized:
            print(f"growth, {tool}: too few finished synthetic graphs to fit")


def slope(points: list[tuple]) -> float:
    """Least-squares slope of log(time) against log(n)."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000", help="synthetic registry sizes (default 100,1000,5000)")
    parser.add_argument("--only", help="run only these graphs: comma-separated names or prefixes")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per tool and graph (default 5)")
    parser.add_argument("--timeout", type=float, default=60, help="seconds before a nupm run is stopped (default 60)")
    parser.add_argument("--nupm-src", metavar="DIR",
                        help="measure the nupm package in DIR (PYTHONPATH=DIR python -m nupm), e.g. an export of an "
                             "older revision: git archive REV nupm | tar -x -C DIR")
    parser.add_argument("--keep", metavar="DIR",
                        help="write the graphs here (reusing those already there) and keep them")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    specs = graph_specs(sizes)
    if args.only:
        wanted = [w.strip() for w in args.only.split(",")]
        # A name, else a prefix (synthetic-100 is not also synthetic-1000; adversarial is all four).
        names = {s["name"] for s in specs}
        specs = [s for s in specs if any(s["name"] == w or (w not in names and s["name"].startswith(w))
                                         for w in wanted)]
        if not specs:
            raise SystemExit(f"no graph named {args.only}; known: {', '.join(s['name'] for s in graph_specs(sizes))}")

    tmp = Path(tempfile.mkdtemp(prefix="nupm-bench-resolve-"))
    graphs = Path(args.keep).absolute() if args.keep else tmp / "graphs"
    env = hermetic_env(tmp, args.nupm_src)
    nupm = nupm_cmd(args.nupm_src)
    rows = []
    try:
        for spec in specs:
            print(f"{spec['name']}...", file=sys.stderr, flush=True)
            rows.append(bench_one(spec, graphs / spec["name"], env, tmp, max(1, args.runs), args.timeout,
                                  nupm))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    source = f" (PYTHONPATH={args.nupm_src})" if args.nupm_src else ""
    print(f"nupm: {' '.join(nupm)}{source}   uv: {uv_version()}   python {sys.version.split()[0]}   "
          f"{os.cpu_count()} cores")
    show(rows, args.timeout)
    if args.keep:
        print(f"\ngraphs kept in {graphs}; to measure the same graphs again (they are reused, not rewritten):")
        print(f"  python bench/resolve.py --keep {graphs} --sizes {args.sizes}"
              + (f" --only {args.only}" if args.only else "")
              + (f" --nupm-src {args.nupm_src}" if args.nupm_src else ""))
        print("or one by hand (a hermetic NUPM_HOME and an empty NUPM_CONFIG [registries] table as above):")
        print(f"  cd {graphs}/NAME/project && rm -f nupm.lock && nupm lock")
        print(f"  cd {graphs}/NAME/project && uv pip compile requirements.in --find-links ../wheels --no-index "
              "--offline --quiet -o uv.txt")


def uv_version() -> str:
    return subprocess.run([*uv_cmd(), "--version"], capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    main()
