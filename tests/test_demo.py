"""`make demo`'s second half, as a newcomer runs it: serve, publish, wait, print the URLs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_demo_publishes_the_sample_article_and_stops_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "VORLESEN_OFFLINE": "1",  # no voice download in tests: the espeak-ng fallback reads
        "VORLESEN_CACHE_DIR": str(tmp_path / "cache"),
        "VORLESEN_DATA_DIR": str(tmp_path / "data"),
        "VORLESEN_DEMO_TOKEN": "demo-test-token",
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py"), "--once", "--port", str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"http://127.0.0.1:{port}/demo/erzgebirgsbahn-wasserstoff" in result.stdout
    assert "token: demo-test-token" in result.stdout
    assert list((tmp_path / "data").rglob("*.mp3")), "no audio in the data directory"
    # The service is gone afterwards, render workers included.
    try:
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
        raise AssertionError("the demo left the service running")
    except httpx.TransportError:
        pass


def test_demo_refuses_a_port_in_use_instead_of_talking_to_that(tmp_path: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "demo.py"), "--once", "--port", str(port)],
            env={**os.environ, "VORLESEN_DATA_DIR": str(tmp_path / "data")},
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"demo: port {port} on 127.0.0.1 is in use; pass another: --port 8010"
    )
