"""Mastering: uniform pauses, accurate timings, −16 LUFS, true peak ≤ −1 dBTP."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from vorlesen.audio.loudness import measure_loudness
from vorlesen.audio.master import master
from vorlesen.audio.peaks import measure_true_peak
from vorlesen.errors import AudioError
from vorlesen.models import Segment

SR = 22050

MARGIN = 0.05  # master()'s default edge_silence
TOL = 0.05  # timings must be within 50 ms of the truth


def expected_spans(bursts: list[Any], pauses: list[float]) -> list[tuple[float, float]]:
    """Where each burst must land: margin, burst, margin, pause — for every segment."""
    spans = []
    t = 0.0
    for burst, pause in zip(bursts, pauses, strict=True):
        start = t + MARGIN
        spans.append((start, start + burst.length))
        t = start + burst.length + MARGIN + pause
    return spans


def test_timings_match_the_bursts(kit: Any, bursts: list[Any]) -> None:
    pauses = [0.8, 0.3, 0.3, 0.0]
    utts = [kit.utterance(i, pause=p, block=i // 2) for i, p in enumerate(pauses)]
    result = master((b.segment for b in bursts), utts)

    assert result.sample_rate == SR
    assert len(result.timings) == 4
    for timing, (start, end) in zip(result.timings, expected_spans(bursts, pauses), strict=True):
        assert timing.start == pytest.approx(start, abs=TOL)
        assert timing.end == pytest.approx(end, abs=TOL)
    total = sum(2 * MARGIN + b.length + p for b, p in zip(bursts, pauses, strict=True))
    assert result.duration == pytest.approx(total, abs=0.01)


def test_timings_locate_the_sound_in_the_output(kit: Any, bursts: list[Any]) -> None:
    """Independent of the arithmetic above: sound inside each timing, silence between."""
    utts = [kit.utterance(i, pause=0.4) for i in range(4)]
    result = master((b.segment for b in bursts), utts)
    audio = result.audio
    for timing in result.timings:
        inside = audio[round((timing.start + 0.02) * SR) : round((timing.end - 0.02) * SR)]
        assert np.sqrt(np.mean(inside.astype(np.float64) ** 2)) > 0.02
    for a, b in zip(result.timings, result.timings[1:], strict=False):
        gap = audio[round((a.end + 0.01) * SR) : round((b.start - 0.01) * SR)]
        assert len(gap) > 0
        assert float(np.max(np.abs(gap))) < 1e-3


def test_pauses_are_uniform_and_structural(kit: Any, bursts: list[Any]) -> None:
    """Engine lead/trail silence (0–0.5 s here) does not leak into the gaps."""
    pauses = [1.0, 0.25, 0.25, 0.0]
    utts = [kit.utterance(i, pause=p) for i, p in enumerate(pauses)]
    result = master((b.segment for b in bursts), utts)
    gaps = [b.start - a.end for a, b in zip(result.timings, result.timings[1:], strict=False)]
    assert gaps[0] == pytest.approx(2 * MARGIN + 1.0, abs=TOL)
    assert gaps[1] == pytest.approx(2 * MARGIN + 0.25, abs=TOL)
    assert gaps[2] == pytest.approx(2 * MARGIN + 0.25, abs=TOL)
    assert abs(gaps[1] - gaps[2]) < 0.02  # same pause, same gap despite different engine silence


def test_timing_fields_come_from_the_utterances(kit: Any, bursts: list[Any]) -> None:
    utts = [
        kit.utterance(0, kind="title", block=0),
        kit.utterance(1, kind="teaser", block=1),
        kit.utterance(2, kind="paragraph", block=2),
        kit.utterance(3, kind="paragraph", block=2),
    ]
    result = master((b.segment for b in bursts), utts)
    for timing, utt in zip(result.timings, utts, strict=True):
        assert timing.index == utt.index
        assert timing.written == utt.written
        assert timing.spoken == utt.spoken
        assert timing.paragraph == utt.block
        assert timing.kind == utt.kind
        assert (timing.char_start, timing.char_end) == (utt.start, utt.end)


@pytest.mark.parametrize("amp", [0.005, 0.3, 1.0])
def test_loudness_reaches_target_and_peak_stays_below_ceiling(
    kit: Any, bursts: list[Any], amp: float
) -> None:
    segments = [Segment(b.segment.index, b.segment.audio * amp, SR) for b in bursts]
    result = master(segments, [kit.utterance(i) for i in range(4)])
    assert kit.loudness(result.audio, SR) == pytest.approx(-16.0, abs=1.0)
    assert kit.true_peak(result.audio) <= -1.0 + 1e-3
    assert result.loudness_lufs == pytest.approx(kit.loudness(result.audio, SR), abs=0.01)
    assert result.true_peak_db == pytest.approx(kit.true_peak(result.audio), abs=0.05)


def test_other_targets_are_respected(kit: Any, bursts: list[Any]) -> None:
    result = master(
        (b.segment for b in bursts),
        [kit.utterance(i) for i in range(4)],
        target_lufs=-23.0,
        true_peak_db=-3.0,
    )
    assert kit.loudness(result.audio, SR) == pytest.approx(-23.0, abs=1.0)
    assert kit.true_peak(result.audio) <= -3.0 + 1e-3


def test_very_peaky_input_is_limited_not_just_turned_down(kit: Any) -> None:
    segments = [Segment(i, kit.plosive_burst(1.5), SR) for i in range(3)]
    raw = np.concatenate([s.audio for s in segments])
    crest = kit.true_peak(raw) - kit.loudness(raw, SR)
    # Precondition: a plain gain to −16 LUFS would put peaks far above −1 dBTP.
    assert -16.0 + crest > 3.0
    result = master(segments, [kit.utterance(i) for i in range(3)])
    assert kit.true_peak(result.audio) <= -1.0 + 1e-3
    # A static gain cut would have landed at about −1 − crest LUFS; the limiter keeps −16.
    assert kit.loudness(result.audio, SR) == pytest.approx(-16.0, abs=1.0)


def test_clipping_loud_input_is_brought_under_the_ceiling(kit: Any) -> None:
    hot = np.clip(kit.noise_burst(2.0, amp=4.0, seed=7), -1.0, 1.0)  # squared-off, full scale
    result = master([Segment(0, hot, SR)], [kit.utterance(0)])
    assert kit.true_peak(result.audio) <= -1.0 + 1e-3
    assert kit.loudness(result.audio, SR) == pytest.approx(-16.0, abs=1.0)


def test_very_short_audio_is_peak_normalized(kit: Any) -> None:
    short = kit.noise_burst(0.15, amp=0.1)
    result = master([Segment(0, short, SR)], [kit.utterance(0, pause=0.0)])
    assert result.duration < 0.4
    assert -1.2 <= kit.true_peak(result.audio) <= -1.0 + 1e-3
    assert math.isfinite(result.loudness_lufs)


def test_silent_segment_in_the_middle_keeps_its_slot(kit: Any, bursts: list[Any]) -> None:
    segments = [bursts[0].segment, Segment(1, np.zeros(SR // 2, np.float32), SR)]
    result = master(segments, [kit.utterance(0), kit.utterance(1)])
    silent = result.timings[1]
    assert silent.end == silent.start
    assert silent.start > result.timings[0].end


def test_segment_at_another_rate_is_resampled(kit: Any, bursts: list[Any]) -> None:
    other = Segment(1, kit.noise_burst(1.0, lead=0.1, sr=16000), 16000)
    result = master([bursts[0].segment, other], [kit.utterance(0), kit.utterance(1)])
    assert result.sample_rate == SR
    second = result.timings[1]
    assert second.end - second.start == pytest.approx(1.0, abs=TOL)


def test_segments_are_matched_to_utterances_by_index(kit: Any, bursts: list[Any]) -> None:
    utts = [kit.utterance(i + 10) for i in range(2)]
    segments = [Segment(10, bursts[0].segment.audio, SR), Segment(11, bursts[1].segment.audio, SR)]
    result = master(segments, utts)
    assert [t.index for t in result.timings] == [10, 11]


def test_empty_input_is_an_audio_error(kit: Any) -> None:
    with pytest.raises(AudioError) as info:
        master([], [])
    assert info.value.reason == "no_audio"


def test_all_silence_is_an_audio_error(kit: Any) -> None:
    with pytest.raises(AudioError) as info:
        master([Segment(0, np.zeros(SR, np.float32), SR)], [kit.utterance(0)])
    assert info.value.reason == "silent_audio"


def test_segment_without_utterance_is_an_audio_error(kit: Any, bursts: list[Any]) -> None:
    with pytest.raises(AudioError) as info:
        master([b.segment for b in bursts], [kit.utterance(0)])
    assert info.value.reason == "segment_mismatch"


def test_nan_samples_are_an_audio_error(kit: Any) -> None:
    bad = kit.noise_burst(0.5)
    bad[100] = np.nan
    with pytest.raises(AudioError) as info:
        master([Segment(0, bad, SR)], [kit.utterance(0)])
    assert info.value.reason == "bad_samples"


def test_measurements_agree_with_references(kit: Any) -> None:
    t = np.arange(SR * 2) / SR
    # A 997 Hz sine at −20 dBFS peak reads about −23 LUFS on a BS.1770 meter (mono, −3.01).
    sine = (0.1 * np.sin(2 * np.pi * 997 * t)).astype(np.float32)
    assert measure_loudness(sine, SR) == pytest.approx(kit.loudness(sine, SR), abs=1e-6)
    assert measure_true_peak(sine, SR) == pytest.approx(-20.0, abs=0.05)
    # Inter-sample peak: a sine at fs/4 sampled at 45° never hits its crest on a sample.
    quarter = np.sin(2 * np.pi * (SR / 4) * t[:4000] / 1 + np.pi / 4) * 0.5
    sample_peak = 20 * math.log10(float(np.max(np.abs(quarter))))
    assert measure_true_peak(quarter, SR) > sample_peak + 2.0
    assert measure_loudness(np.zeros(SR, np.float32), SR) == -math.inf


def test_gain_is_static_when_no_limiting_is_needed(kit: Any) -> None:
    """Speech-like audio with headroom is only scaled: the waveform itself is untouched."""
    burst = kit.noise_burst(1.0, lead=0.2, trail=0.2, amp=0.2)
    result = master([Segment(0, burst, SR)], [kit.utterance(0, pause=0.0)])
    assert result.true_peak_db < -1.5  # headroom left: the limiter had nothing to do
    source = burst[round(0.2 * SR) : round(1.2 * SR)].astype(np.float64)
    start = round(result.timings[0].start * SR)
    out = result.audio[start : start + len(source)].astype(np.float64)
    gain = float(np.dot(out, source) / np.dot(source, source))
    assert np.max(np.abs(out - gain * source)) < 1e-4


# ── the fast meters agree with the whole-signal references ──────────────────────────────


def _speechlike(kit: Any, seconds: float, sr: int, seed: int) -> np.ndarray:
    """Bursts of band-limited noise at varying levels with pauses between them."""
    rng = np.random.default_rng(seed)
    parts = []
    total = 0.0
    while total < seconds:
        length = float(rng.uniform(0.3, 2.0))
        amp = float(rng.uniform(0.05, 0.9))
        parts.append(kit.noise_burst(length, amp=amp, sr=sr, seed=int(rng.integers(1000))))
        pause = float(rng.uniform(0.05, 0.6))
        parts.append(np.zeros(round(pause * sr), np.float32))
        total += length + pause
    return np.concatenate(parts)[: round(seconds * sr)]


@pytest.mark.parametrize(
    ("sr", "seconds", "seed"),
    [(22050, 7.3, 1), (16000, 3.05, 2), (24000, 12.0, 3), (44100, 5.51, 4), (22050, 0.41, 5)],
)
def test_loudness_matches_pyloudnorm(kit: Any, sr: int, seconds: float, seed: int) -> None:
    """Own BS.1770 meter (hop-summed blocks, vectorized gates) versus pyloudnorm, at odd
    lengths and rates, with quiet passages so both gates matter."""
    audio = _speechlike(kit, seconds, sr, seed)
    audio[: len(audio) // 3] *= 0.01  # a passage the relative gate drops
    assert measure_loudness(audio, sr) == pytest.approx(kit.loudness(audio, sr), abs=1e-6)
    quiet = audio * 10 ** (-55 / 20)  # the absolute gate (−70 LUFS) now drops blocks too
    assert measure_loudness(quiet, sr) == pytest.approx(kit.loudness(quiet, sr), abs=1e-6)


def test_loudness_of_a_short_clip_is_finite(kit: Any) -> None:
    assert math.isfinite(measure_loudness(kit.noise_burst(0.1), SR))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_true_peak_matches_whole_signal_oversampling(kit: Any, seed: int) -> None:
    """Block-wise oversampling only where it can matter gives the same maximum as
    oversampling everything (the reference oversamples the whole signal at once)."""
    rng = np.random.default_rng(seed)
    audio = _speechlike(kit, 6.0, SR, seed)
    # Hard inter-sample peaks the sample values hide: alternating full-scale samples.
    at = int(rng.integers(1000, len(audio) - 1000))
    audio[at : at + 8] = 0.6 * np.array([1, -1, 1, -1, -1, 1, -1, 1], np.float32)
    assert measure_true_peak(audio, SR) == pytest.approx(kit.true_peak(audio), abs=1e-4)
    white = rng.uniform(-1, 1, 50_001).astype(np.float32)  # no band limit at all
    assert measure_true_peak(white, SR) == pytest.approx(kit.true_peak(white), abs=1e-4)


@pytest.mark.parametrize("where", [0, 1, 255, 256, 5000, -1])
def test_true_peak_of_a_lone_click_anywhere(kit: Any, where: int) -> None:
    """A single sample (at block edges and the signal's ends) rings between samples."""
    audio = np.zeros(10_000, np.float32)
    audio[where] = 0.5
    audio[where - 1 if where else 1] = -0.5
    assert measure_true_peak(audio, SR) == pytest.approx(kit.true_peak(audio), abs=1e-4)
    assert measure_true_peak(np.zeros(100, np.float32), SR) == -math.inf


def test_peaks_at_both_ends_are_limited(kit: Any) -> None:
    """The limiter's look-ahead and hold work at the very first and last samples."""
    audio = kit.noise_burst(3.0, amp=0.05, seed=11)
    click = kit.noise_burst(0.004, amp=1.0, seed=12)
    audio[: len(click)] = click
    audio[-len(click) :] = click
    result = master([Segment(0, audio, SR)], [kit.utterance(0, pause=0.0)], edge_silence=0.0)
    assert kit.true_peak(result.audio) <= -1.0 + 1e-3
    assert kit.loudness(result.audio, SR) == pytest.approx(-16.0, abs=1.0)
    assert result.true_peak_db == pytest.approx(kit.true_peak(result.audio), abs=0.01)


def test_a_long_programme_of_many_segments(kit: Any) -> None:
    """A minute of speech-like segments: the guarantees hold and the measured values
    reported are the output's, to the references' precision."""
    rng = np.random.default_rng(7)
    segments, utts = [], []
    for i in range(30):
        burst = _speechlike(kit, float(rng.uniform(1.0, 3.0)), SR, 100 + i)
        burst[rng.integers(0, len(burst), 3)] = 0.95  # sparse hot samples: plosives
        segments.append(Segment(i, burst, SR))
        utts.append(kit.utterance(i, pause=0.3))
    result = master(segments, utts)
    assert result.duration > 40
    assert kit.loudness(result.audio, SR) == pytest.approx(-16.0, abs=0.5)
    assert result.loudness_lufs == pytest.approx(kit.loudness(result.audio, SR), abs=0.01)
    assert kit.true_peak(result.audio) <= -1.0 + 1e-3
    assert result.true_peak_db == pytest.approx(kit.true_peak(result.audio), abs=0.01)
    assert result.audio.dtype == np.float32
