"""Self-test of tests/nginx.py: the real nginx that HTTP registry and git-over-HTTP tests run against."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from nginx import TRUNCATED_BODY, Nginx, find_nginx

if find_nginx() is None:
    pytest.skip("SKIPPED LOUDLY: nginx is not installed (Debian package `nginx`)", allow_module_level=True)
requests = pytest.importorskip("requests", reason="SKIPPED LOUDLY: requests is not installed")
urllib3 = pytest.importorskip("urllib3", reason="SKIPPED LOUDLY: urllib3 is not installed")


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_TERMINAL_PROMPT": "0"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def server(tmp_path: Path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "registry.nuon").write_text("[[name, path]; [foo, foo.nuon]]\n")
    with Nginx(root, tmp_path / "nginx") as server:
        yield server


def test_static_file_etag_and_304(server: Nginx):
    first = requests.get(f"{server.url}/registry.nuon", timeout=5)
    assert first.status_code == 200
    assert first.text == "[[name, path]; [foo, foo.nuon]]\n"
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]

    second = requests.get(f"{server.url}/registry.nuon?x=1", headers={"If-None-Match": etag}, timeout=5)
    assert second.status_code == 304

    log = server.requests()
    assert [(r.method, r.path, r.status) for r in log] == [("GET", "/registry.nuon", 200),
                                                           ("GET", "/registry.nuon", 304)]
    assert (log[0].bytes_sent, log[0].if_none_match) == (len(first.content), None)
    assert (log[1].bytes_sent, log[1].if_none_match, log[1].query) == (0, etag, "x=1")

    server.clear_log()
    assert server.requests() == []
    requests.get(f"{server.url}/missing.nuon", timeout=5)
    assert [(r.path, r.status) for r in server.requests()] == [("/missing.nuon", 404)]


@pytest.mark.skipif(shutil.which("git") is None, reason="SKIPPED LOUDLY: git is not installed")
def test_git_clone_over_dumb_http(server: Nginx, tmp_path: Path):
    work = tmp_path / "work"
    work.mkdir()
    git("init", "-q", "-b", "main", cwd=work)
    (work / "mod.nu").write_text("export def hi [] { 'hi' }\n")
    git("add", ".", cwd=work)
    git("commit", "-q", "-m", "first", cwd=work)
    bare = server.root / "repo.git"
    git("clone", "-q", "--bare", str(work), str(bare), cwd=tmp_path)
    git("update-server-info", cwd=bare)

    git("clone", "-q", f"{server.url}/repo.git", str(tmp_path / "clone"), cwd=tmp_path)
    assert (tmp_path / "clone" / "mod.nu").read_text() == "export def hi [] { 'hi' }\n"
    paths = [r.path for r in server.requests()]
    assert "/repo.git/info/refs" in paths  # dumb protocol: plain files, no git-upload-pack


def test_failure_locations(server: Nginx):
    assert requests.get(f"{server.url}/status/500/registry.nuon", timeout=5).status_code == 500
    assert requests.get(f"{server.url}/status/404/registry.nuon", timeout=5).status_code == 404

    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{server.url}/hang/registry.nuon", timeout=(5, 1))

    # Content-Length: 1000, then 10 bytes and EOF.
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
        requests.get(f"{server.url}/truncated/registry.nuon", timeout=5)
    with pytest.raises(urllib3.exceptions.ProtocolError, match="IncompleteRead"):
        urllib3.request("GET", f"{server.url}/truncated/registry.nuon", retries=False, timeout=5)
    streamed = requests.get(f"{server.url}/truncated/registry.nuon", stream=True, timeout=5)
    assert (streamed.status_code, streamed.headers["Content-Length"]) == (200, "1000")
    assert streamed.raw.read(2000) == TRUNCATED_BODY  # a partial read does not notice; the next one raises
    with pytest.raises(urllib3.exceptions.ProtocolError):
        streamed.raw.read(2000)

    # The client that gave up on /hang is logged as 499 once nginx notices; requests() waits for that.
    log = [(r.path, r.status) for r in server.requests()]
    assert log == [("/status/500/registry.nuon", 500), ("/status/404/registry.nuon", 404), ("/hang/registry.nuon", 499),
                   *[("/truncated/registry.nuon", 200)] * 3]
    assert [r.bytes_sent for r in server.requests()][-3:] == [len(TRUNCATED_BODY)] * 3


def test_stop_refuses_and_restart_serves_on_same_port(server: Nginx):
    url, port = server.url, server.port
    # A request still in flight on /hang must not delay stop().
    hanging = socket.create_connection(("127.0.0.1", port), timeout=5)
    hanging.sendall(b"GET /hang/x HTTP/1.1\r\nHost: localhost\r\n\r\n")
    deadline = time.monotonic() + 10
    while server.in_progress() != 1:
        assert time.monotonic() < deadline, "nginx never picked up the /hang request"
        time.sleep(0.02)
    with pytest.raises(TimeoutError, match="in progress"):
        server.settle(timeout=0.2)
    server.stop()
    with pytest.raises(requests.exceptions.ConnectionError, match="Connection refused"):
        requests.get(f"{url}/registry.nuon", timeout=5)
    assert hanging.recv(100) == b""  # nginx closed it without a response
    hanging.close()

    server.restart()
    assert server.port == port
    assert requests.get(f"{url}/registry.nuon", timeout=5).status_code == 200
    server.restart()  # also from running
    assert requests.get(f"{url}/registry.nuon", timeout=5).status_code == 200
    assert [r.status for r in server.requests()][-2:] == [200, 200]  # the log survives restarts
