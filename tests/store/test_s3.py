"""The object-storage blob store against a real S3 API (moto's server mode)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from support import s3_keys
from vorlesen.config import Settings
from vorlesen.errors import NotFoundError, StorageError, UsageError
from vorlesen.store.blobs import (
    LocalBlobStore,
    StorageLocation,
    open_blob_store,
    parse_storage_url,
    revision_prefix,
)
from vorlesen.store.s3 import S3BlobStore


@pytest.fixture
def blobs(s3_endpoint: str, s3_bucket: str) -> S3BlobStore:
    return S3BlobStore(StorageLocation(s3_bucket, "news/audio"), endpoint_url=s3_endpoint)


def test_the_interface_round_trips_through_the_bucket(
    blobs: S3BlobStore, s3_endpoint: str, s3_bucket: str, tmp_path: Path
) -> None:
    blobs.check()
    source = tmp_path / "audio.mp3"
    source.write_bytes(b"ID3" + bytes(range(256)) * 10)
    prefix = revision_prefix("a-1", 3)
    blobs.put_file(f"{prefix}/audio.mp3", source)
    blobs.write_bytes(f"{prefix}/timings.json", b'{"utterances": []}')
    assert blobs.read_bytes(f"{prefix}/timings.json") == b'{"utterances": []}'
    info = blobs.stat(f"{prefix}/audio.mp3")
    assert info.size == source.stat().st_size and info.etag
    assert blobs.exists(f"{prefix}/audio.mp3")
    assert not blobs.exists(f"{prefix}/audio.opus")
    with pytest.raises(NotFoundError):
        blobs.read_bytes(f"{prefix}/audio.opus")
    with pytest.raises(NotFoundError):
        blobs.stat(f"{prefix}/audio.opus")
    # Under the storage prefix, with the type the bucket (and a CDN) serves.
    assert s3_keys(s3_endpoint, s3_bucket) == [
        "news/audio/audio/a-1/3/audio.mp3",
        "news/audio/audio/a-1/3/timings.json",
    ]
    # Objects are private: an anonymous GET is refused, a presigned one served.
    assert httpx.get(f"{s3_endpoint}/{s3_bucket}/news/audio/{prefix}/audio.mp3").status_code == 403
    head = httpx.head(blobs.presigned_url(f"{prefix}/audio.mp3", 60))
    assert head.headers["content-type"] == "audio/mpeg"
    assert "immutable" in head.headers["cache-control"]


def test_revisions_and_delete_prefix_stay_inside_their_article(
    blobs: S3BlobStore, s3_endpoint: str, s3_bucket: str
) -> None:
    for source_id, revision in (("a", 1), ("a", 2), ("a", 10), ("ab", 1)):
        blobs.write_bytes(f"{revision_prefix(source_id, revision)}/audio.mp3", b"x")
    assert blobs.revisions("a") == [1, 2, 10]
    assert blobs.revisions("ab") == [1]
    assert blobs.revisions("nothing") == []
    blobs.delete_prefix(revision_prefix("a", 1))
    assert blobs.revisions("a") == [2, 10]
    blobs.delete_prefix("audio/a")  # what deleting the article does
    assert blobs.revisions("a") == []
    assert s3_keys(s3_endpoint, s3_bucket) == ["news/audio/audio/ab/1/audio.mp3"]
    blobs.delete_prefix("audio/none")  # nothing there: a no-op


def test_deleting_a_prefix_aborts_its_unfinished_uploads(
    blobs: S3BlobStore, s3_endpoint: str, s3_bucket: str
) -> None:
    """A worker killed mid multipart upload leaves an unfinished upload (never an object);
    deleting the revision aborts it, so no storage is billed for it."""
    key = blobs.object_key(f"{revision_prefix('a', 1)}/audio.mp3")
    started = httpx.post(f"{s3_endpoint}/{s3_bucket}/{key}?uploads")
    assert started.status_code == 200
    assert "<UploadId>" in httpx.get(f"{s3_endpoint}/{s3_bucket}?uploads").text
    assert s3_keys(s3_endpoint, s3_bucket) == []
    blobs.delete_prefix(revision_prefix("a", 1))
    assert "<UploadId>" not in httpx.get(f"{s3_endpoint}/{s3_bucket}?uploads").text


def test_a_ranged_read_gives_the_bytes_and_the_whole_size(blobs: S3BlobStore) -> None:
    data = bytes(range(256)) * 4
    blobs.write_bytes("audio/r/1/audio.mp3", data)
    read = blobs.open("audio/r/1/audio.mp3", "bytes=10-19")
    assert (read.status, read.start, read.length, read.size) == (206, 10, 10, len(data))
    assert b"".join(read.chunks()) == data[10:20]
    whole = blobs.open("audio/r/1/audio.mp3")
    assert (whole.status, whole.length) == (200, len(data))
    assert b"".join(whole.chunks()) == data
    past = blobs.open("audio/r/1/audio.mp3", f"bytes={len(data) + 5}-")
    assert (past.status, past.size) == (416, len(data))
    with pytest.raises(NotFoundError):
        blobs.open("audio/r/1/audio.opus")


def test_a_presigned_url_fetches_the_object(blobs: S3BlobStore) -> None:
    blobs.write_bytes("audio/p/1/audio.mp3", b"signed bytes")
    url = blobs.presigned_url("audio/p/1/audio.mp3", 600)
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=600" in url
    assert httpx.get(url).content == b"signed bytes"


@pytest.mark.parametrize(
    "url",
    [
        "http://bucket/prefix",
        "s3://",
        "s3://Bad_Bucket/x",
        "s3://bucket/../etc",
        "s3://bucket/a?versionId=1",
        "/var/lib/vorlesen",
    ],
)
def test_a_bad_storage_url_is_a_usage_error(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_storage_url(url)
    assert caught.value.reason == "bad_storage_url"
    assert "VORLESEN_STORAGE_URL" in caught.value.message


def test_storage_urls_and_the_default() -> None:
    assert parse_storage_url("s3://audio-bucket") == StorageLocation("audio-bucket", "")
    assert parse_storage_url("s3://a.b-c/x/y/") == StorageLocation("a.b-c", "x/y")
    local = open_blob_store(Settings(data_dir=Path("d")))
    assert isinstance(local, LocalBlobStore) and local.root == Path("d")


def test_a_missing_bucket_is_named_at_the_check(s3_endpoint: str, s3_bucket: str) -> None:
    store = open_blob_store(
        Settings(storage_url="s3://no-such-bucket-here/x", s3_endpoint_url=s3_endpoint)
    )
    with pytest.raises(StorageError) as caught:
        store.check()
    assert caught.value.reason == "bucket_not_found"
    assert "no-such-bucket-here" in caught.value.message


def test_an_unreachable_endpoint_is_named_at_the_check(
    s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support import free_port

    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    endpoint = f"http://127.0.0.1:{free_port()}"
    store = S3BlobStore(StorageLocation(s3_bucket, ""), endpoint_url=endpoint)
    with pytest.raises(StorageError) as caught:
        store.check()
    assert caught.value.reason == "storage_unreachable"
    assert endpoint in caught.value.message


def test_missing_credentials_are_named(
    s3_endpoint: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key)
    # No shared credentials file or instance metadata either.
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    store = S3BlobStore(StorageLocation(s3_bucket, ""), endpoint_url=s3_endpoint)
    with pytest.raises(StorageError) as caught:
        store.check()
    assert caught.value.reason == "storage_no_credentials"
