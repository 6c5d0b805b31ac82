"""`nupm watch`: re-lock and re-install (debounced) when nupm.toml, nupm.lock or a path dependency's
files change, so a shell in the project picks up the new environment at its next prompt."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from nupm import project as proj
from nupm.errors import NupmError
from nupm.paths import Home
from nupm.progress import count

DEBOUNCE = 0.3


class _Changes:
    """Filesystem events collapse into one pending time; the main loop syncs once things settle."""

    def __init__(self, root: Path):
        self.root = root
        self.pending: float | None = None
        self.lock = threading.Lock()

    # Only what changes content: watchdog also reports opens and closes, and a sync reads the very files
    # it watches, so reacting to those would loop forever while idle.
    CHANGES = frozenset({"modified", "created", "deleted", "moved", "closed"})

    def dispatch(self, event) -> None:
        if event.event_type not in self.CHANGES or (event.event_type == "modified" and event.is_directory):
            return
        path = Path(getattr(event, "dest_path", "") or event.src_path)
        if ".nupm" in path.parts or ".git" in path.parts:
            return
        if path.parent == self.root and path.name not in ("nupm.toml", "nupm.lock", "nupm.nuon"):
            return
        with self.lock:
            self.pending = time.monotonic()

    def due(self) -> bool:
        with self.lock:
            if self.pending is not None and time.monotonic() - self.pending >= DEBOUNCE:
                self.pending = None
                return True
            return False


def _path_dependencies(project: proj.Project) -> set[Path]:
    try:
        lock = proj.read_lock(project)
    except NupmError:
        return set()
    return {Path(p.source.path) for p in (lock.packages if lock else []) if p.source.kind == "path"}


def _sync(root: Path) -> proj.Project | None:
    try:
        project = proj.find(root, Home.current())
        report = proj.sync(project, quiet=True)
    except NupmError as e:  # a manifest broken mid-edit: say so and keep watching
        print(f"nupm watch: error: {e}", flush=True)
        return None
    what = "updated" if report.env_changed else "up to date"
    print(f"nupm watch: {project.manifest.name} {what} ({count(report.packages, 'package')})", flush=True)
    return project


def run_watch(args) -> int:
    from watchdog.observers import Observer

    project = proj.find(Path.cwd(), Home.current())
    root = project.root
    changes = _Changes(root)
    observer = Observer()
    observer.schedule(changes, str(root), recursive=False)
    watched: dict[Path, object] = {}

    def follow(current: proj.Project | None) -> None:
        wanted = _path_dependencies(current) if current else set(watched)
        for path in wanted - set(watched):
            if path.is_dir():
                watched[path] = observer.schedule(changes, str(path), recursive=True)
        for path in set(watched) - wanted:
            observer.unschedule(watched.pop(path))

    observer.start()
    try:
        follow(_sync(root))
        print(f"nupm watch: watching {root} (Ctrl-C stops)", flush=True)
        while True:
            time.sleep(0.05)
            if changes.due():
                follow(_sync(root))
    except KeyboardInterrupt:
        print("nupm watch: stopped", flush=True)
        return 0
    finally:
        observer.stop()
        observer.join(timeout=5)
