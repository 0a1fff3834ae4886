"""render_article(): ingest → speak → synth → audio, and nothing else.

Each stage is a plain function from one typed value to the next. Side effects stay at the
edges: reading the source (ingest), worker processes (synth), writing files atomically
(audio, fileio). An output path is either a finished file or absent.

:func:`render_audio` is the one render path from a script to audio files, shared by
:func:`render_article` (CLI, ``vorlesen say``), the service's job
(:mod:`vorlesen.jobs.render`) and the newsroom preview (:mod:`vorlesen.web.preview`). It
streams: synthesized segments are spooled to an unnamed temporary file while loudness is
measured, then mastered and fed to every requested encoder at once, chunk by chunk — so
memory stays flat for a 60-minute long-read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from vorlesen.audio import chapters_from
from vorlesen.audio.encode import AudioTags, encode_stream
from vorlesen.audio.stream import streaming_master
from vorlesen.audio.timings import timings_json, webvtt
from vorlesen.config import Settings, get_settings
from vorlesen.errors import UsageError
from vorlesen.fileio import check_output_path, write_text_atomic
from vorlesen.lexicon import LexEntry, Lexicon, LexiconFile
from vorlesen.models import AudioArray, Document, Rendition, Script, Segment, Timing
from vorlesen.speak.script import make_script
from vorlesen.synth.base import EngineSpec
from vorlesen.synth.cache import SegmentCache
from vorlesen.synth.pool import SynthItem, WarmPool, synthesize_all
from vorlesen.synth.select import choose_engine

__all__ = [
    "AudioFormat",
    "RenderOptions",
    "RenderedAudio",
    "document_tags",
    "make_article_script",
    "render_article",
    "render_audio",
    "timings_meta",
]

AudioFormat = Literal["mp3", "opus", "wav"]
FORMATS: tuple[str, ...] = get_args(AudioFormat)

ProgressCallback = Callable[[Segment, int], None]
"""Called with each finished segment and the total number of utterances."""


@dataclass(frozen=True)
class RenderOptions:
    """Per-render choices (engine configuration lives in :class:`Settings`)."""

    format: AudioFormat = "mp3"
    engine: str | None = None
    """``piper`` or ``espeak``; None picks Piper with a fallback to espeak-ng."""
    voice: str | None = None
    """Voice name or ``.onnx`` path; None means the configured default voice."""
    speed: float = 1.0
    jobs: int = 0
    """Synthesis worker processes; 0 means one per core."""
    use_cache: bool = True
    """Reuse utterances synthesized before with the same voice and settings."""
    lexicon: Path | None = None
    """A pronunciation lexicon file (.tsv or .pls), applied over everything else."""
    entries: tuple[LexEntry, ...] = ()
    """The publisher's lexicon (the service's database), applied over the built-in one."""
    builtin_lexicon: bool = True
    """Apply the built-in table of names and English terms common in German news."""

    def validate(self) -> None:
        if self.format not in FORMATS:
            raise UsageError(
                f"Unknown audio format {self.format!r}; use one of {', '.join(FORMATS)}.",
                reason="bad_format",
            )
        if not 0.25 <= self.speed <= 4.0:
            raise UsageError(
                f"Speed {self.speed} is out of range; use a factor from 0.25 to 4.",
                reason="bad_speed",
            )
        if self.jobs < 0:
            raise UsageError("--jobs must be 0 (one per core) or more.", reason="bad_jobs")
        if self.engine not in (None, "piper", "espeak"):
            raise UsageError(
                f"Unknown engine {self.engine!r}; use piper or espeak.", reason="bad_engine"
            )


def load_lexicon(options: RenderOptions) -> Lexicon:
    """The built-in lexicon (unless switched off), extended by the publisher's entries and
    then by the lexicon file."""
    lexicon = Lexicon.builtin() if options.builtin_lexicon else Lexicon()
    if options.entries:
        lexicon = lexicon.extended(list(options.entries))
    if options.lexicon is not None:
        lexicon = lexicon.extended(LexiconFile(options.lexicon).load(missing_ok=False))
    return lexicon


def make_article_script(
    source: str | Document,
    *,
    language: str | None = None,
    options: RenderOptions | None = None,
    voice: str | None = None,
    settings: Settings | None = None,
    warn: Callable[[str], None] | None = None,
) -> Script:
    """Ingest ``source`` (URL, path, ``-``) and make the script that would be spoken;
    ``warn`` hears what an editor should check (a doubtful extraction …)."""
    settings = settings or get_settings()
    options = options or RenderOptions()
    lexicon = load_lexicon(options)
    document = _ingest(source, language, settings)
    if warn is not None:
        for warning in document.warnings:
            warn(warning)
    return make_script(document, lexicon=lexicon, voice=voice or options.voice or settings.voice)


def _ingest(source: str | Document, language: str | None, settings: Settings) -> Document:
    if isinstance(source, Document):
        return source
    # Imported here, not at the top: a render starts its synthesis workers first, and the
    # readers (trafilatura, lxml: ≈0.5 s) load while the workers load the voice.
    from vorlesen import ingest

    return ingest.load(source, language=language, settings=settings)


_TITLE_CHARS = 80
"""Longest title made from an article's first sentence (podcast apps cut near here)."""


def opening_words(document: Document) -> str | None:
    """A title for an article that has none: its first sentence, cut at a word boundary
    to at most ``_TITLE_CHARS`` characters (with "…")."""
    from vorlesen.speak.segment import split_sentences

    first = next((b.text for b in document.blocks if b.text.strip()), "")
    spans = split_sentences(first)
    if not spans:
        return None
    sentence = first[spans[0][0] : spans[0][1]].strip()
    if len(sentence) <= _TITLE_CHARS:
        return sentence
    cut = sentence[: _TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:–- ")
    return cut + "…"


def document_tags(document: Document, spec: EngineSpec, *, fallback_title: str) -> AudioTags:
    """The audio tags of a rendered article: what it is, who published it, who spoke it
    (an article without a headline is titled by its opening words, else ``fallback_title``)."""
    return AudioTags(
        title=document.headline or document.title or opening_words(document) or fallback_title,
        site=document.site,
        date=document.published,
        language=document.language,
        engine=spec.engine,
        voice=spec.voice,
        url=document.url,
    )


@dataclass(frozen=True, slots=True)
class RenderedAudio:
    """What :func:`render_audio` produced: the numbers callers report and the timings
    they write as sidecars."""

    duration: float
    """Seconds of audio."""
    sample_rate: int
    timings: tuple[Timing, ...]
    loudness_lufs: float
    true_peak_db: float
    synthesized: int
    """Utterances synthesized by an engine."""
    cached: int
    """Utterances served from the cache."""


def timings_meta(
    document: Document, spec: EngineSpec, *, title: str, audio: str, duration: float
) -> dict[str, object]:
    """The ``meta`` block of a rendered article's timings JSON: what was read, by whom."""
    return {
        "title": title,
        "site": document.site,
        "url": document.url,
        "published": document.published,
        "language": document.language,
        "engine": spec.engine,
        "voice": spec.voice,
        "audio": audio,
        "duration": round(duration, 3),
        "text": document.text,
    }


LOSSY_PEAK_MARGIN_DB = 1.0
"""Lossy codecs overshoot the mastered peak when decoded (measured on speech at our
bitrates: MP3 +0.3, Opus +0.6 dB), so a render with an MP3 or Opus output is mastered this
much below ``VORLESEN_TRUE_PEAK_DB`` and the decoded files keep the ceiling (loudness
recommendations such as AES TD1004 ask for such headroom at low bitrates)."""


def render_audio(
    script: Script,
    spec: EngineSpec,
    outputs: Mapping[AudioFormat, Path],
    *,
    tags: AudioTags,
    jobs: int,
    cache: SegmentCache | None,
    settings: Settings,
    progress: ProgressCallback | None = None,
    heartbeat: Callable[[], None] | None = None,
    warm: WarmPool | None = None,
) -> RenderedAudio:
    """Speak ``script`` with ``spec`` into every file of ``outputs`` (format → path): the
    one render path of the CLI, the service and the newsroom preview.

    Synthesis streams segments into a spool file next to the first output while their
    loudness is measured (:func:`~vorlesen.audio.stream.streaming_master`); mastering
    then streams the programme once through all encoders together
    (:func:`~vorlesen.audio.encode.encode_stream`). Memory stays flat however long the
    text; the programme is never held whole. ``progress`` gets each finished segment and
    the number of utterances; ``heartbeat`` is called after each segment and each encoded
    chunk (it may raise to abandon the render). Tags and chapters (from the timings) are
    written into each file. Every output appears atomically, or not at all on any error
    or interrupt; the spool file is unnamed and disappears with the render. Workers
    started ahead in ``warm`` are used first.
    """
    if not outputs:
        raise UsageError("No output file was requested.", reason="no_output")
    for path in outputs.values():
        check_output_path(path)
    items = [
        SynthItem(
            index=u.index,
            text=u.spoken,
            phonemes=u.phonemes,
            speed=u.rate,
            timed=settings.word_timings,
        )
        for u in script.utterances
    ]
    total = len(items)
    stream = synthesize_all(items, spec, jobs=jobs, cache=cache, warm=warm)

    def segments() -> Iterator[Segment]:
        for segment in stream:
            if progress is not None:
                progress(segment, total)
            if heartbeat is not None:
                heartbeat()
            yield segment

    def ticking(chunks: Iterator[AudioArray]) -> Iterator[AudioArray]:
        for chunk in chunks:
            yield chunk
            if heartbeat is not None:
                heartbeat()

    directory = next(iter(outputs.values())).parent
    margin = LOSSY_PEAK_MARGIN_DB if set(outputs) - {"wav"} else 0.0
    with (
        stream,
        streaming_master(
            segments(),
            script.utterances,
            directory=directory if str(directory) else Path("."),
            target_lufs=settings.target_lufs,
            true_peak_db=settings.true_peak_db - margin,
        ) as mastered,
    ):
        if heartbeat is not None:
            heartbeat()
        encode_stream(
            ticking(mastered.chunks()),
            mastered.sample_rate,
            outputs,
            tags,
            chapters_from(mastered.timings),
        )
    return RenderedAudio(
        duration=mastered.duration,
        sample_rate=mastered.sample_rate,
        timings=mastered.timings,
        loudness_lufs=mastered.loudness_lufs,
        true_peak_db=mastered.true_peak_db,
        synthesized=stream.stats.synthesized,
        cached=stream.stats.cached,
    )


def render_article(
    source: str | Document,
    out: Path,
    *,
    language: str | None = None,
    options: RenderOptions | None = None,
    timings_path: Path | None = None,
    vtt_path: Path | None = None,
    settings: Settings | None = None,
    progress: ProgressCallback | None = None,
    warn: Callable[[str], None] | None = None,
) -> Rendition:
    """Read an article aloud into ``out``; optionally write timings JSON and WebVTT.

    Raises a :class:`~vorlesen.errors.VorlesenError` subclass for every problem; on any
    failure (including Ctrl-C) no partial output file is left behind.
    """
    settings = settings or get_settings()
    options = options or RenderOptions()
    options.validate()
    for path in (out, timings_path, vtt_path):
        if path is not None:
            check_output_path(path)

    spec, warnings = choose_engine(
        options.engine, options.voice, speed=options.speed, settings=settings
    )
    jobs = options.jobs or settings.jobs
    # The workers load the voice while the article is read in and made speakable.
    with WarmPool(spec, jobs=jobs) as warm:
        lexicon = load_lexicon(options)
        document = _ingest(source, language, settings)
        for warning in (*document.warnings, *warnings):
            if warn is not None:
                warn(warning)
        script = make_script(document, lexicon=lexicon, voice=spec.voice)
        cache = SegmentCache(settings.cache_dir / "utterances") if options.use_cache else None
        tags = document_tags(document, spec, fallback_title=out.stem)
        rendered = render_audio(
            script,
            spec,
            {options.format: out},
            tags=tags,
            jobs=jobs,
            cache=cache,
            settings=settings,
            progress=progress,
            warm=warm,
        )
    engine = spec.engine
    duration = rendered.duration
    meta = timings_meta(document, spec, title=tags.title, audio=out.name, duration=duration)
    if timings_path is not None:
        write_text_atomic(timings_path, timings_json(rendered.timings, meta=meta))
    if vtt_path is not None:
        write_text_atomic(vtt_path, webvtt(rendered.timings))
    return Rendition(
        path=str(out),
        format=options.format,
        duration=duration,
        sample_rate=rendered.sample_rate,
        engine=engine,
        voice=spec.voice,
        timings=rendered.timings,
        loudness_lufs=rendered.loudness_lufs,
    )
