"""Encoding: mastered PCM → MP3, Opus or WAV, tagged, with chapters, written atomically.

* **MP3**: LAME through PyAV, mono at the voice's rate (22.05/24 kHz), 64 kbit/s CBR —
  plenty for one voice, and the format every podcast player and browser plays.
  Tags are ID3v2.4 (mutagen): TIT2, TPE1/TPUB, TDRC, TLAN, COMM (the disclosure),
  ``TXXX:AI_GENERATED=true``, ``TXXX:AI_ENGINE``, ``TXXX:AI_VOICE`` (EU AI Act Art. 50
  asks for a machine-readable marker), WOAS (article URL), and chapters as ``CHAP``
  frames under one top-level ``CTOC``.
* **Opus**: libopus in Ogg, resampled to 48 kHz (Opus's native rate), mono 40 kbit/s,
  libopus's default "audio" application (keeps breaths and room natural). Vorbis comments
  carry the same information, chapters in the ``CHAPTER001=HH:MM:SS.mmm`` convention.
* **WAV**: 16-bit PCM through the stdlib :mod:`wave`, tags as an ``id3 `` chunk.

Only this module imports ``av`` and ``mutagen``.
"""

# mutagen ships py.typed but leaves its constructors and frame classes unannotated;
# every call into it would otherwise need its own ignore.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import re
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, get_args

import av
import mutagen
import mutagen.id3 as id3
import mutagen.oggopus
import mutagen.wave
import numpy as np
from av.audio.stream import AudioStream

from vorlesen.audio.tags import AudioTags, Chapter, iso639_2
from vorlesen.errors import AudioError, UsageError
from vorlesen.fileio import atomic_write
from vorlesen.models import AudioArray

__all__ = ["AudioFormat", "AudioTags", "Chapter", "encode"]  # tags re-exported for callers

AudioFormat = Literal["mp3", "opus", "wav"]

MP3_BIT_RATE = 64_000
"""Mono speech at 22–24 kHz is transparent well below this; 64k is the podcast default."""
OPUS_BIT_RATE = 40_000
"""Opus reaches near-transparent mono speech around 32 kbit/s; 40k leaves headroom."""
OPUS_RATE = 48_000
"""Opus always decodes at 48 kHz; resampling here avoids a second resampler later."""
_CHUNK = 1 << 15
"""Samples per frame handed to the encoder (it re-buffers to its own frame size)."""
_ID3_NO_OFFSET = 0xFFFFFFFF
"""CHAP byte offsets 'not set' (ID3v2 chapter spec): players use the times."""


def encode(
    audio: AudioArray,
    sample_rate: int,
    path: Path,
    fmt: AudioFormat,
    tags: AudioTags,
    chapters: Sequence[Chapter] = (),
) -> None:
    """Encode mono ``audio`` to ``path`` in ``fmt`` with ``tags`` and ``chapters``.

    The file appears atomically: on any failure nothing is left at ``path`` (an older
    file there stays untouched).

    Raises:
        UsageError: ``bad_format`` for an unknown ``fmt``; ``output_dir_missing`` /
            ``output_not_writable`` for output path problems.
        AudioError: ``no_audio`` for empty input, ``bad_samples`` for an invalid rate or
            NaN/inf samples, ``encode_failed`` when the encoder or tagger fails.
    """
    if fmt not in get_args(AudioFormat):
        raise UsageError(
            f"Unknown audio format {fmt!r}; choose one of mp3, opus, wav.", reason="bad_format"
        )
    samples = _prepare(audio, sample_rate)
    path = Path(path)
    with atomic_write(path) as tmp:
        try:
            if fmt == "mp3":
                _encode_av(samples, sample_rate, tmp, "mp3", "libmp3lame", MP3_BIT_RATE)
                _write_id3(tmp, tags, chapters, wav=False)
            elif fmt == "opus":
                _encode_av(samples, sample_rate, tmp, "ogg", "libopus", OPUS_BIT_RATE)
                _write_vorbis_comments(tmp, tags, chapters)
            else:
                _encode_wav(samples, sample_rate, tmp)
                _write_id3(tmp, tags, chapters, wav=True)
        except (av.FFmpegError, mutagen.MutagenError, OSError, ValueError, wave.Error) as exc:
            raise AudioError(
                f"Encoding {path.name!r} as {fmt} failed: {exc}", reason="encode_failed"
            ) from exc


def _prepare(audio: AudioArray, sample_rate: int) -> AudioArray:
    """Checked, clipped, contiguous 1-D float32 samples."""
    if sample_rate <= 0:
        raise AudioError(f"Invalid sample rate {sample_rate}.", reason="bad_samples")
    samples = np.ascontiguousarray(np.asarray(audio, dtype=np.float32).reshape(-1))
    if len(samples) == 0:
        raise AudioError("There is no audio to encode.", reason="no_audio")
    if not np.all(np.isfinite(samples)):
        raise AudioError(
            "The audio contains invalid samples (NaN or infinity).", reason="bad_samples"
        )
    return np.clip(samples, -1.0, 1.0)


# ── encoders ────────────────────────────────────────────────────────────────────────────


def _encode_av(
    samples: AudioArray,
    sample_rate: int,
    path: Path,
    container_format: str,
    codec: str,
    bit_rate: int,
) -> None:
    """Encode through FFmpeg's libraries; Opus input is first resampled to 48 kHz."""
    out_rate = OPUS_RATE if codec == "libopus" else sample_rate
    with av.open(str(path), mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=out_rate, layout="mono")
        if not isinstance(stream, AudioStream) or stream.codec_context.format is None:
            raise AudioError(f"FFmpeg's {codec} is not an audio encoder.", reason="encode_failed")
        stream.bit_rate = bit_rate
        # Explicit resampler: float → the codec's sample format and, for Opus, → 48 kHz.
        resampler = av.AudioResampler(
            format=stream.codec_context.format.name, layout="mono", rate=out_rate
        )
        pts = 0
        for begin in range(0, len(samples), _CHUNK):
            chunk = samples[begin : begin + _CHUNK]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = sample_rate
            frame.pts = pts
            pts += len(chunk)
            for resampled in resampler.resample(frame):
                container.mux(stream.encode(resampled))
        for resampled in resampler.resample(None):
            container.mux(stream.encode(resampled))
        container.mux(stream.encode(None))


def _encode_wav(samples: AudioArray, sample_rate: int, path: Path) -> None:
    """16-bit little-endian PCM, mono (TPDF-free rounding is fine at −16 LUFS speech)."""
    pcm = np.round(samples * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())


# ── tags ────────────────────────────────────────────────────────────────────────────────

_ID3_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2})?)?)?)?)?")


def _id3_date(date: str) -> str | None:
    """ISO 8601 → the ID3v2.4 timestamp subset (no zone, no fractions), or None."""
    match = _ID3_DATE.match(date.strip().replace(" ", "T"))
    return match.group(0) if match else None


def _write_id3(path: Path, tags: AudioTags, chapters: Sequence[Chapter], *, wav: bool) -> None:
    """Replace the file's ID3 tag with ours (v2.4)."""
    frames = _id3_frames(tags, chapters)
    if wav:
        wav_file = mutagen.wave.WAVE(str(path))
        if wav_file.tags is None:
            wav_file.add_tags()
        assert wav_file.tags is not None
        for frame in frames:
            wav_file.tags.add(frame)
        wav_file.save(v2_version=4)
        return
    tag = id3.ID3()  # a fresh tag: drop the muxer's own (it only says "Lavf…")
    for frame in frames:
        tag.add(frame)
    tag.save(str(path), v2_version=4)


def _id3_frames(tags: AudioTags, chapters: Sequence[Chapter]) -> list[id3.Frame]:
    utf8 = id3.Encoding.UTF8
    lang = iso639_2(tags.language)
    frames: list[id3.Frame] = [
        id3.TIT2(encoding=utf8, text=[tags.title]),
        id3.TLAN(encoding=utf8, text=[lang]),
        id3.COMM(encoding=utf8, lang=lang, desc="", text=[tags.disclosure]),
        id3.TXXX(encoding=utf8, desc="AI_GENERATED", text=["true"]),
        id3.TXXX(encoding=utf8, desc="AI_ENGINE", text=[tags.engine]),
        id3.TXXX(encoding=utf8, desc="AI_VOICE", text=[tags.voice]),
    ]
    if tags.site:
        frames.append(id3.TPE1(encoding=utf8, text=[tags.site]))
        frames.append(id3.TPUB(encoding=utf8, text=[tags.site]))
    if tags.date and (stamp := _id3_date(tags.date)):
        frames.append(id3.TDRC(encoding=utf8, text=[stamp]))
    if tags.url:
        frames.append(id3.WOAS(url=tags.url))
    if chapters:
        ids = [f"chp{i}" for i in range(len(chapters))]
        for element_id, chapter in zip(ids, chapters, strict=True):
            frames.append(
                id3.CHAP(
                    element_id=element_id,
                    start_time=_ms(chapter.start),
                    end_time=max(_ms(chapter.end), _ms(chapter.start)),
                    start_offset=_ID3_NO_OFFSET,
                    end_offset=_ID3_NO_OFFSET,
                    sub_frames=[id3.TIT2(encoding=utf8, text=[chapter.title])],
                )
            )
        frames.append(
            id3.CTOC(
                element_id="toc",
                flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[id3.TIT2(encoding=utf8, text=[tags.title])],
            )
        )
    return frames


def _write_vorbis_comments(path: Path, tags: AudioTags, chapters: Sequence[Chapter]) -> None:
    opus = mutagen.oggopus.OggOpus(str(path))
    if opus.tags is None:
        opus.add_tags()
    comments = opus.tags
    assert comments is not None
    comments.clear()
    values: dict[str, str] = {
        "TITLE": tags.title,
        "LANGUAGE": iso639_2(tags.language),
        "AI_GENERATED": "true",
        "AI_ENGINE": tags.engine,
        "AI_VOICE": tags.voice,
        "DESCRIPTION": tags.disclosure,
        "COMMENT": tags.disclosure,
    }
    if tags.site:
        values["ORGANIZATION"] = tags.site
        values["ARTIST"] = tags.site
    if tags.date:
        values["DATE"] = tags.date
    if tags.url:
        values["CONTACT"] = tags.url
    for number, chapter in enumerate(chapters, start=1):
        key = f"CHAPTER{number:03d}"
        values[key] = _clock(chapter.start)
        values[f"{key}NAME"] = chapter.title
    for key, value in values.items():
        comments[key] = [value]
    opus.save()


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def _clock(seconds: float) -> str:
    """``HH:MM:SS.mmm`` (the Vorbis-comment chapter convention)."""
    ms = _ms(seconds)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"
