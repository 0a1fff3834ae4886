"""Rendering one claimed article revision into blob storage, incrementally.

The same stages as :func:`vorlesen.pipeline.render_article` — ingest, speak, synth, audio —
with what a service adds: the publisher lexicon from the database, the shared utterance
cache (so an edited article re-synthesizes only the utterances whose spoken form or voice
changed), both MP3 and Opus, and files written into ``audio/{source_id}/{revision}/`` of
the blob store. Nothing points at that revision until every file is in place.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from vorlesen import ingest
from vorlesen.artwork import fetch_episode_cover
from vorlesen.audio.encode import AudioFormat
from vorlesen.audio.timings import timings_json, webvtt
from vorlesen.config import Settings
from vorlesen.errors import InputError, VorlesenError
from vorlesen.lexicon import LexEntry, Lexicon
from vorlesen.limits import check_document, check_script
from vorlesen.models import BlockKind, Document
from vorlesen.pipeline import document_tags, render_audio, timings_meta
from vorlesen.service.articles import parse_published
from vorlesen.speak.script import make_script
from vorlesen.store.blobs import ARTICLE_FILES, AUDIO_FILES, COVER_FILE, BlobStore, revision_prefix
from vorlesen.synth.cache import SegmentCache
from vorlesen.synth.pool import WarmPool
from vorlesen.synth.select import choose_engine

__all__ = [
    "ARTICLE_FILES",
    "AUDIO_FILES",
    "COVER_FILE",
    "RenderResult",
    "document_from_payload",
    "render_revision",
]

log = logging.getLogger("vorlesen.render")

_HEADER_KINDS: tuple[BlockKind, ...] = ("kicker", "title", "teaser")
"""The parts of an article's header a CMS may send in place of what extraction found."""
_HEADER_ORDER: tuple[BlockKind, ...] = ("kicker", "title", "dateline", "teaser")


@dataclass(frozen=True, slots=True)
class RenderResult:
    """What a finished render produced (the numbers the article state shows)."""

    title: str | None
    engine: str
    voice: str
    duration_s: float
    utterances_total: int
    synthesized: int
    cached: int
    text: str
    wall_s: float
    published: datetime | None = None
    """The publication date the article names (used when the publisher sent none)."""
    section: str | None = None
    author: str | None = None
    teaser: str | None = None
    link: str | None = None
    image_url: str | None = None
    warnings: tuple[str, ...] = ()
    """The article image's source; its re-encoded copy is the revision's ``cover.jpg``."""


def _read_source(payload: Mapping[str, Any], settings: Settings) -> Document:
    language = payload.get("language")
    if payload.get("url"):
        return ingest.load(str(payload["url"]), language=language, settings=settings)
    for field, filename in (
        ("html", "article.html"),
        ("ssml", "article.ssml"),
        ("text", "article.txt"),
    ):
        value = payload.get(field)
        if value:
            # A page fetched for a player or a source keeps its address (the episode link).
            page_url = payload.get("page_url")
            return ingest.from_bytes(
                str(value).encode("utf-8"),
                filename=filename,
                language=language,
                url=str(page_url) if page_url else None,
                settings=settings,
            )
    raise InputError("The article has no url, html, text or ssml.", reason="no_content")


def document_from_payload(payload: Mapping[str, Any], settings: Settings) -> Document:
    """The :class:`Document` an API payload describes.

    ``title``, ``kicker`` and ``teaser`` given by the CMS replace what extraction found for
    those parts, in the article's order (kicker, title, dateline, teaser, body; a part the
    page lacks is put in its place); ``published_at`` becomes the publication date;
    ``section`` and ``image`` replace the page's ``article:section`` and ``og:image``.
    """
    doc = _read_source(payload, settings)
    if payload.get("section") or payload.get("image"):
        doc = dataclasses.replace(
            doc,
            section=str(payload.get("section") or "") or doc.section,
            image=str(payload.get("image") or "") or doc.image,
        )
    given = {kind: str(payload[kind]) for kind in _HEADER_KINDS if payload.get(kind)}
    if not given and not payload.get("published_at"):
        return doc
    parts: list[tuple[BlockKind, str]] = [(b.kind, b.text) for b in doc.blocks]
    for kind, text in given.items():
        found = [n for n, (k, _) in enumerate(parts) if k == kind]
        if found:
            parts[found[0]] = (kind, text)
            parts = [p for n, p in enumerate(parts) if n not in found[1:]]
            continue
        # Not on the page: after the header parts that come before it in an article.
        before = _HEADER_ORDER[: _HEADER_ORDER.index(kind)]
        at = 0
        while at < len(parts) and parts[at][0] in before:
            at += 1
        parts.insert(at, (kind, text))
    published = payload.get("published_at") or doc.published
    return Document.build(
        parts,
        title=given.get("title") or doc.title,
        site=doc.site,
        url=doc.url,
        published=str(published) if published else None,
        language=doc.language,
        author=doc.author,
        section=doc.section,
        image=doc.image,
    )


def render_revision(
    payload: Mapping[str, Any],
    *,
    source_id: str,
    revision: int,
    blobs: BlobStore,
    settings: Settings,
    lexicon_entries: list[LexEntry],
    heartbeat: Callable[[], None] | None = None,
    workers: WarmPool | None = None,
    planned: Callable[[int], None] | None = None,
) -> RenderResult:
    """Render ``payload`` into the blob store as ``revision`` of ``source_id``.

    ``heartbeat`` is called after every utterance (the worker renews its lease there and
    may raise to abandon the render). ``planned`` is told the number of utterances once
    the script passed the per-article limits (:mod:`vorlesen.limits`), before synthesis
    starts. ``workers``: a render worker's kept pool
    (``WarmPool(keep=True)``), topped up for this render's voice; without it synthesis
    processes are started for this render alone. Raises :class:`~vorlesen.errors.VorlesenError`
    subclasses for bad input and engine failures; nothing is visible until the caller
    points the article at the revision.
    """
    started = time.monotonic()
    voice = payload.get("voice") or None
    spec, _warnings = choose_engine(settings.engine, voice, speed=1.0, settings=settings)
    # The workers load the voice while the article is fetched and made speakable.
    scope: contextlib.AbstractContextManager[WarmPool]
    if workers is not None:
        workers.start(spec)
        scope = contextlib.nullcontext(workers)  # kept for the next render
    else:
        scope = WarmPool(spec, jobs=settings.jobs)
    with scope as warm:
        document = document_from_payload(payload, settings)
        check_document(document, settings)
        lexicon = Lexicon.builtin().extended(lexicon_entries)
        script = make_script(document, lexicon=lexicon, voice=spec.voice)
        check_script(script, settings)
        if planned is not None:
            planned(len(script.utterances))
        cache = SegmentCache(settings.cache_dir / "utterances")
        tags = document_tags(document, spec, fallback_title=source_id)
        title = tags.title
        prefix = revision_prefix(source_id, revision)
        with tempfile.TemporaryDirectory(prefix="vorlesen-render-") as tmp:
            work = Path(tmp)
            outputs: dict[AudioFormat, Path] = {
                fmt: work / f"audio.{fmt}" for fmt in ("mp3", "opus")
            }
            # One pass: synthesis → streaming master → both encoders at once.
            rendered = render_audio(
                script,
                spec,
                outputs,
                tags=tags,
                jobs=settings.jobs,
                cache=cache,
                settings=settings,
                heartbeat=heartbeat,
                warm=warm,
            )
            for fmt, out in outputs.items():
                blobs.put_file(f"{prefix}/audio.{fmt}", out)
                if heartbeat is not None:
                    heartbeat()
    duration = rendered.duration
    meta: dict[str, object] = {
        "source_id": source_id,
        "revision": revision,
        **timings_meta(document, spec, title=title, audio="audio.mp3", duration=duration),
    }
    blobs.write_bytes(
        f"{prefix}/timings.json", timings_json(rendered.timings, meta=meta).encode("utf-8")
    )
    blobs.write_bytes(f"{prefix}/captions.vtt", webvtt(rendered.timings).encode("utf-8"))
    if document.image:
        _store_cover(document.image, f"{prefix}/{COVER_FILE}", blobs, settings, source_id)
    return RenderResult(
        title=title,
        engine=spec.engine,
        voice=spec.voice,
        duration_s=duration,
        utterances_total=len(script.utterances),
        synthesized=rendered.synthesized,
        cached=rendered.cached,
        text=document.text,
        wall_s=time.monotonic() - started,
        published=document_date(document),
        section=document.section,
        author=document.author,
        teaser=next((b.text for b in document.blocks if b.kind == "teaser"), None),
        link=document.url,
        image_url=document.image,
        warnings=document.warnings,
    )


def _store_cover(url: str, key: str, blobs: BlobStore, settings: Settings, source_id: str) -> None:
    """Fetch, check and re-encode the article's image as the revision's episode artwork.

    An image that cannot be had (unreachable, an SVG, 50 MB, not an image) leaves the
    episode without its own artwork (the feed shows the channel's); the audio is what was
    asked for, so this is logged, not failed.
    """
    try:
        blobs.write_bytes(key, fetch_episode_cover(url, settings))
    except VorlesenError as exc:
        log.warning(
            "article %s: no episode image from %s (%s: %s)", source_id, url, exc.reason, exc
        )


def document_date(document: Document) -> datetime | None:
    """The publication date the article itself names (page metadata), if it reads as one."""
    try:
        return parse_published(document.published)
    except InputError:
        return None
