"""Real worker processes: embedded SQLite queue, and PostgreSQL + Redis scale-out."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import av
import pytest

from support import settings_from_env, subprocess_env, wait_until
from vorlesen.jobs.queue import JobQueue
from vorlesen.store.blobs import LocalBlobStore, revision_prefix
from vorlesen.store.db import Store

from .conftest import ARTICLE, renders_on

Spawn = Callable[[dict[str, str]], subprocess.Popen[bytes]]


def _publish(queue: JobQueue, store: Store, n: int) -> str:
    source_id = f"meldung-{n}"
    payload = {"text": ARTICLE.format(n=n)}
    digest = hashlib.sha256(payload["text"].encode()).hexdigest()
    article, changed = store.put_article(source_id, payload, digest)
    assert changed
    queue.enqueue_render(source_id, article.revision)
    return source_id


def _all_ready(store: Store, ids: list[str]) -> bool:
    return all(store.get_article(i).status == "ready" for i in ids)


def test_sqlite_queue_with_a_worker_process(tmp_path: Path, spawn_worker: Spawn) -> None:
    env = subprocess_env(tmp_path)
    settings = settings_from_env(env)
    store = Store.from_settings(settings)
    blobs = LocalBlobStore(settings.data_dir)
    queue = JobQueue(settings, store, blobs)
    ids = [_publish(queue, store, n) for n in range(3)]
    spawn_worker(env)
    wait_until(lambda: _all_ready(store, ids), 60, "three renders", poll=0.02)
    for source_id in ids:
        assert len(store.renders_of(source_id)) == 1
        assert blobs.exists(f"{revision_prefix(source_id, 1)}/audio.opus")
    assert queue.pending() == 0
    store.close()


@pytest.mark.slow
def test_two_workers_render_each_article_once_and_survive_a_kill(
    scaleout_env: dict[str, str], spawn_worker: Spawn
) -> None:
    settings = settings_from_env(scaleout_env)
    store = Store.from_settings(settings)
    assert store.engine.dialect.name == "postgresql"
    blobs = LocalBlobStore(settings.data_dir)
    queue = JobQueue(settings, store, blobs)
    ids = [_publish(queue, store, n) for n in range(20)]
    victim = spawn_worker(scaleout_env)
    survivor = spawn_worker(scaleout_env)

    wait_until(
        lambda: renders_on(store, victim.pid), 60, "the first worker to start a render", poll=0.02
    )
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)

    wait_until(lambda: _all_ready(store, ids), 120, "all 20 articles", poll=0.02)
    assert survivor.poll() is None
    workers = set()
    for source_id in ids:
        renders = store.renders_of(source_id)
        assert [(r, s) for r, s, _w in renders] == [(1, "ready")], (source_id, renders)
        workers.add(renders[0][2])
        article = store.get_article(source_id)
        path = blobs.local_path(f"{revision_prefix(source_id, 1)}/audio.mp3")
        with av.open(str(path)) as container:
            seconds = float(container.duration or 0) / 1_000_000
        assert abs(seconds - (article.duration_s or 0)) < 0.2
    assert not any(f":{victim.pid}:" in w for w in workers)
    # Duplicate deliveries (re-queued after the kill) are consumed as no-ops.
    wait_until(lambda: queue.pending() == 0, 30, "the queue to drain", poll=0.02)
    assert all(len(store.renders_of(i)) == 1 for i in ids)
    store.close()
