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
4. The whole is normalized to ``target_lufs`` integrated loudness (ITU-R BS.1770, gated,
   via pyloudnorm; −16 LUFS is the common podcast/spoken-word norm) and the true peak
   (4× oversampled) is held at or below ``true_peak_db`` dBTP by a look-ahead limiter.
   Limiting lowers loudness a little, so gain and limiting alternate a few rounds until
   both hold. The ceiling is a hard guarantee; the loudness target is met for speech
   (sparse peaks). A signal whose every cycle is a peak (an impulse train) cannot be made
   louder by a limiter; it then ends up quieter, and ``Mastered.loudness_lufs`` says so.

Only this module imports ``pyloudnorm``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyloudnorm
from scipy.ndimage import minimum_filter1d
from scipy.signal import resample_poly

from vorlesen.errors import AudioError
from vorlesen.models import AudioArray, Segment, Timing, Utterance

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
_TP_CHUNK = 1 << 18
"""Samples per chunk when measuring true peak, so memory stays flat for long audio."""
_TP_OVERLAP = 64
"""Context samples each side of a chunk; resample_poly's filter reaches ~10 input samples."""
_MIN_LOUDNESS_SECONDS = 0.4
"""pyloudnorm's gating block; shorter audio cannot be measured and is peak-normalized."""
_LIMITER_ATTACK = 0.005
"""Look-ahead / attack of the limiter, seconds: short enough to catch a plosive cleanly."""
_LIMITER_HOLD = 0.030
"""How long gain reduction is held after a peak, so the release does not flutter."""
_LIMITER_MARGIN_DB = 0.2
"""The limiter aims this far below the ceiling; its smooth gain is a close approximation."""
_LOUDNESS_TOLERANCE = 0.3
"""Stop iterating once within this many LU of the target (the contract is ±1 LU)."""
_MAX_ROUNDS = 8


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
    by_index = {u.index: u for u in utterances}
    margin_s = max(0.0, edge_silence)

    chunks: list[AudioArray] = []
    timings: list[Timing] = []
    sample_rate = 0
    position = 0  # samples written so far
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
            body = np.zeros(0, dtype=np.float32)
        else:
            body = samples[lo:hi]
        # Keep up to `margin` of the engine's own lead-in/decay, pad the rest with zeros.
        lead_src = samples[max(0, lo - margin) : lo]
        tail_src = samples[hi : hi + margin]
        lead = np.concatenate([np.zeros(margin - len(lead_src), np.float32), lead_src])
        tail = np.concatenate([tail_src, np.zeros(margin - len(tail_src), np.float32)])
        pause = np.zeros(round(max(0.0, utterance.pause_after) * sample_rate), np.float32)
        start = position + margin
        end = start + len(body)
        timings.append(
            Timing(
                index=utterance.index,
                start=start / sample_rate,
                end=end / sample_rate,
                written=utterance.written,
                spoken=utterance.spoken,
                paragraph=utterance.block,
                kind=utterance.kind,
                char_start=utterance.start,
                char_end=utterance.end,
            )
        )
        for part in (lead, body, tail, pause):
            chunks.append(part)
            position += len(part)

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


# ── measuring ───────────────────────────────────────────────────────────────────────────


def measure_true_peak(audio: npt.NDArray[np.floating], sample_rate: int) -> float:
    """True peak of ``audio`` in dBTP: the sample peak after 4× polyphase oversampling.

    ``sample_rate`` is accepted for symmetry with :func:`measure_loudness`; the
    oversampling factor is fixed. Silence gives ``-inf``.
    """
    peak = float(np.max(_true_peak_envelope(np.asarray(audio, dtype=np.float64)), initial=0.0))
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def measure_loudness(audio: npt.NDArray[np.floating], sample_rate: int) -> float:
    """Integrated loudness (LUFS, ITU-R BS.1770-4 gated) of mono ``audio``.

    Audio shorter than the 400 ms gating block is measured looped to that length, which
    approximates the loudness of the clip itself. Silence gives ``-inf``.
    """
    x = np.asarray(audio, dtype=np.float64)
    if len(x) == 0 or not np.any(x):
        return -math.inf
    need = math.ceil(_MIN_LOUDNESS_SECONDS * sample_rate) + 1
    if len(x) < need:
        x = np.tile(x, math.ceil(need / len(x)))
    meter = pyloudnorm.Meter(sample_rate)
    return float(meter.integrated_loudness(x))


def _true_peak_envelope(x: FloatArray) -> FloatArray:
    """Per input sample, the largest absolute value of the 4× oversampled signal in
    ``[n, n+1)`` (and of the sample itself). Computed in overlapping chunks."""
    n = len(x)
    env = np.empty(n, dtype=np.float64)
    for begin in range(0, n, _TP_CHUNK):
        stop = min(n, begin + _TP_CHUNK)
        ctx_lo = max(0, begin - _TP_OVERLAP)
        ctx_hi = min(n, stop + _TP_OVERLAP)
        up = resample_poly(x[ctx_lo:ctx_hi], _OVERSAMPLE, 1)
        first = (begin - ctx_lo) * _OVERSAMPLE
        block = np.abs(up[first : first + (stop - begin) * _OVERSAMPLE])
        if len(block) < (stop - begin) * _OVERSAMPLE:  # cannot happen; keep shapes honest
            block = np.pad(block, (0, (stop - begin) * _OVERSAMPLE - len(block)))
        env[begin:stop] = np.maximum(
            block.reshape(stop - begin, _OVERSAMPLE).max(axis=1), np.abs(x[begin:stop])
        )
    return env


# ── shaping ─────────────────────────────────────────────────────────────────────────────


def _normalize(
    audio: AudioArray, sample_rate: int, target_lufs: float, ceiling_db: float
) -> tuple[AudioArray, float, float]:
    """Bring ``audio`` to ``target_lufs`` with true peak ≤ ``ceiling_db``.

    Returns the new audio, its loudness and its true peak.
    """
    x = audio.astype(np.float64)
    ceiling = 10.0 ** (ceiling_db / 20.0)
    if len(x) < _MIN_LOUDNESS_SECONDS * sample_rate:
        # Too short for gated loudness: peak-normalize to the ceiling.
        peak = float(np.max(_true_peak_envelope(x)))
        x *= ceiling / peak * 10.0 ** (-0.01 / 20.0)
    else:
        for _ in range(_MAX_ROUNDS):
            loudness = measure_loudness(x, sample_rate)
            if not math.isfinite(loudness):  # everything below the absolute gate
                peak = float(np.max(_true_peak_envelope(x)))
                x *= ceiling / peak
                break
            x *= 10.0 ** ((target_lufs - loudness) / 20.0)
            env = _true_peak_envelope(x)
            if float(np.max(env)) > ceiling:
                x = _limit(x, env, sample_rate, ceiling * 10.0 ** (-_LIMITER_MARGIN_DB / 20.0))
            if abs(measure_loudness(x, sample_rate) - target_lufs) <= _LOUDNESS_TOLERANCE:
                break
    # The limiter's gain is smooth, so a whisker of overshoot can remain; a final static
    # trim guarantees the ceiling (costing at most a few hundredths of a dB).
    peak = float(np.max(_true_peak_envelope(x)))
    if peak > ceiling:
        x *= ceiling / peak * 10.0 ** (-0.01 / 20.0)
    out = x.astype(np.float32)
    return out, measure_loudness(out, sample_rate), measure_true_peak(out, sample_rate)


def _limit(x: FloatArray, env: FloatArray, sample_rate: int, ceiling: float) -> FloatArray:
    """Look-ahead peak limiter: a smooth gain curve that keeps ``env * gain ≤ ceiling``.

    The required gain per sample is ``min(1, ceiling / env)``. A sliding minimum that
    looks ``attack`` samples ahead and holds ``hold`` samples back, followed by an
    ``attack``-long moving average, gives a curve that ramps down *before* each peak and
    never exceeds the required gain at the peak (every value averaged there is already a
    minimum over a window containing the peak). Offline, look-ahead costs no latency.
    """
    attack = max(1, round(_LIMITER_ATTACK * sample_rate))
    hold = max(0, round(_LIMITER_HOLD * sample_rate))
    required = np.minimum(1.0, ceiling / np.maximum(env, 1e-12))
    # held[n] = min(required[n - hold + 1 - ... ]) over the window [n - hold, n + attack - 1]
    size = hold + attack
    padded = np.concatenate([np.ones(hold), required, np.ones(attack)])
    windowed = minimum_filter1d(padded, size=size, mode="constant", cval=1.0)
    held = windowed[size // 2 : size // 2 + len(x)]
    # gain[n] = mean(held[n - attack + 1 .. n]); cumulative sums keep this O(n). Before the
    # first sample the gain is taken as held[0], so a peak right at the start is caught too.
    lead_in = np.full(attack - 1, held[0] if len(held) else 1.0)
    csum = np.concatenate([[0.0], np.cumsum(np.concatenate([lead_in, held]))])
    gain = (csum[attack:] - csum[:-attack]) / attack
    return np.asarray(x * gain[: len(x)], dtype=np.float64)


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
    g = math.gcd(rate_in, rate_out)
    return np.asarray(resample_poly(samples, rate_out // g, rate_in // g), dtype=np.float32)
