"""Render workers on object storage (a real moto S3 server): a worker killed with
SIGKILL in the middle of an upload leaves no revision that points at a missing object."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import av

from support import S3_ENV, StallingProxy, s3_keys, settings_from_env, subprocess_env, wait_until
from vorlesen.jobs.queue import JobQueue
from vorlesen.store.blobs import open_blob_store
from vorlesen.store.db import Store

from .conftest import ARTICLE, renders_on

Spawn = Callable[[dict[str, str]], subprocess.Popen[bytes]]
FILES = ["audio.mp3", "audio.opus", "captions.vtt", "timings.json"]


def _publish(queue: JobQueue, store: Store, source_id: str, text: str) -> int:
    payload = {"text": text}
    digest = hashlib.sha256(text.encode()).hexdigest()
    article, changed = store.put_article(source_id, payload, digest)
    assert changed
    queue.enqueue_render(source_id, article.revision)
    return article.revision


def test_a_worker_killed_mid_upload_leaves_the_old_revision_served(
    tmp_path: Path, s3_endpoint: str, s3_bucket: str, spawn_worker: Spawn
) -> None:
    env = subprocess_env(
        tmp_path,
        VORLESEN_STORAGE_URL=f"s3://{s3_bucket}/vorlesen",
        VORLESEN_S3_ENDPOINT_URL=s3_endpoint,
        VORLESEN_VOICE_IDLE_S="0",
        **S3_ENV,
    )
    settings = settings_from_env(env)
    store = Store.from_settings(settings)
    blobs = open_blob_store(settings)
    queue = JobQueue(settings, store, blobs)

    def objects(revision: int) -> list[str]:
        prefix = f"vorlesen/audio/kill-1/{revision}/"
        return [k.removeprefix(prefix) for k in s3_keys(s3_endpoint, s3_bucket, prefix)]

    def served_objects_exist() -> bool:
        ready = store.get_article("kill-1").ready_revision
        return ready is None or objects(ready) == FILES

    # Revision 1 is rendered and served.
    _publish(queue, store, "kill-1", ARTICLE.format(n=1))
    assert queue.run_pending() == 1
    assert store.get_article("kill-1").ready_revision == 1 and objects(1) == FILES

    # Revision 2: a worker whose uploads go through a proxy that holds the MP3's PUT
    # after half its body; the worker is killed while the upload hangs there.
    _publish(queue, store, "kill-1", ARTICLE.format(n=2))
    proxy = StallingProxy(s3_endpoint, b"/vorlesen/audio/kill-1/2/audio.mp3 HTTP/1.1")
    try:
        victim = spawn_worker({**env, "VORLESEN_S3_ENDPOINT_URL": proxy.url})
        assert proxy.stalled.wait(90), "the worker never started uploading revision 2"
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
    finally:
        proxy.close()
    article = store.get_article("kill-1")
    assert article.status == "rendering" and article.revision == 2
    assert article.ready_revision == 1
    assert objects(2) == []  # half an upload is no object
    assert served_objects_exist()

    # Another worker takes the abandoned render over once its lease ran out.
    spawn_worker(env)
    wait_until(
        lambda: store.get_article("kill-1").ready_revision == 2, 60, "the takeover", poll=0.05
    )
    assert objects(2) == FILES
    assert objects(1) == FILES  # kept until the next revision, for its listeners
    assert served_objects_exist()
    assert [(r, s) for r, s, _ in store.renders_of("kill-1")][-1] == (2, "ready")
    store.close()


def test_two_workers_sharing_only_postgres_redis_and_the_bucket(
    tmp_path: Path,
    scaleout_env: dict[str, str],
    s3_endpoint: str,
    s3_bucket: str,
    spawn_worker: Spawn,
) -> None:
    """Scale-out without a shared directory: two workers, each with its own data and cache
    directory, one killed with SIGKILL mid-render; 20 articles, none lost, none rendered
    twice, every served revision complete in the bucket. (≈15 s on the 2-core machine.)"""
    shared = {
        **scaleout_env,
        **S3_ENV,
        "VORLESEN_STORAGE_URL": f"s3://{s3_bucket}/scale",
        "VORLESEN_S3_ENDPOINT_URL": s3_endpoint,
    }

    def machine(name: str) -> dict[str, str]:
        return {
            **shared,
            "VORLESEN_DATA_DIR": str(tmp_path / name / "data"),
            "VORLESEN_CACHE_DIR": str(tmp_path / name / "cache"),
        }

    settings = settings_from_env(machine("publisher"))
    store = Store.from_settings(settings)
    assert store.engine.dialect.name == "postgresql"
    blobs = open_blob_store(settings)
    queue = JobQueue(settings, store, blobs)
    ids = [f"meldung-{n}" for n in range(20)]
    for n, source_id in enumerate(ids):
        _publish(queue, store, source_id, ARTICLE.format(n=n))
    victim = spawn_worker(machine("a"))
    survivor = spawn_worker(machine("b"))

    wait_until(
        lambda: renders_on(store, victim.pid), 60, "the first worker to start a render", poll=0.02
    )
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)

    def all_ready() -> bool:
        return all(store.get_article(i).status == "ready" for i in ids)

    wait_until(all_ready, 120, "all 20 articles", poll=0.05)
    assert survivor.poll() is None
    for source_id in ids:
        renders = store.renders_of(source_id)
        assert [(r, s) for r, s, _w in renders] == [(1, "ready")], (source_id, renders)
        assert f":{victim.pid}:" not in renders[0][2]
        article = store.get_article(source_id)
        with av.open(io.BytesIO(blobs.read_bytes(f"audio/{source_id}/1/audio.mp3"))) as mp3:
            seconds = float(mp3.duration or 0) / 1_000_000
        assert abs(seconds - (article.duration_s or 0)) < 0.2
    assert s3_keys(s3_endpoint, s3_bucket) == sorted(
        f"scale/audio/{i}/1/{f}" for i in ids for f in FILES
    )
    # Nothing of the audio in either machine's own directory.
    assert not list(tmp_path.glob("*/data/audio"))
    wait_until(lambda: queue.pending() == 0, 30, "the queue to drain", poll=0.02)
    assert all(len(store.renders_of(i)) == 1 for i in ids)
    store.close()
