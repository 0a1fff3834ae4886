"""Worker processes for queue tests: real ``vorlesen worker`` subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import text

from support import stop_processes, subprocess_env
from vorlesen.store.db import Store

PG_URL = os.environ.get("VORLESEN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("VORLESEN_TEST_REDIS", "redis://127.0.0.1:6379/0")

ARTICLE = (
    "Meldung Nummer {n}\n\n"
    "Im Landkreis wurden am Montag {n} neue Bäume gepflanzt. Die Aktion kostete "
    "{n}00 Euro und wurde von Freiwilligen getragen. Der Bürgermeister dankte allen "
    "Helfern für ihren Einsatz.\n\n"
    "Weitere Pflanzungen sind für den Herbst geplant. Die Gemeinde sucht dafür noch "
    "Unterstützung aus der Bevölkerung."
)


@pytest.fixture
def spawn_worker(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    logs: list[IO[bytes]] = []

    def spawn(env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"worker-{len(procs)}.log").open("wb")
        logs.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "vorlesen.cli", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        procs.append(proc)
        return proc

    yield spawn
    stop_processes(procs, logs)


@pytest.fixture
def scaleout_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    psycopg = pytest.importorskip("psycopg")
    redis = pytest.importorskip("redis")
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {PG_URL} is unreachable: {exc}")
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        client.ping()
    except redis.RedisError as exc:
        admin.close()
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")
    tag = "vt_" + uuid.uuid4().hex[:12]
    admin.execute(f'CREATE SCHEMA "{tag}"')
    sep = "&" if "?" in PG_URL else "?"
    env = subprocess_env(
        tmp_path,
        VORLESEN_DATABASE_URL=f"{PG_URL}{sep}options=-csearch_path%3D{tag}",
        VORLESEN_REDIS_URL=REDIS_URL,
        VORLESEN_QUEUE_NAME=tag,
    )
    try:
        yield env
    finally:
        admin.execute(f'DROP SCHEMA "{tag}" CASCADE')
        admin.close()
        for key in client.scan_iter(match=f"*{tag}*"):
            client.delete(key)
        client.close()


def renders_on(store: Store, pid: int) -> bool:
    """Whether the worker process ``pid`` holds a render right now (its claim names it)."""
    with store.session() as s:
        rows = s.execute(
            text(
                "SELECT source_id FROM articles WHERE status = 'rendering' AND claimed_by LIKE :pat"
            ),
            {"pat": f"%:{pid}:%"},
        ).all()
    return bool(rows)
