"""Joining: utterance segments into one programme with uniform pauses, and timings.

Each segment's leading and trailing near-silence is trimmed to ``edge_silence`` seconds
(padded with digital silence when the engine left less), so the gap between two
sentences is decided by the script's ``pause_after`` and not by how much silence the
engine happened to emit; then ``pause_after`` seconds of silence follow the utterance
(the speak stage picks them: longer after headline, dateline and paragraphs than
between sentences). A :class:`~vorlesen.models.Timing` per utterance — and, where the
engine gave word times, a :class:`~vorlesen.models.WordTiming` per written word —
records where its speech sits in the joined audio (resolution: one 10 ms analysis
frame). Segments are made mono, checked for NaN/inf and resampled to the first
segment's rate.

:func:`join_segments` yields the programme piece by piece, so the mastering stage can
spool it without ever holding it whole.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from vorlesen.errors import AudioError
from vorlesen.models import AudioArray, Segment, Timing, Utterance, WordTiming
from vorlesen.words import spoken_words

__all__ = ["join_segments", "speech_bounds"]

_FRAME_SECONDS = 0.010
"""Analysis frame for silence detection; sets the timing resolution (10 ms ≪ 50 ms)."""
_SILENCE_REL_DB = -40.0
"""A frame is speech when its RMS is within 40 dB of the segment's loudest frame…"""
_SILENCE_ABS_DB = -80.0
"""…and above −80 dBFS, so dither or denormal noise in an otherwise silent segment is not
speech, while very quiet (un-normalized) engine output still is."""


def join_segments(
    segments: Iterable[Segment],
    utterances: Sequence[Utterance],
    timings: list[Timing],
    *,
    edge_silence: float = 0.05,
) -> Iterator[tuple[int, AudioArray]]:
    """The joined programme as ``(sample_rate, part)`` pieces, in order: each segment
    trimmed to ``edge_silence`` at both ends and followed by its utterance's pause.

    ``segments`` arrive in order; each is matched to the utterance with the same
    ``index`` (falling back to position in ``utterances``). Segments at a different
    sample rate from the first are resampled to it. A :class:`Timing` per utterance is
    appended to ``timings`` as its segment is joined, so the consumer
    (:func:`~vorlesen.audio.stream.streaming_master`, which spools the pieces to disk)
    never needs the whole programme.

    Raises:
        AudioError: ``segment_mismatch`` when a segment has no utterance,
            ``bad_samples`` for NaN/inf or an invalid sample rate.
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
        lo, hi = speech_bounds(samples, sample_rate)
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


def speech_bounds(samples: AudioArray, sample_rate: int) -> tuple[int, int]:
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
    from scipy.signal import resample_poly  # only for mixed rates: a render never loads it

    g = math.gcd(rate_in, rate_out)
    return np.asarray(resample_poly(samples, rate_out // g, rate_in // g), dtype=np.float32)
