"""Load against a real ``vorlesen serve`` subprocess on loopback, in bounded loops.

200 concurrent article submissions, 1,000 feedback posts and 200 concurrent listeners
streaming an MP3 with range requests. Every request must succeed, and the database must
hold exactly what was acknowledged: nothing lost, nothing twice. Throughput and p99
latency are printed (and reported to ``make robustness``). The client runs in this
process on the same (small) machine, so the figures are a floor, not the server's limit.

``bench/serve.py`` measures the range-request throughput of one hot file in isolation.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, select

from support import settings_from_env, wait_until
from vorlesen.jobs.queue import JobQueue
from vorlesen.store.blobs import LocalBlobStore, revision_prefix
from vorlesen.store.db import ArticleRow, FeedbackRow, Store

from .conftest import (
    ROBUST_AUTH,
    Report,
    RobustServer,
    robust_env,
)
from .test_faults import SHORT, long_article

Start = Callable[..., RobustServer]

FULL = os.environ.get("VORLESEN_ROBUSTNESS_FULL") == "1"
RANGE = 32 * 1024
"""Bytes per range request (a player fetches audio in chunks like this when seeking)."""


@dataclass
class Tally:
    """Latencies and failures of one load phase."""

    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    def p99_ms(self) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]

    def note(self) -> str:
        rate = len(self.latencies) / self.wall_s if self.wall_s else 0.0
        return f"throughput {rate:.0f} req/s, p99 {self.p99_ms():.0f} ms"


async def _run(
    jobs: list[Callable[[httpx.AsyncClient, Tally], Awaitable[None]]], concurrency: int
) -> Tally:
    """Run every job with at most ``concurrency`` at once (one connection each)."""
    tally = Tally()
    sem = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def one(job: Callable[[httpx.AsyncClient, Tally], Awaitable[None]]) -> None:
            async with sem:
                try:
                    await job(client, tally)
                except httpx.HTTPError as exc:
                    tally.failures.append(f"{type(exc).__name__}: {exc}")

        started = time.perf_counter()
        await asyncio.gather(*(one(j) for j in jobs))
        tally.wall_s = time.perf_counter() - started
    return tally


async def _timed(tally: Tally, call: Awaitable[httpx.Response]) -> httpx.Response:
    t0 = time.perf_counter()
    response = await call
    tally.latencies.append(time.perf_counter() - t0)
    return response


def test_load_submissions_feedback_and_listeners(
    tmp_path: Path, robust_processes: Start, robustness_report: Report
) -> None:
    env = robust_env(tmp_path)
    settings = settings_from_env(env)
    store = Store.from_settings(settings)
    blobs = LocalBlobStore(settings.data_dir)
    queue = JobQueue(settings, store, blobs)
    # The article listeners stream: about 30 s of speech, rendered before the server starts.
    store.put_article("hoerstueck", {"text": long_article(10, "Hörstück")}, "listen")
    queue.enqueue_render("hoerstueck", 1)
    queue.run_pending()
    assert store.get_article("hoerstueck").status == "ready"
    mp3 = blobs.local_path(f"{revision_prefix('hoerstueck', 1)}/audio.mp3").read_bytes()

    server = robust_processes("serve", env, workers=0)
    url = server.url

    # -- 200 concurrent article submissions -------------------------------------------
    articles = 200

    def submit(n: int) -> Callable[[httpx.AsyncClient, Tally], Awaitable[None]]:
        async def job(client: httpx.AsyncClient, tally: Tally) -> None:
            r = await _timed(
                tally,
                client.put(
                    f"{url}/api/articles/load-{n}",
                    json={"text": SHORT.format(n=n)},
                    headers=ROBUST_AUTH,
                ),
            )
            if r.status_code != 202 or r.json()["revision"] != 1:
                tally.failures.append(f"PUT load-{n}: {r.status_code} {r.text[:200]}")

        return job

    put = asyncio.run(_run([submit(n) for n in range(articles)], concurrency=articles))
    assert put.failures == [], (put.failures[:5], server.log_tail())
    with store.session() as s:
        rows = s.execute(
            select(ArticleRow.source_id, ArticleRow.revision, ArticleRow.status).where(
                ArticleRow.source_id.like("load-%")
            )
        ).all()
    assert sorted(r[0] for r in rows) == sorted(f"load-{n}" for n in range(articles))
    assert {(r[1], r[2]) for r in rows} == {(1, "queued")}
    assert queue.pending() == articles  # one job each, none lost, none twice
    print(f"\n200 concurrent submissions: {put.note()}")

    # -- 1,000 feedback posts -------------------------------------------------------------
    posts = 1000

    def feedback(n: int) -> Callable[[httpx.AsyncClient, Tally], Awaitable[None]]:
        async def job(client: httpx.AsyncClient, tally: Tally) -> None:
            r = await _timed(
                tally,
                client.post(
                    f"{url}/api/articles/hoerstueck/feedback",
                    json={"category": "pronunciation", "message": f"load-{n}", "time_s": 1.0},
                ),
            )
            if r.status_code != 201:
                tally.failures.append(f"feedback {n}: {r.status_code} {r.text[:200]}")

        return job

    fb = asyncio.run(_run([feedback(n) for n in range(posts)], concurrency=50))
    assert fb.failures == [], (fb.failures[:5], server.log_tail())
    with store.session() as s:
        messages = s.execute(
            select(FeedbackRow.message, func.count())
            .where(FeedbackRow.source_id == "hoerstueck")
            .group_by(FeedbackRow.message)
        ).all()
    assert dict(messages) == {f"load-{n}": 1 for n in range(posts)}
    print(f"1,000 feedback posts: {fb.note()}")

    # -- 200 concurrent listeners streaming with range requests ------------------------
    listeners = 200
    whole = hashlib.sha256(mp3).hexdigest()
    complete: list[int] = []

    def listen(n: int) -> Callable[[httpx.AsyncClient, Tally], Awaitable[None]]:
        async def job(client: httpx.AsyncClient, tally: Tally) -> None:
            got = bytearray()
            while len(got) < len(mp3):
                end = len(got) + RANGE - 1
                r = await _timed(
                    tally,
                    client.get(
                        f"{url}/api/articles/hoerstueck/audio.mp3?v=1",
                        headers={"Range": f"bytes={len(got)}-{end}"},
                    ),
                )
                if r.status_code != 206:
                    tally.failures.append(f"listener {n}: {r.status_code}")
                    return
                got += r.content
            if hashlib.sha256(got).hexdigest() == whole:
                complete.append(n)
            else:
                tally.failures.append(f"listener {n}: stream differs from the file")

        return job

    streams = asyncio.run(_run([listen(n) for n in range(listeners)], concurrency=listeners))
    assert streams.failures == [], (streams.failures[:5], server.log_tail())
    assert sorted(complete) == list(range(listeners))
    mb = listeners * len(mp3) / 1e6
    print(f"200 listeners ({mb:.0f} MB in {RANGE // 1024} KiB ranges): {streams.note()}")

    rendered = 0
    if FULL:  # the heavy profile also renders all 200 submissions with two workers
        for _ in range(2):
            robust_processes("worker", env)

        def all_ready() -> bool:
            return all(store.get_article(f"load-{n}").status == "ready" for n in range(articles))

        wait_until(all_ready, 600, "all 200 submitted articles rendered")
        assert all(
            [(r, s) for r, s, _w in store.renders_of(f"load-{n}")] == [(1, "ready")]
            for n in range(articles)
        )
        rendered = articles
    store.close()

    robustness_report(
        group="load",
        item="200 concurrent article submissions",
        tried=articles,
        survived=articles,
        lost=0,
        note=f"{put.note()}; 200 jobs queued once each"
        + (f", all {rendered} rendered once" if rendered else " (rendering: FULL profile)"),
    )
    robustness_report(
        group="load",
        item="1,000 feedback posts (50 at a time)",
        tried=posts,
        survived=posts,
        lost=0,
        note=fb.note(),
    )
    robustness_report(
        group="load",
        item="200 concurrent listeners, range requests",
        tried=listeners,
        survived=len(complete),
        lost=0,
        note=f"{len(streams.latencies)} ranges of {RANGE // 1024} KiB, {streams.note()}",
    )
