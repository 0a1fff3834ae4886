"""The one render path: request → engine → warm pool → ingest → script → synth → audio → target.

Each stage is a plain function from one typed value to the next. Side effects stay at the
edges: reading the source (ingest), worker processes (synth), writing outputs atomically
(audio, fileio, the target).

:func:`render` is the one function every render goes through — ``vorlesen read`` and
``vorlesen say`` (:func:`render_article`, files), the service's render of a revision
(:mod:`vorlesen.service.render`, the blob store) and the newsroom preview
(:mod:`vorlesen.service.preview`, memory). It takes a typed :class:`RenderRequest` (what to
read, with which engine, voice, language and lexicon) and a :class:`RenderTarget` (where
the audio and its sidecars go). The engine is chosen first and its workers load the voice
while the article is read in and made speakable. :func:`render_audio`, its last step,
streams: synthesized segments are spooled to an unnamed temporary file while loudness is
measured, then mastered and fed to every requested encoder at once, chunk by chunk — so
memory stays flat for a 60-minute long-read.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, get_args

from vorlesen.audio import chapters_from
from vorlesen.audio.encode import AudioTags, Encoders
from vorlesen.audio.stream import streaming_master
from vorlesen.audio.timings import timings_json, webvtt
from vorlesen.config import Settings, get_settings
from vorlesen.errors import UsageError
from vorlesen.fileio import check_output_path, write_text_atomic
from vorlesen.lexicon import LexEntry, Lexicon, LexiconFile
from vorlesen.limits import check_document, check_script
from vorlesen.models import AudioArray, Document, Rendition, Script, Segment, Timing
from vorlesen.speak.script import make_script
from vorlesen.synth.base import EngineSpec, engine_family
from vorlesen.synth.cache import SegmentCache
from vorlesen.synth.pool import SynthItem, WarmPool, synthesize_all
from vorlesen.synth.select import choose_engine

__all__ = [
    "AudioFormat",
    "FileTarget",
    "MemoryTarget",
    "RenderOptions",
    "RenderRequest",
    "RenderTarget",
    "RenderedArticle",
    "RenderedAudio",
    "document_tags",
    "make_article_script",
    "render",
    "render_article",
    "render_audio",
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
    """A registered engine's name; None picks the default engine (its default voice falls
    back to the offline engine when it cannot be had)."""
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
        if self.engine:  # "" (an empty VORLESEN_ENGINE) means the default engine
            engine_family(self.engine)  # UsageError naming the installed engines


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
    document = _read(source, language, settings)
    if warn is not None:
        for warning in document.warnings:
            warn(warning)
    return make_script(document, lexicon=lexicon, voice=voice or options.voice or settings.voice)


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
    streams the programme once through all encoders together
    (:class:`~vorlesen.audio.encode.Encoders`) — early, while synthesis goes on, once a
    third of it is there to measure, so the encoders are done soon after the last
    segment. Memory stays flat however long the text; the programme is never held whole.
    ``progress`` gets each finished segment and the number of utterances; ``heartbeat`` is
    called after each segment and each chunk encoded after mastering (it may raise to
    abandon the render). Tags and chapters (from the timings) are
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
        Encoders(outputs) as encoders,
        streaming_master(
            segments(),
            script.utterances,
            directory=directory if str(directory) else Path("."),
            target_lufs=settings.target_lufs,
            true_peak_db=settings.true_peak_db - margin,
            early=encoders,
        ) as mastered,
    ):
        if heartbeat is not None:
            heartbeat()
        if not mastered.delivered:
            for chunk in ticking(mastered.chunks()):
                encoders.write(chunk, mastered.sample_rate)
        encoders.finish(tags, chapters_from(mastered.timings))
    return RenderedAudio(
        duration=mastered.duration,
        sample_rate=mastered.sample_rate,
        timings=mastered.timings,
        loudness_lufs=mastered.loudness_lufs,
        true_peak_db=mastered.true_peak_db,
        synthesized=stream.stats.synthesized,
        cached=stream.stats.cached,
    )


Source = str | Document | Callable[[Settings], Document]
"""What a render reads: a URL, a path or ``-``; a document already read; or a function that
reads one (the service's CMS payload), called while the workers load the voice."""


@dataclass(frozen=True)
class RenderRequest:
    """Everything a render needs to know, whoever asks for it."""

    source: Source
    options: RenderOptions = field(default_factory=RenderOptions)
    """Engine, voice, speed, workers, cache and lexicon (``format`` is the target's)."""
    language: str | None = None
    """Skip language detection."""
    fallback_title: str = "vorlesen"
    """The title of an article without headline or opening sentence."""
    limits: bool = False
    """Refuse an article over the per-article limits (:mod:`vorlesen.limits`) before
    synthesis (the service's renders)."""


@dataclass(frozen=True, slots=True)
class RenderedArticle:
    """What :func:`render` read, said and produced."""

    document: Document
    script: Script
    spec: EngineSpec
    tags: AudioTags
    audio: RenderedAudio
    warnings: tuple[str, ...]
    """What the user should hear about: the document's doubts and the engine's fallback."""

    def meta(self, audio: str) -> dict[str, object]:
        """The ``meta`` block of the timings JSON (what was read, by whom), naming
        ``audio`` as its file."""
        document, spec = self.document, self.spec
        return {
            "title": self.tags.title,
            "site": document.site,
            "url": document.url,
            "published": document.published,
            "language": document.language,
            "engine": spec.engine,
            "voice": spec.voice,
            "audio": audio,
            "duration": round(self.audio.duration, 3),
            "text": document.text,
        }


class RenderTarget(Protocol):
    """Where a render's audio and sidecars go (files, blob store, memory)."""

    def open(self) -> contextlib.AbstractContextManager[Mapping[AudioFormat, Path]]:
        """The files to encode into, format → path; checked before anything is read, kept
        (or cleaned up) when the context closes."""
        ...

    def finish(self, rendered: RenderedArticle, outputs: Mapping[AudioFormat, Path]) -> None:
        """Called once the audio files are complete: write sidecars, upload, read back."""
        ...


@dataclass
class FileTarget:
    """The CLI's target: one audio file, optional timings JSON and WebVTT beside it, each
    written atomically (on any error none is left half-written)."""

    audio: Path
    format: AudioFormat
    timings: Path | None = None
    vtt: Path | None = None

    @contextlib.contextmanager
    def open(self) -> Iterator[Mapping[AudioFormat, Path]]:
        for path in (self.audio, self.timings, self.vtt):
            if path is not None:
                check_output_path(path)
        yield {self.format: self.audio}

    def finish(self, rendered: RenderedArticle, outputs: Mapping[AudioFormat, Path]) -> None:
        meta = rendered.meta(self.audio.name)
        if self.timings is not None:
            write_text_atomic(self.timings, timings_json(rendered.audio.timings, meta=meta))
        if self.vtt is not None:
            write_text_atomic(self.vtt, webvtt(rendered.audio.timings))


@dataclass
class MemoryTarget:
    """The audio as bytes (the newsroom preview): encoded into a temporary directory that
    is gone when the render returns."""

    format: AudioFormat = "wav"
    data: bytes = b""
    """The encoded audio, once the render finished."""

    @contextlib.contextmanager
    def open(self) -> Iterator[Mapping[AudioFormat, Path]]:
        with tempfile.TemporaryDirectory(prefix="vorlesen-memory-") as tmp:
            yield {self.format: Path(tmp) / f"audio.{self.format}"}

    def finish(self, rendered: RenderedArticle, outputs: Mapping[AudioFormat, Path]) -> None:
        self.data = outputs[self.format].read_bytes()


def render(
    request: RenderRequest,
    target: RenderTarget,
    *,
    settings: Settings | None = None,
    workers: WarmPool | None = None,
    warn: Callable[[str], None] | None = None,
    planned: Callable[[int], None] | None = None,
    progress: ProgressCallback | None = None,
    heartbeat: Callable[[], None] | None = None,
) -> RenderedArticle:
    """Read ``request``'s source aloud into ``target``: the one render path.

    The engine is chosen first; its worker processes load the voice while the source is
    read in and made speakable (``workers``: a render worker's kept pool, topped up for
    this voice; without it a pool is started for this render alone). ``warn`` hears the
    document's doubts and the engine's fallback as soon as they are known; ``planned`` the
    number of utterances once the script is made (and passed the limits, when the request
    asks for them); ``progress`` and ``heartbeat`` as in :func:`render_audio`.

    Raises a :class:`~vorlesen.errors.VorlesenError` subclass for every problem. On any
    failure (including Ctrl-C) the workers are stopped and the audio files are not
    written (file and memory targets leave nothing behind; a blob target's upload may
    have put some of a revision's files, which nothing points at).
    """
    settings = settings or get_settings()
    options = request.options
    options.validate()
    jobs = options.jobs or settings.jobs
    # The target first: a bad output path is refused before a voice is fetched or a
    # worker started.
    with contextlib.ExitStack() as stack:
        outputs = stack.enter_context(target.open())
        spec, engine_warnings = choose_engine(
            options.engine, options.voice, speed=options.speed, settings=settings
        )
        if workers is not None:
            workers.start(spec)  # a render worker's kept pool, topped up for this voice
            warm = workers
        else:
            warm = stack.enter_context(WarmPool(spec, jobs=jobs))
        lexicon = load_lexicon(options)
        document = _read(request.source, request.language, settings)
        warnings = (*document.warnings, *engine_warnings)
        if warn is not None:
            for warning in warnings:
                warn(warning)
        if request.limits:
            check_document(document, settings)
        script = make_script(document, lexicon=lexicon, voice=spec.voice)
        if request.limits:
            check_script(script, settings)
        if planned is not None:
            planned(len(script.utterances))
        cache = SegmentCache(settings.cache_dir / "utterances") if options.use_cache else None
        tags = document_tags(document, spec, fallback_title=request.fallback_title)
        audio = render_audio(
            script,
            spec,
            outputs,
            tags=tags,
            jobs=jobs,
            cache=cache,
            settings=settings,
            progress=progress,
            heartbeat=heartbeat,
            warm=warm,
        )
        rendered = RenderedArticle(
            document=document,
            script=script,
            spec=spec,
            tags=tags,
            audio=audio,
            warnings=warnings,
        )
        target.finish(rendered, outputs)
    return rendered


def _read(source: Source, language: str | None, settings: Settings) -> Document:
    """The document ``source`` names: itself, what a reader function returns, or the page
    or file at that address."""
    if isinstance(source, Document):
        return source
    if callable(source):
        return source(settings)
    # Imported here, not at the top: a render starts its synthesis workers first, and the
    # readers (trafilatura, lxml: ≈0.5 s) load while the workers load the voice.
    from vorlesen import ingest

    return ingest.load(source, language=language, settings=settings)


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
    workers: WarmPool | None = None,
) -> Rendition:
    """Read an article aloud into ``out``; optionally write timings JSON and WebVTT
    (``workers``: started ahead, as :func:`render` takes them).

    Raises a :class:`~vorlesen.errors.VorlesenError` subclass for every problem; on any
    failure (including Ctrl-C) no partial output file is left behind.
    """
    options = options or RenderOptions()
    request = RenderRequest(
        source=source, options=options, language=language, fallback_title=out.stem
    )
    target = FileTarget(out, options.format, timings=timings_path, vtt=vtt_path)
    rendered = render(
        request, target, settings=settings, workers=workers, progress=progress, warn=warn
    )
    return Rendition(
        path=str(out),
        format=options.format,
        duration=rendered.audio.duration,
        sample_rate=rendered.audio.sample_rate,
        engine=rendered.spec.engine,
        voice=rendered.spec.voice,
        timings=rendered.audio.timings,
        loudness_lufs=rendered.audio.loudness_lufs,
    )
