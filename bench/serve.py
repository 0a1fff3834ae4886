"""Benchmark: cached audio range requests against `vorlesen serve` on loopback.

Renders one short article (espeak-ng, offline) into a temporary data directory, starts
the API under uvicorn in a subprocess, then lets concurrent clients fetch 64 KiB byte
ranges of its MP3 (what a player seeking does). Prints requests/s and latency
percentiles; the target on the 2-core dev machine is >= 500 req/s with p99 < 100 ms.

    .venv/bin/python bench/serve.py [--clients 16] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ARTICLE = (
    "Stadtrat beschließt neuen Radweg\n\n"
    "Der Stadtrat hat am Dienstag den Bau eines neuen Radwegs beschlossen. Die Strecke "
    "soll 4,5 Kilometer lang werden und rund 2 Millionen Euro kosten.\n\n"
    "Die Opposition kritisierte die Pläne. Sie hält die Kosten für zu hoch."
)
TOKEN = "bench-token"
RANGE = 64 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(data: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        VORLESEN_DATA_DIR=str(data / "data"),
        VORLESEN_CACHE_DIR=str(data / "cache"),
        VORLESEN_OFFLINE="1",
        VORLESEN_ENGINE="espeak",
        VORLESEN_JOBS="1",
        VORLESEN_API_TOKENS=TOKEN,
    )
    os.environ.update(env)
    from vorlesen.api.app import make_service
    from vorlesen.config import get_settings

    get_settings.cache_clear()
    service = make_service(get_settings())
    service.store.put_article("bench", {"text": ARTICLE}, "bench")
    service.queue.enqueue_render("bench", 1)
    service.queue.run_pending()
    article = service.store.get_article("bench")
    if article.status != "ready":
        raise SystemExit(f"render failed: {article.error_reason}: {article.error_message}")
    service.store.close()
    return env


async def _client(url: str, size: int, deadline: float, latencies: list[float]) -> int:
    errors = 0
    async with httpx.AsyncClient(timeout=10) as client:
        while time.perf_counter() < deadline:
            start = random.randrange(0, max(1, size - RANGE))
            t0 = time.perf_counter()
            r = await client.get(url, headers={"Range": f"bytes={start}-{start + RANGE - 1}"})
            latencies.append(time.perf_counter() - t0)
            if r.status_code != 206:
                errors += 1
    return errors


async def _load(url: str, clients: int, seconds: float) -> tuple[list[float], int, float]:
    async with httpx.AsyncClient() as client:
        size = len((await client.get(url)).content)
    latencies: list[float] = []
    t0 = time.perf_counter()
    deadline = t0 + seconds
    errors = await asyncio.gather(
        *[_client(url, size, deadline, latencies) for _ in range(clients)]
    )
    return latencies, sum(errors), time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vorlesen-bench-") as tmp:
        env = _prepare(Path(tmp))
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "vorlesen.cli", "serve", "--port", str(port), "--workers", "0"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            else:
                raise SystemExit("the server did not start")
            url = f"{base}/api/articles/bench/audio.mp3"
            latencies, errors, wall = asyncio.run(_load(url, args.clients, args.seconds))
        finally:
            server.terminate()
            server.wait(timeout=10)
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    rate = len(latencies) / wall
    print(f"clients={args.clients} requests={len(latencies)} errors={errors} wall={wall:.1f}s")
    print(f"requests/s={rate:.0f} (target >= 500)")
    print(
        f"p50={pct(0.50):.1f} ms  p90={pct(0.90):.1f} ms  p99={pct(0.99):.1f} ms "
        f"(target p99 < 100 ms)"
    )


if __name__ == "__main__":
    main()
