"""The spool: an unnamed temporary file that holds a programme too long for memory.

The streaming master (:func:`~vorlesen.audio.stream.streaming_master`) appends the
joined segments to one spool and, when limiting, the limited programme to a second;
both are read back in chunks and in true-peak block rows (a
:class:`~vorlesen.audio.peaks.SampleSource`). Nothing is left behind: the file has no
name (``O_TMPFILE`` where the OS has it), so it disappears when closed or when the
process dies, whatever the reason.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

from vorlesen.audio.peaks import BLOCK
from vorlesen.closing import Closing
from vorlesen.errors import AudioError
from vorlesen.models import AudioArray

__all__ = ["Spool"]


_ROWS_GAP = 16
"""Blocks between two wanted blocks up to which :meth:`Spool.rows` reads them together."""


class Spool(Closing):
    """An append-only float32 sample file that is a
    :class:`~vorlesen.audio.peaks.SampleSource`: chunked and block-row reads go through
    ``pread`` (no memory map, so the pages read stay page cache and are never counted in
    this process's memory).

    The file is unnamed (``tempfile.TemporaryFile``): it disappears when closed or when
    the process dies, whatever the reason.
    """

    def __init__(self, directory: Path | None = None) -> None:
        try:
            self._file = tempfile.TemporaryFile(  # noqa: SIM115  # closed by close()
                dir=directory, prefix=".vorlesen-", suffix=".raw", buffering=1 << 20
            )
        except OSError as exc:
            raise AudioError(
                f"No temporary file for the audio could be created: {exc.strerror or exc}.",
                reason="spool_failed",
            ) from exc
        self._n = 0
        self._dirty = False

    def __len__(self) -> int:
        return self._n

    def close(self) -> None:
        """Close (and so delete) the file."""
        self._file.close()

    def append(self, samples: AudioArray) -> None:
        """Append ``samples`` (float32) at the end."""
        data = np.ascontiguousarray(samples, dtype=np.float32)
        try:
            self._file.write(data.data.cast("B"))
        except OSError as exc:
            raise AudioError(
                f"The temporary audio file could not be written: {exc.strerror or exc}.",
                reason="spool_failed",
            ) from exc
        self._n += len(data)
        self._dirty = True

    def clear(self) -> None:
        """Drop every sample (the file is reused for another round)."""
        self._file.seek(0)
        self._file.truncate()
        self._n = 0
        self._dirty = False

    def read(self, lo: int, hi: int) -> AudioArray:
        """Samples ``[lo, hi)`` as a new, writable array."""
        lo, hi = max(0, lo), min(self._n, hi)
        out = np.empty(max(0, hi - lo), dtype=np.float32)
        if len(out) == 0:
            return out
        if self._dirty:
            self._file.flush()
            self._dirty = False
        view = out.data.cast("B")
        done, offset = 0, lo * 4
        fd = self._file.fileno()
        while done < len(view):
            got = os.preadv(fd, [view[done:]], offset + done)
            if got <= 0:
                raise AudioError("The temporary audio file ended early.", reason="spool_failed")
            done += got
        return out

    def rows(self, blocks: npt.NDArray[np.int64], ctx: int) -> AudioArray:
        """Block rows with ``ctx`` samples each side (zeros outside), one read per run of
        blocks less than :data:`_ROWS_GAP` apart (a few KB read for nothing cost less than
        another read)."""
        width = BLOCK + 2 * ctx
        out = np.zeros((len(blocks), width), dtype=np.float32)
        if len(blocks) == 0:
            return out
        order = np.argsort(blocks, kind="stable")
        ordered = blocks[order]
        breaks = np.flatnonzero(np.diff(ordered) > _ROWS_GAP) + 1
        for part in np.split(np.arange(len(ordered)), breaks):
            first, last = int(ordered[part[0]]), int(ordered[part[-1]])
            lo, hi = first * BLOCK - ctx, (last + 1) * BLOCK + ctx
            buf = np.zeros(hi - lo, dtype=np.float32)
            got = self.read(lo, hi)
            start = max(0, lo) - lo
            buf[start : start + len(got)] = got
            # Row r of `windows` is block first + r with its context (a view, no copy).
            windows = np.lib.stride_tricks.as_strided(
                buf, shape=(last - first + 1, width), strides=(BLOCK * 4, 4), writeable=False
            )
            out[order[part]] = windows[ordered[part] - first]
        return out
