"""Blob storage for rendered audio: one small interface, a local-directory implementation.

Keys look like ``audio/{source_id}/{revision}/audio.mp3``. Every write is atomic (temp
file + rename, see :mod:`vorlesen.fileio`), so a reader — or a worker killed mid-render —
never leaves or sees half a file. A revision becomes visible only when the database points
at it, which happens after all its files are written; the previous revision keeps being
served meanwhile. Object storage is a later step: it implements the same five methods.
"""

from __future__ import annotations

import contextlib
import errno
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from vorlesen.errors import NotFoundError, StorageError, UsageError
from vorlesen.fileio import atomic_write, write_bytes_atomic

__all__ = ["BlobStore", "LocalBlobStore", "revision_prefix"]

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


class BlobStore(Protocol):
    """Where rendered files live; every method is safe to call from many processes."""

    def put_file(self, key: str, source: Path) -> None:
        """Store the file at ``source`` under ``key`` atomically (replacing any old one)."""
        ...

    def write_bytes(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` atomically."""
        ...

    def local_path(self, key: str) -> Path:
        """A local path to read ``key`` from; raises ``NotFoundError`` if absent."""
        ...

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds a complete file."""
        ...

    def delete_prefix(self, prefix: str) -> None:
        """Remove every key under ``prefix`` (a no-op when there are none)."""
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
        path = self._path(key)
        if not path.is_file():
            raise NotFoundError(f"No stored file {key!r}.", reason="not_found")
        return path

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
