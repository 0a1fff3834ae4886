"""Encoding: mastered PCM → MP3, Opus or WAV, tagged, with chapters, written atomically.

* **MP3**: LAME (:mod:`vorlesen.audio.mp3`), mono at the voice's rate (22.05/24 kHz),
  64 kbit/s CBR — plenty for one voice, and the format every podcast player and browser
  plays; a LAME "Info" tag in front lets decoders cut the encoder's delay and padding.
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

import contextlib
import re
import sys
import wave
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Literal, Protocol, get_args

import mutagen
import mutagen.id3 as id3
import mutagen.oggopus
import mutagen.wave
import numpy as np

from vorlesen.audio.mp3 import Mp3Writer
from vorlesen.audio.tags import AudioTags, Chapter, iso639_2
from vorlesen.closing import Closing
from vorlesen.errors import AudioError, UsageError
from vorlesen.fileio import PendingFile
from vorlesen.models import AudioArray

# tags re-exported for callers
__all__ = ["AudioFormat", "AudioTags", "Chapter", "Encoders", "encode", "encode_stream"]

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

    The in-memory convenience over :func:`encode_stream` (``audio`` is left unchanged).
    The file appears atomically: on any failure nothing is left at ``path`` (an older
    file there stays untouched).

    Raises:
        UsageError: ``bad_format`` for an unknown ``fmt``; ``output_dir_missing`` /
            ``output_not_writable`` for output path problems.
        AudioError: ``no_audio`` for empty input, ``bad_samples`` for an invalid rate or
            NaN/inf samples, ``encode_failed`` when the encoder or tagger fails.
    """
    _check_format(fmt)
    samples = _prepare(audio, sample_rate)
    chunks = (samples[i : i + _CHUNK].copy() for i in range(0, len(samples), _CHUNK))
    encode_stream(chunks, sample_rate, {fmt: Path(path)}, tags, chapters)


def encode_stream(
    chunks: Iterable[AudioArray],
    sample_rate: int,
    outputs: Mapping[AudioFormat, Path],
    tags: AudioTags,
    chapters: Sequence[Chapter] = (),
) -> int:
    """Encode the mono float32 ``chunks`` into every file of ``outputs`` (format → path)
    at once, frame by frame, then write ``tags`` and ``chapters``; return the number of
    samples encoded (:class:`Encoders` in one go).

    Each chunk is clipped to ±1 *in place* (the chunks are consumed; pass copies of
    anything that must stay unchanged) and handed to all encoders before the next one is
    read, so memory does not depend on the length of the programme and the programme is
    read once for all formats. The files appear atomically and together: on any failure
    (including Ctrl-C) none of them is left behind.

    Raises:
        UsageError: ``bad_format``, ``output_dir_missing``, ``output_not_writable``.
        AudioError: ``no_audio``, ``bad_samples``, ``encode_failed``.
    """
    with Encoders(outputs) as encoders:
        if sample_rate <= 0:
            raise AudioError(f"Invalid sample rate {sample_rate}.", reason="bad_samples")
        for chunk in chunks:
            encoders.write(chunk, sample_rate)
        return encoders.finish(tags, chapters)


class Encoders(Closing):
    """Every output file of a render, fed the mastered programme chunk by chunk — possibly
    while it is still being synthesized (:func:`~vorlesen.audio.stream.streaming_master`
    calls :meth:`restart` when it has to master again from the start).

    Nothing appears at the outputs before :meth:`finish`; :meth:`close` without
    :meth:`finish` (an error, Ctrl-C) removes every temporary file.

    Raises:
        UsageError: ``bad_format`` / ``no_output`` at once; ``output_dir_missing`` /
            ``output_not_writable`` when the first chunk opens the files.
        AudioError: ``bad_samples``, ``no_audio``, ``encode_failed`` as
            :func:`encode_stream`.
    """

    def __init__(self, outputs: Mapping[AudioFormat, Path]) -> None:
        for fmt in outputs:
            _check_format(fmt)
        if not outputs:
            raise UsageError("No output file was requested.", reason="no_output")
        self._outputs = {fmt: Path(path) for fmt, path in outputs.items()}
        self._open: list[tuple[AudioFormat, PendingFile, _Writer]] = []
        self.samples = 0
        """Samples written since the start (or the last :meth:`restart`)."""

    def write(self, chunk: AudioArray, sample_rate: int) -> None:
        """Clip ``chunk`` to ±1 in place and hand it to every encoder (the first chunk
        opens the files at ``sample_rate``)."""
        samples = np.asarray(chunk, dtype=np.float32).reshape(-1)
        if len(samples) == 0:
            return
        if not np.all(np.isfinite(samples)):
            raise AudioError(
                "The audio contains invalid samples (NaN or infinity).", reason="bad_samples"
            )
        if samples.flags.writeable and samples.flags.c_contiguous:
            np.clip(samples, -1.0, 1.0, out=samples)
        else:
            samples = np.clip(samples, -1.0, 1.0)
        with self._failing():
            if not self._open:
                self._start(sample_rate)
            for _fmt, _pending, writer in self._open:
                writer.write(samples)
        self.samples += len(samples)

    def restart(self) -> None:
        """Drop everything written: the next chunk starts the files afresh."""
        self._discard()
        self.samples = 0

    def finish(self, tags: AudioTags, chapters: Sequence[Chapter] = ()) -> int:
        """Close the encoders, write ``tags`` and ``chapters``, and let every file appear;
        returns the samples encoded."""
        if self.samples == 0:
            raise AudioError("There is no audio to encode.", reason="no_audio")
        with self._failing():
            for fmt, pending, writer in self._open:
                writer.finish()
                if fmt == "opus":
                    _write_vorbis_comments(pending.tmp, tags, chapters)
                else:
                    _write_id3(pending.tmp, tags, chapters, wav=fmt == "wav")
        opened, self._open = self._open, []
        try:
            for _fmt, pending, _writer in opened:
                pending.commit()
        finally:
            for _fmt, pending, _writer in opened:
                pending.discard()  # those not renamed yet, after a failed rename
        return self.samples

    def close(self) -> None:
        """Remove whatever was not finished."""
        self._discard()

    def _start(self, sample_rate: int) -> None:
        if sample_rate <= 0:
            raise AudioError(f"Invalid sample rate {sample_rate}.", reason="bad_samples")
        for fmt, path in self._outputs.items():
            pending = PendingFile(path)
            try:
                writer = _open_writer(fmt, pending.tmp, sample_rate)
            except BaseException:
                pending.discard()
                raise
            self._open.append((fmt, pending, writer))

    def _discard(self) -> None:
        opened, self._open = self._open, []
        for _fmt, pending, writer in opened:
            with contextlib.suppress(Exception):
                writer.close()
            pending.discard()

    @contextlib.contextmanager
    def _failing(self) -> Iterator[None]:
        """Encoder and tagger failures as ``encode_failed``, naming the files."""
        try:
            yield
        except _encoder_errors() as exc:
            names = ", ".join(p.name for p in self._outputs.values())
            raise AudioError(f"Encoding {names} failed: {exc}", reason="encode_failed") from exc


def _encoder_errors() -> tuple[type[Exception], ...]:
    """What the encoders and taggers raise for a file they cannot write (FFmpeg's errors
    once PyAV is loaded: it is, only when an Opus file is written)."""
    errors: tuple[type[Exception], ...] = (mutagen.MutagenError, OSError, ValueError, wave.Error)
    av = sys.modules.get("av")
    return errors if av is None else (*errors, av.FFmpegError)


def _check_format(fmt: str) -> None:
    if fmt not in get_args(AudioFormat):
        raise UsageError(
            f"Unknown audio format {fmt!r}; choose one of mp3, opus, wav.", reason="bad_format"
        )


def _prepare(audio: AudioArray, sample_rate: int) -> AudioArray:
    """Checked, contiguous 1-D float32 samples (a view where possible, not a copy)."""
    if sample_rate <= 0:
        raise AudioError(f"Invalid sample rate {sample_rate}.", reason="bad_samples")
    samples = np.ascontiguousarray(np.asarray(audio, dtype=np.float32).reshape(-1))
    if len(samples) == 0:
        raise AudioError("There is no audio to encode.", reason="no_audio")
    if not np.all(np.isfinite(samples)):
        raise AudioError(
            "The audio contains invalid samples (NaN or infinity).", reason="bad_samples"
        )
    return samples


# ── encoders ────────────────────────────────────────────────────────────────────────────


class _Writer(Protocol):
    def write(self, samples: AudioArray) -> None: ...

    def finish(self) -> None: ...

    def close(self) -> None: ...


def _open_writer(fmt: AudioFormat, path: Path, sample_rate: int) -> _Writer:
    if fmt == "mp3":
        return Mp3Writer(path, sample_rate, MP3_BIT_RATE)
    if fmt == "opus":
        return _AvWriter(path, sample_rate, "ogg", "libopus", OPUS_BIT_RATE)
    return _WavWriter(path, sample_rate)


class _AvWriter:
    """An FFmpeg encoder fed chunk by chunk; Opus input is resampled to 48 kHz."""

    def __init__(
        self, path: Path, sample_rate: int, container_format: str, codec: str, bit_rate: int
    ) -> None:
        import av  # ≈0.15 s: loaded when an Opus file is written, not for MP3 or WAV
        from av.audio.stream import AudioStream

        out_rate = OPUS_RATE if codec == "libopus" else sample_rate
        self.sample_rate = sample_rate
        self.container = av.open(str(path), mode="w", format=container_format)
        self._closed = False
        stream = self.container.add_stream(codec, rate=out_rate, layout="mono")
        if not isinstance(stream, AudioStream) or stream.codec_context.format is None:
            self.close()
            raise AudioError(f"FFmpeg's {codec} is not an audio encoder.", reason="encode_failed")
        stream.bit_rate = bit_rate
        self.stream = stream
        # Explicit resampler: float → the codec's sample format and, for Opus, → 48 kHz.
        self._av = av
        self.resampler = av.AudioResampler(
            format=stream.codec_context.format.name, layout="mono", rate=out_rate
        )
        self.pts = 0

    def write(self, samples: AudioArray) -> None:
        for begin in range(0, len(samples), _CHUNK):
            chunk = np.ascontiguousarray(samples[begin : begin + _CHUNK])
            frame = self._av.AudioFrame.from_ndarray(
                chunk.reshape(1, -1), format="flt", layout="mono"
            )
            frame.sample_rate = self.sample_rate
            frame.pts = self.pts
            self.pts += len(chunk)
            for resampled in self.resampler.resample(frame):
                self.container.mux(self.stream.encode(resampled))

    def finish(self) -> None:
        for resampled in self.resampler.resample(None):
            self.container.mux(self.stream.encode(resampled))
        self.container.mux(self.stream.encode(None))
        self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.container.close()


class _WavWriter:
    """16-bit little-endian PCM, mono (TPDF-free rounding is fine at −16 LUFS speech)."""

    def __init__(self, path: Path, sample_rate: int) -> None:
        self._wave = wave.open(str(path), "wb")  # noqa: SIM115  # closed by close()
        self._closed = False
        self._wave.setnchannels(1)
        self._wave.setsampwidth(2)
        self._wave.setframerate(sample_rate)

    def write(self, samples: AudioArray) -> None:
        pcm = np.round(samples * np.float32(32767.0)).astype("<i2")
        self._wave.writeframes(pcm.tobytes())

    def finish(self) -> None:
        self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._wave.close()


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
