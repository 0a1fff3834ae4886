"""Mastering: join utterance segments with uniform pauses, then set loudness and peak.

What happens, in order:

1. Each segment's leading and trailing near-silence is trimmed to ``edge_silence``
   seconds (padded with digital silence when the engine left less), so the gap between
   two sentences is decided by the script's ``pause_after`` and not by how much silence
   the engine happened to emit.
2. ``pause_after`` seconds of silence follow each utterance (the speak stage picks them:
   longer after headline, dateline and paragraphs than between sentences).
3. A :class:`~vorlesen.models.Timing` per utterance records where its speech starts and
   ends in the joined audio (resolution: one 10 ms analysis frame).
4. The whole is normalized to ``target_lufs`` integrated loudness (ITU-R BS.1770-4,
   gated; the same meter as pyloudnorm, to ~1e-5 LU; −16 LUFS is the common
   podcast/spoken-word norm) and the true peak (4× oversampled) is held at or below
   ``true_peak_db`` dBTP by a look-ahead limiter. Limiting lowers loudness a little, so
   gain and limiting alternate a few rounds until both hold. The ceiling is a hard
   guarantee; the loudness target is met for speech (sparse peaks). A signal whose every
   cycle is a peak (an impulse train) cannot be made louder by a limiter; it then ends up
   quieter, and ``Mastered.loudness_lufs`` says so.

Why it is fast and lean (3 minutes of speech in well under half a second, memory a few
times the float32 programme): the signal is K-weighted and squared once per measurement,
in float32, chunk by chunk; a pure gain shifts loudness exactly, so it is never
re-measured; true peak is oversampled only in blocks where a cheap rigorous bound says it
can matter (see :class:`_PeakMap`); the limiter works only on the runs of blocks around
samples over the ceiling; nothing is converted to float64 wholesale.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Protocol

import numpy as np
import numpy.typing as npt

from vorlesen.errors import AudioError
from vorlesen.models import AudioArray, Segment, Timing, Utterance, WordTiming
from vorlesen.words import spoken_words

__all__ = ["Mastered", "master", "measure_loudness", "measure_true_peak"]

FloatArray = npt.NDArray[np.float64]

_FRAME_SECONDS = 0.010
"""Analysis frame for silence detection; sets the timing resolution (10 ms ≪ 50 ms)."""
_SILENCE_REL_DB = -40.0
"""A frame is speech when its RMS is within 40 dB of the segment's loudest frame…"""
_SILENCE_ABS_DB = -80.0
"""…and above −80 dBFS, so dither or denormal noise in an otherwise silent segment is not
speech, while very quiet (un-normalized) engine output still is."""
_OVERSAMPLE = 4
"""True-peak oversampling factor (ITU-R BS.1770-4 Annex 2 asks for at least 4× at 48 kHz)."""
_TP_BLOCK = 256
"""Samples per true-peak block (11.6 ms at 22,050 Hz): small enough that quiet stretches
are skipped, large enough that per-block bookkeeping stays negligible."""
_TP_REACH = 10
"""resample_poly(x, 4, 1) uses a 81-tap filter: each output reaches 10 input samples."""
_TP_BATCH = 1024
"""Blocks oversampled per batch (~1 MB of float32 temporaries)."""
_TP_SLACK = 1e-4
"""Relative headroom on the block bound, far above float32 rounding of the computation."""
_CHUNK = 1 << 18
"""Samples per chunk when filtering or scanning, so temporaries stay small."""
_GATE_BLOCK = 0.4
"""BS.1770 gating block, seconds."""
_GATE_OVERLAP = 0.75
"""Overlap of consecutive gating blocks (a 100 ms hop)."""
_ABS_GATE = -70.0
"""Absolute gate, LUFS."""
_REL_GATE = -10.0
"""Relative gate, LU below the absolute-gated loudness."""
_TRIM = 10.0 ** (-0.01 / 20.0)
"""Static peak trims aim 0.01 dB under the ceiling, so float32 rounding cannot cross it."""
_MIN_LOUDNESS_SECONDS = _GATE_BLOCK
"""One gating block; shorter audio cannot be measured and is peak-normalized."""
_LIMITER_ATTACK = 0.005
"""Look-ahead / attack of the limiter, seconds: short enough to catch a plosive cleanly."""
_LIMITER_HOLD = 0.030
"""How long gain reduction is held after a peak, so the release does not flutter."""
_LIMITER_MARGIN_DB = 0.2
"""The limiter aims this far below the ceiling; its smooth gain is a close approximation."""
_LOUDNESS_TOLERANCE = 0.3
"""Stop iterating once within this many LU of the target (the contract is ±1 LU)."""
_MAX_ROUNDS = 8
_MIN_SLOPE = 0.05
"""Smallest loudness change per dB of gain the secant step believes (a limiter that
absorbs everything would otherwise send the gain to infinity)."""


@dataclass(frozen=True, slots=True)
class Mastered:
    """The finished programme: one mono float32 signal, where each utterance sits in it,
    and the loudness actually reached."""

    audio: AudioArray
    sample_rate: int
    timings: tuple[Timing, ...]
    loudness_lufs: float
    """Integrated loudness after mastering (for audio under 0.4 s: of the clip looped)."""
    true_peak_db: float
    """True peak after mastering, dBTP (4× oversampled)."""

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.audio) / self.sample_rate


def master(
    segments: Iterable[Segment],
    utterances: Sequence[Utterance],
    *,
    target_lufs: float = -16.0,
    true_peak_db: float = -1.0,
    edge_silence: float = 0.05,
) -> Mastered:
    """Join ``segments`` into one programme with uniform pauses, at the target loudness.

    ``segments`` arrive in order; each is matched to the utterance with the same
    ``index`` (falling back to position in ``utterances``). Segments at a different sample
    rate from the first are resampled to it.

    Raises:
        AudioError: ``no_audio`` when there is nothing to master, ``segment_mismatch``
            when a segment has no utterance, ``bad_samples`` for NaN/inf or an invalid
            sample rate, ``silent_audio`` when everything is silence.
    """
    if not math.isfinite(target_lufs) or not math.isfinite(true_peak_db):
        raise AudioError(
            f"Loudness target {target_lufs} LUFS / ceiling {true_peak_db} dBTP is not a number.",
            reason="bad_target",
        )
    timings: list[Timing] = []
    chunks: list[AudioArray] = []
    rates: set[int] = set()
    for rate, part in join_segments(segments, utterances, timings, edge_silence=edge_silence):
        rates.add(rate)
        chunks.append(part)
    sample_rate = max(rates, default=0)
    position = sum(len(c) for c in chunks)
    if not chunks or position == 0:
        raise AudioError("There is no audio to master: no segments were given.", reason="no_audio")
    audio = np.concatenate(chunks).astype(np.float32, copy=False)
    if not np.any(audio):
        raise AudioError("The synthesized audio is completely silent.", reason="silent_audio")

    audio, loudness, peak = _normalize(audio, sample_rate, target_lufs, true_peak_db)
    return Mastered(
        audio=audio,
        sample_rate=sample_rate,
        timings=tuple(timings),
        loudness_lufs=loudness,
        true_peak_db=peak,
    )


def join_segments(
    segments: Iterable[Segment],
    utterances: Sequence[Utterance],
    timings: list[Timing],
    *,
    edge_silence: float = 0.05,
) -> Iterator[tuple[int, AudioArray]]:
    """The joined programme as ``(sample_rate, part)`` pieces, in order: each segment
    trimmed to ``edge_silence`` at both ends and followed by its utterance's pause.

    A :class:`Timing` per utterance is appended to ``timings`` as its segment is joined, so
    a streaming consumer never needs the whole programme. Shared by :func:`master` (which
    concatenates the pieces) and the streaming renderer (which spools them to disk).

    Raises:
        AudioError: ``segment_mismatch`` / ``bad_samples`` as :func:`master` documents.
    """
    by_index = {u.index: u for u in utterances}
    margin_s = max(0.0, edge_silence)
    sample_rate = 0
    position = 0  # samples yielded so far
    for pos, segment in enumerate(segments):
        utterance = by_index.get(segment.index)
        if utterance is None and pos < len(utterances):
            utterance = utterances[pos]
        if utterance is None:
            raise AudioError(
                f"Audio segment {segment.index} has no matching utterance in the script.",
                reason="segment_mismatch",
            )
        if sample_rate == 0:
            sample_rate = _checked_rate(segment)
        samples = _mono(segment)
        if segment.sample_rate != sample_rate:
            samples = _resample(samples, _checked_rate(segment), sample_rate)
        margin = round(margin_s * sample_rate)
        lo, hi = _speech_bounds(samples, sample_rate)
        if hi <= lo:  # nothing but silence: keep the slot, no speech
            lo = hi = 0
        # Keep up to `margin` of the engine's own lead-in/decay, pad the rest with zeros;
        # one allocation per utterance: lead, body, tail and pause written in place.
        lead_src = samples[max(0, lo - margin) : lo]
        tail_src = samples[hi : hi + margin]
        pause = round(max(0.0, utterance.pause_after) * sample_rate)
        body = hi - lo
        part = np.zeros(margin + body + margin + pause, dtype=np.float32)
        part[margin - len(lead_src) : margin] = lead_src
        part[margin : margin + body] = samples[lo:hi]
        part[margin + body : margin + body + len(tail_src)] = tail_src
        start = position + margin
        heard_end = position + margin + body + len(tail_src)
        words = _word_timings(utterance, segment, lo - margin, position, heard_end, sample_rate)
        timings.append(
            Timing(
                index=utterance.index,
                start=start / sample_rate,
                end=(start + body) / sample_rate,
                written=utterance.written,
                spoken=utterance.spoken,
                paragraph=utterance.block,
                kind=utterance.kind,
                char_start=utterance.start,
                char_end=utterance.end,
                words=words,
            )
        )
        position += len(part)
        yield sample_rate, part


_EDGE_PUNCTUATION = ".,;:!?…\"'„“”‚‘’»«()–—-"
"""Stripped from a spoken word's ends in the timings (the word, not the pause mark)."""


def _word_timings(
    utterance: Utterance,
    segment: Segment,
    shift: int,
    position: int,
    heard_end: int,
    sample_rate: int,
) -> tuple[WordTiming, ...]:
    """The utterance's written tokens placed in the programme.

    ``shift`` is how many samples of the segment's start were cut (negative: silence was
    added in front), ``position`` where the segment's part starts in the programme and
    ``heard_end`` where its sound ends (its pause follows). Word times are clamped into
    that span, so a word never spills into the pause or the next utterance.
    Nothing when the engine gave no times or they do not fit the utterance's words.
    """
    spans = spoken_words(utterance.spoken)
    if not segment.words or len(segment.words) != len(spans) or not utterance.words:
        return ()
    rate = float(sample_rate)
    lo, hi = position / rate, heard_end / rate

    def place(t: float) -> float:
        return min(hi, max(lo, lo + t - shift / rate))

    out: list[WordTiming] = []
    for token in utterance.words:
        times = segment.words[token.first : token.first + token.count]
        if not times:
            continue
        a, b = token.start - utterance.start, token.end - utterance.start
        spoken = " ".join(
            utterance.spoken[x:y].strip(_EDGE_PUNCTUATION) or utterance.spoken[x:y]
            for x, y in spans[token.first : token.first + token.count]
        )
        out.append(
            WordTiming(
                start=place(times[0].start),
                end=place(max(times[-1].end, times[0].start)),
                written=utterance.written[a:b],
                spoken=spoken,
                char_start=token.start,
                char_end=token.end,
            )
        )
    return tuple(out)


# ── measuring ───────────────────────────────────────────────────────────────────────────


def measure_true_peak(audio: npt.NDArray[np.floating], sample_rate: int) -> float:
    """True peak of ``audio`` in dBTP: the sample peak after 4× polyphase oversampling.

    The oversampling filter is scipy's ``resample_poly(x, 4, 1)``; only the blocks whose
    bound can reach the running maximum are oversampled (see :class:`_PeakMap`), so the
    result equals the whole-signal computation. ``sample_rate`` is accepted for symmetry
    with :func:`measure_loudness`; the oversampling factor is fixed. Silence gives
    ``-inf``.
    """
    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    peak = _PeakMap(x).true_peak() if len(x) else 0.0
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def measure_loudness(audio: npt.NDArray[np.floating], sample_rate: int) -> float:
    """Integrated loudness (LUFS, ITU-R BS.1770-4 gated) of mono ``audio``.

    Same K-weighting, 400 ms blocks at 75 % overlap and −70 LUFS / −10 LU gates as
    pyloudnorm's ``Meter.integrated_loudness``, computed in float64 (agrees to ~1e-9 LU).
    Audio shorter than the 400 ms gating block is measured looped to that length, which
    approximates the loudness of the clip itself. Silence gives ``-inf``.
    """
    x = np.asarray(audio).reshape(-1)
    if len(x) == 0 or not np.any(x):
        return -math.inf
    need = math.ceil(_GATE_BLOCK * sample_rate) + 1
    if len(x) < need:
        x = np.tile(x, math.ceil(need / len(x)))
    return _gated_loudness(_block_powers(x, sample_rate, np.float64))


def _k_weighting(sample_rate: int, dtype: type[np.floating]) -> npt.NDArray[np.floating]:
    """The BS.1770 K-weighting as second-order sections: the pre-filter (a +4 dB high
    shelf at 1.5 kHz) then the RLB high-pass at 38 Hz, designed for any rate with the
    Audio-EQ-Cookbook formulas exactly as pyloudnorm designs them."""
    # High shelf: G = 4 dB, Q = 1/√2, fc = 1500 Hz.
    a_ = 10.0 ** (4.0 / 40.0)
    w0 = 2.0 * math.pi * 1500.0 / sample_rate
    alpha = math.sin(w0) / (2.0 * (1.0 / math.sqrt(2.0)))
    cos, root = math.cos(w0), 2.0 * math.sqrt(a_) * alpha
    shelf_b = [
        a_ * ((a_ + 1) + (a_ - 1) * cos + root),
        -2 * a_ * ((a_ - 1) + (a_ + 1) * cos),
        a_ * ((a_ + 1) + (a_ - 1) * cos - root),
    ]
    shelf_a = [(a_ + 1) - (a_ - 1) * cos + root, 2 * ((a_ - 1) - (a_ + 1) * cos)]
    shelf_a.append((a_ + 1) - (a_ - 1) * cos - root)
    # High pass: Q = 0.5, fc = 38 Hz.
    w0 = 2.0 * math.pi * 38.0 / sample_rate
    alpha = math.sin(w0) / (2.0 * 0.5)
    cos = math.cos(w0)
    hp_b = [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2]
    hp_a = [1 + alpha, -2 * cos, 1 - alpha]
    sos = np.array(
        [
            [*(v / shelf_a[0] for v in shelf_b), *(v / shelf_a[0] for v in shelf_a)],
            [*(v / hp_a[0] for v in hp_b), *(v / hp_a[0] for v in hp_a)],
        ]
    )
    return sos.astype(dtype)


def _block_powers(
    x: npt.NDArray[np.floating], sample_rate: int, dtype: type[np.floating]
) -> FloatArray:
    """Mean square of the K-weighted signal per 400 ms gating block (75 % overlap).

    Block ``j`` spans samples ``[int(0.1·j·rate), int(0.1·(j+4)·rate))`` computed with the
    same floating-point expressions as pyloudnorm, and the number of blocks is its
    ``round((T − 0.4) / 0.1) + 1``; so each block is the sum of four 100 ms hops, and the
    signal is filtered and squared once, hop-aligned chunk by chunk (the filter state
    carried across), instead of per block. ``dtype`` is the filtering precision: float32
    for mastering (twice as fast, ~1e-5 LU off), float64 for :func:`measure_loudness`.
    """
    from scipy.signal import sosfilt  # scipy loads on first use: importing it costs ~0.8 s

    n = len(x)
    step = 1.0 - _GATE_OVERLAP
    n_blocks = int(np.round((n / sample_rate - _GATE_BLOCK) / (_GATE_BLOCK * step))) + 1
    if n_blocks < 1:
        return np.zeros(0)
    hops = np.arange(n_blocks + 4, dtype=np.int64)
    bounds = np.minimum((_GATE_BLOCK * (hops * step) * sample_rate).astype(np.int64), n)
    sos = _k_weighting(sample_rate, dtype)
    state = np.zeros((sos.shape[0], 2), dtype=dtype)
    hop_energy = np.zeros(len(bounds) - 1)
    per_chunk = max(1, _CHUNK // max(1, int(bounds[1] - bounds[0])))
    for first in range(0, len(bounds) - 1, per_chunk):
        last = min(len(bounds) - 1, first + per_chunk)
        lo, hi = int(bounds[first]), int(bounds[last])
        if hi <= lo:
            break  # the remaining hops lie past the end of the signal
        weighted, state = sosfilt(sos, np.asarray(x[lo:hi], dtype=dtype), zi=state)
        np.square(weighted, out=weighted)
        starts = bounds[first:last] - lo
        # Hops clipped at the end of the signal are empty (a suffix); reduceat cannot
        # express an empty range, so it sees only the others and they stay zero.
        inside = starts[starts < hi - lo]
        hop_energy[first : first + len(inside)] = np.add.reduceat(
            weighted, inside, dtype=np.float64
        )
    blocks = hop_energy[:n_blocks] + hop_energy[1 : n_blocks + 1]
    blocks += hop_energy[2 : n_blocks + 2] + hop_energy[3 : n_blocks + 3]
    return blocks / (_GATE_BLOCK * sample_rate)


def _gated_loudness(powers: FloatArray, gain: float = 1.0) -> float:
    """Integrated loudness from block mean squares, after a linear ``gain``: the absolute
    (−70 LUFS) then relative (−10 LU) gates of BS.1770-4, as pyloudnorm applies them
    (``≥`` for the first absolute gate, ``>`` for both in the final selection). A pure
    gain scales every block power, so loudness after a gain needs no re-filtering."""
    z = powers * (gain * gain)
    with np.errstate(divide="ignore"):
        block_lufs = -0.691 + 10.0 * np.log10(z)
    above = z[block_lufs >= _ABS_GATE]
    if len(above) == 0:
        return -math.inf
    relative = -0.691 + 10.0 * math.log10(float(np.mean(above))) + _REL_GATE
    kept = z[(block_lufs > relative) & (block_lufs > _ABS_GATE)]
    mean = float(np.mean(kept)) if len(kept) else 0.0
    return -0.691 + 10.0 * math.log10(mean) if mean > 0 else -math.inf


# ── true peak ───────────────────────────────────────────────────────────────────────────


@cache
def _oversampling_phases() -> tuple[npt.NDArray[np.float32], float, FloatArray, FloatArray]:
    """The 4× interpolator of ``resample_poly(x, 4, 1)`` split into its phases, and the
    constants of the bound :class:`_PeakMap` uses to skip blocks.

    Returns ``(kernels, centre, lin, curv)``: ``kernels[p - 1]`` is the 21-tap kernel
    giving output phase ``p`` (1–3) by convolution; phase 0 is ``centre · x[n]``. Each
    phase is split as ``h_p = r_p + (1 − z⁻¹)² q_p`` with ``r_p`` two taps on the
    neighbouring samples (matching ``h_p``'s sum and first moment) — the linear
    interpolation — so ``|y_p[n]| ≤ lin[p]·max|x| + curv[p]·max|Δ²x|`` over the ±11
    samples around ``n``. For speech, whose energy sits far below Nyquist, ``Δ²x`` is
    small and the bound is within a fraction of a dB of the sample peak.

    Computed on first use (the filter design needs scipy), then cached.
    """
    from scipy.signal import resample_poly

    reach = _TP_REACH
    impulse = np.zeros(4 * reach, dtype=np.float64)
    impulse[2 * reach] = 1.0
    response = resample_poly(impulse, _OVERSAMPLE, 1)
    delays = np.arange(-reach, reach + 1)
    taps = np.array(
        [[response[_OVERSAMPLE * (2 * reach + d) + p] for d in delays] for p in range(4)]
    )
    lin = np.empty(4)
    curv = np.empty(4)
    for p in range(4):
        total, moment = float(taps[p].sum()), float((delays * taps[p]).sum())
        rest = taps[p].copy()
        rest[reach] -= total + moment  # weight on x[n]
        rest[reach - 1] -= -moment  # weight on x[n + 1]
        lin[p] = abs(total + moment) + abs(moment)
        q = np.cumsum(np.cumsum(rest))
        curv[p] = float(np.abs(q).sum())
    return taps[1:].astype(np.float32), float(abs(taps[0][reach])), lin, curv


class SampleSource(Protocol):
    """Read access to a mono float32 signal that need not be in memory (an array, or the
    spool file of a streaming render): what the true-peak map and limiter need."""

    def __len__(self) -> int: ...

    def read(self, lo: int, hi: int) -> AudioArray:
        """Samples ``[lo, hi)`` (``0 ≤ lo ≤ hi ≤ len``)."""
        ...

    def rows(self, blocks: npt.NDArray[np.int64], ctx: int) -> AudioArray:
        """Per block ``b`` of ``blocks``, samples ``[b·B − ctx, (b+1)·B + ctx)`` with
        ``B = _TP_BLOCK``, zeros outside the signal: shape ``(len(blocks), B + 2·ctx)``."""
        ...


class ArraySource:
    """A :class:`SampleSource` over an in-memory array."""

    def __init__(self, x: AudioArray) -> None:
        self.x = x

    def __len__(self) -> int:
        return len(self.x)

    def read(self, lo: int, hi: int) -> AudioArray:
        return self.x[lo:hi]

    def rows(self, blocks: npt.NDArray[np.int64], ctx: int) -> AudioArray:
        n = len(self.x)
        index = blocks[:, None] * _TP_BLOCK + np.arange(-ctx, _TP_BLOCK + ctx)
        valid = (index >= 0) & (index < n)
        rows: AudioArray = np.where(
            valid, self.x[np.clip(index, 0, max(0, n - 1))], np.float32(0.0)
        ).astype(np.float32, copy=False)
        return rows


def _as_source(x: AudioArray | SampleSource) -> SampleSource:
    return ArraySource(x) if isinstance(x, np.ndarray) else x


class _PeakMap:
    """Where the 4× oversampled peak of a signal can be high, and what it is there.

    The signal is cut into blocks of :data:`_TP_BLOCK` samples. Per block a cheap,
    rigorous upper bound of the true-peak envelope (from the sample peak and the peak
    second difference of the block and its neighbours) decides whether the block needs
    oversampling at all; exact envelopes are computed for the blocks that do, in
    batches, and kept. Exactly as accurate as oversampling everything, at a fraction of
    the cost for speech.
    """

    def __init__(self, x: AudioArray | SampleSource) -> None:
        self.x = _as_source(x)
        self.blocks = -(-len(self.x) // _TP_BLOCK)
        m0, m2 = _block_extremes(self.x)
        m0n, m2n = _with_neighbours(m0), _with_neighbours(m2)
        _, phase0, lin, curv = _oversampling_phases()
        bound = np.maximum(phase0 * m0n, m0n)
        for p in range(1, 4):
            np.maximum(bound, lin[p] * m0n + curv[p] * m2n, out=bound)
        self.bound = (bound * (1.0 + _TP_SLACK)).astype(np.float64)
        """Upper bound of the envelope per block."""
        self.floor = float(np.max(m0, initial=0.0)) * max(1.0, phase0)
        """A lower bound of the true peak: the largest sample, through phase 0."""
        self._slot = np.full(self.blocks, -1, dtype=np.int64)
        self._store = np.empty((0, _TP_BLOCK), dtype=np.float32)
        self._used = 0
        self.exact_max = np.full(self.blocks, np.nan)
        """Exact envelope maximum per block, where computed."""

    def envelope(self, blocks: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """Exact envelope rows ``(len(blocks), _TP_BLOCK)`` of ``blocks``, kept for reuse
        (the limiter asks for the same blocks each round, at another gain)."""
        missing = np.unique(blocks[self._slot[blocks] < 0])
        if len(missing):
            self.reserve(missing)
            for begin in range(0, len(missing), _TP_BATCH):
                part = missing[begin : begin + _TP_BATCH]
                rows = _exact_envelope(self.x, part)
                self._store[self._used : self._used + len(part)] = rows
                self._slot[part] = np.arange(self._used, self._used + len(part))
                self.exact_max[part] = rows.max(axis=1)
                self._used += len(part)
        return self._store[self._slot[blocks]]

    def reserve(self, blocks: npt.NDArray[np.int64]) -> None:
        """Make room in the row store for every block of ``blocks`` not yet in it."""
        missing = len(np.unique(blocks[self._slot[blocks] < 0]))
        if self._used + missing > len(self._store):  # grow to exactly what is needed
            grown = np.empty((self._used + missing, _TP_BLOCK), dtype=np.float32)
            grown[: self._used] = self._store[: self._used]
            self._store = grown

    def maxima(self, blocks: npt.NDArray[np.int64]) -> FloatArray:
        """Exact envelope maximum of each of ``blocks`` (rows are not kept)."""
        missing = np.unique(blocks[np.isnan(self.exact_max[blocks])])
        for begin in range(0, len(missing), _TP_BATCH):
            part = missing[begin : begin + _TP_BATCH]
            self.exact_max[part] = _exact_envelope(self.x, part).max(axis=1)
        return self.exact_max[blocks]

    def true_peak(self) -> float:
        """The exact maximum of the envelope: blocks in falling order of their bound,
        oversampled batch by batch until no remaining bound can beat the maximum found."""
        best = self.floor
        order = np.argsort(-self.bound, kind="stable")
        order = order[self.bound[order] > best]
        for begin in range(0, len(order), _TP_BATCH):
            part = order[begin : begin + _TP_BATCH]
            part = part[self.bound[part] > best]
            if len(part) == 0:
                break
            best = max(best, float(np.max(self.maxima(part))))
        return best


def _block_extremes(
    x: SampleSource,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Per block: the largest ``|x|`` and the largest ``|x[n−1] − 2x[n] + x[n+1]|``
    (zeros outside the signal, as the oversampling filter sees it). Chunked: the
    temporaries stay small for a long programme."""
    n = len(x)
    blocks = -(-n // _TP_BLOCK)
    m0 = np.zeros(blocks, dtype=np.float32)
    m2 = np.zeros(blocks, dtype=np.float32)
    chunk = _TP_BLOCK * (_CHUNK // _TP_BLOCK)
    for begin in range(0, n, chunk):
        stop = min(n, begin + chunk)
        width = -(-(stop - begin) // _TP_BLOCK) * _TP_BLOCK
        buf = np.zeros(width + 2, dtype=np.float32)
        lo, hi = max(0, begin - 1), min(n, stop + 1)
        buf[lo - begin + 1 : hi - begin + 1] = x.read(lo, hi)  # buf[i] is sample begin − 1 + i
        body = buf[1 : width + 1]
        d2 = buf[2:] + buf[:-2]
        d2 -= 2.0 * body
        first = begin // _TP_BLOCK
        count = width // _TP_BLOCK
        m0[first : first + count] = np.abs(body).reshape(count, _TP_BLOCK).max(axis=1)
        m2[first : first + count] = np.abs(d2).reshape(count, _TP_BLOCK).max(axis=1)
    return m0, m2


def _with_neighbours(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Per block, the maximum over itself and both neighbours (the filter reaches ±11
    samples, less than a block)."""
    out = values.copy()
    np.maximum(out[1:], values[:-1], out=out[1:])
    np.maximum(out[:-1], values[1:], out=out[:-1])
    return out


def _exact_envelope(x: SampleSource, blocks: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
    """Per sample of ``blocks``, the largest absolute value of the 4× oversampled signal
    in ``[n, n+1)`` (phase 0 is the sample itself, times the filter's centre tap)."""
    from scipy.ndimage import convolve1d

    kernels, phase0, _, _ = _oversampling_phases()
    ctx = _TP_REACH + 1
    rows = x.rows(blocks, ctx)
    env = np.abs(rows[:, ctx:-ctx]) * np.float32(max(1.0, phase0))
    for kernel in kernels:
        phase = convolve1d(rows, kernel, axis=1, mode="constant")[:, ctx:-ctx]
        np.maximum(env, np.abs(phase, out=phase), out=env)
    return env


# ── shaping ─────────────────────────────────────────────────────────────────────────────


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


def _normalize(
    audio: AudioArray, sample_rate: int, target_lufs: float, ceiling_db: float
) -> tuple[AudioArray, float, float]:
    """Bring ``audio`` to ``target_lufs`` with true peak ≤ ``ceiling_db``.

    The input is measured once (K-weighted block powers, true-peak map). A pure gain
    shifts loudness by exactly that gain, so when the gained peak stays under the ceiling
    nothing is re-measured. Otherwise the limiter runs on ``gain · audio`` — the
    envelope of a gained signal is the gained envelope, so exact envelopes are computed
    once and reused — and the result is re-measured; gain and limiting alternate until
    the loudness is within tolerance. Returns the new audio, its loudness and its true
    peak (dBTP).
    """
    ceiling = 10.0 ** (ceiling_db / 20.0)
    if len(audio) < _MIN_LOUDNESS_SECONDS * sample_rate:
        # Too short for gated loudness: peak-normalize to the ceiling.
        peak = _PeakMap(audio).true_peak()
        out = audio * np.float32(ceiling / peak * _TRIM)
        return out, measure_loudness(out, sample_rate), measure_true_peak(out, sample_rate)

    powers = _block_powers(audio, sample_rate, np.float32)
    loudness = _gated_loudness(powers)
    peaks = _PeakMap(audio)
    peak = peaks.true_peak()
    if not math.isfinite(loudness):  # everything below the absolute gate
        gain = ceiling / peak * _TRIM
        return audio * np.float32(gain), _gated_loudness(powers, gain), _db(peak * gain)
    limit_to = ceiling * 10.0 ** (-_LIMITER_MARGIN_DB / 20.0)
    out = np.empty_like(audio)
    gain_db = target_lufs - loudness
    previous: tuple[float, float] | None = None  # (gain dB, loudness) of the last round
    for _ in range(_MAX_ROUNDS):
        gain = 10.0 ** (gain_db / 20.0)
        np.multiply(audio, np.float32(gain), out=out)
        if gain * peak <= ceiling:  # a pure gain: loudness and peak follow exactly
            return out, _gated_loudness(powers, gain), _db(peak * gain)
        _limit(out, peaks, gain, limit_to, sample_rate)
        out_powers = _block_powers(out, sample_rate, np.float32)
        loudness = _gated_loudness(out_powers)
        if abs(loudness - target_lufs) <= _LOUDNESS_TOLERANCE:
            break
        gain_db, previous = next_gain(gain_db, loudness, previous, target_lufs)
    del peaks  # its kept envelopes are not needed any more: free them before measuring
    # The limiter's gain is smooth, so a whisker of overshoot can remain; a final static
    # trim guarantees the ceiling (costing at most a few hundredths of a dB).
    final = _PeakMap(out).true_peak()
    if final > ceiling:
        trim = ceiling / final * _TRIM
        out *= np.float32(trim)
        final *= trim
        loudness = _gated_loudness(out_powers, trim)
    return out, loudness, _db(final)


def _limit(out: AudioArray, peaks: _PeakMap, gain: float, ceiling: float, sample_rate: int) -> None:
    """Look-ahead peak limiter, in place: ``out`` is ``gain ·`` the signal ``peaks``
    maps; a smooth gain curve keeps ``gain · envelope · curve ≤ ceiling``.

    The required gain per sample is ``min(1, ceiling / envelope)``. A sliding minimum
    that looks ``attack`` samples ahead and holds ``hold`` samples back, followed by an
    ``attack``-long moving average, gives a curve that ramps down *before* each peak and
    never exceeds the required gain at the peak. The curve differs from 1 only within
    ``hold + attack`` samples of a sample over the ceiling, so it is computed only on
    runs of blocks around those: elsewhere ``out`` is left as it is. Runs are processed
    in groups; each run starts and ends with ones, so grouping them is exact.
    """
    attack = max(1, round(_LIMITER_ATTACK * sample_rate))
    hold = max(0, round(_LIMITER_HOLD * sample_rate))
    candidates = np.flatnonzero(gain * peaks.bound > ceiling)
    if len(candidates) == 0:
        return
    hits = candidates[gain * peaks.maxima(candidates) > ceiling]
    if len(hits) == 0:
        return
    peaks.reserve(hits)  # rows are computed group by group below, into one allocation
    # Blocks within reach of a hit: a difference array marks them, runs are its edges.
    spread = -(-(hold + attack + 1) // _TP_BLOCK)
    marks = np.zeros(peaks.blocks + 1, dtype=np.int64)
    np.add.at(marks, np.maximum(0, hits - spread), 1)
    np.add.at(marks, np.minimum(peaks.blocks, hits + spread + 1), -1)
    inside = np.concatenate([[0], (np.cumsum(marks[:-1]) > 0).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(inside))
    run_starts, run_stops = edges[0::2], edges[1::2]  # in blocks, stop exclusive
    hit_run = np.searchsorted(run_starts, hits, side="right") - 1

    group: list[int] = []
    size = 0
    for run in range(len(run_starts)):
        group.append(run)
        size += int(run_stops[run] - run_starts[run]) * _TP_BLOCK
        if size >= _CHUNK or run == len(run_starts) - 1:
            _limit_runs(
                out, group, run_starts, run_stops, hits, hit_run, attack, hold, peaks, gain, ceiling
            )
            group, size = [], 0


def _limit_runs(
    out: AudioArray,
    runs: list[int],
    run_starts: npt.NDArray[np.int64],
    run_stops: npt.NDArray[np.int64],
    hits: npt.NDArray[np.int64],
    hit_run: npt.NDArray[np.int64],
    attack: int,
    hold: int,
    peaks: _PeakMap,
    gain: float,
    ceiling: float,
) -> None:
    """Compute the gain curve over a group of runs laid end to end, and apply it. The
    required gain is built from the group's envelope rows only, so temporaries stay the
    size of a group."""
    n = len(out)
    spans = [(int(run_starts[r]) * _TP_BLOCK, min(n, int(run_stops[r]) * _TP_BLOCK)) for r in runs]
    offsets = np.cumsum([0] + [stop - start for start, stop in spans])
    need = np.ones(int(offsets[-1]) + _TP_BLOCK, dtype=np.float32)  # room for a last row
    first, last = np.searchsorted(hit_run, [runs[0], runs[-1] + 1])
    blocks = hits[first:last]
    envelope = peaks.envelope(blocks)
    np.maximum(envelope, np.float32(1e-12), out=envelope)
    required = np.minimum(np.float32(1.0), np.float32(ceiling / gain) / envelope)
    run_of = hit_run[first:last]
    at = offsets[run_of - runs[0]] + (blocks - run_starts[run_of]) * _TP_BLOCK
    for k in range(len(blocks)):
        need[int(at[k]) : int(at[k]) + _TP_BLOCK] = required[k]
    curve = _gain_curve(need[: int(offsets[-1])], attack, hold)
    for (start, stop), offset in zip(spans, offsets, strict=False):
        out[start:stop] *= curve[int(offset) : int(offset) + stop - start]


def _gain_curve(required: npt.NDArray[np.float32], attack: int, hold: int) -> AudioArray:
    """``held[n] = min(required[n − hold … n + attack − 1])`` (ones outside), then
    ``gain[n] = mean(held[n − attack + 1 … n])``, with ``held[0]`` before the start so a
    peak right at the start is caught too."""
    from scipy.ndimage import minimum_filter1d

    size = hold + attack
    ones = np.ones(max(hold, attack), dtype=np.float32)
    padded = np.concatenate([ones[:hold], required, ones[:attack]])
    windowed = minimum_filter1d(padded, size=size, mode="constant", cval=1.0)
    held = windowed[size // 2 : size // 2 + len(required)]
    lead_in = np.full(attack - 1, held[0] if len(held) else 1.0)
    csum = np.concatenate([[0.0], np.cumsum(np.concatenate([lead_in, held]), dtype=np.float64)])
    curve: AudioArray = ((csum[attack:] - csum[:-attack]) / attack).astype(np.float32)
    return curve[: len(required)]


def _db(value: float) -> float:
    return 20.0 * math.log10(value) if value > 0 else -math.inf


def _speech_bounds(samples: AudioArray, sample_rate: int) -> tuple[int, int]:
    """Sample range ``[lo, hi)`` from the first to the last frame that is not near-silence;
    ``(0, 0)`` when the segment is all silence."""
    frame = max(1, round(_FRAME_SECONDS * sample_rate))
    n_frames = math.ceil(len(samples) / frame)
    if n_frames == 0:
        return 0, 0
    padded = np.zeros(n_frames * frame, dtype=np.float64)
    padded[: len(samples)] = samples
    rms = np.sqrt(np.mean(padded.reshape(n_frames, frame) ** 2, axis=1))
    loudest = float(rms.max())
    if loudest <= 0.0:
        return 0, 0
    threshold = max(loudest * 10.0 ** (_SILENCE_REL_DB / 20.0), 10.0 ** (_SILENCE_ABS_DB / 20.0))
    active = np.flatnonzero(rms > threshold)
    if len(active) == 0:
        return 0, 0
    lo = int(active[0]) * frame
    hi = min(len(samples), (int(active[-1]) + 1) * frame)
    # Refine to the first/last sample above the threshold inside the edge frames, so the
    # reported start/end do not depend on where the frame grid happens to fall.
    head = np.flatnonzero(np.abs(samples[lo : lo + frame]) > threshold)
    tail = np.flatnonzero(np.abs(samples[max(lo, hi - frame) : hi]) > threshold)
    if len(head):
        lo += int(head[0])
    if len(tail):
        hi = max(lo, hi - frame) + int(tail[-1]) + 1
    return lo, hi


def _checked_rate(segment: Segment) -> int:
    if segment.sample_rate <= 0:
        raise AudioError(
            f"Audio segment {segment.index} has an invalid sample rate ({segment.sample_rate}).",
            reason="bad_samples",
        )
    return int(segment.sample_rate)


def _mono(segment: Segment) -> AudioArray:
    """The segment's samples as 1-D float32, checked for NaN/inf."""
    samples = np.asarray(segment.audio, dtype=np.float32)
    if samples.ndim == 2:  # (n, channels) or (channels, n): average to mono
        axis = 0 if samples.shape[0] < samples.shape[1] else 1
        samples = samples.mean(axis=axis, dtype=np.float32)
    samples = samples.reshape(-1)
    if not np.all(np.isfinite(samples)):
        raise AudioError(
            f"Audio segment {segment.index} contains invalid samples (NaN or infinity).",
            reason="bad_samples",
        )
    return samples


def _resample(samples: AudioArray, rate_in: int, rate_out: int) -> AudioArray:
    from scipy.signal import resample_poly

    g = math.gcd(rate_in, rate_out)
    return np.asarray(resample_poly(samples, rate_out // g, rate_in // g), dtype=np.float32)
