"""Faults the service must survive without losing audio or feedback.

Each test drives real processes (``vorlesen serve``, ``vorlesen worker``, a private
``redis-server``), breaks one of them for real (SIGKILL, a Redis restart, a full or
unwritable audio volume) and then checks the database and the served files.

Related proofs elsewhere (not repeated here): ``tests/jobs/test_workers.py`` kills one of
two workers on PostgreSQL + Redis and checks every article renders exactly once;
``tests/api/test_articles.py::test_failed_render_keeps_previous_audio`` keeps the previous
revision served after a failing render.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import httpx
import pytest
from sqlalchemy import select

from support import free_port, settings_from_env, wait_until
from vorlesen.jobs.queue import JobQueue
from vorlesen.store.blobs import LocalBlobStore
from vorlesen.store.db import FeedbackRow, Store

from .conftest import (
    ROBUST_AUTH,
    Report,
    RobustServer,
    robust_env,
)

Start = Callable[..., RobustServer]

FULL = os.environ.get("VORLESEN_ROBUSTNESS_FULL") == "1"

SHORT = (
    "Meldung Nummer {n}\n\n"
    "Im Landkreis wurden am Montag {n} neue Bäume gepflanzt. Die Aktion kostete "
    "{n}00 Euro und wurde von Freiwilligen getragen."
)
"""A short article (two sentences): renders in well under a second with espeak-ng."""

_SENTENCES = (
    "Der Stadtrat hat am Dienstag über den Haushalt für das Jahr {n} beraten.",
    "Die Verwaltung rechnet mit Einnahmen von {n},5 Millionen Euro.",
    "Mehrere Fraktionen kritisierten die geplanten Kürzungen bei den Schwimmbädern.",
    "Der Bürgermeister verteidigte den Entwurf als notwendig und ausgewogen.",
    "Eine endgültige Entscheidung soll in der Sitzung am {n}. März fallen.",
)


def long_article(sentences: int, title: str = "Haushalt der Stadt") -> str:
    """A German article of ``sentences`` distinct sentences (distinct: no cache hits)."""
    body = [_SENTENCES[i % len(_SENTENCES)].format(n=2000 + i) for i in range(sentences)]
    paragraphs = [" ".join(body[i : i + 5]) for i in range(0, len(body), 5)]
    return title + "\n\n" + "\n\n".join(paragraphs)


def decoded_seconds(data: bytes) -> float:
    """Decode every audio frame of an MP3 and return its length in seconds.

    A truncated file decodes to less audio than its revision's recorded duration, so
    comparing the two catches partial files even where the decoder is lenient.
    """
    samples = 0
    rate = 0
    with av.open(io.BytesIO(data), mode="r", format="mp3") as container:
        for frame in container.decode(audio=0):
            samples += frame.samples
            rate = frame.sample_rate
    return samples / rate if rate else 0.0


# -- kill -9 a worker mid-render ------------------------------------------------------------


class AudioPoller:
    """Fetch an article's audio URL in a loop and keep every distinct answer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stop = threading.Event()
        self.statuses: dict[int, int] = {}
        self.bodies: dict[str, tuple[int, bytes]] = {}  # sha256 -> (revision, bytes)
        self.short_reads = 0
        self.polls = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self.stop.is_set():
                try:
                    r = client.get(self.url)
                except httpx.HTTPError:
                    continue  # the server is up throughout; a hiccup is not an answer
                self.polls += 1
                self.statuses[r.status_code] = self.statuses.get(r.status_code, 0) + 1
                if r.status_code == 200:
                    if int(r.headers["content-length"]) != len(r.content):
                        self.short_reads += 1
                    revision = int(r.headers["etag"].split("-r")[1].split("-")[0])
                    digest = hashlib.sha256(r.content).hexdigest()
                    self.bodies.setdefault(digest, (revision, r.content))
                time.sleep(0.02)

    def __enter__(self) -> AudioPoller:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=15)


def test_worker_killed_mid_render_completes_after_restart_and_never_serves_partial_audio(
    tmp_path: Path, robust_processes: Start, robustness_report: Report
) -> None:
    env = robust_env(tmp_path)
    settings = settings_from_env(env)
    store = Store.from_settings(settings)
    queue = JobQueue(settings, store, LocalBlobStore(settings.data_dir))
    sid = "haushalt"
    # Revision 1 renders in this process: the complete audio listeners hear meanwhile.
    store.put_article(sid, {"text": SHORT.format(n=1)}, "r1")
    queue.enqueue_render(sid, 1)
    queue.run_pending()
    assert store.get_article(sid).status == "ready"
    first_duration = store.get_article(sid).duration_s or 0.0

    server = robust_processes("serve", env, workers=0)
    # Revision 2 is long (about a minute of speech) so the kill lands mid-render.
    store.put_article(sid, {"text": long_article(40 if FULL else 16)}, "r2")
    queue.enqueue_render(sid, 2)

    with AudioPoller(f"{server.url}/api/articles/{sid}/audio.mp3") as poller:
        victim = robust_processes("worker", env)

        def victim_rendering() -> bool:
            a = store.get_article(sid)
            return a.status == "rendering" and a.revision == 2

        wait_until(victim_rendering, 60, "the worker to start rendering revision 2")
        time.sleep(1.0)  # well into synthesis (utterances are being written to the cache)
        assert store.get_article(sid).status == "rendering", "render finished before the kill"
        os.kill(victim.proc.pid, signal.SIGKILL)
        victim.proc.wait(timeout=10)
        killed_at = time.monotonic()
        # While nobody renders, the previous revision stays served.
        while time.monotonic() - killed_at < 1.5:
            r = httpx.get(f"{server.url}/api/articles/{sid}", timeout=5).json()
            assert r["status"] in ("rendering", "queued")
            assert r["ready_revision"] == 1
            time.sleep(0.1)
        robust_processes("worker", env)  # the restart: it takes over once the lease ran out
        wait_until(lambda: store.get_article(sid).status == "ready", 120, "revision 2 ready")
        wait_until(lambda: 2 in {rev for rev, _ in poller.bodies.values()}, 10, "r2 served")

    article = store.get_article(sid)
    assert article.ready_revision == 2
    renders = store.renders_of(sid)
    assert [(r, s) for r, s, _w in renders] == [(1, "ready"), (2, "ready")]
    assert f":{victim.proc.pid}:" not in renders[1][2]  # the restarted worker finished it
    # Only complete revisions were ever served, and nothing but 200 in between.
    assert set(poller.statuses) == {200}, poller.statuses
    assert poller.short_reads == 0
    expected = {1: first_duration, 2: article.duration_s or 0.0}
    for revision, body in poller.bodies.values():
        seconds = decoded_seconds(body)
        assert abs(seconds - expected[revision]) < 0.2, (revision, seconds, expected)
    assert {rev for rev, _ in poller.bodies.values()} == {1, 2}
    # The check has teeth: half a file decodes to clearly less than its revision's length.
    revision, body = next(iter(poller.bodies.values()))
    assert decoded_seconds(body[: len(body) // 2]) < expected[revision] - 0.2
    store.close()
    robustness_report(
        group="faults",
        item="kill -9 worker mid-render",
        tried=1,
        survived=1,
        lost=0,
        note=(
            f"{poller.polls} audio polls: only complete r1/r2 served "
            f"({len(poller.bodies)} distinct files decoded fully), r2 rendered once after restart"
        ),
    )


# -- kill -9 the server during a feedback burst ----------------------------------------------


async def _feedback_burst(
    url: str, sid: str, numbers: range, concurrency: int, answered: dict[int, int]
) -> int:
    """POST one feedback per number (bounded concurrency); record ids answered 201.

    Returns how many posts got no answer (connection refused or reset after a kill).
    """
    failed = 0
    sem = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:

        async def post(n: int) -> None:
            nonlocal failed
            async with sem:
                try:
                    r = await client.post(
                        f"{url}/api/articles/{sid}/feedback",
                        json={"category": "other", "message": f"post-{n}", "rating": 3},
                    )
                except httpx.HTTPError:
                    failed += 1
                    return
                if r.status_code == 201:
                    answered[n] = int(r.json()["id"])
                else:
                    failed += 1

        await asyncio.gather(*(post(n) for n in numbers))
    return failed


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_server_killed_during_feedback_burst_loses_no_acknowledged_post(
    database: str,
    tmp_path: Path,
    robust_processes: Start,
    request: pytest.FixtureRequest,
    robustness_report: Report,
) -> None:
    extra: dict[str, str] = {}
    if database == "postgresql":
        extra["VORLESEN_DATABASE_URL"] = request.getfixturevalue("robust_pg_url")
    env = robust_env(tmp_path, **extra)
    store = Store.from_settings(settings_from_env(env))
    assert store.engine.dialect.name == database
    sid = "leserbriefe"
    store.put_article(sid, {"text": SHORT.format(n=2)}, "fb")
    total = 1000
    port = free_port()
    server = robust_processes("serve", env, port=port)
    answered: dict[int, int] = {}

    def killer() -> None:
        # Kill mid-burst: once about 40 % of the posts were acknowledged.
        wait_until(lambda: len(answered) >= total * 0.4, 60, "40 % of the posts answered")
        os.kill(server.proc.pid, signal.SIGKILL)

    kill_thread = threading.Thread(target=killer)
    kill_thread.start()
    unanswered = asyncio.run(_feedback_burst(server.url, sid, range(total), 32, answered))
    kill_thread.join()
    assert server.proc.wait(timeout=10) == -signal.SIGKILL
    acked_before_kill = len(answered)
    assert 0 < acked_before_kill < total and unanswered > 0

    # Restarted on the same port and data, it takes new posts again.
    robust_processes("serve", env, port=port)
    after: dict[int, int] = {}
    failed_after = asyncio.run(
        _feedback_burst(server.url, sid, range(total, total + 200), 16, after)
    )
    assert failed_after == 0 and len(after) == 200

    with store.session() as s:
        rows = s.execute(
            select(FeedbackRow.id, FeedbackRow.message).where(FeedbackRow.source_id == sid)
        ).all()
    stored: dict[str, list[int]] = {}
    for row_id, message in rows:
        stored.setdefault(str(message), []).append(int(row_id))
    lost = [n for n, fid in answered.items() if stored.get(f"post-{n}") != [fid]]
    assert lost == [], f"acknowledged but not stored exactly once: {lost[:10]}"
    assert all(stored.get(f"post-{n}") == [fid] for n, fid in after.items())
    assert all(len(ids) == 1 for ids in stored.values())  # nothing stored twice
    # A post in flight at the kill may or may not have committed; it is never acknowledged.
    in_doubt = sum(1 for n in range(total) if n not in answered and f"post-{n}" in stored)
    store.close()
    robustness_report(
        group="faults",
        item=f"kill -9 server in feedback burst ({database})",
        tried=len(answered),
        survived=len(answered) - len(lost),
        lost=len(lost),
        note=(
            f"{total} posts, killed after {acked_before_kill} acked (201): all in DB once; "
            f"{in_doubt} unacked in-flight also committed; restart took 200 more"
        ),
    )


# -- Redis restarted while jobs are queued ---------------------------------------------------


class PrivateRedis:
    """A ``redis-server`` of this test alone, on a free port, restartable."""

    def __init__(self, workdir: Path, *, appendonly: bool) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.appendonly = appendonly
        self.proc: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        cmd = [
            "redis-server",
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--dir", str(self.workdir),
        ]  # fmt: skip
        log = (self.workdir / "redis.log").open("ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)

        def up() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        try:
            wait_until(up, 20, "redis-server to answer PING")
        finally:
            client.close()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[Callable[[bool], PrivateRedis]]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    pytest.importorskip("redis")
    made: list[PrivateRedis] = []

    def make(appendonly: bool) -> PrivateRedis:
        server = PrivateRedis(tmp_path / "redis", appendonly=appendonly)
        made.append(server)
        server.start()
        return server

    yield make
    for server in made:
        server.kill()


def _publish(store: Store, queue: JobQueue, n: int) -> str:
    sid = f"meldung-{n}"
    article, changed = store.put_article(sid, {"text": SHORT.format(n=n)}, f"h{n}")
    assert changed
    queue.enqueue_render(sid, article.revision)
    return sid


@pytest.mark.parametrize(
    "persistence",
    [
        pytest.param("aof", id="aof-keeps-queue"),
        pytest.param("none", id="empty-restart-db-requeues"),
    ],
)
def test_redis_restart_with_queued_jobs_loses_none_and_renders_each_once(
    persistence: str,
    tmp_path: Path,
    robust_processes: Start,
    robust_pg_url: str,
    private_redis: Callable[[bool], PrivateRedis],
    robustness_report: Report,
) -> None:
    """Scale-out mode (PostgreSQL + Redis), Redis SIGKILLed and restarted mid-queue.

    Durability model: with ``appendonly yes`` Redis itself keeps the queued messages across
    the restart. Without it the messages are gone, and the database brings them back: each
    worker's sweeper re-queues articles still ``queued`` a lease period after the queue
    ran empty (``JobQueue.requeue_stale``). Either way the database claim makes every
    revision render exactly once, however often its message is delivered.
    """
    redis_server = private_redis(persistence == "aof")
    env = robust_env(
        tmp_path,
        VORLESEN_DATABASE_URL=robust_pg_url,
        VORLESEN_REDIS_URL=redis_server.url,
        VORLESEN_RENDER_LEASE_S="2",
    )
    settings = settings_from_env(env)
    store = Store.from_settings(settings)
    queue = JobQueue(settings, store, LocalBlobStore(settings.data_dir))
    count = 30 if FULL else 8
    ids = [_publish(store, queue, n) for n in range(count)]
    assert queue.pending() == count
    for _ in range(2):
        robust_processes("worker", env)

    def ready() -> int:
        return sum(store.get_article(i).status == "ready" for i in ids)

    wait_until(lambda: ready() >= 2, 60, "the first renders")
    redis_server.kill()
    at_restart = ready()
    time.sleep(1.0)  # workers meet a dead Redis (they log and retry)
    redis_server.start()
    kept = queue.pending()
    if persistence == "aof":
        assert kept > 0, "the append-only file should have kept the waiting jobs"
    else:
        assert kept == 0, "an empty Redis should have come back"
    wait_until(lambda: ready() == count, 120, f"all {count} articles after the Redis restart")

    renders = {i: store.renders_of(i) for i in ids}
    twice = [i for i, r in renders.items() if len(r) != 1]
    assert twice == [], f"rendered more than once: {twice}"
    assert all(r[0][:2] == (1, "ready") for r in renders.values())
    for i in ids:
        assert LocalBlobStore(settings.data_dir).exists(f"audio/{i}/1/audio.mp3")
    queue.huey.storage.conn.close()
    store.close()
    robustness_report(
        group="faults",
        item=f"redis restart with queued jobs ({persistence})",
        tried=count,
        survived=count,
        lost=0,
        note=(
            f"{count - at_restart} of {count} jobs waiting at the restart, {kept} still in "
            "Redis after it; each revision rendered exactly once"
        ),
    )


# -- disk full / unwritable audio volume -----------------------------------------------------


def _mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill up (needs root): {result.stderr.strip()}")


def _fill(volume: Path) -> Path:
    """Write a ballast file until the volume is full; returns it."""
    ballast = volume / "ballast"
    with ballast.open("wb") as fh:
        chunk = b"\0" * (1 << 16)
        try:
            while True:
                fh.write(chunk)
                fh.flush()
        except OSError:
            pass
    return ballast


@pytest.mark.parametrize("fault", ["disk_full", "unwritable"])
def test_full_or_unwritable_audio_volume_fails_with_reason_and_recovers(
    fault: str, tmp_path: Path, robust_processes: Start, robustness_report: Report
) -> None:
    """The audio volume (``data_dir/audio``, where blobs go) breaks; the service does not.

    ``disk_full``: a 2 MB tmpfs is mounted there and filled with a ballast file, so the
    encoded MP3 cannot be stored (ENOSPC), as on a full disk. ``unwritable``: a plain
    FILE sits where the ``audio`` directory belongs (as root, permission bits would not
    stop a write; this does, with ENOTDIR/EEXIST). The database lives on the data
    directory itself, which stays healthy, so the failure can be recorded.
    """
    env = robust_env(tmp_path)
    data = Path(env["VORLESEN_DATA_DIR"])
    volume = data / "audio"
    server = robust_processes("serve", env, workers=1)
    base = server.url
    mounted = False
    if fault == "disk_full":
        _mount_tmpfs(volume, "2m")
        mounted = True
    try:
        with httpx.Client(base_url=base, headers=ROBUST_AUTH, timeout=20) as client:
            # A first article renders while the volume is fine.
            assert (
                client.put("/api/articles/ok", json={"text": SHORT.format(n=3)}).status_code == 202
            )
            wait_until(lambda: client.get("/api/articles/ok").json()["status"] == "ready", 60, "ok")
            ballast = _fill(volume) if fault == "disk_full" else None
            if fault == "unwritable":
                shutil.move(str(volume), str(data / "audio-moved"))
                volume.write_text("not a directory")
            body = {"text": long_article(10, "Volle Platte")}
            assert client.put("/api/articles/voll", json=body).status_code == 202

            def settled() -> bool:
                return client.get("/api/articles/voll").json()["status"] in ("ready", "failed")

            wait_until(settled, 60, "the render on the broken volume to settle")
            state = client.get("/api/articles/voll").json()
            assert state["status"] == "failed", state
            reason = state["error"]["reason"]
            expected = {"disk_full": "disk_full", "unwritable": "storage_unwritable"}[fault]
            assert reason == expected, state["error"]
            assert state["error"]["message"]
            # The service stays up: health, reads and listener feedback all work.
            assert client.get("/healthz").json() == {"status": "ok"}
            assert client.get("/api/articles").status_code == 200
            fb = client.post("/api/articles/voll/feedback", json={"category": "other"})
            assert fb.status_code == 201
            if fault == "disk_full":
                # The first article's audio is still served from the full volume.
                assert client.get("/api/articles/ok/audio.mp3").status_code == 200
            # Space returns: the same PUT renders again, successfully.
            if ballast is not None:
                ballast.unlink()
            else:
                volume.unlink()
                shutil.move(str(data / "audio-moved"), str(volume))
            assert client.put("/api/articles/voll", json=body).status_code == 202
            wait_until(
                lambda: client.get("/api/articles/voll").json()["status"] == "ready",
                60,
                "the render after recovery",
            )
            audio = client.get("/api/articles/voll/audio.mp3")
            assert audio.status_code == 200
            final = client.get("/api/articles/voll").json()
            assert abs(decoded_seconds(audio.content) - final["duration_s"]) < 0.2
            assert final["revision"] == 2 and final["error"] is None
    finally:
        server.proc.terminate()
        server.proc.wait(timeout=15)
        if mounted:
            subprocess.run(["umount", "-l", str(volume)], check=False)
    robustness_report(
        group="faults",
        item=f"audio volume {fault.replace('_', ' ')}",
        tried=1,
        survived=1,
        lost=0,
        note=f"render failed with reason {expected!r}, healthz ok, recovered on the next PUT",
    )
