"""render_article(): ingest → speak → synth → audio, and nothing else.

Each stage is a plain function from one typed value to the next. Side effects stay at the
edges: reading the source (ingest), worker processes (synth), writing files atomically
(audio, fileio). Nothing is written until the audio is complete, so an output path is
either a finished file or absent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from vorlesen import ingest
from vorlesen.audio import chapters_from
from vorlesen.audio.encode import AudioTags, encode
from vorlesen.audio.master import master
from vorlesen.audio.timings import timings_json, webvtt
from vorlesen.config import Settings, get_settings
from vorlesen.errors import UsageError
from vorlesen.fileio import write_text_atomic
from vorlesen.lexicon import Lexicon, LexiconFile
from vorlesen.models import Document, Rendition, Script, Segment
from vorlesen.speak.script import make_script
from vorlesen.synth.cache import SegmentCache
from vorlesen.synth.pool import SynthItem, synthesize_all
from vorlesen.synth.select import choose_engine

__all__ = ["AudioFormat", "RenderOptions", "make_article_script", "render_article"]

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
    """The publisher's pronunciation lexicon (.tsv or .pls), applied over the built-in one."""
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
    """The built-in lexicon (unless switched off) extended by the publisher's file."""
    lexicon = Lexicon.builtin() if options.builtin_lexicon else Lexicon()
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
) -> Script:
    """Ingest ``source`` (URL, path, ``-``) and make the script that would be spoken."""
    settings = settings or get_settings()
    options = options or RenderOptions()
    lexicon = load_lexicon(options)
    document = _ingest(source, language, settings)
    return make_script(document, lexicon=lexicon, voice=voice or options.voice or settings.voice)


def _ingest(source: str | Document, language: str | None, settings: Settings) -> Document:
    if isinstance(source, Document):
        return source
    return ingest.load(source, language=language, settings=settings)


def _check_output_dir(path: Path | None) -> None:
    if path is None:
        return
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(
            f"The output directory {parent} does not exist; create it first.",
            reason="output_dir_missing",
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
        _check_output_dir(path)

    lexicon = load_lexicon(options)
    document = _ingest(source, language, settings)
    spec, warnings = choose_engine(
        options.engine, options.voice, speed=options.speed, settings=settings
    )
    for warning in (*document.warnings, *warnings):
        if warn is not None:
            warn(warning)
    script = make_script(document, lexicon=lexicon, voice=spec.voice)
    cache = SegmentCache(settings.cache_dir / "utterances") if options.use_cache else None
    items = [
        SynthItem(index=u.index, text=u.spoken, phonemes=u.phonemes, speed=u.rate)
        for u in script.utterances
    ]
    total = len(items)

    def segments() -> Iterator[Segment]:
        for segment in synthesize_all(items, spec, jobs=options.jobs or settings.jobs, cache=cache):
            if progress is not None:
                progress(segment, total)
            yield segment

    mastered = master(
        segments(),
        script.utterances,
        target_lufs=settings.target_lufs,
        true_peak_db=settings.true_peak_db,
    )
    engine = spec.engine
    tags = AudioTags(
        title=document.headline or document.title or out.stem,
        site=document.site,
        date=document.published,
        language=document.language,
        engine=engine,
        voice=spec.voice,
        url=document.url,
    )
    encode(
        mastered.audio,
        mastered.sample_rate,
        out,
        options.format,
        tags,
        chapters_from(mastered.timings),
    )
    duration = len(mastered.audio) / mastered.sample_rate
    meta: dict[str, object] = {
        "title": tags.title,
        "site": document.site,
        "url": document.url,
        "published": document.published,
        "language": document.language,
        "engine": engine,
        "voice": spec.voice,
        "audio": out.name,
        "duration": round(duration, 3),
        "text": document.text,
    }
    if timings_path is not None:
        write_text_atomic(timings_path, timings_json(mastered.timings, meta=meta))
    if vtt_path is not None:
        write_text_atomic(vtt_path, webvtt(mastered.timings))
    return Rendition(
        path=str(out),
        format=options.format,
        duration=duration,
        sample_rate=mastered.sample_rate,
        engine=engine,
        voice=spec.voice,
        timings=mastered.timings,
        loudness_lufs=mastered.loudness_lufs,
    )
