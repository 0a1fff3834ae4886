"""Pages and sources on SQLite and PostgreSQL: one caller wins a page however many race for
it, rechecks wait for ``recheck_s``, due sources are claimed once."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from vorlesen.store.db import Store
from vorlesen.store.sources import SourceStore

PG_URL = os.environ.get("VORLESEN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated database of each kind (PostgreSQL in its own schema; skipped when
    unreachable, like the store's other tests)."""
    if request.param == "sqlite":
        db = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
        db.migrate()
        yield db
        db.close()
        return
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {PG_URL} is unreachable: {exc}")
    schema = "vp_" + uuid.uuid4().hex[:12]
    admin.execute(f'CREATE SCHEMA "{schema}"')
    url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    db = Store(f"{url}?options=-csearch_path%3D{schema}")
    try:
        db.migrate()
        yield db
    finally:
        db.close()
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


def test_one_caller_wins_a_new_page(store: Store) -> None:
    pages = SourceStore(store)
    barrier = threading.Barrier(40)

    def claim(_: int) -> bool:
        barrier.wait()
        _page, won = pages.claim_page(
            "p-1", "https://www.example.de/a", "www.example.de", recheck_s=3600
        )
        return won

    with ThreadPoolExecutor(40) as pool:
        wins = list(pool.map(claim, range(40)))
    assert wins.count(True) == 1
    page = pages.get_page("p-1")
    assert page is not None and page.status == "pending" and page.host == "www.example.de"


def test_rechecks_wait_and_are_won_once(store: Store) -> None:
    pages = SourceStore(store)
    pages.claim_page("p-2", "https://www.example.de/b", "www.example.de", recheck_s=3600)
    pages.finish_page("p-2", "article", content_hash="h")
    assert pages.claim_page("p-2", "u", "h", recheck_s=3600)[1] is False
    barrier = threading.Barrier(20)

    def recheck(_: int) -> bool:
        barrier.wait()
        return pages.claim_page("p-2", "u", "h", recheck_s=0.0)[1]

    with ThreadPoolExecutor(20) as pool:
        wins = list(pool.map(recheck, range(20)))
    assert wins.count(True) >= 1  # each strictly later claim may win; never a lost row
    page = pages.get_page("p-2")
    assert page is not None and page.status == "article" and page.fetches == 1
    assert page.content_hash == "h"
    assert pages.claim_page("p-2", "u", "h", recheck_s=3600, force=True)[1] is True


def test_due_sources_are_claimed_once(store: Store) -> None:
    sources = SourceStore(store)
    made = [
        sources.add_source(f"https://www.example.de/{n}.rss", voice=None, language=None)
        for n in range(5)
    ]
    barrier = threading.Barrier(8)

    def sweep(_: int) -> list[int]:
        barrier.wait()
        return sources.claim_due_sources(600)

    with ThreadPoolExecutor(8) as pool:
        claimed = [pk for found in pool.map(sweep, range(8)) for pk in found]
    assert sorted(claimed) == [s.id for s in made]
    removed = sources.remove_source(made[0].id)
    assert removed.url.endswith("0.rss")
    assert len(sources.list_sources()) == 4
