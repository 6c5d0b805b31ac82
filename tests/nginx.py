"""A real nginx for tests: serves a directory over HTTP on 127.0.0.1 and logs every request as JSON.

Used for HTTP package registries (static .nuon/.json files, with ETag/Last-Modified and 304s) and for git
repositories over git's *dumb* HTTP protocol (bare repos after `git update-server-info` are plain files).
Failure modes live at fixed paths, whatever follows the prefix:

    /status/500/...   always 500            /status/404/...   always 404
    /hang/...         headers never come (a Python upstream that accepts and stays silent until stop())
    /truncated/...    200 with Content-Length: 1000 but only 10 body bytes, then the connection closes

Usage:
    with Nginx(root, workdir) as server:
        requests.get(f"{server.url}/registry.nuon")
        assert [r.status for r in server.requests()] == [200]
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
SETTLE_TIMEOUT = 10.0
TRUNCATED_BODY = b"0123456789"  # what /truncated sends of its announced 1000 bytes
_STATUS_PATH = "/__nginx_fixture_status"  # stub_status, not logged: tells requests() when nginx is idle

_CONFIG = """\
daemon off;
master_process on;
# One worker: requests are logged in the order nginx finishes them, and stub_status sees everything.
worker_processes 1;
{user}
pid "{workdir}/nginx.pid";
error_log "{workdir}/error.log" info;

events {{
    worker_connections 256;
}}

http {{
    # Every path nginx would otherwise take from its build (/var/lib/nginx/..., /var/log/nginx/...).
    client_body_temp_path "{workdir}/client_body";
    proxy_temp_path "{workdir}/proxy";
    fastcgi_temp_path "{workdir}/fastcgi";
    uwsgi_temp_path "{workdir}/uwsgi";
    scgi_temp_path "{workdir}/scgi";

    log_format fixture escape=json '{{"time": "$time_iso8601", "method": "$request_method", '
        '"uri": "$request_uri", "status": $status, "body_bytes_sent": $body_bytes_sent, '
        '"bytes_sent": $bytes_sent, "if_none_match": "$http_if_none_match", '
        '"if_modified_since": "$http_if_modified_since", "range": "$http_range", '
        '"user_agent": "$http_user_agent", "upstream_status": "$upstream_status", '
        '"request_time": $request_time, "connection": $connection, "connection_requests": $connection_requests}}';
    # No buffer=/flush=: each line is written when its request ends.
    access_log "{workdir}/access.log" fixture;

    types {{
        application/json json;
        text/plain nuon txt toml nu;
        text/html html;
    }}
    default_type application/octet-stream;
    sendfile off;  # plain read()/write(): no surprises from sendfile on overlay or tmpfs test dirs
    etag on;       # the default, spelled out: registries are revalidated with If-None-Match
    server_tokens off;

    server {{
        listen 127.0.0.1:{port};
        root "{root}";

        location / {{
        }}
        location /status/500/ {{
            return 500;
        }}
        location /status/404/ {{
            return 404;
        }}
        location /hang/ {{
            proxy_pass http://127.0.0.1:{hang_port};
            proxy_read_timeout 3600s;
        }}
        location /truncated/ {{
            # nginx relays the header (Content-Length: 1000) and the 10 bytes, logs 200, then closes the client
            # connection: the client sees an incomplete body. Buffered or not, the same; unbuffered is simpler.
            proxy_pass http://127.0.0.1:{truncated_port};
            proxy_buffering off;
        }}
        location = {status_path} {{
            stub_status;
            access_log off;
        }}
{extra}
    }}
}}
"""


def find_nginx() -> str | None:
    """The nginx binary: on PATH, or in /usr/sbin (Debian's place, often not on a non-root PATH)."""
    return os.environ.get("NUPM_TEST_NGINX") or shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def _status_page(port: int, timeout: float) -> str:
    """nginx's stub_status page, or "" if nothing answers. A plain socket: this module needs only the stdlib."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(f"GET {_STATUS_PATH} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
            data = b""
            while chunk := s.recv(65536):
                data += chunk
    except OSError:
        return ""
    return data.decode(errors="replace")


@dataclass(frozen=True)
class Request:
    """One access-log line. Absent request headers are None."""

    method: str
    uri: str  # as the client sent it, with the query
    path: str  # uri without the query
    query: str | None
    status: int
    bytes_sent: int  # body bytes only ($body_bytes_sent); 0 for a 304
    total_bytes_sent: int  # with the headers
    if_none_match: str | None
    if_modified_since: str | None
    range: str | None
    user_agent: str | None
    upstream_status: str | None
    request_time: float
    connection: int  # nginx's connection serial number: equal numbers mean a reused (keep-alive) connection
    connection_requests: int
    time: str

    @classmethod
    def parse(cls, line: str) -> Request:
        d = {k: (None if v == "" else v) for k, v in json.loads(line).items()}
        path, _, query = d["uri"].partition("?")
        return cls(method=d["method"], uri=d["uri"], path=path, query=query if "?" in d["uri"] else None,
                   status=d["status"], bytes_sent=d["body_bytes_sent"], total_bytes_sent=d["bytes_sent"],
                   if_none_match=d["if_none_match"], if_modified_since=d["if_modified_since"], range=d["range"],
                   user_agent=d["user_agent"], upstream_status=d["upstream_status"],
                   request_time=d["request_time"], connection=d["connection"],
                   connection_requests=d["connection_requests"], time=d["time"])


class _Upstream:
    """A tiny TCP server on a thread: `handle(conn)` gets each accepted connection; stop() closes them all."""

    def __init__(self, handle):
        self._handle = handle
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()  # lets stop() interrupt select() without a timeout
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._run, name=f"nginx-upstream-{self.port}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with selectors.DefaultSelector() as sel:
            sel.register(self._listener, selectors.EVENT_READ)
            sel.register(self._wake_r, selectors.EVENT_READ)
            while True:
                for key, _ in sel.select():
                    if key.fileobj is self._wake_r:
                        return
                    if key.fileobj is self._listener:
                        conn, _ = self._listener.accept()
                        try:
                            keep = self._handle(conn)
                        except OSError:  # nginx gave up on this connection; the thread must live on
                            keep = False
                            conn.close()
                        if keep:  # watch it, so that nginx hanging up frees it
                            self._conns.append(conn)
                            sel.register(conn, selectors.EVENT_READ)
                    elif not key.fileobj.recv(65536):  # the request (ignored), or EOF
                        sel.unregister(key.fileobj)
                        self._conns.remove(key.fileobj)
                        key.fileobj.close()

    def stop(self) -> None:
        self._wake_w.send(b"x")
        self._thread.join(STOP_TIMEOUT)
        for s in [*self._conns, self._listener, self._wake_r, self._wake_w]:
            s.close()


def _hang(conn: socket.socket) -> bool:
    return True  # keep it open, say nothing


def _truncate(conn: socket.socket) -> bool:
    conn.settimeout(STOP_TIMEOUT)
    data = b""
    while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
        data += chunk
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n"
                 b"Connection: close\r\n\r\n" + TRUNCATED_BODY)
    conn.shutdown(socket.SHUT_WR)  # a FIN, not a RST that could discard the bytes in flight
    conn.close()
    return False


def _quote(path: Path) -> str:
    text = str(path.resolve())
    if any(c in text for c in '"\\$;{}'):  # would need nginx-specific escaping; pytest's tmp paths never do
        raise ValueError(f"path unsuitable for nginx.conf: {text}")
    return text


class Nginx:
    """nginx serving `root` on a free 127.0.0.1 port; its config, logs, pid and temp dirs live in `workdir`.

    `extra_config` is pasted into the server block (e.g. more locations).
    """

    def __init__(self, root: Path, workdir: Path, *, extra_config: str = "", binary: str | None = None):
        self.root = Path(root)
        self.workdir = Path(workdir)
        self.extra_config = extra_config
        self.binary = binary or find_nginx()
        if self.binary is None:
            raise FileNotFoundError("nginx is not installed (looked on PATH and in /usr/sbin)")
        self.port: int | None = None
        self.access_log = self.workdir / "access.log"
        self.error_log = self.workdir / "error.log"
        self._proc: subprocess.Popen | None = None
        self._upstreams: list[_Upstream] = []

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("nginx was never started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, port: int | None = None) -> Nginx:
        """Start and wait until it accepts connections. Without `port`, pick a free one (retrying if taken)."""
        if self.running:
            raise RuntimeError("nginx is already running")
        self.workdir.mkdir(parents=True, exist_ok=True)
        for _attempt in range(5 if port is None else 1):
            # Another process may take the port between free_port() and nginx's bind(); then try another.
            if self._start_once(port or free_port()):
                return self
        raise RuntimeError(f"nginx could not bind a port:\n{self._errors()}")

    def _start_once(self, port: int) -> bool:
        self._upstreams = [_Upstream(_hang), _Upstream(_truncate)]
        conf = self.workdir / "nginx.conf"
        log_start = self.error_log.stat().st_size if self.error_log.exists() else 0
        conf.write_text(_CONFIG.format(
            # As root, workers would run as `nobody` and could not read pytest's 0700 tmp dirs.
            user="user root;" if os.geteuid() == 0 else "",
            workdir=_quote(self.workdir), root=_quote(self.root), port=port, status_path=_STATUS_PATH,
            hang_port=self._upstreams[0].port, truncated_port=self._upstreams[1].port, extra=self.extra_config))
        # -e: the error log before the config is read (the build's default may be a root-only path).
        args = [self.binary, "-p", f"{self.workdir}/", "-c", str(conf), "-e", str(self.error_log)]
        self._proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._release_upstreams()
                if "Address already in use" in self._errors(since=log_start):
                    return False
                raise RuntimeError(f"nginx exited with {self._proc.returncode}:\n{self._errors(since=log_start)}")
            if "Active connections:" in _status_page(port, timeout=1):  # not just any process on that port
                self.port = port
                return True
            time.sleep(0.02)
        self._kill()
        raise RuntimeError(f"nginx did not answer on port {port} in {START_TIMEOUT}s:\n{self._errors(since=log_start)}")

    def stop(self) -> None:
        """Fast shutdown; returns once the master has exited and the port refuses connections."""
        if self._proc is None:
            return
        self._kill()
        deadline = time.monotonic() + STOP_TIMEOUT
        while self.port is not None and accepts(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"port {self.port} still accepts connections after nginx stopped")
            time.sleep(0.02)

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc.poll() is None:
            # SIGTERM, not SIGQUIT: a graceful shutdown would wait for the /hang requests to finish.
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._release_upstreams()

    def _release_upstreams(self) -> None:
        for upstream in self._upstreams:
            upstream.stop()
        self._upstreams = []

    def restart(self) -> Nginx:
        """Stop and start again on the same port (the access log is kept)."""
        port = self.port
        self.stop()
        return self.start(port)

    def requests(self, settle: bool = True) -> list[Request]:
        """The access log, oldest first. With `settle`, first wait until nginx has no request in progress
        (a client can see a response before nginx writes its log line; an aborted /hang is logged as 499
        only once nginx notices the client left)."""
        if settle:
            self.settle()
        if not self.access_log.exists():
            return []
        with open(self.access_log, encoding="utf-8", errors="replace") as f:
            return [Request.parse(line) for line in f if line.strip()]

    def clear_log(self) -> None:
        """Forget the requests so far. Truncated in place: nginx keeps its O_APPEND descriptor."""
        self.settle()
        if self.access_log.exists():
            os.truncate(self.access_log, 0)

    def settle(self, timeout: float = SETTLE_TIMEOUT) -> None:
        """Wait until nginx handles no request, so every finished one is logged (the single worker counts a
        request as done and logs it in the same step)."""
        if not self.running:
            return  # a stopped nginx has logged everything
        deadline = time.monotonic() + timeout
        while (busy := self.in_progress()) != 0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nginx still has {busy} request(s) in progress after {timeout}s; "
                                   "use requests(settle=False) while a request is meant to be in progress")
            time.sleep(0.02)

    def in_progress(self) -> int:
        """Requests nginx is reading or answering right now (e.g. one waiting on /hang); idle keep-alive
        connections do not count."""
        page = _status_page(self.port, timeout=STOP_TIMEOUT)
        if "Reading:" not in page:
            raise RuntimeError(f"nginx did not answer its status page ({page!r}):\n{self._errors()}")
        # "Active connections: 1 ... Reading: 0 Writing: 1 Waiting: 0"; this status request is one of the writing.
        words = page.split()
        return int(words[words.index("Reading:") + 1]) + int(words[words.index("Writing:") + 1]) - 1

    def _errors(self, since: int = 0) -> str:
        if not self.error_log.exists():
            return "(no error log)"
        with open(self.error_log, "rb") as f:
            f.seek(since)
            return f.read().decode(errors="replace")

    def __enter__(self) -> Nginx:
        return self if self.running else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
