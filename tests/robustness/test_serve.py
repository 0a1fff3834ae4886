"""How ``vorlesen serve`` speaks HTTP: idle connections and the proxies it believes."""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from .conftest import ROBUST_AUTH, RobustServer, robust_env

Start = Callable[..., RobustServer]


def test_idle_connections_are_kept_as_long_as_configured(
    tmp_path: Path, robust_processes: Start
) -> None:
    """``VORLESEN_KEEP_ALIVE_S`` reaches the HTTP server: an idle keep-alive connection is
    closed by the server after that long, not after uvicorn's 5 s default — which equals
    httpx's own expiry, so clients raced the server's close (a lost request under load)."""
    server = robust_processes("serve", robust_env(tmp_path, VORLESEN_KEEP_ALIVE_S="2"))
    port = int(server.url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for _ in range(2):  # the second request reuses the connection after 1 s idle
            conn.request("GET", "/healthz")
            assert conn.getresponse().read() == b'{"status":"ok"}'
            time.sleep(1)
        assert conn.sock is not None
        idle_since = time.monotonic() - 1
        assert conn.sock.recv(1) == b""  # closed by the server…
        closed_after = time.monotonic() - idle_since
    finally:
        conn.close()
    assert 1.5 < closed_after < 4.5, closed_after  # …after 2 s idle (uvicorn's default: 5)


def _feedback_statuses(server: RobustServer, forwarded_for: list[str]) -> list[int]:
    url = f"{server.url}/api/articles/proxied/feedback"
    return [
        httpx.post(
            url, json={"category": "voice"}, headers={"X-Forwarded-For": ip}, timeout=10
        ).status_code
        for ip in forwarded_for
    ]


def test_forwarded_for_counts_only_from_the_configured_proxies(
    tmp_path: Path, robust_processes: Start
) -> None:
    """Behind a trusted proxy each listener has their own feedback limit; anyone else
    cannot dodge the limit by sending an invented X-Forwarded-For."""
    spoofed = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"]
    for n, (proxies, expected) in enumerate(
        (
            # The test client (127.0.0.1) is the trusted proxy: four listeners, two each.
            ("127.0.0.1", [201, 201, 201, 201, 201, 429]),
            # Only 10.0.0.1 is trusted: the header is ignored, one client, two posts.
            ("10.0.0.1", [201, 201, 429, 429, 429, 429]),
        )
    ):
        env = robust_env(
            tmp_path / str(n),
            VORLESEN_FEEDBACK_PER_MINUTE="2",
            VORLESEN_FORWARDED_ALLOW_IPS=proxies,
        )
        server = robust_processes("serve", env)
        put = httpx.put(
            f"{server.url}/api/articles/proxied",
            json={"text": "Ein Text zum Melden."},
            headers=ROBUST_AUTH,
            timeout=10,
        )
        assert put.status_code == 202, put.text
        got = _feedback_statuses(server, [*spoofed, spoofed[0], spoofed[0]])
        assert got == expected, (proxies, got)


def test_serve_logs_what_an_operator_needs_not_alembic_set_up(
    tmp_path: Path, robust_processes: Start
) -> None:
    """A first start migrates an empty database in ``serve`` and again in its worker: the
    log says so once per process, without alembic's plugin set-up and context lines."""
    from support import wait_until

    server = robust_processes("serve", robust_env(tmp_path), workers=1)
    wait_until(
        lambda: "Huey consumer started" in server.log_tail(100_000), 60, "the worker to start"
    )
    log = server.log_tail(100_000)
    assert "Uvicorn running on" in log
    assert "alembic" not in log and "setup plugin" not in log, log
    assert "Context impl" not in log and "non-transactional DDL" not in log, log
