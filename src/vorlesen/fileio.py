"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every stage that writes output (audio files, timings, the blob store) goes through
:func:`atomic_write`. The data is written to a temporary file in the *same directory*
(so the final :func:`os.replace` is a rename on one file system, which POSIX and Windows
make atomic) and renamed over the target only when the writing block succeeds. On any
exception — including ``KeyboardInterrupt`` — the temporary file is removed and the
target is left untouched.

A missing output directory is a usage mistake (``-o out/x.mp3`` where ``out/`` does not
exist), reported as :class:`~vorlesen.errors.UsageError` rather than silently created.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from vorlesen.errors import UsageError

__all__ = [
    "PendingFile",
    "atomic_write",
    "check_output_path",
    "check_output_writable",
    "write_bytes_atomic",
    "write_text_atomic",
]

_TEMP_SUFFIX = ".part"
"""Suffix of in-progress files, so a crash leaves something recognisable, not a lookalike."""


def _current_umask() -> int:
    """The process umask (read by setting and restoring it; there is no getter)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output_path(path: Path) -> Path:
    """Raise a :class:`UsageError` when ``path`` cannot be an output file; return its folder.

    Callers that do long work before writing (a render) check first, so a typo in the
    output path fails at once instead of after minutes of synthesis.
    """
    parent = path.parent
    if not parent.exists():
        raise UsageError(
            f"The output directory {str(parent)!r} for {str(path)!r} does not exist; "
            "create it first.",
            reason="output_dir_missing",
        )
    if not parent.is_dir():
        raise UsageError(
            f"{str(parent)!r} is not a directory, so {str(path)!r} cannot be written.",
            reason="output_dir_missing",
        )
    if path.is_dir():
        raise UsageError(
            f"The output {str(path)!r} is a directory, not a file.",
            reason="output_not_writable",
        )
    return parent


def check_output_writable(path: Path) -> None:
    """:func:`check_output_path`, and prove a file can be created beside ``path``.

    Permission bits do not tell (``os.access`` says yes for root on a read-only mount or
    in ``/sys``), so an empty temporary file is created and removed — the same call
    :func:`atomic_write` makes later. Raises :class:`UsageError` (``output_not_writable``).
    """
    parent = check_output_path(path)
    try:
        fd, tmp_name = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=_TEMP_SUFFIX)
    except OSError as exc:
        raise UsageError(
            f"The output {str(path)!r} cannot be written: {exc.strerror or exc} "
            f"in {str(parent)!r}.",
            reason="output_not_writable",
        ) from exc
    os.close(fd)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp_name)


class PendingFile:
    """A temporary file next to ``path`` that becomes ``path`` on :meth:`commit` or
    disappears on :meth:`discard` — :func:`atomic_write` for writers that cannot run in
    one ``with`` block (the encoders of a render, which may start over).

    The temp file (:attr:`tmp`) is created empty with the permissions a normal
    ``open(path, "w")`` would give (``0o666 & ~umask``).

    Raises:
        UsageError: ``output_dir_missing`` / ``output_not_writable`` as
            :func:`atomic_write`.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        parent = check_output_path(self.path)
        try:
            fd, tmp_name = tempfile.mkstemp(
                dir=parent, prefix=f".{self.path.name}.", suffix=_TEMP_SUFFIX
            )
        except OSError as exc:
            raise UsageError(
                f"The output directory {str(parent)!r} is not writable: {exc.strerror or exc}.",
                reason="output_not_writable",
            ) from exc
        self.tmp = Path(tmp_name)
        try:
            os.close(fd)
            # mkstemp makes 0o600 files; outputs should look like any other file the user writes.
            os.chmod(self.tmp, 0o666 & ~_current_umask())
        except BaseException:
            self.discard()
            raise

    def commit(self) -> None:
        """Rename the temp file over ``path`` (on failure it is removed)."""
        try:
            os.replace(self.tmp, self.path)
        except OSError as exc:
            self.discard()
            raise UsageError(
                f"The output {str(self.path)!r} cannot be written: {exc.strerror or exc}.",
                reason="output_not_writable",
            ) from exc

    def discard(self) -> None:
        """Remove the temp file (``path`` is left as it was)."""
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()


@contextlib.contextmanager
def atomic_write(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it over ``path`` if the block succeeds.

    The caller writes the complete file to the yielded path (by any means: ``open``,
    an encoder, a library's ``save``). The temp file is created empty with the
    permissions a normal ``open(path, "w")`` would give (``0o666 & ~umask``).

    Raises:
        UsageError: ``reason="output_dir_missing"`` when the parent directory does not
            exist; ``reason="output_not_writable"`` when the directory cannot be written
            or the target is a directory.
    """
    pending = PendingFile(path)
    try:
        yield pending.tmp
    except BaseException:
        pending.discard()
        raise
    pending.commit()


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    with atomic_write(path) as tmp:
        try:
            tmp.write_bytes(data)
        except OSError as exc:
            raise UsageError(
                f"The output {str(path)!r} cannot be written: {exc.strerror or exc}.",
                reason="output_not_writable",
            ) from exc


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` atomically (see :func:`atomic_write`)."""
    write_bytes_atomic(path, text.encode("utf-8"))
