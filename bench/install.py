"""Install benchmarks, nupm side by side with its peers in one run (not tests: they print figures and ratios).

    python bench/install.py                       # 10, 50, 200 packages, median of 5 runs each
    python bench/install.py --counts 50 --runs 5 --nushell-nupm ~/src/nupm --nu ~/bin/nu
    python bench/install.py --compare-with /tmp/old   # /tmp/old/nupm: the code before a change, timed alongside

1. Cold install of N local packages, the page cache dropped before each run (`sync; echo 3 >
   /proc/sys/vm/drop_caches`, when permitted; otherwise warm-cache, and the table says so):
   - nupm: `nupm install` in a new project that depends on all N through a local registry directory
     (an empty NUPM_HOME: resolve, lock, copy into the store, write the environment), and the same project
     with its nupm.lock already there (a clone: no resolution);
   - Nushell's nupm: `nupm install --path DIR` for each of the same N directories, looped inside ONE nu
     process run from its repository (`use nupm/`), into an empty NUPM_HOME.
   Target: nupm >= 2x faster at each N. The growth exponent k (time ~ N^k) is fitted over the counts.
2. 50 packages from a warm store into a new project (a copy of a locked project without its .nupm/, all its
   packages already in NUPM_HOME/store) against uv: `uv venv` + `uv pip install` of 50 empty local wheels
   (--no-index --find-links, --offline, a warm uv cache) into a new .venv. Target: nupm <= uv.
3. Syscalls of nupm's cold 50-package install (`strace -f -c`): openat, fsync, rename, chmod, stat, ...

Everything (HOME, XDG_*, NUPM_HOME, NUPM_CONFIG, NUPM_CACHE_DIR, UV_CACHE_DIR) lives in one temp dir.
Nushell's nupm comes from --nushell-nupm DIR, or else from the snapshot /work/.mirror/nushell+nupm
(`git archive`); nu from --nu, or .tools/nu-0.107.0 (`npm install --prefix .tools/nu-0.107.0 nushell@0.107.0`).
"""

from __future__ import annotations

import argparse
import io
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MIRROR = Path("/work/.mirror/nushell+nupm/repo")
NU_107 = REPO / ".tools" / "nu-0.107.0" / "node_modules" / "@nushell" / "linux-x64" / "bin" / "nu"
SYSCALLS = "openat,fsync,fdatasync,rename,symlink,chmod,fchmod,stat,newfstatat,lstat"


# -- the packages ------------------------------------------------------------------------------------
def write_packages(root: Path, count: int) -> list[Path]:
    """`count` module packages as real ones look: nupm.nuon, README, LICENSE, a module of a few files."""
    dirs = []
    for i in range(count):
        name = f"pkg{i}"
        d = root / "pkgs" / f"{name}-1.0.{i % 7}"
        (d / name).mkdir(parents=True)
        (d / "nupm.nuon").write_text(f'{{\n    name: "{name}"\n    version: "1.0.{i % 7}"\n    type: "module"\n'
                                     f'    description: "benchmark package {i}"\n    license: "MIT"\n}}\n')
        (d / "README.md").write_text(f"# {name}\n\nA benchmark package.\n\n```nushell\nuse {name}\n"
                                     f"{name} greet world\n```\n" + "Some prose about it. " * (20 + i % 13))
        (d / "LICENSE").write_text("MIT License\n\nCopyright (c) nupm bench\n\n" + "Permission is granted. " * 40)
        (d / name / "mod.nu").write_text(
            f"# {name}: a module\n\nexport use utils.nu *\nexport use completions.nu *\n\n"
            f"# Greet someone\nexport def greet [who: string@names] {{\n    $\"hello ($who) from {name}\"\n}}\n\n"
            f"export def version [] {{ \"{name} 1.0.{i % 7}\" }}\n")
        (d / name / "utils.nu").write_text(
            "".join(f"# helper {j}\nexport def helper-{j} [x: int] {{ $x * {j} + {i} }}\n\n" for j in range(12)))
        (d / name / "completions.nu").write_text("export def names [] { [world nushell nupm] }\n")
        dirs.append(d)
    return dirs


def write_registry(root: Path, dirs: list[Path]) -> Path:
    """Nushell nupm's registry format: registry.nuon naming one <name>.nuon per package."""
    rows = []
    for d in dirs:
        name, version = d.name.rsplit("-", 1)
        (root / f"{name}.nuon").write_text(
            f'[[name, version, path, type, info]; [{name}, "{version}", pkgs/{d.name}, local, null]]\n')
        rows.append(f"[{name}, {name}.nuon]")
    (root / "registry.nuon").write_text("[[name, path]; " + ", ".join(rows) + "]\n")
    return root


def write_project(directory: Path, dirs: list[Path]) -> Path:
    (directory / "app").mkdir(parents=True)
    deps = "".join(f'{d.name.rsplit("-", 1)[0]} = "*"\n' for d in dirs)
    (directory / "nupm.toml").write_text('[package]\nname = "app"\nversion = "0.1.0"\ntype = "module"\n\n'
                                         f"[dependencies]\n{deps}")
    (directory / "app" / "mod.nu").write_text("export def main [] { 'app' }\n")
    return directory


def write_wheels(directory: Path, count: int) -> list[str]:
    """`count` empty wheels (metadata only), for uv."""
    directory.mkdir(parents=True)
    names = []
    for i in range(count):
        name, dist = f"benchpkg{i}", f"benchpkg{i}-1.0.0"
        files = {
            f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0.0\n",
            f"{dist}.dist-info/WHEEL": ("Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\n"
                                        "Tag: py3-none-any\n"),
            f"{dist}.dist-info/top_level.txt": "",
        }
        record = "".join(f"{path},,\n" for path in files) + f"{dist}.dist-info/RECORD,,\n"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for path, text in files.items():
                z.writestr(path, text)
            z.writestr(f"{dist}.dist-info/RECORD", record)
        (directory / f"{dist}-py3-none-any.whl").write_bytes(buf.getvalue())
        names.append(name)
    return names


# -- running ------------------------------------------------------------------------------------------
def nupm_cmd() -> list[str]:
    exe = shutil.which("nupm")
    return [exe] if exe else [sys.executable, "-m", "nupm"]


def drop_caches() -> bool:
    """Drop the page cache; False where the container does not permit it."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def run(cmd: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return elapsed


def timed(cmd_for, runs: int, setup, cold: bool) -> tuple[float, bool]:
    """Median seconds of `cmd_for()` -> (cmd, cwd, env) over `runs`, `setup()` untimed before each; and
    whether the cache was really dropped before every run."""
    times, dropped = [], True
    for _ in range(runs):
        setup()
        if cold:
            dropped = drop_caches() and dropped
        cmd, cwd, env = cmd_for()
        times.append(run(cmd, cwd, env))
    return statistics.median(times), dropped and cold


def timed_group(commands: list, runs: int, cold: bool) -> tuple[list[float], bool]:
    """Median seconds of each (cmd_for, setup) command, the commands run in turn (the order rotating each run)."""
    times: list[list[float]] = [[] for _ in commands]
    dropped = True
    for i in range(runs):
        for k in range(len(commands)):
            which = (i + k) % len(commands)
            cmd_for, setup = commands[which]
            setup()
            if cold:
                dropped = drop_caches() and dropped
            cmd, cwd, env = cmd_for()
            times[which].append(run(cmd, cwd, env))
    return [statistics.median(t) for t in times], dropped and cold


def env_with(env: dict, pythonpath: str | None) -> dict:
    out = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    if pythonpath:
        out["PYTHONPATH"] = pythonpath
    return out


def exponent(counts: list[int], seconds: list[float]) -> float:
    """Least-squares slope of log(time) over log(N)."""
    xs, ys = [math.log(c) for c in counts], [math.log(s) for s in seconds]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else float("nan")


def fresh(path: Path) -> Path:
    if path.exists():
        subprocess.run(["chmod", "-R", "u+w", str(path)], check=False)
        shutil.rmtree(path)
    return path


def nushell_nupm_checkout(tmp: Path, given: str | None) -> Path:
    if given:
        return Path(given).expanduser().resolve()
    if not MIRROR.is_dir():
        raise SystemExit(f"Nushell's nupm is not at {MIRROR}: pass --nushell-nupm DIR (a checkout of "
                         "github.com/nushell/nupm)")
    dest = tmp / "nushell-nupm"
    dest.mkdir()
    archive = subprocess.run(["git", f"--git-dir={MIRROR}", "archive", "HEAD"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest


def nu_quote(text: str) -> str:
    return "r#'" + text + "'#"


def strace_counts(cmd: list[str], cwd: Path, env: dict, out: Path) -> dict[str, int]:
    subprocess.run(["strace", "-f", "-c", "-o", str(out), "-e", f"trace={SYSCALLS}", *cmd], cwd=cwd, env=env,
                   check=True, capture_output=True)
    counts = {}
    for line in out.read_text().splitlines():
        parts = line.split()
        # % time, seconds, usecs/call, calls, [errors], syscall
        if len(parts) >= 5 and parts[0][0].isdigit() and not line.startswith("-"):
            counts[parts[-1]] = int(parts[3])
    return counts


# -- main ---------------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--counts", default="10,50,200", help="package counts (default 10,50,200)")
    ap.add_argument("--runs", type=int, default=5, help="runs per figure; the median is shown (default 5)")
    ap.add_argument("--nushell-nupm", help="a checkout of github.com/nushell/nupm (default: the local snapshot)")
    ap.add_argument("--nu", default=str(NU_107) if NU_107.exists() else shutil.which("nu"),
                    help=f"the nu to run Nushell's nupm with (default {NU_107})")
    ap.add_argument("--compare-with", metavar="DIR",
                    help="also time another nupm source tree (DIR holds its nupm/ package): the code before a change")
    ap.add_argument("--warm", action="store_true", help="do not drop the page cache before cold runs")
    ap.add_argument("--no-uv", action="store_true")
    ap.add_argument("--no-strace", action="store_true")
    args = ap.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    if not args.nu or not Path(args.nu).exists():
        raise SystemExit("no nu: pass --nu, or `npm install --prefix .tools/nu-0.107.0 nushell@0.107.0`")
    nu_version = subprocess.run([args.nu, "--version"], capture_output=True, text=True).stdout.strip()
    tmp = Path(tempfile.mkdtemp(prefix="nupm-bench-install-"))
    # PYTHONDONTWRITEBYTECODE dropped: an installed nupm has its bytecode (pip compiles it); the warm-up run
    # below writes it for a source checkout.
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("NUPM_", "XDG_", "UV_", "VIRTUAL_ENV")) and k != "PYTHONDONTWRITEBYTECODE"}
    base_env.update(HOME=str(tmp / "home"), XDG_CONFIG_HOME=str(tmp / "xdg-config"),
                    XDG_DATA_HOME=str(tmp / "xdg-data"), XDG_CACHE_HOME=str(tmp / "xdg-cache"),
                    XDG_STATE_HOME=str(tmp / "xdg-state"), NUPM_CACHE_DIR=str(tmp / "nupm-cache"),
                    UV_CACHE_DIR=str(tmp / "uv-cache"), NO_COLOR="1")
    for d in ("home", "xdg-config", "xdg-data", "xdg-cache", "xdg-state"):
        (tmp / d).mkdir()
    nupm = nupm_cmd()
    cold = not args.warm
    rows, labels, all_dropped = [], [], True
    variants = [("nupm", env_with(base_env, None))]
    if args.compare_with:  # the same runs with another nupm source tree first on sys.path
        variants.append(("before", env_with(base_env, args.compare_with)))
    try:
        peer_repo = nushell_nupm_checkout(tmp, args.nushell_nupm)
        for n in counts:
            base = tmp / f"n{n}"
            dirs = write_packages(base / "registry", n)
            write_registry(base / "registry", dirs)
            template = write_project(base / "template", dirs)
            (base / "config.toml").write_text(f'[registries]\nbench = "{base / "registry"}"\n')
            where = {"NUPM_HOME": str(base / "nupm-home"), "NUPM_CONFIG": str(base / "config.toml")}
            run([*nupm, "lock"], template, {**variants[0][1], **where})
            shutil.copy(template / "nupm.lock", base / "nupm.lock")
            (template / "nupm.lock").unlink()

            def new_project(with_lock: bool, template=template, base=base) -> Path:
                fresh(base / "nupm-home")
                fresh(Path(base_env["NUPM_CACHE_DIR"]))
                project = fresh(base / "project")
                shutil.copytree(template, project)
                if with_lock:  # a clone of a locked project: no resolution
                    shutil.copy(base / "nupm.lock", project / "nupm.lock")
                return project

            listing = base / "packages.txt"
            listing.write_text("".join(f"{d}\n" for d in dirs))
            # -c, run from the repository: `use nupm/` is found relative to the current directory.
            script = (f"use nupm/; for pkg in (open --raw {nu_quote(str(listing))} | lines) "
                      "{ nupm install --no-confirm --path $pkg }")
            peer_env = {**base_env, "NUPM_HOME": str(base / "peer-home"), "NUPM_NO_COLOR": "true"}

            commands, labels = [], []
            for label, env in variants:
                for with_lock in (False, True):
                    labels.append(label + (" locked" if with_lock else ""))
                    run_env = {**env, **where}
                    commands.append((lambda run_env=run_env, base=base: ([*nupm, "install"], base / "project", run_env),
                                     lambda with_lock=with_lock, new_project=new_project: new_project(with_lock)))
            labels.append("peer")
            commands.append((lambda script=script, peer_env=peer_env:
                             ([args.nu, "--no-config-file", "-c", script], peer_repo, peer_env),
                             lambda peer_env=peer_env: fresh(Path(peer_env["NUPM_HOME"]))))
            if n == counts[0]:  # warm-up, untimed: nupm's bytecode written, the peer's checkout read once
                for cmd_for, setup in commands:
                    setup()
                    run(*cmd_for())
            # Interleaved runs, so every command sees the same load on a shared machine.
            medians, dropped = timed_group(commands, args.runs, cold)
            all_dropped &= dropped or not cold
            installed = len(list((base / "peer-home" / "modules").iterdir()))
            if installed != n:
                raise SystemExit(f"Nushell's nupm installed {installed} of {n} packages")
            rows.append((n, medians))

        cache_note = "page cache dropped before each run" if cold and all_dropped else (
            "WARM page cache (drop_caches not permitted)" if cold else "warm page cache (--warm)")
        print(f"Cold install into an empty NUPM_HOME, {cache_note}; median of {args.runs}; "
              f"Nushell's nupm on {nu_version}")
        print("  nupm: `nupm install` in a new project (resolve + lock + store + environment)")
        print("  locked: the same project with its nupm.lock (a clone: store + environment)")
        if args.compare_with:
            print(f"  before: the same with PYTHONPATH={args.compare_with}")
        print("  peer: Nushell's nupm, `nupm install --path` of each package in one nu process")
        print("  xN: peer time / that time (target: nupm >= 2.00x)")
        print(f"{'packages':>8}  " + "  ".join(f"{label:>20}" for label in labels))
        for n, medians in rows:
            peer = medians[-1]
            cells = [f"{t * 1000:6.0f} ms" + (f" {peer / t:5.2f}x" if i < len(medians) - 1 else "       ")
                     for i, t in enumerate(medians)]
            verdict = "ok" if peer / medians[0] >= 2 else "MISSED"
            print(f"{n:>8}  " + "  ".join(f"{c:>20}" for c in cells) + f"  {verdict}")
        if len(counts) > 1:
            slopes = [exponent(counts, [r[1][i] for r in rows]) for i in range(len(labels))]
            print("growth exponent k (time ~ N^k): " + ", ".join(f"{lb} {k:.2f}" for lb, k in zip(labels, slopes,
                                                                                                   strict=True)))
            for (n0, m0), (n1, m1) in zip(rows, rows[1:], strict=False):
                per = [(b - a) / (n1 - n0) * 1000 for a, b in zip(m0, m1, strict=True)]
                print(f"  {n0}->{n1} packages, ms per added package: "
                      + ", ".join(f"{lb} {x:.2f}" for lb, x in zip(labels, per, strict=True)))

        if not args.no_uv:
            warm_vs_uv(tmp, base_env, nupm, args.runs)
        if not args.no_strace and shutil.which("strace"):
            syscalls(tmp, variants, nupm)
    finally:
        fresh(tmp)


def warm_vs_uv(tmp: Path, base_env: dict, nupm: list[str], runs: int) -> None:
    n = 50
    base = tmp / "warm"
    dirs = write_packages(base / "registry", n)
    write_registry(base / "registry", dirs)
    template = write_project(base / "template", dirs)
    (base / "config.toml").write_text(f'[registries]\nbench = "{base / "registry"}"\n')
    env = {**base_env, "NUPM_HOME": str(base / "nupm-home"), "NUPM_CONFIG": str(base / "config.toml")}
    run([*nupm, "install"], template, env)  # fills the store and writes nupm.lock
    shutil.rmtree(template / ".nupm")
    project = base / "project"
    warm_runs = max(runs, 7)

    def new_project():
        fresh(project)
        shutil.copytree(template, project)

    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not Path(uv).exists():
        t_nupm, _ = timed(lambda: ([*nupm, "install"], project, env), warm_runs, new_project, cold=False)
        print(f"\n50 packages from a warm store into a new project: nupm {t_nupm * 1000:.1f} ms; uv is not installed "
              "(pip install uv): no comparison")
        return
    wheels = base / "wheels"
    names = write_wheels(wheels, n)
    venv = base / "uvproj" / ".venv"
    (base / "uvproj").mkdir()
    uv_env = {**base_env, "UV_NO_CONFIG": "1", "UV_PYTHON_DOWNLOADS": "never"}
    make_venv = [uv, "venv", "--quiet", "--python", sys.executable, str(venv)]
    install = [uv, "pip", "install", "--offline", "--no-index", "--find-links", str(wheels), "--python",
               str(venv / "bin" / "python"), *names]
    run(make_venv, base / "uvproj", uv_env)
    run(install, base / "uvproj", uv_env)  # warms uv's cache

    def made_venv():
        fresh(venv)
        run(make_venv, base / "uvproj", uv_env)

    both = ["sh", "-c", f"{shlex_join(make_venv)} && {shlex_join(install)}"]
    (t_nupm, t_uv_both, t_uv_install), _ = timed_group([
        (lambda: ([*nupm, "install"], project, env), new_project),
        (lambda: (both, base / "uvproj", uv_env), lambda: fresh(venv)),
        (lambda: (install, base / "uvproj", uv_env), made_venv),
    ], warm_runs, cold=False)
    uv_version = subprocess.run([uv, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"\n50 packages from a warm store into a new project; median of {warm_runs}; {uv_version}")
    print(f"  nupm install (new project with its lock, store warm)  {t_nupm * 1000:6.1f} ms")
    print(f"  uv venv + uv pip install (new .venv, cache warm)      {t_uv_both * 1000:6.1f} ms  "
          f"uv/nupm {t_uv_both / t_nupm:.2f}x  target >= 1.00x: {'ok' if t_nupm <= t_uv_both else 'MISSED'}")
    print(f"  uv pip install alone (.venv made beforehand)          {t_uv_install * 1000:6.1f} ms  "
          f"uv/nupm {t_uv_install / t_nupm:.2f}x")


def shlex_join(parts: list[str]) -> str:
    import shlex

    return shlex.join(parts)


def syscalls(tmp: Path, variants: list[tuple[str, dict]], nupm: list[str]) -> None:
    base = tmp / "strace"
    dirs = write_packages(base / "registry", 50)
    write_registry(base / "registry", dirs)
    template = write_project(base / "template", dirs)
    (base / "config.toml").write_text(f'[registries]\nbench = "{base / "registry"}"\n')
    print("\nsyscalls of a cold 50-package `nupm install` in a new project (strace -f -c)")
    for label, variant_env in variants:
        env = {**variant_env, "NUPM_HOME": str(fresh(base / "nupm-home")), "NUPM_CONFIG": str(base / "config.toml")}
        fresh(Path(env["NUPM_CACHE_DIR"]))
        project = fresh(base / "project")
        shutil.copytree(template, project)
        counts = strace_counts([*nupm, "install"], project, env, base / "strace.txt")
        shown = ", ".join(f"{name} {counts[name]}" for name in SYSCALLS.split(",") if name in counts)
        print(f"  {label:>6}: total {counts.get('total', 0)}: {shown}")


if __name__ == "__main__":
    main()
