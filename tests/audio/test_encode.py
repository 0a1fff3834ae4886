"""Encoding: decoded files keep length and loudness; tags, AI marker and chapters are readable.

Decoding goes through PyAV (FFmpeg's decoders), tags through mutagen — readers a
podcast app would use too.

Codec tolerance for true peak: MP3 and Opus are lossy; the decoded waveform differs from
the input, and inter-sample overshoot of a few tenths of a dB over the mastered −1 dBTP
is normal (that is why −1 dBTP, not 0, is the podcast ceiling). We allow +0.5 dB.
"""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import av
import mutagen.id3
import mutagen.oggopus
import mutagen.wave
import numpy as np
import pytest

from vorlesen.audio import AudioTags, Chapter, Mastered, encode, master
from vorlesen.errors import AudioError, UsageError

SR = 22050
CODEC_PEAK_TOLERANCE_DB = 0.5
TAGS = AudioTags(
    title="Bahn saniert „Riedbahn“ – 70 km gesperrt",
    site="Tagesschau",
    date="2024-07-15T06:30:00+02:00",
    language="de",
    engine="piper",
    voice="de_DE-thorsten-medium",
    url="https://example.org/bahn",
)
CHAPTERS = [
    Chapter("Bahn saniert „Riedbahn“", 0.0, 2.0),
    Chapter("Was Pendler wissen müssen", 2.0, 4.5),
]


@pytest.fixture(scope="module")
def mastered() -> Mastered:
    """About 4.5 s of mastered speech-like audio (built without fixtures: module scope)."""
    rng = np.random.default_rng(1)
    from scipy.signal import butter, sosfilt

    sos = butter(4, [300, 3400], btype="bandpass", fs=SR, output="sos")
    from vorlesen.models import Segment, Utterance

    segments, utts = [], []
    for i, length in enumerate([1.2, 0.9, 1.6]):
        x = sosfilt(sos, rng.standard_normal(round(length * SR)))
        segments.append(Segment(i, (0.5 * x / np.max(np.abs(x))).astype(np.float32), SR))
        utts.append(Utterance(i, i, "paragraph", f"Satz {i}.", f"Satz {i}.", 0, 7, 0.3))
    return master(segments, utts)


def decode(path: Path) -> tuple[np.ndarray[Any, Any], int]:
    """All samples of the first audio stream as float64 mono in [-1, 1], and the rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        to_float = av.AudioResampler(format="flt", layout="mono", rate=stream.rate)
        chunks = [
            out.to_ndarray().astype(np.float64).reshape(-1)
            for frame in container.decode(stream)
            for out in to_float.resample(frame)
        ]
        chunks += [
            out.to_ndarray().astype(np.float64).reshape(-1) for out in to_float.resample(None)
        ]
        return np.concatenate(chunks), stream.rate


@pytest.mark.parametrize(
    ("fmt", "codec", "rate", "duration_tol"),
    [
        ("mp3", "mp3", SR, 1152 / SR),  # one MPEG-2 layer III frame
        ("opus", "opus", 48000, 0.020),  # one 20 ms Opus frame
        ("wav", "pcm_s16le", SR, 0.0),
    ],
)
def test_decoded_file_keeps_length_loudness_and_ceiling(
    kit: Any,
    tmp_path: Path,
    mastered: Mastered,
    fmt: str,
    codec: str,
    rate: int,
    duration_tol: float,
) -> None:
    path = tmp_path / f"article.{fmt}"
    encode(mastered.audio, mastered.sample_rate, path, fmt, TAGS, CHAPTERS)  # type: ignore[arg-type]
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name.startswith(codec)  # FFmpeg decodes MP3 as "mp3float"
        assert stream.codec_context.layout.nb_channels == 1
    audio, decoded_rate = decode(path)
    assert decoded_rate == rate
    assert len(audio) / rate == pytest.approx(mastered.duration, abs=duration_tol + 1e-9)
    assert kit.loudness(audio, rate) == pytest.approx(-16.0, abs=1.0)
    tolerance = 1e-3 if fmt == "wav" else CODEC_PEAK_TOLERANCE_DB
    assert kit.true_peak(audio) <= -1.0 + tolerance
    assert os_listdir(tmp_path) == [path.name]  # no temp files left behind


def os_listdir(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


def test_mp3_has_id3v24_tags_ai_marker_and_chapters(tmp_path: Path, mastered: Mastered) -> None:
    path = tmp_path / "a.mp3"
    encode(mastered.audio, mastered.sample_rate, path, "mp3", TAGS, CHAPTERS)
    tags = mutagen.id3.ID3(path)
    assert tags.version[:2] == (2, 4)
    assert tags["TIT2"].text == [TAGS.title]
    assert tags["TPE1"].text == ["Tagesschau"]
    assert tags["TPUB"].text == ["Tagesschau"]
    assert str(tags["TDRC"].text[0]) == "2024-07-15 06:30:00"
    assert tags["TLAN"].text == ["deu"]
    comments = tags.getall("COMM")
    assert len(comments) == 1
    assert "künstlich generiert" in comments[0].text[0]
    assert "piper" in comments[0].text[0]
    assert "de_DE-thorsten-medium" in comments[0].text[0]
    assert tags["TXXX:AI_GENERATED"].text == ["true"]
    assert tags["TXXX:AI_ENGINE"].text == ["piper"]
    assert tags["TXXX:AI_VOICE"].text == ["de_DE-thorsten-medium"]
    assert tags["WOAS"].url == "https://example.org/bahn"

    chaps = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [(c.start_time, c.end_time) for c in chaps] == [(0, 2000), (2000, 4500)]
    assert [c.sub_frames["TIT2"].text[0] for c in chaps] == [c.title for c in CHAPTERS]
    (toc,) = tags.getall("CTOC")
    assert toc.flags & mutagen.id3.CTOCFlags.TOP_LEVEL
    assert toc.flags & mutagen.id3.CTOCFlags.ORDERED
    assert list(toc.child_element_ids) == [c.element_id for c in chaps]


def test_mp3_at_24_khz_keeps_its_rate(tmp_path: Path, mastered: Mastered) -> None:
    from scipy.signal import resample_poly

    audio24 = resample_poly(mastered.audio, 320, 294).astype(np.float32)  # 22050 → 24000
    path = tmp_path / "a.mp3"
    encode(audio24, 24000, path, "mp3", TAGS)
    audio, rate = decode(path)
    assert rate == 24000
    assert len(audio) / rate == pytest.approx(len(audio24) / 24000, abs=1152 / 24000)
    assert mutagen.id3.ID3(path).getall("CHAP") == []


def test_opus_has_vorbis_comments_and_chapters(tmp_path: Path, mastered: Mastered) -> None:
    path = tmp_path / "a.opus"
    encode(mastered.audio, mastered.sample_rate, path, "opus", TAGS, CHAPTERS)
    opus = mutagen.oggopus.OggOpus(path)
    tags = opus.tags
    assert tags is not None
    assert tags["TITLE"] == [TAGS.title]
    assert tags["ORGANIZATION"] == ["Tagesschau"]
    assert tags["DATE"] == ["2024-07-15T06:30:00+02:00"]
    assert tags["LANGUAGE"] == ["deu"]
    assert tags["AI_GENERATED"] == ["true"]
    assert tags["AI_ENGINE"] == ["piper"]
    assert tags["AI_VOICE"] == ["de_DE-thorsten-medium"]
    assert "künstlich generiert" in tags["DESCRIPTION"][0]
    assert tags["CHAPTER001"] == ["00:00:00.000"]
    assert tags["CHAPTER001NAME"] == ["Bahn saniert „Riedbahn“"]
    assert tags["CHAPTER002"] == ["00:00:02.000"]
    assert tags["CHAPTER002NAME"] == ["Was Pendler wissen müssen"]
    assert opus.info.channels == 1
    assert opus.info.length == pytest.approx(mastered.duration, abs=0.02)


def test_wav_is_16_bit_pcm_readable_by_wave_with_id3(tmp_path: Path, mastered: Mastered) -> None:
    path = tmp_path / "a.wav"
    encode(mastered.audio, mastered.sample_rate, path, "wav", TAGS, CHAPTERS)
    with wave.open(str(path), "rb") as w:
        assert w.getnchannels() == 1
        assert w.getsampwidth() == 2
        assert w.getframerate() == SR
        assert w.getnframes() == len(mastered.audio)
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert np.max(np.abs(pcm / 32767.0 - mastered.audio)) < 1 / 32767
    tags = mutagen.wave.WAVE(path).tags
    assert tags is not None
    assert tags["TIT2"].text == [TAGS.title]
    assert tags["TXXX:AI_GENERATED"].text == ["true"]
    assert len(tags.getall("CHAP")) == 2


def test_missing_output_directory_is_a_usage_error(tmp_path: Path, mastered: Mastered) -> None:
    with pytest.raises(UsageError) as info:
        encode(mastered.audio, SR, tmp_path / "out" / "a.mp3", "mp3", TAGS)
    assert info.value.reason == "output_dir_missing"
    assert not (tmp_path / "out").exists()


def test_encoder_failure_is_an_audio_error_and_leaves_nothing(tmp_path: Path) -> None:
    # LAME has no 7 kHz mode: FFmpeg refuses to open the encoder.
    path = tmp_path / "a.mp3"
    path.write_bytes(b"previous version")
    tone = np.sin(np.arange(7000) / 7000 * 2 * np.pi * 440).astype(np.float32) * 0.5
    with pytest.raises(AudioError) as info:
        encode(tone, 7000, path, "mp3", TAGS)
    assert info.value.reason == "encode_failed"
    assert path.read_bytes() == b"previous version"
    assert os_listdir(tmp_path) == ["a.mp3"]


def test_unknown_format_is_a_usage_error(tmp_path: Path, mastered: Mastered) -> None:
    with pytest.raises(UsageError) as info:
        encode(mastered.audio, SR, tmp_path / "a.aac", "aac", TAGS)  # type: ignore[arg-type]
    assert info.value.reason == "bad_format"


def test_empty_audio_is_an_audio_error(tmp_path: Path) -> None:
    with pytest.raises(AudioError) as info:
        encode(np.zeros(0, np.float32), SR, tmp_path / "a.wav", "wav", TAGS)
    assert info.value.reason == "no_audio"
    assert os_listdir(tmp_path) == []


def test_disclosure_includes_comment() -> None:
    tags = AudioTags("T", None, None, "de", "espeak-ng", "de", comment="Redaktionell geprüft.")
    assert tags.disclosure.startswith("Diese Audioversion wurde künstlich generiert.")
    assert tags.disclosure.endswith("Redaktionell geprüft.")
    assert "espeak-ng" in tags.disclosure
