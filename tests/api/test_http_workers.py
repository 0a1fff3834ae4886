"""``vorlesen serve --http-workers 2``: two HTTP processes on one port share the Redis
rate limits and the database's newsroom sessions (a real server, real Redis)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support import free_port, stop_processes, subprocess_env, wait_until

REDIS_URL = os.environ.get("VORLESEN_TEST_REDIS", "redis://127.0.0.1:6379/0")
TOKEN = "http-workers-token"
LIMIT = 3
_LINE = re.compile(r'^\[(\d+)\] .*"(\w+) (\S+) HTTP/1\.1" (\d{3})')


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    redis = pytest.importorskip("redis")
    tag = "vt_" + uuid.uuid4().hex[:12]
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")
    env = subprocess_env(
        tmp_path,
        VORLESEN_REDIS_URL=REDIS_URL,
        VORLESEN_QUEUE_NAME=tag,
        VORLESEN_API_TOKENS=TOKEN,
        VORLESEN_FEEDBACK_PER_MINUTE=str(LIMIT),
    )
    port = free_port()
    log_path = tmp_path / "serve.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "vorlesen.cli", "serve", "--port", str(port)),
            *("--workers", "0", "--http-workers", "2", "--access-log"),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            try:
                return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, 60, "serve --http-workers 2 to answer", poll=0.1)
        yield url, log_path
    finally:
        stop_processes([proc], [log])
        for key in client.scan_iter(match=f"{tag}*"):
            client.delete(key)
        client.close()


def _answers(log: Path, method: str, path: str) -> list[tuple[int, int]]:
    """``(pid, status)`` of each logged answer to ``method path``, in order."""
    found = []
    for line in log.read_text("utf-8", "replace").splitlines():
        match = _LINE.match(line)
        if match and match[2] == method and match[3] == path:
            found.append((int(match[1]), int(match[4])))
    return found


def _logged(log: Path, method: str, path: str, count: int) -> None:
    """Wait until ``count`` answers to ``method path`` are in the log (uvicorn logs each
    just after sending it)."""
    wait_until(lambda: len(_answers(log, method, path)) >= count, 10, f"{count} log lines")


def _fresh(url: str) -> httpx.Client:
    """A client that opens a new connection per request (so the kernel may hand each to
    either process)."""
    return httpx.Client(base_url=url, limits=httpx.Limits(max_keepalive_connections=0))


def test_two_http_processes_share_limits_and_sessions(server: tuple[str, Path]) -> None:
    url, log = server
    path = "/api/articles/some-article/listens"
    sent = 0
    with _fresh(url) as client:
        # Until both processes have answered a listen ping: with limits per process, each
        # would let LIMIT through (2 × LIMIT in all); shared, LIMIT in all.
        while sent < 300:
            client.post(path, json={"milestone": 0})
            sent += 1
            _logged(log, "POST", path, sent)
            if len({pid for pid, _ in _answers(log, "POST", path)}) == 2:
                break
        answers = _answers(log, "POST", path)
        assert len({pid for pid, _ in answers}) == 2, "one process answered everything"
        passed = [status for _, status in answers if status != 429]
        assert len(passed) == min(LIMIT, sent), answers
        assert [s for _, s in answers[LIMIT:]] == [429] * (sent - LIMIT)

        # A newsroom sign-in made in one process is good in the other.
        login = client.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
        assert login.status_code == 303
        cookie = login.cookies["vorlesen_admin"]
        client.cookies.clear()
        for n in range(300):
            page = client.get(
                "/admin", headers={"Cookie": f"vorlesen_admin={cookie}"}, follow_redirects=False
            )
            assert page.status_code == 200
            _logged(log, "GET", "/admin", n + 1)
            if len({pid for pid, _ in _answers(log, "GET", "/admin")}) == 2:
                break
        assert len({pid for pid, _ in _answers(log, "GET", "/admin")}) == 2
