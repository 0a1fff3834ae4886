"""Blob storage for rendered audio: one small interface, two implementations.

Keys look like ``audio/{source_id}/{revision}/audio.mp3``. Every write is atomic — a
temp file + rename for the local directory (see :mod:`vorlesen.fileio`), one PUT (or a
completed multipart upload) per object in S3-compatible storage — so a reader, or a
worker killed mid-render, never leaves or sees half a file. A revision becomes visible
only when the database points at it, which happens after all its files are written; the
previous revision keeps being served meanwhile.

:func:`open_blob_store` picks the implementation from ``VORLESEN_STORAGE_URL``: unset, the
data directory (:class:`LocalBlobStore`); ``s3://bucket/prefix``, object storage
(:class:`vorlesen.store.s3.S3BlobStore`, the only importer of boto3).
"""

from __future__ import annotations

import contextlib
import errno
import re
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from vorlesen.errors import NotFoundError, StorageError, UsageError
from vorlesen.fileio import atomic_write, write_bytes_atomic

if TYPE_CHECKING:  # config is ground floor, but keep the import graph light at run time
    from vorlesen.config import Settings

__all__ = [
    "ARTICLE_FILES",
    "AUDIO_FILES",
    "COVER_FILE",
    "BlobInfo",
    "BlobStore",
    "LocalBlobStore",
    "StorageLocation",
    "open_blob_store",
    "parse_storage_url",
    "revision_prefix",
]

AUDIO_FILES: Mapping[str, str] = {
    "audio.mp3": "audio/mpeg",
    "audio.opus": "audio/ogg; codecs=opus",
    "timings.json": "application/json",
    "captions.vtt": "text/vtt; charset=utf-8",
}
"""The files of one rendered revision and the content type each is served with."""
COVER_FILE = "cover.jpg"
"""The episode artwork beside a revision's audio, when the article had a usable image."""
ARTICLE_FILES: Mapping[str, str] = {**AUDIO_FILES, COVER_FILE: "image/jpeg"}
"""Every file a revision may have, as served."""

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
"""Keys are relative paths of safe segments: no '..', no leading '/', no hidden files."""


_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
"""Errnos that mean "no space": the volume or the quota is full, or a size limit was hit."""


@contextlib.contextmanager
def _storage_errors(key: str, root: Path) -> Iterator[None]:
    """Turn an OS failure while storing ``key`` into a ``StorageError`` with a reason.

    ``disk_full`` when the volume has no space left (ENOSPC, EDQUOT, EFBIG), else
    ``storage_unwritable`` (a file where a directory belongs, a read-only mount …). A raw
    ``OSError`` would reach the worker as an anonymous internal error; the operator needs
    to know the disk is full.
    """
    try:
        yield
    except (OSError, UsageError) as exc:
        if isinstance(exc, UsageError) and exc.reason not in (
            "output_not_writable",
            "output_dir_missing",
        ):
            raise
        cause = exc if isinstance(exc, OSError) else exc.__cause__
        code = cause.errno if isinstance(cause, OSError) else None
        detail = (cause.strerror if isinstance(cause, OSError) else None) or str(exc)
        if code in _FULL:
            raise StorageError(
                f"The audio storage under {str(root)!r} is full; {key!r} was not stored "
                f"({detail}).",
                reason="disk_full",
            ) from exc
        raise StorageError(
            f"The audio storage under {str(root)!r} cannot be written; {key!r} was not "
            f"stored ({detail}).",
            reason="storage_unwritable",
        ) from exc


def revision_prefix(source_id: str, revision: int) -> str:
    """The key prefix under which one revision of an article's audio lives."""
    return f"audio/{source_id}/{revision}"


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """What a reader needs to know of a stored blob before reading it."""

    size: int
    """Bytes."""
    etag: str
    """Changes whenever the content may have (unquoted)."""
    modified: float
    """Last write, seconds since the epoch."""


class BlobStore(Protocol):
    """Where rendered files live; every method is safe to call from many processes."""

    def put_file(self, key: str, source: Path) -> None:
        """Store the file at ``source`` under ``key`` atomically (replacing any old one)."""
        ...

    def write_bytes(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` atomically."""
        ...

    def read_bytes(self, key: str) -> bytes:
        """The content of ``key``; raises ``NotFoundError`` if absent."""
        ...

    def stat(self, key: str) -> BlobInfo:
        """Size, ETag and modification time of ``key``; raises ``NotFoundError`` if absent."""
        ...

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds a complete file."""
        ...

    def delete_prefix(self, prefix: str) -> None:
        """Remove every key under ``prefix`` (a no-op when there are none)."""
        ...

    def revisions(self, source_id: str) -> list[int]:
        """Revisions of an article that have files (complete or not), ascending."""
        ...

    def check(self) -> None:
        """Raise ``StorageError`` (with a reason) when the storage cannot be used."""
        ...


class LocalBlobStore:
    """Blobs as files under one directory (shared by all workers in scale-out mode)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise UsageError(f"{key!r} is not a valid blob key.", reason="bad_blob_key")
        return self.root / key

    def put_file(self, key: str, source: Path) -> None:
        path = self._path(key)
        with _storage_errors(key, self.root):
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_write(path) as tmp:
                shutil.copyfile(source, tmp)

    def write_bytes(self, key: str, data: bytes) -> None:
        path = self._path(key)
        with _storage_errors(key, self.root):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(path, data)

    def local_path(self, key: str) -> Path:
        """A local path to read ``key`` from; raises ``NotFoundError`` if absent."""
        path = self._path(key)
        if not path.is_file():
            raise NotFoundError(f"No stored file {key!r}.", reason="not_found")
        return path

    def read_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFoundError(f"No stored file {key!r}.", reason="not_found") from None

    def stat(self, key: str) -> BlobInfo:
        st = self.local_path(key).stat()
        return BlobInfo(st.st_size, f"{st.st_size:x}-{st.st_mtime_ns:x}", st.st_mtime)

    def check(self) -> None:
        """Nothing to check up front: the directory is created on the first write, and a
        write that fails says why (``disk_full``, ``storage_unwritable``)."""

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete_prefix(self, prefix: str) -> None:
        path = self._path(prefix)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file():
            path.unlink(missing_ok=True)

    def revisions(self, source_id: str) -> list[int]:
        """Revisions of an article that have a directory (complete or not)."""
        base = self._path(f"audio/{source_id}")
        if not base.is_dir():
            return []
        return sorted(int(p.name) for p in base.iterdir() if p.name.isdigit())

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"


_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
"""An S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)."""


@dataclass(frozen=True, slots=True)
class StorageLocation:
    """Where ``VORLESEN_STORAGE_URL`` puts the blobs: a bucket and a key prefix in it."""

    bucket: str
    prefix: str
    """Joined before every key with a ``/``; empty for the bucket's root."""


def parse_storage_url(url: str) -> StorageLocation:
    """``s3://bucket`` or ``s3://bucket/prefix`` as a :class:`StorageLocation`;
    ``UsageError(reason="bad_storage_url")`` naming what is wrong otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() != "s3":
        raise UsageError(
            f"VORLESEN_STORAGE_URL={url!r} is not an s3://bucket/prefix URL; leave it unset "
            "to keep audio in VORLESEN_DATA_DIR.",
            reason="bad_storage_url",
        )
    bucket = parts.netloc
    prefix = parts.path.strip("/")
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise UsageError(
            f"VORLESEN_STORAGE_URL={url!r} names no valid bucket ({bucket!r}: 3-63 lowercase "
            "letters, digits, dots and hyphens).",
            reason="bad_storage_url",
        )
    if parts.query or parts.fragment or parts.username or (prefix and not _KEY.match(prefix)):
        raise UsageError(
            f"VORLESEN_STORAGE_URL={url!r} has an invalid prefix {prefix!r} (segments of "
            "letters, digits, '.', '_' and '-', no query).",
            reason="bad_storage_url",
        )
    return StorageLocation(bucket, prefix)


def open_blob_store(settings: Settings) -> BlobStore:
    """The blob store the settings name: object storage when ``VORLESEN_STORAGE_URL`` is
    set, else the data directory. Nothing is contacted here (see :meth:`BlobStore.check`)."""
    if not settings.storage_url:
        return LocalBlobStore(Path(settings.data_dir))
    location = parse_storage_url(settings.storage_url)
    from vorlesen.store.s3 import S3BlobStore  # boto3 loads only when object storage is used

    return S3BlobStore(location, endpoint_url=settings.s3_endpoint_url or None)
