"""The store on a temporary SQLite database: claims, leases, tokens, lexicon, blobs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from vorlesen.errors import InputError, UsageError
from vorlesen.store.blobs import LocalBlobStore
from vorlesen.store.db import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    s.migrate()
    return s


def test_put_is_idempotent_and_revisions_count(store: Store) -> None:
    a, changed = store.put_article("x", {"text": "a"}, "h1")
    assert changed and a.revision == 1 and a.status == "queued"
    _, changed = store.put_article("x", {"text": "a"}, "h1")
    assert not changed
    b, changed = store.put_article("x", {"text": "b"}, "h2")
    assert changed and b.revision == 2 and b.payload == {"text": "b"}
    store.close()


def test_only_one_worker_claims_and_stale_job_is_skipped(store: Store) -> None:
    store.put_article("x", {"text": "a"}, "h1")
    first = store.claim_render("x", 1, "w1", lease_s=60)
    assert first is not None and first.payload == {"text": "a"}
    assert store.claim_render("x", 1, "w2", lease_s=60) is None
    store.put_article("x", {"text": "b"}, "h2")  # revision 2 supersedes the running one
    assert store.renew_lease(first, 60) is False
    assert (
        store.finish_render(
            first,
            title="t",
            engine="espeak",
            voice="de",
            duration_s=1.0,
            utterances_total=1,
            synthesized=1,
            cached=0,
            text="a",
            wall_s=0.1,
        )
        is False
    )
    assert store.claim_render("x", 1, "w2", lease_s=60) is None
    second = store.claim_render("x", 2, "w2", lease_s=60)
    assert second is not None
    assert store.finish_render(
        second,
        title="t",
        engine="espeak",
        voice="de",
        duration_s=1.0,
        utterances_total=1,
        synthesized=1,
        cached=0,
        text="b",
        wall_s=0.1,
    )
    article = store.get_article("x")
    assert article.status == "ready" and article.ready_revision == 2
    assert store.renders_of("x") == [(2, "ready", "w2")]
    store.close()


def test_expired_lease_is_requeued_once_and_taken_over(store: Store) -> None:
    store.put_article("x", {"text": "a"}, "h1")
    claim = store.claim_render("x", 1, "dead", lease_s=0.05)
    assert claim is not None
    time.sleep(0.1)
    assert store.stale_renders(lease_s=60) == [("x", 1)]
    assert store.stale_renders(lease_s=60) == []  # not again within the lease period
    assert store.renew_lease(claim, 60) is False  # the dead worker lost it
    assert store.claim_render("x", 1, "alive", lease_s=60) is not None
    store.close()


def test_tokens_are_hashed_and_revocable(store: Store) -> None:
    record, secret = store.create_token("cms")
    assert store.check_token(secret) == "valid"
    assert store.check_token(secret + "x") == "unknown"
    with store.session() as s:
        from sqlalchemy import text

        stored = s.execute(text("SELECT token_hash FROM api_tokens")).scalar_one()
    assert secret not in stored and len(stored) == 64
    store.revoke_token(record.id)
    assert store.check_token(secret) == "revoked"
    with pytest.raises(InputError) as info:
        store.revoke_token(99)
    assert info.value.reason == "not_found"
    store.close()


def test_blob_store_refuses_bad_keys_and_writes_atomically(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    blobs.write_bytes("audio/a/1/timings.json", b"{}")
    assert blobs.exists("audio/a/1/timings.json") and blobs.revisions("a") == [1]
    for bad in ("../etc/passwd", "/abs", "audio/../x", "audio/.hidden"):
        with pytest.raises(UsageError):
            blobs.write_bytes(bad, b"x")
    with pytest.raises(InputError):
        blobs.local_path("audio/a/2/audio.mp3")
    blobs.delete_prefix("audio/a")
    assert blobs.revisions("a") == []
    assert list(tmp_path.rglob("*.part")) == []
