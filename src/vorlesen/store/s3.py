"""Blobs in S3-compatible object storage (AWS S3, Cloudflare R2, MinIO, Ceph, Hetzner …).

The only importer of boto3/botocore (ruff's banned-api rule keeps it so). Implements
:class:`vorlesen.store.blobs.BlobStore`, plus what serving from a bucket needs: the
object key (for a CDN URL), presigned URLs and ranged reads (for the API's proxy mode).

Atomicity comes from S3 itself: an object appears only when its PUT (or multipart upload)
completed, so a worker killed mid-upload leaves no partial object — at most an
unfinished multipart upload, which :meth:`S3BlobStore.delete_prefix` aborts with the
revision (and a bucket lifecycle rule ``AbortIncompleteMultipartUpload`` sweeps).
Credentials and region come from boto3's standard chain (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``, ``AWS_PROFILE``, instance roles).
"""

from __future__ import annotations

import contextlib
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from vorlesen.errors import NotFoundError, StorageError, UsageError
from vorlesen.store.blobs import _KEY, BlobInfo, StorageLocation

__all__ = ["BlobRead", "S3BlobStore"]

_CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".opus": "audio/ogg; codecs=opus",
    ".json": "application/json",
    ".vtt": "text/vtt; charset=utf-8",
    ".jpg": "image/jpeg",
    ".png": "image/png",
}
"""What the bucket (and a CDN in front of it) serves each file as."""

_IMMUTABLE = "public, max-age=31536000, immutable"
"""Every key is immutable: a revision's files never change, artwork names hash content."""

_CHUNK = 64 * 1024
"""Bytes per read when the API proxies an object (what players ask for per range)."""

_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_DENIED = {
    "AccessDenied",
    "403",
    "Forbidden",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
}


@dataclass(slots=True)
class BlobRead:
    """One GET of an object, perhaps ranged: the headers to answer with and the body."""

    status: int
    """200 (whole), 206 (the range) or 416 (the range lies past the end; no body)."""
    size: int
    """The whole object's size."""
    start: int
    length: int
    etag: str
    modified: float
    _body: Any = None

    def chunks(self) -> Iterator[bytes]:
        """The bytes, streamed (memory stays flat for an hour of audio); closes the body."""
        if self._body is None:
            return
        try:
            yield from self._body.iter_chunks(_CHUNK)
        finally:
            self.close()

    def close(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None


def _code(exc: ClientError) -> str:
    error: dict[str, Any] = exc.response.get("Error", {})
    return str(error.get("Code", ""))


class S3BlobStore:
    """Blobs as objects under ``prefix/`` of one bucket; safe to share between threads
    (one boto3 client per store, created in the process that uses it)."""

    def __init__(self, location: StorageLocation, *, endpoint_url: str | None = None) -> None:
        self.bucket = location.bucket
        self.prefix = location.prefix
        self.endpoint_url = endpoint_url
        config = Config(
            # Path-style for custom endpoints (MinIO, moto and Ceph want it; R2 takes
            # both); AWS itself picks virtual-hosted style.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            signature_version="s3v4",
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
        )
        try:
            self._client: Any = boto3.session.Session().client(
                "s3", endpoint_url=endpoint_url, config=config
            )
        except (BotoCoreError, ValueError) as exc:
            raise UsageError(
                f"The object storage client cannot be set up ({exc}); check "
                "VORLESEN_S3_ENDPOINT_URL and the AWS_* variables.",
                reason="bad_storage_config",
            ) from exc

    # -- keys ---------------------------------------------------------------------------

    def object_key(self, key: str) -> str:
        """The bucket's key for ``key`` (the storage prefix joined in front)."""
        if not _KEY.match(key):
            raise UsageError(f"{key!r} is not a valid blob key.", reason="bad_blob_key")
        return f"{self.prefix}/{key}" if self.prefix else key

    def _where(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" + (
            f" at {self.endpoint_url}" if self.endpoint_url else ""
        )

    @contextlib.contextmanager
    def _errors(self, key: str, doing: str) -> Iterator[None]:
        """Map boto's errors to the one tree: ``NotFoundError`` for a missing key,
        ``StorageError`` with ``bucket_not_found``, ``storage_denied``,
        ``storage_no_credentials``, ``storage_unreachable`` or ``storage_error``."""
        try:
            yield
        except ClientError as exc:
            code = _code(exc)
            if code in _NOT_FOUND:
                raise NotFoundError(f"No stored file {key!r}.", reason="not_found") from None
            if code == "NoSuchBucket":
                raise StorageError(
                    f"The bucket of VORLESEN_STORAGE_URL ({self._where()}) does not exist.",
                    reason="bucket_not_found",
                ) from exc
            if code in _DENIED:
                raise StorageError(
                    f"The object storage {self._where()} refused to let vorlesen {doing} "
                    f"{key!r} ({code}); check the AWS credentials and the bucket policy.",
                    reason="storage_denied",
                ) from exc
            raise StorageError(
                f"The object storage {self._where()} could not {doing} {key!r} ({code}: "
                f"{exc.response.get('Error', {}).get('Message', '')}).",
                reason="storage_error",
            ) from exc
        except NoCredentialsError as exc:
            raise StorageError(
                f"No credentials for the object storage {self._where()}: set "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE).",
                reason="storage_no_credentials",
            ) from exc
        except BotoCoreError as exc:
            raise StorageError(
                f"The object storage {self._where()} cannot be reached to {doing} {key!r} ({exc}).",
                reason="storage_unreachable",
            ) from exc

    # -- the BlobStore interface ---------------------------------------------------------

    def _put_args(self, key: str) -> dict[str, str]:
        kind = _CONTENT_TYPES.get(Path(key).suffix.lower()) or (
            mimetypes.guess_type(key)[0] or "application/octet-stream"
        )
        return {"ContentType": kind, "CacheControl": _IMMUTABLE}

    def put_file(self, key: str, source: Path) -> None:
        name = self.object_key(key)
        with self._errors(key, "store"):
            # boto3's transfer manager: one PUT, or a multipart upload for large files;
            # either way the object exists only once the upload completed.
            self._client.upload_file(str(source), self.bucket, name, ExtraArgs=self._put_args(key))

    def write_bytes(self, key: str, data: bytes) -> None:
        name = self.object_key(key)
        with self._errors(key, "store"):
            self._client.put_object(Bucket=self.bucket, Key=name, Body=data, **self._put_args(key))

    def read_bytes(self, key: str) -> bytes:
        name = self.object_key(key)
        with self._errors(key, "read"):
            response = self._client.get_object(Bucket=self.bucket, Key=name)
            body = response["Body"]
            try:
                data: bytes = body.read()
            finally:
                body.close()
            return data

    def stat(self, key: str) -> BlobInfo:
        name = self.object_key(key)
        with self._errors(key, "read"):
            head = self._client.head_object(Bucket=self.bucket, Key=name)
        return BlobInfo(
            size=int(head["ContentLength"]),
            etag=str(head.get("ETag", "")).strip('"'),
            modified=head["LastModified"].timestamp(),
        )

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except NotFoundError:
            return False
        return True

    def _list(self, prefix: str, *, delimiter: str | None = None) -> Iterator[dict[str, Any]]:
        args: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if delimiter:
            args["Delimiter"] = delimiter
        with self._errors(prefix, "list"):
            yield from self._client.get_paginator("list_objects_v2").paginate(**args)

    def delete_prefix(self, prefix: str) -> None:
        """Delete ``prefix`` itself and every object under ``prefix/`` (``audio/a`` never
        touches ``audio/ab/…``), and abort unfinished multipart uploads there."""
        base = self.object_key(prefix)
        names = [base]
        for page in self._list(base + "/"):
            names.extend(item["Key"] for item in page.get("Contents", []))
        with self._errors(prefix, "delete"):
            for start in range(0, len(names), 1000):  # DeleteObjects takes 1000 keys a call
                batch = [{"Key": n} for n in names[start : start + 1000]]
                self._client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                )
            uploads = self._client.list_multipart_uploads(Bucket=self.bucket, Prefix=base + "/")
            for upload in uploads.get("Uploads", []):
                self._client.abort_multipart_upload(
                    Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                )

    def revisions(self, source_id: str) -> list[int]:
        base = self.object_key(f"audio/{source_id}") + "/"
        found: set[int] = set()
        for page in self._list(base, delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                name = str(common["Prefix"])[len(base) :].rstrip("/")
                if name.isdigit():
                    found.add(int(name))
        return sorted(found)

    def check(self) -> None:
        """Reach the bucket once (HEAD): a wrong endpoint, bucket or key fails at start,
        with its reason, not at the first render."""
        with self._errors("", "reach the bucket for"):
            try:
                self._client.head_bucket(Bucket=self.bucket)
            except ClientError as exc:
                if _code(exc) in _NOT_FOUND:  # HEAD has no body: a bare 404 means no bucket
                    raise StorageError(
                        f"The bucket of VORLESEN_STORAGE_URL ({self._where()}) does not exist.",
                        reason="bucket_not_found",
                    ) from exc
                raise

    # -- serving -------------------------------------------------------------------------

    def presigned_url(self, key: str, expires_s: int) -> str:
        """A URL anyone holding it may GET ``key`` with for ``expires_s`` seconds."""
        name = self.object_key(key)
        with self._errors(key, "sign a URL for"):
            url: str = self._client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": name},
                ExpiresIn=expires_s,
            )
        return url

    def open(self, key: str, byte_range: str | None = None) -> BlobRead:
        """GET ``key``, the single range ``bytes=…`` if given (a range past the end gives
        a :class:`BlobRead` with status 416 and no body)."""
        name = self.object_key(key)
        args: dict[str, str] = {"Bucket": self.bucket, "Key": name}
        if byte_range:
            args["Range"] = byte_range
        try:
            with self._errors(key, "read"):
                response = self._client.get_object(**args)
        except StorageError as exc:
            cause = exc.__cause__
            if isinstance(cause, ClientError) and _code(cause) == "InvalidRange":
                info = self.stat(key)
                return BlobRead(416, info.size, 0, 0, info.etag, info.modified)
            raise
        length = int(response["ContentLength"])
        content_range = str(response.get("ContentRange") or "")
        match = re.match(r"bytes (\d+)-\d+/(\d+)", content_range)
        if match:
            status, start, size = 206, int(match[1]), int(match[2])
        else:
            status, start, size = 200, 0, length
        return BlobRead(
            status,
            size,
            start,
            length,
            str(response.get("ETag", "")).strip('"'),
            response["LastModified"].timestamp(),
            response["Body"],
        )

    def __repr__(self) -> str:
        return f"S3BlobStore({self._where()!r})"
