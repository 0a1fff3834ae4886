"""Streaming mastering and encoding: the same guarantees as master()/encode(), from disk."""

from __future__ import annotations

import os
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from vorlesen.audio import stream as stream_mod
from vorlesen.audio.encode import AudioTags, encode_stream
from vorlesen.audio.loudness import LoudnessMeter, measure_loudness
from vorlesen.audio.master import master
from vorlesen.audio.peaks import ArraySource
from vorlesen.audio.spool import Spool
from vorlesen.audio.stream import streaming_master
from vorlesen.errors import AudioError
from vorlesen.models import Segment

SR = 22050
TAGS = AudioTags(
    title="Test", site=None, date=None, language="de", engine="espeak", voice="de", url=None
)


def collect(m: stream_mod.StreamedMaster) -> np.ndarray:
    return np.concatenate(list(m.chunks()))


def plosive_segments(kit: Any, count: int, seconds: float) -> list[Segment]:
    return [Segment(i, kit.plosive_burst(seconds), SR) for i in range(count)]


def test_meter_fed_in_pieces_equals_the_whole_measurement(kit: Any) -> None:
    x = kit.noise_burst(7.3, lead=0.2, trail=0.5, amp=0.3)
    meter = LoudnessMeter(SR)
    rng = np.random.default_rng(1)
    at = 0
    while at < len(x):
        step = int(rng.integers(1, 9000))
        meter.add(x[at : at + step])
        at += step
    assert meter.samples == len(x)
    assert meter.loudness() == pytest.approx(measure_loudness(x, SR), abs=1e-3)
    assert meter.loudness(0.5) == pytest.approx(measure_loudness(x * 0.5, SR), abs=1e-3)


def test_spool_reads_what_was_appended(tmp_path: Path) -> None:
    x = np.random.default_rng(2).standard_normal(10_000).astype(np.float32)
    with Spool(tmp_path) as spool:
        spool.append(x[:3333])
        spool.append(x[3333:])
        assert len(spool) == len(x)
        assert np.array_equal(spool.read(100, 5000), x[100:5000])
        assert np.array_equal(spool.read(9990, 20_000), x[9990:])
        # Unsorted, a repeat, runs read together and one far off, both ends.
        blocks = np.array([39, 0, 5, 6, 7, 20, 5], dtype=np.int64)
        assert np.array_equal(spool.rows(blocks, 11), ArraySource(x).rows(blocks, 11))
        assert os.listdir(tmp_path) == []  # unnamed: nothing visible even while open


@pytest.mark.parametrize("chunk_seconds", [10.0, 0.37])
def test_limited_stream_matches_master_and_meets_the_targets(
    kit: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, chunk_seconds: float
) -> None:
    """Plosives force the limiter; short chunks put many chunk edges inside its reach."""
    monkeypatch.setattr(stream_mod, "STREAM_CHUNK_SECONDS", chunk_seconds)
    utts = [kit.utterance(i, pause=0.3) for i in range(3)]
    ref = master(plosive_segments(kit, 3, 4.0), utts)
    with streaming_master(plosive_segments(kit, 3, 4.0), utts, directory=tmp_path) as m:
        audio = collect(m)
        assert collect(m).shape == audio.shape  # readable again
    assert os.listdir(tmp_path) == []
    assert m.timings == ref.timings
    assert m.samples == len(audio) == len(ref.audio)
    assert float(np.max(np.abs(audio - ref.audio))) < 1e-3
    assert kit.loudness(audio, SR) == pytest.approx(-16.0, abs=1.0)
    assert kit.true_peak(audio) <= -1.0 + 1e-6
    assert m.loudness_lufs == pytest.approx(kit.loudness(audio, SR), abs=0.1)
    assert m.true_peak_db <= -1.0


def test_pure_gain_stream_matches_master(kit: Any, bursts: list[Any], tmp_path: Path) -> None:
    utts = [kit.utterance(i, pause=0.4) for i in range(4)]
    ref = master((b.segment for b in bursts), utts)
    with streaming_master((b.segment for b in bursts), utts, directory=tmp_path) as m:
        audio = collect(m)
    assert m.timings == ref.timings
    assert np.allclose(audio, ref.audio, atol=1e-5)
    assert kit.loudness(audio, SR) == pytest.approx(-16.0, abs=1.0)
    assert kit.true_peak(audio) <= -1.0 + 1e-6


def test_short_clip_is_peak_normalized(kit: Any, tmp_path: Path) -> None:
    seg = Segment(0, kit.noise_burst(0.15, amp=0.2), SR)
    with streaming_master([seg], [kit.utterance(0, pause=0.0)], directory=tmp_path) as m:
        audio = collect(m)
    assert kit.true_peak(audio) <= -1.0 + 1e-6
    assert kit.true_peak(audio) > -1.5


def test_errors_leave_no_spool(kit: Any, tmp_path: Path) -> None:
    def failing() -> Iterator[Segment]:
        yield Segment(0, kit.noise_burst(1.0), SR)
        raise KeyboardInterrupt

    utts = [kit.utterance(0), kit.utterance(1)]
    with pytest.raises(KeyboardInterrupt), streaming_master(failing(), utts, directory=tmp_path):
        pass
    silent = [Segment(0, np.zeros(SR, np.float32), SR)]
    with (
        pytest.raises(AudioError) as info,
        streaming_master(silent, [kit.utterance(0)], directory=tmp_path),
    ):
        pass
    assert info.value.reason == "silent_audio"
    with (
        pytest.raises(AudioError) as info,
        streaming_master([], [kit.utterance(0)], directory=tmp_path),
    ):
        pass
    assert info.value.reason == "no_audio"
    assert os.listdir(tmp_path) == []


def decode(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as container:
        frames = [f.to_ndarray().reshape(-1) for f in container.decode(audio=0)]
        rate = container.streams.audio[0].rate
    return np.concatenate(frames), rate


def test_encode_stream_writes_every_format_in_one_pass(kit: Any, tmp_path: Path) -> None:
    x = kit.noise_burst(3.0, amp=0.5)
    read: list[int] = []

    def chunks() -> Iterator[np.ndarray]:
        for i in range(0, len(x), 10_000):
            read.append(i)
            yield x[i : i + 10_000].copy()

    outputs = {fmt: tmp_path / f"a.{fmt}" for fmt in ("mp3", "opus", "wav")}
    total = encode_stream(chunks(), SR, outputs, TAGS)  # type: ignore[arg-type]
    assert total == len(x)
    assert len(read) == -(-len(x) // 10_000)  # each chunk read once for all encoders
    with wave.open(str(outputs["wav"])) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32767.0
    assert np.max(np.abs(pcm - x)) < 1e-4
    for fmt, rate in (("mp3", SR), ("opus", 48_000)):
        audio, got_rate = decode(outputs[fmt])
        assert got_rate == rate
        assert len(audio) / rate == pytest.approx(3.0, abs=0.1)
    assert sorted(os.listdir(tmp_path)) == ["a.mp3", "a.opus", "a.wav"]


def test_encode_stream_failure_leaves_nothing(kit: Any, tmp_path: Path) -> None:
    x = kit.noise_burst(1.0)

    def broken() -> Iterator[np.ndarray]:
        yield x.copy()
        yield np.full(100, np.nan, dtype=np.float32)

    outputs = {fmt: tmp_path / f"a.{fmt}" for fmt in ("mp3", "opus", "wav")}
    with pytest.raises(AudioError) as info:
        encode_stream(broken(), SR, outputs, TAGS)  # type: ignore[arg-type]
    assert info.value.reason == "bad_samples"
    with pytest.raises(AudioError) as info:
        encode_stream(iter([]), SR, outputs, TAGS)  # type: ignore[arg-type]
    assert info.value.reason == "no_audio"
    assert os.listdir(tmp_path) == []


class Sink:
    """An early sink that keeps what it is sent (copies: the encoders clip in place)."""

    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []
        self.restarts = 0

    def write(self, chunk: np.ndarray, sample_rate: int) -> None:
        assert sample_rate == SR
        self.chunks.append(chunk.copy())

    def restart(self) -> None:
        self.restarts += 1
        self.chunks.clear()

    def audio(self) -> np.ndarray:
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.float32)


@pytest.fixture
def early_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    """Early mastering on short test programmes, with many chunk edges."""
    monkeypatch.setattr(stream_mod, "EARLY_AFTER", 0.25)
    monkeypatch.setattr(stream_mod, "EARLY_MIN_SECONDS", 2.0)
    monkeypatch.setattr(stream_mod, "STREAM_CHUNK_SECONDS", 0.37)


def joined(segments: list[Segment], utts: list[Any]) -> np.ndarray:
    """The programme before mastering (join_segments, collected)."""
    from vorlesen.audio.join import join_segments

    return np.concatenate([p for _sr, p in join_segments(segments, utts, [])])


@pytest.mark.usefixtures("early_soon")
def test_early_master_limits_as_the_whole_programme_would(kit: Any, tmp_path: Path) -> None:
    """Plosives force the limiter: mastered while the programme grows, the output is the
    limiter over the whole programme at the same gain, and meets the targets."""
    from vorlesen.audio.limiter import limited_chunks
    from vorlesen.audio.peaks import PeakMap

    utts = [kit.utterance(i, pause=0.3) for i in range(8)]
    segments = plosive_segments(kit, 8, 1.5)
    sink = Sink()
    with streaming_master(iter(segments), utts, directory=tmp_path, early=sink) as m:
        assert m.delivered
        audio = collect(m)
    assert sink.restarts == 0
    assert np.array_equal(sink.audio(), audio)  # what was sent is the programme
    src = joined(segments, utts)
    quiet = np.abs(src) > 0.05
    gain = float(np.median(audio[quiet] / src[quiet]))  # the limiter leaves most samples be
    ceiling = 10 ** ((-1.0 - 0.2) / 20)
    chunk = stream_mod._chunk_samples(SR)
    whole = np.concatenate(
        list(limited_chunks(ArraySource(src), PeakMap(src), gain, ceiling, SR, chunk))
    )
    assert len(whole) == len(audio)
    assert float(np.max(np.abs(whole - audio))) < 1e-5
    assert np.any(np.abs(audio) < np.abs(src * gain) - 1e-3)  # it did limit
    assert kit.loudness(audio, SR) == pytest.approx(-16.0, abs=0.35)
    assert m.loudness_lufs == pytest.approx(kit.loudness(audio, SR), abs=0.1)
    assert kit.true_peak(audio) <= -1.0 + 1e-6
    assert m.timings == master(plosive_segments(kit, 8, 1.5), utts).timings
    assert os.listdir(tmp_path) == []


@pytest.mark.usefixtures("early_soon")
def test_early_master_that_misses_the_target_starts_over(kit: Any, tmp_path: Path) -> None:
    """A programme that gets much louder after its first part: the early gain misses, the
    sink is restarted and the programme is mastered whole — exactly as without early."""
    quiet = [Segment(i, kit.noise_burst(2.0, amp=0.03, seed=i), SR) for i in range(3)]
    loud = [Segment(i, kit.noise_burst(2.0, amp=0.5, seed=i), SR) for i in range(3, 9)]
    utts = [kit.utterance(i) for i in range(9)]
    sink = Sink()
    with streaming_master(iter(quiet + loud), utts, directory=tmp_path, early=sink) as m:
        assert not m.delivered
        audio = collect(m)
    assert sink.restarts == 1
    assert sink.chunks == []
    ref = master(iter(quiet + loud), utts)
    assert np.array_equal(audio, ref.audio)
    assert m.loudness_lufs == ref.loudness_lufs


@pytest.mark.usefixtures("early_soon")
def test_early_master_of_a_pure_gain_programme(kit: Any, tmp_path: Path) -> None:
    segments = [Segment(i, kit.noise_burst(1.2, amp=0.2, seed=i % 2), SR) for i in range(10)]
    utts = [kit.utterance(i) for i in range(10)]
    sink = Sink()
    with streaming_master(iter(segments), utts, directory=tmp_path, early=sink) as m:
        assert m.delivered
        audio = collect(m)
    src = joined(segments, utts)
    ratio = audio[np.abs(src) > 1e-3] / src[np.abs(src) > 1e-3]
    assert float(np.ptp(ratio)) < 1e-5  # one gain throughout: nothing was limited
    assert kit.loudness(audio, SR) == pytest.approx(-16.0, abs=0.3)
    assert np.array_equal(sink.audio(), audio)


def test_a_short_programme_is_not_mastered_early(
    kit: Any, bursts: list[Any], tmp_path: Path
) -> None:
    utts = [kit.utterance(i, pause=0.4) for i in range(4)]
    sink = Sink()
    with streaming_master((b.segment for b in bursts), utts, directory=tmp_path, early=sink) as m:
        assert not m.delivered
        audio = collect(m)
    assert sink.chunks == [] and sink.restarts == 0
    assert np.array_equal(audio, master((b.segment for b in bursts), utts).audio)


def test_peak_map_extended_while_the_spool_grows_equals_one_built_at_the_end(
    tmp_path: Path,
) -> None:
    from vorlesen.audio.peaks import PeakMap

    rng = np.random.default_rng(5)
    x = (rng.standard_normal(120_000) * np.repeat(rng.random(120), 1000)).astype(np.float32)
    with Spool(tmp_path) as spool:
        growing = PeakMap(spool)
        at = 0
        while at < len(x):
            step = int(rng.integers(1, 9000))
            spool.append(x[at : at + step])
            at += step
            growing.extend()
            whole = PeakMap(x[:at].copy())
            assert growing.blocks == whole.blocks
            assert np.array_equal(growing.bound, whole.bound)
            assert growing.floor == whole.floor
            assert growing.true_peak() == whole.true_peak()


def test_encoders_start_over_and_appear_only_when_finished(kit: Any, tmp_path: Path) -> None:
    from vorlesen.audio.encode import Encoders

    x = kit.noise_burst(2.0, amp=0.5)
    outputs = {fmt: tmp_path / f"a.{fmt}" for fmt in ("mp3", "wav")}
    with Encoders(outputs) as encoders:  # type: ignore[arg-type]
        encoders.write(np.full(SR, 0.9, np.float32), SR)  # a false start
        assert not any(p.exists() for p in outputs.values())
        encoders.restart()
        assert os.listdir(tmp_path) == []  # the false start's temporary files are gone
        encoders.write(x.copy(), SR)
        assert encoders.finish(TAGS) == len(x)
    with wave.open(str(outputs["wav"])) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32767.0
    assert np.max(np.abs(pcm - x)) < 1e-4  # only what came after the restart
    assert sorted(os.listdir(tmp_path)) == ["a.mp3", "a.wav"]
    with Encoders({"mp3": tmp_path / "b.mp3"}) as encoders:
        encoders.write(x.copy(), SR)  # never finished (an error, Ctrl-C)
    assert sorted(os.listdir(tmp_path)) == ["a.mp3", "a.wav"]
