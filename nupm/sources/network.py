"""The network side of one nupm run: the shared HTTP client, whether we are offline, how many jobs.

One `Network` per process, made on first use from the environment the command line set up
(`--offline` sets NUPM_OFFLINE, `--jobs` NUPM_JOBS), so every stage that fetches shares one connection
pool and one idea of being offline without threading it through every call.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

from nupm.paths import http_cache_dir


@dataclass
class Network:
    offline: bool
    jobs: int
    _client: object = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def client(self):
        from nupm.sources import http

        with self._lock:
            if self._client is None:
                settings = http.Settings.from_environ(http_cache_dir(), self.offline, pool=max(self.jobs, 4))
                self._client = http.Client(settings)
        return self._client

    def traffic(self):
        return self._client.traffic if self._client is not None else None


_current: Network | None = None


def current() -> Network:
    global _current
    if _current is None:
        _current = Network(offline=os.environ.get("NUPM_OFFLINE", "") not in ("", "0"), jobs=_jobs())
    return _current


def _jobs() -> int:
    text = os.environ.get("NUPM_JOBS")
    if text:
        try:
            return max(1, int(text))
        except ValueError:
            from nupm.errors import UsageError

            raise UsageError(f"NUPM_JOBS={text!r} is not a whole number") from None
    from nupm.config import load_config

    return load_config().jobs
