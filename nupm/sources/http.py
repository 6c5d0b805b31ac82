"""HTTP for registries and archives: one pooled session with timeouts, retries and an HTTP cache.

requests and urllib3 do the transport (a connection pool per host shared by every worker thread, retries
with backoff on 5xx answers and connection errors). CacheControl keeps every response under the user
cache dir and revalidates it with If-None-Match / If-Modified-Since, so a warm run downloads no body that
did not change. Certificates are checked against the system's trust store (truststore), as git and
browsers do. Offline, a cached response is used however old it is, and a missing one is an error that
names the URL.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from nupm.errors import NupmError

DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
USER_AGENT = "nupm (https://github.com/nushell/nupm-compatible registries)"


class NetworkError(NupmError):
    """A download failed; the message names the URL."""


class NotFound(NetworkError):
    """The server says the file does not exist (404 or 410)."""


class OfflineMiss(NetworkError):
    """Offline, and the cache has no copy of the URL."""


@dataclass
class Settings:
    cache: Path
    offline: bool = False
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    pool: int = 8

    @classmethod
    def from_environ(cls, cache: Path, offline: bool = False, pool: int = 8) -> Settings:
        """Settings the user can tune from the environment (NUPM_OFFLINE, NUPM_HTTP_TIMEOUT, NUPM_HTTP_RETRIES)."""
        offline = offline or os.environ.get("NUPM_OFFLINE", "") not in ("", "0")
        return cls(cache=cache, offline=offline, pool=pool,
                   timeout=_number("NUPM_HTTP_TIMEOUT", DEFAULT_TIMEOUT),
                   retries=int(_number("NUPM_HTTP_RETRIES", DEFAULT_RETRIES)))


def _number(name: str, default: float) -> float:
    text = os.environ.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        from nupm.errors import UsageError

        raise UsageError(f"{name}={text!r} is not a number") from None
    return value


@dataclass
class Traffic:
    """What this process asked the network for: requests sent, bodies downloaded, answers from cache."""

    requests: int = 0
    downloaded: int = 0
    not_modified: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, sent: bool, body: int, revalidated: bool) -> None:
        with self.lock:
            self.requests += sent
            self.downloaded += body
            self.not_modified += revalidated


class Client:
    """The one HTTP client of a nupm run (thread-safe: requests' Session with a shared pool)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.traffic = Traffic()
        self._session = None
        self._init = threading.Lock()

    @property
    def offline(self) -> bool:
        return self.settings.offline

    def _build(self):
        # Imported here: requests, urllib3 and CacheControl cost ~60 ms, and only runs that go online pay it.
        import requests
        from cachecontrol.caches import SeparateBodyFileCache
        from urllib3.util.retry import Retry

        retry = Retry(total=self.settings.retries, connect=self.settings.retries, read=1,
                      status=self.settings.retries, backoff_factor=0.25,
                      status_forcelist=(500, 502, 503, 504), allowed_methods=("GET", "HEAD"),
                      raise_on_status=False, respect_retry_after_header=True)
        self.settings.cache.mkdir(parents=True, exist_ok=True)
        cache = self._cache = SeparateBodyFileCache(str(self.settings.cache))
        adapter = _adapter_class()(cache=cache, controller_class=_controller_class(self.settings.offline),
                                   max_retries=retry, pool_connections=self.settings.pool,
                                   pool_maxsize=self.settings.pool)
        session = requests.Session()
        session.headers["User-Agent"] = USER_AGENT
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    @property
    def session(self):
        with self._init:
            if self._session is None:
                self._session = self._build()
        return self._session

    def get(self, url: str, refresh: bool = False) -> bytes:
        """The body of `url` (from the cache when it did not change); NotFound for 404/410.

        `refresh` forgets the cached copy first, so the body comes anew even where a validator says it did not
        change (nginx's ETag has one-second resolution: two same-sized writes in one second look alike).
        A file:// URL is read from this machine (a mirror in a local directory), offline too."""
        if url.startswith("file://"):
            return _read_file_url(url)
        import requests

        if refresh and not self.offline:
            from cachecontrol.controller import CacheController

            self.session  # noqa: B018 -- builds the cache
            self._cache.delete(CacheController.cache_url(url))
        try:
            response = self.session.get(url, timeout=(min(10.0, self.settings.timeout), self.settings.timeout))
            body = response.content
        except _Offline:
            raise OfflineMiss(f"offline: {url} is not in the cache (run once without --offline)") from None
        except requests.exceptions.RequestException as e:
            raise NetworkError(f"cannot download {url}: {describe_failure(e, self.settings.timeout)}") from None
        revalidated = getattr(response, "_nupm_304", False)
        self.traffic.add(sent=getattr(response, "_nupm_sent", False), revalidated=revalidated,
                         body=0 if revalidated or getattr(response, "from_cache", False) else len(body))
        if response.status_code in (404, 410):
            raise NotFound(f"{url}: not found (HTTP {response.status_code})")
        if response.status_code >= 400:
            raise NetworkError(f"cannot download {url}: HTTP {response.status_code} {response.reason or ''}".rstrip())
        return body

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


def _read_file_url(url: str) -> bytes:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise NetworkError(f"{url}: a file:// URL must name a file on this machine")
    try:
        with open(unquote(parts.path), "rb") as f:
            return f.read()
    except (FileNotFoundError, NotADirectoryError):
        raise NotFound(f"{url}: not found") from None
    except OSError as e:
        raise NetworkError(f"cannot read {url}: {e.strerror}") from None


def describe_failure(error: Exception, timeout: float) -> str:
    """requests' exception chains, said in one line a user can act on."""
    import requests

    text = str(error)
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return f"connection timed out after {timeout:g} s"
    if isinstance(error, requests.exceptions.ReadTimeout) or "Read timed out" in text:
        return f"no answer within {timeout:g} s (timed out)"
    if isinstance(error, requests.exceptions.SSLError):
        return f"TLS error: {_innermost(text)}"
    if isinstance(error, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
        return f"the response was cut short ({_innermost(text)})"
    if isinstance(error, requests.exceptions.ConnectionError):
        for marker, said in (("Connection refused", "connection refused"),
                             ("Name or service not known", "host not found"),
                             ("Temporary failure in name resolution", "host not found"),
                             ("Network is unreachable", "network is unreachable"),
                             ("Max retries exceeded", None)):
            if marker in text and said:
                return said
        return _innermost(text)
    return _innermost(text)


def _innermost(text: str) -> str:
    # urllib3 nests reasons: "HTTPConnectionPool(...): Max retries exceeded ... (Caused by X('...: reason'))"
    inner = text.rsplit("(Caused by ", 1)[-1].rstrip(")")
    return inner.split(": ", 1)[-1].strip("'\"() ") or text


class _Offline(Exception):
    pass


def _controller_class(offline: bool):
    from cachecontrol.controller import CacheController

    class Controller(CacheController):
        def cached_request(self, request):
            if not offline:
                return super().cached_request(request)
            # Offline: any cached copy, however old (the `only-if-cached` + `max-stale` of RFC 9111).
            cached = self._load_from_cache(request)
            if not cached:
                raise _Offline(request.url)
            return cached

    return Controller


def _adapter_class():
    import ssl

    import truststore
    from cachecontrol import CacheControlAdapter

    class Adapter(CacheControlAdapter):
        """CacheControl's adapter on a pool that trusts the system's certificate store."""

        def init_poolmanager(self, *args, **kwargs):
            kwargs["ssl_context"] = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            return super().init_poolmanager(*args, **kwargs)

        def build_response(self, request, response, from_cache=False, cacheable_methods=None):
            # Called with from_cache=False exactly when the server answered; a 304 is then swapped for
            # the cached body by CacheControl, so remember here what went over the wire.
            status = response.status
            built = super().build_response(request, response, from_cache, cacheable_methods)
            built._nupm_sent = not from_cache
            built._nupm_304 = not from_cache and status == 304
            return built

    return Adapter
