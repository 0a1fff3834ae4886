"""The store on a temporary SQLite database: claims, leases, tokens, lexicon, blobs."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from vorlesen.errors import InputError, UsageError
from vorlesen.store.blobs import LocalBlobStore
from vorlesen.store.db import Store, section_key


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


# -- migration 0003: section, author, teaser, link, image ---------------------------------

PG_URL = os.environ.get("VORLESEN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database of each kind the service runs on (PostgreSQL: its own schema;
    skipped when unreachable, like the scale-out tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db.sqlite'}"
        return
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {PG_URL} is unreachable: {exc}")
    schema = "vs_" + uuid.uuid4().hex[:12]
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


def _finish(store: Store, source_id: str, section: str | None) -> None:
    store.put_article(source_id, {"text": source_id}, source_id)
    claim = store.claim_render(source_id, 1, "w", lease_s=60)
    assert claim is not None
    assert store.finish_render(
        claim,
        title=source_id,
        engine="espeak",
        voice="de",
        duration_s=1.0,
        utterances_total=1,
        synthesized=1,
        cached=0,
        text=source_id,
        wall_s=0.1,
        section=section,
        author="Anna Muster",
        teaser="Kurz.",
        link="https://x.example/a",
        image_url="https://x.example/a.jpg",
    )


def test_migrations_build_the_models_schema_and_go_back(any_db: str) -> None:
    """Upgrading an empty database gives exactly the tables the models describe (on SQLite
    and PostgreSQL); 0003 downgrades to 0001 and upgrades again with data kept."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from vorlesen.store.db import Base
    from vorlesen.store.migrate import upgrade

    store = Store(any_db)
    try:
        store.migrate()
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
        _finish(store, "a1", "Politik")
        from alembic import command

        from vorlesen.store.migrate import _config

        config = _config()
        with store.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0001")
        upgrade(store.engine)
        article = store.get_article("a1")
        assert article.ready_revision == 1 and article.section is None  # the column was new
    finally:
        store.close()


def test_sections_are_keyed_and_listed(any_db: str) -> None:
    store = Store(any_db)
    try:
        store.migrate()
        _finish(store, "a", "Politik")
        _finish(store, "b", "Wirtschaft & Finanzen")
        _finish(store, "c", "politik")
        _finish(store, "d", None)
        assert store.served_sections() == [
            ("politik", "Politik", 2),  # two spellings, one section
            ("wirtschaft-finanzen", "Wirtschaft & Finanzen", 1),
        ]
        assert [a.source_id for a in store.served_articles(section="politik")] == ["c", "a"]
        assert len(store.served_articles()) == 4
        a = store.get_article("a")
        assert (a.section, a.section_key, a.author, a.teaser, a.link, a.image_url) == (
            "Politik",
            "politik",
            "Anna Muster",
            "Kurz.",
            "https://x.example/a",
            "https://x.example/a.jpg",
        )
    finally:
        store.close()


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("Politik", "politik"),
        ("Kultur & Gesellschaft", "kultur-gesellschaft"),
        ("Düsseldorf", "duesseldorf"),
        ("Straße", "strasse"),
        ("Café Élysée", "cafe-elysee"),
        ("  ", None),
        ("—", None),
        (None, None),
        ("x" * 100, "x" * 64),
    ],
)
def test_section_keys(section: str | None, key: str | None) -> None:
    assert section_key(section) == key
