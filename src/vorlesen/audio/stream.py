"""Streaming mastering: the whole programme never sits in memory.

:func:`master` (in :mod:`vorlesen.audio.master`) holds the programme as one float32 array
— right for a phrase, wrong for a 60-minute long-read in a service (≈ 320 MB per copy).
:func:`streaming_master` gives the same guarantees with memory that does not grow with
the length of the text:

1. **Spool.** While segments stream in from synthesis they are trimmed and paused
   exactly as :func:`~vorlesen.audio.master.join_segments` does for :func:`master`,
   their timings recorded, and the samples appended (float32) to an *unnamed* temporary
   file (``O_TMPFILE`` where the OS has it: nothing can be left behind, not even after a
   crash). The K-weighted energy of each 100 ms hop is accumulated on the way (filter
   state carried from piece to piece), which is all gated loudness needs.
2. **Plan.** The true-peak map (per 256-sample block: a rigorous bound, exact 4×
   oversampled envelopes where the bound matters) is built from chunked reads of the
   spool. A pure gain reaching the target without crossing the ceiling needs nothing
   else. Otherwise gain and the look-ahead limiter alternate as in :func:`master`: each
   round streams ``gain · limiter`` chunk by chunk (each 10 s chunk reads its limiter
   look-ahead and hold from around it, so the gain curve is the same as computed over the
   whole signal) into a second spool while measuring its loudness; the last round's
   output gets the final true-peak check and static trim.
3. **Emit.** :meth:`StreamedMaster.chunks` reads the chosen spool back in 10 s chunks
   with the final scalar gain applied — ready for
   :func:`~vorlesen.audio.encode.encode_stream`, which feeds every encoder at once.

Guarantees are those of :func:`master`: −16 ± 1 LUFS integrated (BS.1770-4 gated),
true peak ≤ the ceiling (4× oversampled), timings at 10 ms resolution.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from vorlesen.audio.master import (
    _GATE_BLOCK,
    _GATE_OVERLAP,
    _LIMITER_ATTACK,
    _LIMITER_HOLD,
    _LIMITER_MARGIN_DB,
    _LOUDNESS_TOLERANCE,
    _MAX_ROUNDS,
    _MIN_LOUDNESS_SECONDS,
    _TP_BLOCK,
    _TRIM,
    _db,
    _exact_envelope,
    _gain_curve,
    _gated_loudness,
    _k_weighting,
    _normalize,
    _PeakMap,
    join_segments,
    next_gain,
)
from vorlesen.closing import Closing
from vorlesen.errors import AudioError
from vorlesen.models import AudioArray, Segment, Timing, Utterance

__all__ = ["LoudnessMeter", "Spool", "StreamedMaster", "streaming_master"]

STREAM_CHUNK_SECONDS = 10.0
"""Length of the chunks read back from the spool (a 10 s float32 chunk at 22 kHz is
under 1 MB; large enough that per-chunk overhead is negligible)."""

FloatArray = npt.NDArray[np.float64]


class Spool(Closing):
    """An append-only float32 sample file that is a
    :class:`~vorlesen.audio.master.SampleSource`: chunked and block-row reads go through
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
        consecutive blocks."""
        width = _TP_BLOCK + 2 * ctx
        out = np.zeros((len(blocks), width), dtype=np.float32)
        if len(blocks) == 0:
            return out
        order = np.argsort(blocks, kind="stable")
        ordered = blocks[order]
        breaks = np.flatnonzero(np.diff(ordered) > 1) + 1
        for part in np.split(np.arange(len(ordered)), breaks):
            first, last = int(ordered[part[0]]), int(ordered[part[-1]])
            lo, hi = first * _TP_BLOCK - ctx, (last + 1) * _TP_BLOCK + ctx
            buf = np.zeros(hi - lo, dtype=np.float32)
            got = self.read(lo, hi)
            start = max(0, lo) - lo
            buf[start : start + len(got)] = got
            index = (ordered[part] - first)[:, None] * _TP_BLOCK + np.arange(width)
            out[order[part]] = buf[index]
        return out


class LoudnessMeter:
    """BS.1770-4 integrated loudness of a signal fed piece by piece.

    The K-weighting filter runs over each piece with its state carried over, and the
    squared output is summed per 100 ms hop (hop boundaries computed with the same
    expressions as :func:`vorlesen.audio.master._block_powers`), so :meth:`powers` gives
    the 400 ms gating-block powers of the whole signal from a few numbers per second.
    """

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._sos = _k_weighting(sample_rate, np.float32)
        self._state = np.zeros((self._sos.shape[0], 2), dtype=np.float32)
        self._hops: list[float] = []
        self._acc = 0.0
        self._pos = 0
        self._next = self._bound(1)

    def _bound(self, hop: int) -> int:
        return int(_GATE_BLOCK * (hop * (1.0 - _GATE_OVERLAP)) * self.sample_rate)

    @property
    def samples(self) -> int:
        """Samples measured so far."""
        return self._pos

    def add(self, chunk: AudioArray) -> None:
        """Measure the next ``chunk`` of the signal."""
        if len(chunk) == 0:
            return
        from scipy.signal import sosfilt  # scipy loads on first use: importing it costs ~0.8 s

        weighted, self._state = sosfilt(
            self._sos, np.asarray(chunk, dtype=np.float32), zi=self._state
        )
        np.square(weighted, out=weighted)
        lo, hi = self._pos, self._pos + len(chunk)
        offset = 0
        while self._next <= hi:
            cut = self._next - lo
            self._acc += float(np.sum(weighted[offset:cut], dtype=np.float64))
            self._hops.append(self._acc)
            self._acc = 0.0
            offset = cut
            self._next = self._bound(len(self._hops) + 1)
        self._acc += float(np.sum(weighted[offset:], dtype=np.float64))
        self._pos = hi

    def powers(self) -> FloatArray:
        """Mean square per 400 ms gating block (75 % overlap) of everything measured."""
        step = 1.0 - _GATE_OVERLAP
        seconds = self._pos / self.sample_rate
        n_blocks = int(np.round((seconds - _GATE_BLOCK) / (_GATE_BLOCK * step))) + 1
        if n_blocks < 1:
            return np.zeros(0)
        hop_energy = np.zeros(max(n_blocks + 3, len(self._hops) + 1))
        hop_energy[: len(self._hops)] = self._hops
        hop_energy[len(self._hops)] = self._acc
        blocks = hop_energy[:n_blocks] + hop_energy[1 : n_blocks + 1]
        blocks += hop_energy[2 : n_blocks + 2] + hop_energy[3 : n_blocks + 3]
        result: FloatArray = blocks / (_GATE_BLOCK * self.sample_rate)
        return result

    def loudness(self, gain: float = 1.0) -> float:
        """Integrated loudness (LUFS) after a linear ``gain``."""
        return _gated_loudness(self.powers(), gain)


@dataclass(frozen=True)
class StreamedMaster:
    """A mastered programme that lives on disk until :meth:`chunks` reads it out."""

    sample_rate: int
    samples: int
    timings: tuple[Timing, ...]
    loudness_lufs: float
    true_peak_db: float
    _read: Callable[[], Iterator[AudioArray]]

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.samples / self.sample_rate

    def chunks(self) -> Iterator[AudioArray]:
        """The mastered samples, in order, in fresh float32 chunks of about 10 s (the
        consumer may modify them). May be called more than once while the context of
        :func:`streaming_master` is open."""
        return self._read()


@contextlib.contextmanager
def streaming_master(
    segments: Iterable[Segment],
    utterances: Sequence[Utterance],
    *,
    directory: Path | None = None,
    target_lufs: float = -16.0,
    true_peak_db: float = -1.0,
    edge_silence: float = 0.05,
) -> Iterator[StreamedMaster]:
    """Master ``segments`` like :func:`~vorlesen.audio.master.master`, spooling to a
    temporary file in ``directory`` instead of memory; yield the result, readable chunk
    by chunk inside the ``with`` block. The temporary files are gone when it ends.

    Raises:
        AudioError: as :func:`master` (``bad_target``, ``no_audio``, ``silent_audio``,
            ``segment_mismatch``, ``bad_samples``); ``spool_failed`` when the temporary
            file cannot be written.
    """
    if not math.isfinite(target_lufs) or not math.isfinite(true_peak_db):
        raise AudioError(
            f"Loudness target {target_lufs} LUFS / ceiling {true_peak_db} dBTP is not a number.",
            reason="bad_target",
        )
    with Spool(directory) as source, Spool(directory) as limited:
        timings: list[Timing] = []
        meter: LoudnessMeter | None = None
        sample_rate = 0
        audible = False
        for sample_rate, part in join_segments(
            segments, utterances, timings, edge_silence=edge_silence
        ):
            if meter is None:
                meter = LoudnessMeter(sample_rate)
            meter.add(part)
            source.append(part)
            audible = audible or bool(np.any(part))
        if meter is None or len(source) == 0:
            raise AudioError(
                "There is no audio to master: no segments were given.", reason="no_audio"
            )
        if not audible:
            raise AudioError("The synthesized audio is completely silent.", reason="silent_audio")
        read, loudness, peak = _plan(source, limited, meter, sample_rate, target_lufs, true_peak_db)
        yield StreamedMaster(
            sample_rate=sample_rate,
            samples=len(source),
            timings=tuple(timings),
            loudness_lufs=loudness,
            true_peak_db=peak,
            _read=read,
        )


def _reader(spool: Spool, gain: float, chunk: int) -> Callable[[], Iterator[AudioArray]]:
    def read() -> Iterator[AudioArray]:
        for begin in range(0, len(spool), chunk):
            out = spool.read(begin, begin + chunk)
            if gain != 1.0:
                out *= np.float32(gain)
            yield out

    return read


def _plan(
    source: Spool,
    limited: Spool,
    meter: LoudnessMeter,
    sample_rate: int,
    target_lufs: float,
    ceiling_db: float,
) -> tuple[Callable[[], Iterator[AudioArray]], float, float]:
    """Decide the gain (and limiting) that brings the spooled programme to the target;
    the streaming twin of :func:`vorlesen.audio.master._normalize`. Returns the reader
    of the mastered programme, its loudness and its true peak (dBTP)."""
    chunk = _TP_BLOCK * max(1, round(STREAM_CHUNK_SECONDS * sample_rate / _TP_BLOCK))
    ceiling = 10.0 ** (ceiling_db / 20.0)
    if len(source) < _MIN_LOUDNESS_SECONDS * sample_rate:
        # Under 0.4 s: tiny; the in-memory path peak-normalizes it.
        audio, loudness, peak_db = _normalize(
            source.read(0, len(source)), sample_rate, target_lufs, ceiling_db
        )

        def whole() -> Iterator[AudioArray]:
            yield audio.copy()

        return whole, loudness, peak_db

    loudness = meter.loudness()
    peaks = _PeakMap(source)
    peak = peaks.true_peak()
    if not math.isfinite(loudness):  # everything below the absolute gate
        gain = ceiling / peak * _TRIM
        return _reader(source, gain, chunk), meter.loudness(gain), _db(peak * gain)
    limit_to = ceiling * 10.0 ** (-_LIMITER_MARGIN_DB / 20.0)
    gain_db = target_lufs - loudness
    previous: tuple[float, float] | None = None
    out_meter = meter
    for _ in range(_MAX_ROUNDS):
        gain = 10.0 ** (gain_db / 20.0)
        if gain * peak <= ceiling:  # a pure gain: loudness and peak follow exactly
            return _reader(source, gain, chunk), meter.loudness(gain), _db(peak * gain)
        limited.clear()
        out_meter = LoudnessMeter(sample_rate)
        for piece in _limited_chunks(source, peaks, gain, limit_to, sample_rate, chunk):
            out_meter.add(piece)
            limited.append(piece)
        loudness = out_meter.loudness()
        if abs(loudness - target_lufs) <= _LOUDNESS_TOLERANCE:
            break
        gain_db, previous = next_gain(gain_db, loudness, previous, target_lufs)
    del peaks
    final = _PeakMap(limited).true_peak()
    trim = 1.0
    if final > ceiling:
        trim = ceiling / final * _TRIM
        final *= trim
        loudness = out_meter.loudness(trim)
    return _reader(limited, trim, chunk), loudness, _db(final)


def _limited_chunks(
    source: Spool,
    peaks: _PeakMap,
    gain: float,
    ceiling: float,
    sample_rate: int,
    chunk: int,
) -> Iterator[AudioArray]:
    """``gain · source`` through the look-ahead limiter of
    :func:`vorlesen.audio.master._limit`, chunk by chunk.

    The limiter's gain at sample ``n`` depends on the required gain in
    ``[n − hold − attack, n + attack]`` only, so each chunk computes the curve over itself
    plus that reach (rounded up to blocks) on each side and keeps its own part: the same
    curve as over the whole signal, with temporaries the size of a chunk.
    """
    attack = max(1, round(_LIMITER_ATTACK * sample_rate))
    hold = max(0, round(_LIMITER_HOLD * sample_rate))
    n = len(source)
    reach = -(-(hold + attack + 1) // _TP_BLOCK) + 1
    over = gain * peaks.bound > ceiling
    per_chunk = chunk // _TP_BLOCK
    for first in range(0, peaks.blocks, per_chunk):
        last = min(peaks.blocks, first + per_chunk)
        lo, hi = first * _TP_BLOCK, min(n, last * _TP_BLOCK)
        out = source.read(lo, hi)
        out *= np.float32(gain)
        w_first, w_last = max(0, first - reach), min(peaks.blocks, last + reach)
        candidates = np.flatnonzero(over[w_first:w_last]) + w_first
        if len(candidates):
            hits = candidates[gain * peaks.maxima(candidates) > ceiling]
            if len(hits):
                need = np.ones((w_last - w_first) * _TP_BLOCK, dtype=np.float32)
                envelope = _exact_envelope(source, hits)
                np.maximum(envelope, np.float32(1e-12), out=envelope)
                required = np.minimum(np.float32(1.0), np.float32(ceiling / gain) / envelope)
                need.reshape(-1, _TP_BLOCK)[hits - w_first] = required
                w_lo = w_first * _TP_BLOCK
                need[max(0, n - w_lo) :] = 1.0  # past the end of the signal
                curve = _gain_curve(need, attack, hold)
                out *= curve[lo - w_lo : hi - w_lo]
        yield out
