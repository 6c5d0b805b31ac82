"""What nupm shows while it fetches, clones and builds: a live line on a terminal (packages done / total,
the names in flight, bytes so far, drawn by rich), one plain line per package otherwise. Always on
stderr, so stdout stays clean for --json.

Domain code reports through `current()`, never by printing; the command line chooses the kind once (`use`).
"""

from __future__ import annotations

import sys
import threading


class Quiet:
    """No progress at all (--json), only notes."""

    shows_bytes = False  # whether `done`'s size is shown (sizes cost a walk of each tree)

    def start(self, what: str, total: int | None = None) -> None: ...
    def begin(self, name: str) -> None: ...
    def done(self, name: str, detail: str, size: int = 0) -> None: ...
    def finish(self) -> None: ...

    def note(self, text: str) -> None:
        """What is not progress (a warning, what was decided, what is awaited): always shown, on stderr."""
        print(text, file=sys.stderr, flush=True)


class Lines(Quiet):
    """One line per finished package, for logs and pipes."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.lock = threading.Lock()

    def done(self, name: str, detail: str, size: int = 0) -> None:
        with self.lock:
            print(f"{detail}", file=self.stream, flush=True)


class Live(Quiet):
    """A single redrawn line on a terminal."""

    shows_bytes = True

    def __init__(self):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

        self.console = Console(stderr=True)
        self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=24),
                            MofNCompleteColumn(), TextColumn("{task.fields[size]}  {task.fields[names]}"),
                            console=self.console, transient=True)
        self.lock = threading.Lock()
        self.task = None
        self.active: list[str] = []
        self.bytes = 0

    def start(self, what: str, total: int | None = None) -> None:
        with self.lock:
            if self.task is None:
                self.bar.start()
                self.task = self.bar.add_task(what, total=total, size="", names="")
            else:
                self.bar.update(self.task, description=what, total=total, completed=0)

    def begin(self, name: str) -> None:
        with self.lock:
            self.active.append(name)
            self._draw()

    def done(self, name: str, detail: str, size: int = 0) -> None:
        with self.lock:
            if name in self.active:
                self.active.remove(name)
            self.bytes += size
            if self.task is not None:
                self.bar.advance(self.task)
            self._draw()

    def note(self, text: str) -> None:
        with self.lock:
            if self.task is None:
                print(text, file=sys.stderr, flush=True)
            else:  # above the live line, which is redrawn below it
                self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def _draw(self) -> None:
        if self.task is not None:
            names = ", ".join(self.active[:4]) + (" …" if len(self.active) > 4 else "")
            self.bar.update(self.task, size=human_size(self.bytes), names=names)

    def finish(self) -> None:
        with self.lock:
            if self.task is not None:
                self.bar.stop()
                self.task = None


def count(n: int, noun: str) -> str:
    """`1 package`, `2 packages`."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def human_size(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


_current: Quiet | None = None


def use(kind: Quiet) -> None:
    global _current
    _current = kind


def current() -> Quiet:
    global _current
    if _current is None:
        _current = Live() if sys.stderr.isatty() else Lines()
    return _current
