"""The package author's commands: `nupm new`, `check`, `test`, `publish`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from nupm import checker, nuon, publish, scaffold, testrun
from nupm import project as proj
from nupm.commands import status
from nupm.description import Description
from nupm.errors import BadInput, NupmError, display_path
from nupm.nushell import binary as nu_binary
from nupm.paths import Home


def run_new(args) -> int:
    kind = "script" if args.script else "custom" if args.custom else "module"
    target = Path(args.path) if args.path else Path.cwd() / args.name
    files = scaffold.create(args.name, kind, target.absolute(), git=not args.no_git)
    status(f"Created {kind} package {args.name} in {target} ({len(files)} files)")
    status(f"  cd {target} && nupm check && nupm test")
    return 0


def _environment(project: proj.Project) -> tuple[Description, Path]:
    """Sync the package's environment; its description and the lib dir that makes imports resolve."""
    description = proj.synced_description(project)
    return description, Path(description.lib_dirs[0])


def run_check(args) -> int:
    try:
        project = proj.find(Path.cwd(), Home.current())
    except BadInput as e:  # a broken manifest is one of the problems check exists to report
        print(str(e))
        return 1
    problems, files, elsewhere = _problems(project)
    for problem in problems:
        print(problem)
    for file, version in sorted(elsewhere.items()):
        print(f"{display_path(file)}: parses on Nushell {version}: pin it for this environment with "
              f"[tool] nu = \"{version}\" in nupm.toml")
    status(f"checked {len(files)} .nu files: {len(problems) or 'no'} problem{'s' if len(problems) != 1 else ''}")
    return 1 if problems else 0


def _problems(project: proj.Project) -> tuple[list, list[Path], dict[Path, str]]:
    """What `nupm check` finds: the layout the type promises, then every .nu file parsed by the environment's
    Nushell; and, for each file that does not parse, the newest other installed Nushell it parses on."""
    problems = checker.layout_problems(project.manifest)
    nu = nu_binary()
    try:
        description, lib_dir = _environment(project)
        nu = description.nu or nu
    except NupmError as e:
        problems.append(checker.Problem(project.manifest.path.name, 1, 1, f"cannot set up the environment: {e}"))
        lib_dir = project.env_dir / "lib"
    files = checker.nu_files(project.root)
    found = checker.check_files(nu, files, lib_dir)
    failing = [f for f in files if any(p.file == display_path(f) for p in found)]
    elsewhere = {}
    if failing:
        others = checker.other_nushells(project.home.store, nu_binary(), nu)
        elsewhere = checker.parses_elsewhere(failing, others, lib_dir)
    return problems + found, files, elsewhere


def run_test(args) -> int:
    project = proj.find(Path.cwd(), Home.current())
    description, lib_dir = _environment(project)
    env = description.environ(dict(os.environ))
    results = testrun.run_all(description.nu or nu_binary(), project.root, lib_dir, env, args.filter)
    if args.json:
        print(testrun.as_json(results))
    else:
        for result in results:
            if result.status == "failed":
                print(f"FAILED {result.name} ({result.seconds}s)")
                print("\n".join(f"    {line}" for line in result.output.splitlines()))
            elif result.status == "skipped":
                print(f"skipped {result.name}")
        print(testrun.summary(results))
    return 1 if any(r.status == "failed" for r in results) else 0


def run_publish(args) -> int:
    project = proj.find(Path.cwd(), Home.current())
    publish.check_clean(project.manifest, args.allow_dirty)  # before check, whose sync writes nupm.lock
    problems, _, _ = _problems(project)
    if problems:  # what `nupm check` refuses is not published
        for problem in problems:
            print(problem, file=sys.stderr)
        raise NupmError(f"{project.manifest.name} {project.manifest.version} does not pass `nupm check`; "
                        "nothing was published")
    # Checked clean above; what check's own sync wrote since (nupm.lock) is not part of the published commit.
    entry = publish.publish(project.manifest, Path(args.registry).resolve(), True, args.dry_run)
    if args.dry_run:
        print(f"{project.manifest.name}.nuon row: {nuon.dumps(entry.row)}")
        print(f"nupm-index.json entry: {json.dumps(entry.index, indent=1, sort_keys=True)}")
        return 0
    m = project.manifest
    status(f"Published {m.name} {m.version} to {args.registry} ({entry.row['type']})")
    return 0
