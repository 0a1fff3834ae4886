"""The second half of `make demo`: start the service, publish the sample article, show it.

Starts `vorlesen serve` (SQLite, embedded queue, one render worker), PUTs
`examples/artikel.html` through the HTTP API like a CMS would, waits until the audio is
ready, prints the demo page, the newsroom login and the podcast feed, and keeps serving
until Ctrl-C. With `--once` it stops the service after printing (used by the tests).

    .venv/bin/python examples/demo.py [--port 8000] [--once]
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx

HERE = Path(__file__).resolve().parent
ARTICLE_ID = "erzgebirgsbahn-wasserstoff"
T = TypeVar("T")


def wait_until(check: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll ``check`` until it returns something truthy; exit with a message on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
        except httpx.TransportError:
            result = None
        if result:
            return result
        time.sleep(0.5)
    sys.exit(f"demo: {what} did not happen within {timeout:.0f} s")


def port_free(host: str, port: int) -> bool:
    """Whether nothing listens on ``host:port`` (else the demo would talk to that)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument(
        "--once", action="store_true", help="stop the service after the article is ready"
    )
    args = ap.parse_args()

    if not port_free(args.host, args.port):
        sys.exit(f"demo: port {args.port} on {args.host} is in use; pass another: --port 8010")
    token = os.environ.get("VORLESEN_DEMO_TOKEN") or secrets.token_urlsafe(18)
    env = {**os.environ, "VORLESEN_API_TOKENS": token}
    base = f"http://{args.host}:{args.port}"
    exe = Path(sys.executable).with_name("vorlesen")
    server = subprocess.Popen(
        [str(exe), "serve", "--host", args.host, "--port", str(args.port)], env=env
    )
    try:
        with httpx.Client(base_url=base, timeout=30) as client:

            def started() -> bool | None:
                if server.poll() is not None:
                    sys.exit(f"demo: vorlesen serve exited (code {server.returncode}); see above")
                return client.get("/healthz").status_code == 200 or None

            wait_until(started, 60, "start")
            html = (HERE / "artikel.html").read_text(encoding="utf-8")
            put = client.put(
                f"/api/articles/{ARTICLE_ID}",
                json={"html": html},
                headers={"Authorization": f"Bearer {token}"},
            )
            if put.status_code >= 400:
                sys.exit(f"demo: publishing failed: {put.status_code} {put.text}")

            def ready() -> dict[str, object] | None:
                state: dict[str, object] = client.get(f"/api/articles/{ARTICLE_ID}").json()
                if state.get("status") == "failed":
                    sys.exit(f"demo: rendering failed: {state.get('error')}")
                return state if state.get("status") == "ready" else None

            state = wait_until(ready, 600, "rendering")
        print(f"\narticle ready: {state.get('duration_s')} s, voice {state.get('voice')}")
        print(f"demo page:     {base}/demo/{ARTICLE_ID}")
        print(f"newsroom:      {base}/admin   (token: {token})")
        print(f"podcast feed:  {base}/feed.xml")
        print(f"API docs:      {base}/docs")
        if args.once:
            return
        print("\nserving; press Ctrl-C to stop")
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
