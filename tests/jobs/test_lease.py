"""A live render keeps its lease through long silent steps; a hung one lets it go."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from vorlesen.jobs.queue import LeaseKeeper, _LostClaim
from vorlesen.store.db import Claim, Store

LEASE = 1.0
"""Renewed every quarter lease: a stall of 0.75 s would be needed to lose it."""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    s.migrate()
    s.put_article("a1", {"text": "Ein Text."}, "h1")
    yield s
    s.close()


def _claim(store: Store, worker: str) -> Claim | None:
    return store.claim_render("a1", 1, worker, LEASE)


def test_a_live_render_keeps_its_lease_without_reporting_progress(store: Store) -> None:
    claim = _claim(store, "w1")
    assert claim is not None
    with LeaseKeeper(store, claim, LEASE) as keeper:
        time.sleep(3 * LEASE)  # a long step (mastering hours of audio) with no heartbeat
        assert _claim(store, "w2") is None  # not taken over: the lease was renewed
        keeper.progress()  # still ours
    time.sleep(LEASE + 0.1)
    assert _claim(store, "w2") is not None  # without a keeper it runs out, as for a dead one


def test_a_render_that_was_superseded_learns_it_at_its_next_step(store: Store) -> None:
    claim = _claim(store, "w1")
    assert claim is not None
    with LeaseKeeper(store, claim, LEASE) as keeper:
        store.put_article("a1", {"text": "Ein neuer Text."}, "h2")  # revision 2 supersedes
        time.sleep(LEASE)
        with pytest.raises(_LostClaim):
            keeper.progress()


def test_a_render_without_progress_for_too_long_lets_the_lease_go(store: Store) -> None:
    claim = _claim(store, "w1")
    assert claim is not None
    with LeaseKeeper(store, claim, LEASE, stall_s=0.0):  # stalled after 4 leases
        time.sleep(4 * LEASE + 2 * LEASE + 0.2)
        assert _claim(store, "w2") is not None  # looks hung: another worker takes it
