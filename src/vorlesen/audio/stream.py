"""Mastering: the joined programme at the target loudness, its true peak under a ceiling.

This is the one mastering path; the whole programme never sits in memory, so a 60-minute
long-read costs what a phrase does (:func:`~vorlesen.audio.master.master` collects its
output into an array for short programmes and tests).

1. **Spool.** While segments stream in from synthesis they are joined
   (:func:`~vorlesen.audio.join.join_segments`: trimmed, paused, timed) and appended
   (float32) to an unnamed temporary file (:class:`~vorlesen.audio.spool.Spool`). Their
   K-weighted loudness is measured on the way
   (:class:`~vorlesen.audio.loudness.LoudnessMeter`), which is all gated loudness needs.
2. **Plan.** The true-peak map (:class:`~vorlesen.audio.peaks.PeakMap`) is built from
   chunked reads of the spool. A pure gain shifts loudness by exactly that gain, so a
   gain that reaches ``target_lufs`` without crossing the ceiling needs nothing else.
   Otherwise gain and the look-ahead limiter (:mod:`vorlesen.audio.limiter`) alternate:
   each round streams ``gain · limiter`` chunk by chunk into a second spool while
   measuring its loudness, and the next gain is a secant step (:func:`next_gain`) until
   the loudness is within 0.3 LU; the last round's output gets a final true-peak check
   and static trim (the limiter's gain is smooth, so a whisker of overshoot can remain).
   Audio under one 400 ms gating block cannot be measured and is peak-normalized to the
   ceiling, and so is audio whose every block is under the −70 LUFS gate.
3. **Emit.** :meth:`StreamedMaster.chunks` reads the chosen spool back in 10 s chunks
   with the final scalar gain applied — ready for
   :func:`~vorlesen.audio.encode.encode_stream`, which feeds every encoder at once.

**Early.** A render passes its encoders as ``early``: once a third of the utterances
(and 30 s) are joined, the gain is planned on that part (the same limiting rounds), and
from then on the programme is limited as it grows — the limiter looks only a few blocks
ahead and the true-peak map extends with the spool, so each stretch comes out exactly as
from the whole-programme pass at that gain — and sent to the encoders a few chunks per
segment. Encoding then shares the cores with synthesis instead of running alone after
it. At the end the whole is measured; within 0.3 LU of the target with its true peak
under the ceiling it is kept, otherwise the encoders restart and step 2 runs as usual.

Guarantees: −16 ± 1 LUFS integrated (ITU-R BS.1770-4 gated; the same meter as
pyloudnorm; −16 LUFS is the common podcast/spoken-word norm) for speech, true peak ≤ the
ceiling (4× oversampled) always, timings at 10 ms resolution. A signal whose every cycle
is a peak (an impulse train) cannot be made louder by a limiter; it then ends up quieter,
and ``loudness_lufs`` says so.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from vorlesen.audio.join import join_segments
from vorlesen.audio.limiter import limited_blocks, limited_chunks, reach_blocks
from vorlesen.audio.loudness import GATE_BLOCK, LoudnessMeter, measure_loudness
from vorlesen.audio.peaks import BLOCK, PeakMap, measure_true_peak, to_db
from vorlesen.audio.spool import Spool
from vorlesen.errors import AudioError
from vorlesen.models import AudioArray, Segment, Timing, Utterance

__all__ = ["EarlySink", "StreamedMaster", "next_gain", "streaming_master"]

STREAM_CHUNK_SECONDS = 10.0
"""Length of the chunks read back from the spool (a 10 s float32 chunk at 22 kHz is
under 1 MB; large enough that per-chunk overhead is negligible)."""
_TRIM = 10.0 ** (-0.01 / 20.0)
"""Static peak trims aim 0.01 dB under the ceiling, so float32 rounding cannot cross it."""
_LIMITER_MARGIN_DB = 0.2
"""The limiter aims this far below the ceiling; its smooth gain is a close approximation."""
_LOUDNESS_TOLERANCE = 0.3
"""Stop iterating once within this many LU of the target (the contract is ±1 LU)."""
_MAX_ROUNDS = 8
_MIN_SLOPE = 0.05
"""Smallest loudness change per dB of gain the secant step believes (a limiter that
absorbs everything would otherwise send the gain to infinity)."""
EARLY_AFTER = 0.3
"""Share of the utterances joined before an early master starts (its gain is measured on
them; speech of one voice is as loud at the end as after a third)…"""
EARLY_MIN_SECONDS = 30.0
"""…and the least audio it starts on."""
_EARLY_CHUNKS_PER_STEP = 2
"""Chunks mastered and chunks encoded per joined segment while an early master catches
up, so the render hands the workers their next utterances without a long wait."""


class EarlySink(Protocol):
    """Where an early master sends the mastered programme while synthesis goes on (the
    render's :class:`~vorlesen.audio.encode.Encoders`)."""

    def write(self, chunk: AudioArray, sample_rate: int) -> None:
        """The next mastered samples (the sink may modify ``chunk``)."""
        ...

    def restart(self) -> None:
        """Forget everything written: the programme is mastered again from the start."""
        ...


@dataclass(frozen=True)
class StreamedMaster:
    """A mastered programme that lives on disk until :meth:`chunks` reads it out."""

    sample_rate: int
    samples: int
    timings: tuple[Timing, ...]
    loudness_lufs: float
    """Integrated loudness after mastering (for audio under 0.4 s: of the clip looped)."""
    true_peak_db: float
    """True peak after mastering, dBTP (4× oversampled)."""
    _read: Callable[[], Iterator[AudioArray]]
    delivered: bool = False
    """The early sink already holds the whole mastered programme (the early master was
    kept); otherwise nothing is in it and :meth:`chunks` is the programme to encode."""

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
    early: EarlySink | None = None,
) -> Iterator[StreamedMaster]:
    """Join ``segments`` into one programme with uniform pauses
    (:func:`~vorlesen.audio.join.join_segments`) and bring it to ``target_lufs`` with
    its true peak at or below ``true_peak_db``, spooling to temporary files in
    ``directory`` (the system's temporary directory by default); yield the result,
    readable chunk by chunk inside the ``with`` block. The temporary files are gone
    when it ends.

    With ``early``, mastering starts before the last segment arrives: once
    :data:`EARLY_AFTER` of the utterances (and :data:`EARLY_MIN_SECONDS`) are joined, the
    gain is measured on them (limiting rounds on that part, as the whole-programme plan
    does) and the programme is limited and sent to ``early`` as it grows, so encoding runs
    alongside synthesis instead of after it. At the end the result is measured: within
    0.3 LU of the target with its true peak under the ceiling, it is kept
    (:attr:`StreamedMaster.delivered`); otherwise ``early`` is restarted and the
    programme is mastered as a whole, as without ``early``.

    Raises:
        AudioError: ``bad_target`` for a target that is not a number, ``no_audio`` when
            there is nothing to master, ``silent_audio`` when everything is silence,
            ``segment_mismatch`` / ``bad_samples`` as :func:`join_segments` documents,
            ``spool_failed`` when the temporary file cannot be written.
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
        ahead: _Early | None = None
        for sample_rate, part in join_segments(
            segments, utterances, timings, edge_silence=edge_silence
        ):
            if meter is None:
                meter = LoudnessMeter(sample_rate)
                if early is not None:
                    ahead = _Early(early, source, limited, sample_rate, target_lufs, true_peak_db)
            meter.add(part)
            source.append(part)
            audible = audible or bool(np.any(part))
            if ahead is not None:
                ahead.step(meter, len(timings) / max(1, len(utterances)))
        if meter is None or len(source) == 0:
            raise AudioError(
                "There is no audio to master: no segments were given.", reason="no_audio"
            )
        if not audible:
            raise AudioError("The synthesized audio is completely silent.", reason="silent_audio")
        kept = ahead.finish() if ahead is not None else None
        if kept is None:
            peaks = ahead.peaks if ahead is not None else None
            read, loudness, peak = _plan(
                source, limited, meter, sample_rate, target_lufs, true_peak_db, peaks
            )
        else:
            read, loudness, peak = kept
        yield StreamedMaster(
            sample_rate=sample_rate,
            samples=len(source),
            timings=tuple(timings),
            loudness_lufs=loudness,
            true_peak_db=peak,
            _read=read,
            delivered=kept is not None,
        )


def next_gain(
    gain_db: float,
    loudness: float,
    previous: tuple[float, float] | None,
    target_lufs: float,
) -> tuple[float, tuple[float, float]]:
    """The next gain to try after a limited round, and this round to remember.

    Secant step: the limiter absorbs part of each added dB, so the loudness gained per dB
    of gain is measured from the last two rounds (1 before there are two).
    """
    slope = 1.0
    if previous is not None and gain_db != previous[0]:
        slope = (loudness - previous[1]) / (gain_db - previous[0])
    step = (target_lufs - loudness) / min(1.0, max(_MIN_SLOPE, slope))
    return gain_db + step, (gain_db, loudness)


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
    peaks: PeakMap | None = None,
) -> tuple[Callable[[], Iterator[AudioArray]], float, float]:
    """Decide the gain (and limiting) that brings the spooled programme to the target.
    Returns the reader of the mastered programme, its loudness and its true peak (dBTP).

    The input is measured once (``meter``, the true-peak map); a pure gain is never
    re-measured. The envelope of a gained signal is the gained envelope, so the map's
    exact envelope maxima serve every limiting round (``peaks``, when an early master
    already mapped the whole source).
    """
    chunk = _chunk_samples(sample_rate)
    ceiling = 10.0 ** (ceiling_db / 20.0)
    if peaks is None:
        peaks = PeakMap(source)
    peaks.extend()
    peak = peaks.true_peak()
    if len(source) < GATE_BLOCK * sample_rate:
        # Too short for gated loudness: peak-normalize to the ceiling, measure the clip.
        gain = ceiling / peak * _TRIM
        clip = source.read(0, len(source)) * np.float32(gain)
        loudness_lufs = measure_loudness(clip, sample_rate)
        return _reader(source, gain, chunk), loudness_lufs, measure_true_peak(clip, sample_rate)
    loudness = meter.loudness()
    if not math.isfinite(loudness):  # everything below the absolute gate
        gain = ceiling / peak * _TRIM
        return _reader(source, gain, chunk), meter.loudness(gain), to_db(peak * gain)
    limit_to = _limit_to(ceiling)
    gain_db = target_lufs - loudness
    previous: tuple[float, float] | None = None  # (gain dB, loudness) of the last round
    out_meter = meter
    for _ in range(_MAX_ROUNDS):
        gain = 10.0 ** (gain_db / 20.0)
        if gain * peak <= ceiling:  # a pure gain: loudness and peak follow exactly
            return _reader(source, gain, chunk), meter.loudness(gain), to_db(peak * gain)
        limited.clear()
        out_meter = LoudnessMeter(sample_rate)
        for piece in limited_chunks(source, peaks, gain, limit_to, sample_rate, chunk):
            out_meter.add(piece)
            limited.append(piece)
        loudness = out_meter.loudness()
        if abs(loudness - target_lufs) <= _LOUDNESS_TOLERANCE:
            break
        gain_db, previous = next_gain(gain_db, loudness, previous, target_lufs)
    del peaks  # its kept envelope maxima are not needed any more
    final = PeakMap(limited).true_peak()
    trim = 1.0
    if final > ceiling:
        trim = ceiling / final * _TRIM
        final *= trim
        loudness = out_meter.loudness(trim)
    return _reader(limited, trim, chunk), loudness, to_db(final)


def _chunk_samples(sample_rate: int) -> int:
    """Samples per chunk read back or limited at once: about
    :data:`STREAM_CHUNK_SECONDS`, a whole number of true-peak blocks."""
    return BLOCK * max(1, round(STREAM_CHUNK_SECONDS * sample_rate / BLOCK))


def _limit_to(ceiling: float) -> float:
    """Where the limiter aims, linear: :data:`_LIMITER_MARGIN_DB` under ``ceiling``."""
    return float(ceiling * 10.0 ** (-_LIMITER_MARGIN_DB / 20.0))


class _Early:
    """The early master of one :func:`streaming_master` run: gain chosen on the first part
    of the programme, the limiter run over the spool as it grows (bit for bit what it
    gives over the whole programme: it only looks a few blocks ahead), its output spooled
    to ``limited``, measured, and sent on to ``sink`` — a few chunks per joined segment."""

    def __init__(
        self,
        sink: EarlySink,
        source: Spool,
        limited: Spool,
        sample_rate: int,
        target_lufs: float,
        ceiling_db: float,
    ) -> None:
        self.sink = sink
        self.source = source
        self.limited = limited
        self.sample_rate = sample_rate
        self.target = target_lufs
        self.ceiling = 10.0 ** (ceiling_db / 20.0)
        self.limit_to = _limit_to(self.ceiling)
        self.peaks: PeakMap | None = None
        """The true-peak map of the source, once started (kept for a fallback plan)."""
        self.out_peaks: PeakMap | None = None
        """The true-peak map of ``limited``, kept up as it grows: its peak is known when
        the last segment arrives instead of measured then."""
        self.gain = 0.0
        self.meter = LoudnessMeter(sample_rate)
        """Loudness of the limited output so far."""
        self._chunk = _chunk_samples(sample_rate) // BLOCK
        self._reach = reach_blocks(sample_rate) + 2
        self._done = 0
        """Blocks limited (and in ``limited``) so far."""
        self._sent = 0
        """Samples of ``limited`` sent to the sink so far."""

    def step(self, meter: LoudnessMeter, joined: float) -> None:
        """A segment was joined (``joined``: share of the utterances so far): start when
        there is enough to measure, else master and send a few more chunks."""
        if self.peaks is None:
            if joined < EARLY_AFTER or len(self.source) < EARLY_MIN_SECONDS * self.sample_rate:
                return
            loudness = meter.loudness()
            if not math.isfinite(loudness):
                return
            self.peaks = PeakMap(self.source)
            self._calibrate(self.target - loudness)
            self.out_peaks = PeakMap(self.limited)
        self._advance(_EARLY_CHUNKS_PER_STEP)
        assert self.out_peaks is not None
        self.out_peaks.extend()
        self.out_peaks.true_peak()  # the blocks that may hold it, measured while they are new

    def finish(self) -> tuple[Callable[[], Iterator[AudioArray]], float, float] | None:
        """Master and send the rest; the reader, loudness and true peak of the kept early
        master, or ``None`` (the sink restarted) when it missed the target or never
        started."""
        if self.peaks is None:
            return None
        self._advance(None, final=True)
        loudness = self.meter.loudness()
        assert self.out_peaks is not None
        self.out_peaks.extend()
        peak = self.out_peaks.true_peak()
        if abs(loudness - self.target) <= _LOUDNESS_TOLERANCE and peak <= self.ceiling:
            return _reader(self.limited, 1.0, self._chunk * BLOCK), loudness, to_db(peak)
        self.sink.restart()
        self.limited.clear()
        return None

    def _calibrate(self, gain_db: float) -> None:
        """Limiting rounds over what is there (the plan's secant steps), until the limited
        part is within half the tolerance of the target."""
        previous: tuple[float, float] | None = None
        for _ in range(_MAX_ROUNDS):
            self.gain = 10.0 ** (gain_db / 20.0)
            self.limited.clear()
            self.meter = LoudnessMeter(self.sample_rate)
            self._done = 0
            self._limit(None, final=False)
            loudness = self.meter.loudness()
            if not math.isfinite(loudness) or abs(loudness - self.target) <= (
                _LOUDNESS_TOLERANCE / 2
            ):
                return
            gain_db, previous = next_gain(gain_db, loudness, previous, self.target)

    def _advance(self, chunks: int | None, *, final: bool = False) -> None:
        """Limit up to ``chunks`` more chunks (``None``: all that can be) and send up to as
        many; ``final``: the programme is complete, limit and send the rest."""
        self._limit(chunks, final=final)
        end = len(self.limited) if chunks is None else self._sent + chunks * self._chunk * BLOCK
        while self._sent < min(end, len(self.limited)):
            piece = self.limited.read(self._sent, min(end, self._sent + self._chunk * BLOCK))
            self.sink.write(piece, self.sample_rate)
            self._sent += len(piece)

    def _limit(self, chunks: int | None, *, final: bool) -> None:
        """Limit up to ``chunks`` whole chunks (``None``: no limit) whose look-ahead the
        source already holds; ``final``: the source is complete, so everything."""
        peaks = self.peaks
        assert peaks is not None
        peaks.extend()
        n = len(self.source)
        count = 0
        while self._done < peaks.blocks and (chunks is None or count < chunks):
            last = min(peaks.blocks, self._done + self._chunk)
            if not final and (last + self._reach) * BLOCK > n:
                return
            piece = limited_blocks(
                self.source,
                peaks,
                self.gain,
                self.limit_to,
                self.sample_rate,
                self._done,
                last,
            )
            self.meter.add(piece)
            self.limited.append(piece)
            self._done = last
            count += 1
