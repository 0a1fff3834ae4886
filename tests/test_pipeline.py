"""render_audio(): the one render path — espeak-ng, several formats at once, atomic."""

from __future__ import annotations

import math
import os
import wave
from pathlib import Path

import av
import numpy as np
import pyloudnorm
import pytest
from scipy.signal import resample_poly

from vorlesen.audio import stream as stream_mod
from vorlesen.audio.encode import AudioTags
from vorlesen.config import Settings
from vorlesen.errors import UsageError
from vorlesen.models import Document, Segment
from vorlesen.pipeline import document_tags, render_audio
from vorlesen.speak.script import make_script
from vorlesen.synth.cache import SegmentCache
from vorlesen.synth.select import choose_engine

TEXT = (
    "Der Stadtrat hat am Dienstag über den Haushalt beraten. "
    "Die Verwaltung rechnet mit Einnahmen von 12,5 Millionen Euro. "
    "Eine Entscheidung soll am 3. März fallen."
)


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(cache_dir=tmp_path / "cache", offline=True, engine="espeak", jobs=1)


def tags_for(engine: str, voice: str) -> AudioTags:
    return AudioTags(
        title="Haushalt", site=None, date=None, language="de", engine=engine, voice=voice, url=None
    )


def script_and_spec(settings: Settings):  # type: ignore[no-untyped-def]
    spec, _ = choose_engine("espeak", None, speed=1.0, settings=settings)
    doc = Document.build([("title", "Haushalt"), ("paragraph", TEXT)])
    return make_script(doc, voice=spec.voice), spec


@pytest.mark.parametrize("early", [False, True], ids=["after", "early"])
def test_render_audio_writes_all_formats_mastered(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch, early: bool
) -> None:
    """After synthesis, or (a long programme; made so here) mastered and encoded while
    synthesis goes on."""
    if early:
        monkeypatch.setattr(stream_mod, "EARLY_AFTER", 0.5)
        monkeypatch.setattr(stream_mod, "EARLY_MIN_SECONDS", 1.0)
        monkeypatch.setattr(stream_mod, "STREAM_CHUNK_SECONDS", 0.5)
    script, spec = script_and_spec(settings)
    out = tmp_path / "out"
    out.mkdir()
    outputs = {fmt: out / f"a.{fmt}" for fmt in ("mp3", "opus", "wav")}
    seen: list[int] = []
    beats: list[int] = []

    def progress(segment: Segment, total: int) -> None:
        seen.append(segment.index)
        assert total == len(script.utterances)

    result = render_audio(
        script,
        spec,
        outputs,  # type: ignore[arg-type]
        tags=tags_for(spec.engine, spec.voice),
        jobs=1,
        cache=SegmentCache(tmp_path / "cache"),
        settings=settings,
        progress=progress,
        heartbeat=lambda: beats.append(1),
    )
    assert sorted(os.listdir(out)) == ["a.mp3", "a.opus", "a.wav"]  # no spool, no .part
    assert seen == [u.index for u in script.utterances]
    # One beat per segment, one when mastered, then one per chunk encoded after it.
    assert (len(beats) == len(seen) + 1) if early else (len(beats) > len(seen) + 1)
    assert result.synthesized == len(script.utterances) and result.cached == 0
    assert len(result.timings) == len(script.utterances)
    with wave.open(str(outputs["wav"])) as w:
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64) / 32767.0
    assert rate == result.sample_rate
    assert len(pcm) / rate == pytest.approx(result.duration, abs=1e-3)
    loud = pyloudnorm.Meter(rate).integrated_loudness(pcm)
    assert loud == pytest.approx(-16.0, abs=1.0)
    peak = 20 * math.log10(float(np.max(np.abs(resample_poly(pcm, 4, 1)))))
    assert peak <= -1.0 + 0.01  # 16-bit rounding
    ends = [t.end for t in result.timings]
    assert ends == sorted(ends) and ends[-1] <= result.duration
    for fmt in ("mp3", "opus"):
        with av.open(str(outputs[fmt])) as container:
            frames = list(container.decode(audio=0))
        seconds = sum(f.samples / f.sample_rate for f in frames)
        assert seconds == pytest.approx(result.duration, abs=0.1)
        # The ceiling holds in what listeners decode, codec overshoot included.
        decoded = np.concatenate([f.to_ndarray().reshape(-1) for f in frames]).astype(np.float64)
        decoded_peak = 20 * math.log10(float(np.max(np.abs(resample_poly(decoded, 4, 1)))))
        assert decoded_peak <= -1.0, (fmt, decoded_peak)
        rate_out = frames[0].sample_rate
        assert pyloudnorm.Meter(rate_out).integrated_loudness(decoded) == pytest.approx(-16, abs=1)

    again = render_audio(
        script,
        spec,
        {"wav": out / "b.wav"},
        tags=tags_for(spec.engine, spec.voice),
        jobs=1,
        cache=SegmentCache(tmp_path / "cache"),
        settings=settings,
    )
    assert again.cached == len(script.utterances) and again.synthesized == 0


@pytest.mark.parametrize("phase", ["synthesis", "encoding"])
def test_interrupt_leaves_nothing_behind(tmp_path: Path, settings: Settings, phase: str) -> None:
    """Ctrl-C while segments arrive, or after the encoders wrote their first chunk."""
    script, spec = script_and_spec(settings)
    stop_at = 2 if phase == "synthesis" else len(script.utterances) + 2
    out = tmp_path / "out"
    out.mkdir()
    calls = 0

    def heartbeat() -> None:
        nonlocal calls
        calls += 1
        if calls == stop_at:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render_audio(
            script,
            spec,
            {"mp3": out / "a.mp3", "opus": out / "a.opus"},
            tags=tags_for(spec.engine, spec.voice),
            jobs=1,
            cache=None,
            settings=settings,
            heartbeat=heartbeat,
        )
    assert os.listdir(out) == []


def test_missing_output_directory_is_a_usage_error(tmp_path: Path, settings: Settings) -> None:
    script, spec = script_and_spec(settings)
    with pytest.raises(UsageError) as info:
        render_audio(
            script,
            spec,
            {"mp3": tmp_path / "nope" / "a.mp3"},
            tags=tags_for(spec.engine, spec.voice),
            jobs=1,
            cache=None,
            settings=settings,
        )
    assert info.value.reason == "output_dir_missing"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Am 3. Oktober feiert Deutschland. Danach nicht.", "Am 3. Oktober feiert Deutschland."),
        (
            "Die Stadtwerke erhöhen zum 1. Januar die Preise für Fernwärme um durchschnittlich "
            "zwölf Prozent, teilte das Unternehmen mit. Betroffen sind 8.000 Haushalte.",
            "Die Stadtwerke erhöhen zum 1. Januar die Preise für Fernwärme um…",
        ),
    ],
)
def test_an_article_without_headline_is_titled_by_its_opening_words(text: str, title: str) -> None:
    spec, _ = choose_engine("espeak", None, speed=1.0, settings=Settings(offline=True))
    tags = document_tags(Document.build([("paragraph", text)]), spec, fallback_title="id-1")
    assert tags.title == title and len(title) <= 80
    titled = Document.build([("title", "Preise steigen"), ("paragraph", text)])
    assert document_tags(titled, spec, fallback_title="id-1").title == "Preise steigen"
