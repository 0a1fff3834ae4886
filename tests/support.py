"""Helpers several test areas share: local HTTP servers, service environments, waiting,
subprocess clean-up and hostile XML.

Tests run with ``--import-mode=importlib``, so test modules cannot import each other or a
``conftest.py`` by name; ``pyproject.toml`` puts ``tests/`` on ``pythonpath`` so that every
test imports these as ``from support import …``. Nothing here fakes vorlesen itself.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

import pytest

from vorlesen.config import Settings, get_settings

__all__ = [
    "S3_ENV",
    "StallingProxy",
    "billion_laughs",
    "create_bucket",
    "free_port",
    "moto_server",
    "s3_keys",
    "serve_http",
    "service_settings",
    "settings_from_env",
    "stop_processes",
    "subprocess_env",
    "wait_until",
]


@contextlib.contextmanager
def serve_http(handler: Callable[..., BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free 127.0.0.1 port in a thread; yields the base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def subprocess_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for ``vorlesen serve``/``worker`` subprocesses: this process's environment
    without any ``VORLESEN_*``, then temp data/cache dirs, offline, espeak-ng, one synthesis
    job, a 4 s render lease (so a killed worker's render is taken over quickly), ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VORLESEN_")}
    env.update(
        VORLESEN_DATA_DIR=str(tmp_path / "data"),
        VORLESEN_CACHE_DIR=str(tmp_path / "cache"),
        VORLESEN_OFFLINE="1",
        VORLESEN_ENGINE="espeak",
        VORLESEN_JOBS="1",
        VORLESEN_RENDER_LEASE_S="4",
    )
    env.update(extra)
    return env


def settings_from_env(env: Mapping[str, str]) -> Settings:
    """The settings subprocesses started with ``env`` will see (this process's env untouched)."""
    fields = {
        k.removeprefix("VORLESEN_").lower(): v for k, v in env.items() if k.startswith("VORLESEN_")
    }
    settings_type: Any = Settings  # pydantic-settings' __init__ is typed for its own kwargs
    settings: Settings = settings_type(**fields)
    return settings


def service_settings(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: Mapping[str, str],
    unset: tuple[str, ...] = ("VORLESEN_DATABASE_URL", "VORLESEN_REDIS_URL"),
) -> Iterator[Settings]:
    """Body of an in-process service's settings fixture: temp data/cache dirs, offline,
    espeak-ng, one job, then ``env``; the ``unset`` variables removed; the settings cache
    cleared before and after (``yield from`` it in the fixture)."""
    base = {
        "VORLESEN_DATA_DIR": str(tmp_path / "data"),
        "VORLESEN_CACHE_DIR": str(tmp_path / "cache"),
        "VORLESEN_OFFLINE": "1",
        "VORLESEN_ENGINE": "espeak",
        "VORLESEN_JOBS": "1",
    }
    for key, value in {**base, **env}.items():
        monkeypatch.setenv(key, value)
    for key in unset:
        monkeypatch.delenv(key, raising=False)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def wait_until(check: Callable[[], bool], timeout: float, what: str, *, poll: float = 0.05) -> None:
    """Poll ``check`` every ``poll`` s until true; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def stop_processes(procs: list[subprocess.Popen[bytes]], logs: list[IO[bytes]]) -> None:
    """Terminate the subprocesses a test started (kill those that linger 15 s), close logs."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for log in logs:
        log.close()


def billion_laughs(root: str, body: str, *, indent: str = " ") -> str:
    """A "billion laughs" XML document: nine levels of ten-fold entity expansion declared in
    the internal DTD of ``root``, then ``body`` (which references ``&lol9;``)."""
    lines = [f'{indent}<!ENTITY lol "lol">']
    for i in range(1, 10):
        prev = "lol" if i == 1 else f"lol{i - 1}"
        lines.append(f'{indent}<!ENTITY lol{i} "{("&" + prev + ";") * 10}">')
    return f'<?xml version="1.0"?>\n<!DOCTYPE {root} [\n' + "\n".join(lines) + f"\n]>\n{body}"


S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
"""Credentials and region for the moto server (it checks no signature by default)."""


@contextlib.contextmanager
def moto_server(log: Path) -> Iterator[str]:
    """A real S3-API HTTP server (moto's server mode) on a free 127.0.0.1 port, as a
    subprocess; yields its endpoint URL. Its output goes to ``log``."""
    import sys

    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                with (
                    contextlib.suppress(OSError),
                    socket.create_connection(("127.0.0.1", port), timeout=1),
                ):
                    break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server did not start: {log.read_text()[-2000:]}")
                time.sleep(0.05)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_processes([proc], [])


def create_bucket(endpoint: str, bucket: str) -> None:
    """Create ``bucket`` on the S3 server at ``endpoint`` (plain HTTP: moto signs nothing)."""
    import httpx

    httpx.put(f"{endpoint}/{bucket}", timeout=10).raise_for_status()


def s3_keys(endpoint: str, bucket: str, prefix: str = "") -> list[str]:
    """Every object key under ``prefix`` in ``bucket``, read over the S3 API itself."""
    import xml.etree.ElementTree as ET

    import httpx

    keys: list[str] = []
    token: str | None = None
    ns = "{http://s3.amazonaws.com/doc/2006-03-01/}"
    while True:
        params = {"list-type": "2", "prefix": prefix}
        if token:
            params["continuation-token"] = token
        response = httpx.get(f"{endpoint}/{bucket}", params=params, timeout=10)
        response.raise_for_status()
        root = ET.fromstring(response.content)
        keys += [el.text or "" for el in root.iter(f"{ns}Key")]
        token = root.findtext(f"{ns}NextContinuationToken")
        if not token:
            return sorted(keys)


class StallingProxy:
    """A TCP proxy in front of an HTTP server that forwards everything until a request
    whose head contains ``marker`` arrives: it forwards that request's head and half of
    its body, then forwards nothing more from that client and sets :attr:`stalled`.

    So a test can kill a process provably *during* an upload (the server holds a partial
    body), with no sleeps and no hooks in the code under test.
    """

    def __init__(self, upstream: str, marker: bytes) -> None:
        host, _, port = upstream.removeprefix("http://").partition(":")
        self._upstream = (host, int(port))
        self._marker = marker
        self.stalled = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            server = socket.create_connection(self._upstream)
            threading.Thread(target=self._pipe, args=(server, client), daemon=True).start()
            threading.Thread(target=self._requests, args=(client, server), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def _requests(self, client: socket.socket, server: socket.socket) -> None:
        """Forward request by request (head, then Content-Length bytes of body)."""
        buf = b""
        body_left = 0  # body bytes of the current request still to forward
        hold_after = -1  # in the marked request: stall once this many body bytes are left
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                if self.stalled.is_set():
                    continue  # hold the upload: the client waits for an answer
                buf += data
                while buf and not self.stalled.is_set():
                    if body_left == 0:
                        end = buf.find(b"\r\n\r\n")
                        if end < 0:
                            break  # the head is not complete yet
                        head, buf = buf[: end + 4], buf[end + 4 :]
                        body_left = next(
                            (
                                int(line.split(b":", 1)[1])
                                for line in head.split(b"\r\n")
                                if line.lower().startswith(b"content-length:")
                            ),
                            0,
                        )
                        hold_after = body_left // 2 if self._marker in head else -1
                        server.sendall(head)
                        continue
                    take = body_left - max(hold_after, 0)
                    part, buf = buf[:take], buf[take:]
                    server.sendall(part)
                    body_left -= len(part)
                    if hold_after >= 0 and body_left == hold_after:
                        self.stalled.set()
        client.close()
        with contextlib.suppress(OSError):
            server.close()

    def close(self) -> None:
        self._closing = True
        self._server.close()
