"""Benchmark: cached audio range requests against `vorlesen serve` on loopback.

Renders one short article (espeak-ng, offline) into a temporary data directory, starts
``vorlesen serve --workers 0`` in a subprocess on a free loopback port, then lets N
concurrent connections fetch 64 KiB byte ranges at random offsets of its MP3 (what a
player seeking does) for a fixed time. Prints requests/s and latency percentiles; the
target on the 2-core dev machine is >= 500 req/s with p99 < 100 ms.

The load comes from ``wrk`` (C, one epoll thread, a small Lua script for the ``Range``
headers) so that the client costs little of the two cores and the figures describe the
server. Without ``wrk`` on PATH (Debian: ``apt-get install wrk``) the bench says so and
falls back to a Python httpx client in this process — whose own CPU use competes with the
server, so its numbers are a lower bound, not comparable with wrk's.

    .venv/bin/python bench/serve.py [--connections 16] [--seconds 10] [--client wrk|python]

Bounded: loopback only, fixed duration, the server is stopped when the run ends.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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
"""Bytes per request: a player's typical seek/refill chunk."""

WRK_SCRIPT = """\
-- Random 'Range: bytes=a-b' requests; counts answers that are not 206 over all threads.
local size, span, bad = 0, 65536, 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  size = tonumber(args[1]); span = tonumber(args[2])
  math.randomseed(tonumber(args[3]))
end
function request()
  local start = math.random(0, math.max(0, size - span))
  return wrk.format("GET", nil, {Range = "bytes=" .. start .. "-" .. (start + span - 1)})
end
function response(status, headers, body)
  if status ~= 206 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + (t:get("bad") or 0) end
  io.write(string.format("NOT206 %d\\n", total))
end
"""


@dataclass
class Result:
    """One load run: what was sent, what came back, how fast."""

    tool: str
    connections: int
    requests: int
    errors: int
    seconds: float
    rate: float
    p50_ms: float
    p90_ms: float
    p99_ms: float


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(data: Path) -> dict[str, str]:
    """Render the article into ``data`` and return the environment the server needs."""
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
    from vorlesen.config import get_settings
    from vorlesen.server import make_service

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


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    """wrk's '812.00us' / '3.41ms' / '1.02s' as milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise SystemExit(f"cannot read wrk latency {text!r}")
    return float(match.group(1)) * _UNIT_MS[match.group(2)]


def _run_wrk(
    wrk: str, url: str, size: int, connections: int, threads: int, seconds: float
) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT)
        script = f.name
    try:
        cmd = [
            wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency",
            "--timeout", "5s", "-s", script, url, "--",
            str(size), str(RANGE), str(random.randrange(1, 2**31)),
        ]  # fmt: skip
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=seconds + 30, check=False
        )
    finally:
        os.unlink(script)
    out = proc.stdout
    if proc.returncode != 0:
        raise SystemExit(f"wrk failed ({proc.returncode}): {proc.stderr or out}")
    pct = {m.group(1): _ms(m.group(2)) for m in re.finditer(r"^\s+(\d+)%\s+(\S+)$", out, re.M)}
    requests = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    not206 = re.search(r"NOT206 (\d+)", out)
    sock_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    if requests is None or rate is None or not {"50", "90", "99"} <= pct.keys():
        raise SystemExit(f"cannot read wrk output:\n{out}")
    errors = int(not206.group(1)) if not206 else 0
    if sock_errors:
        errors += sum(int(g) for g in sock_errors.groups())
    return Result(
        tool=f"wrk -t{threads}",
        connections=connections,
        requests=int(requests.group(1)),
        errors=errors,
        seconds=_ms(requests.group(2) + requests.group(3)) / 1000,
        rate=float(rate.group(1)),
        p50_ms=pct["50"],
        p90_ms=pct["90"],
        p99_ms=pct["99"],
    )


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


async def _load(url: str, size: int, clients: int, seconds: float) -> Result:
    latencies: list[float] = []
    t0 = time.perf_counter()
    deadline = t0 + seconds
    errors = await asyncio.gather(
        *[_client(url, size, deadline, latencies) for _ in range(clients)]
    )
    wall = time.perf_counter() - t0
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return Result(
        tool="python httpx (same machine, competes for CPU)",
        connections=clients,
        requests=len(latencies),
        errors=sum(errors),
        seconds=wall,
        rate=len(latencies) / wall,
        p50_ms=pct(0.50),
        p90_ms=pct(0.90),
        p99_ms=pct(0.99),
    )


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit(f"the server exited early ({server.returncode})")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not start within 30 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--connections", "--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument(
        "--client", choices=("auto", "wrk", "python"), default="auto",
        help="load generator: wrk when installed (auto), or force one",
    )  # fmt: skip
    parser.add_argument(
        "--serve-args", default="",
        help="extra arguments for `vorlesen serve`, e.g. '--api-workers 2'",
    )  # fmt: skip
    args = parser.parse_args()
    wrk = shutil.which("wrk") if args.client != "python" else None
    if args.client == "wrk" and wrk is None:
        raise SystemExit("--client wrk: wrk is not on PATH (Debian: apt-get install wrk)")
    if wrk is None and args.client == "auto":
        print(
            "note: wrk not found (Debian: apt-get install wrk); falling back to the Python "
            "httpx client in this process. It competes with the server for the CPU, so "
            "these figures understate the server and are not comparable with wrk's.",
            file=sys.stderr,
        )
    with tempfile.TemporaryDirectory(prefix="vorlesen-bench-") as tmp:
        env = _prepare(Path(tmp))
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "vorlesen.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--workers", "0", *args.serve_args.split()],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(base, server)
            url = f"{base}/api/articles/bench/audio.mp3"
            head = httpx.head(url, timeout=5)
            size = int(head.headers["content-length"])
            if wrk is not None:
                result = _run_wrk(wrk, url, size, args.connections, args.threads, args.seconds)
            else:
                result = asyncio.run(_load(url, size, args.connections, args.seconds))
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    print(f"client: {result.tool}  file={size} B  range={RANGE} B")
    print(
        f"connections={result.connections} requests={result.requests} "
        f"errors={result.errors} wall={result.seconds:.1f}s"
    )
    print(f"requests/s={result.rate:.0f} (target >= 500)")
    print(
        f"p50={result.p50_ms:.1f} ms  p90={result.p90_ms:.1f} ms  p99={result.p99_ms:.1f} ms "
        f"(target p99 < 100 ms)"
    )


if __name__ == "__main__":
    main()
