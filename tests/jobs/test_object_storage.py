"""Render workers on object storage (a real moto S3 server): a worker killed with
SIGKILL in the middle of an upload leaves no revision that points at a missing object."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

from support import S3_ENV, StallingProxy, s3_keys, settings_from_env, subprocess_env, wait_until
from vorlesen.jobs.queue import JobQueue
from vorlesen.store.blobs import open_blob_store
from vorlesen.store.db import Store

from .conftest import ARTICLE

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
    assert objects(1) == []  # the old revision's objects went with it
    assert served_objects_exist()
    assert [(r, s) for r, s, _ in store.renders_of("kill-1")][-1] == (2, "ready")
    store.close()
