"""Rendering one claimed article revision into blob storage, incrementally.

The service's use of the one render path (:func:`vorlesen.pipeline.render`): the document
the job's typed payload describes (:class:`~vorlesen.service.payload.ArticlePayload`), the
publisher lexicon from the database, the per-article limits, the shared utterance cache
(so an edited article re-synthesizes only the utterances whose spoken form or voice
changed), and a :class:`BlobTarget` that writes MP3, Opus, timings and captions into
``audio/{source_id}/{revision}/`` of the blob store. Nothing points at that revision until
every file is in place.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from vorlesen import ingest
from vorlesen.artwork import fetch_episode_cover
from vorlesen.audio.encode import AudioFormat
from vorlesen.audio.timings import timings_json, webvtt
from vorlesen.config import Settings
from vorlesen.errors import InputError, VorlesenError
from vorlesen.lexicon import LexEntry
from vorlesen.models import BlockKind, Document
from vorlesen.pipeline import RenderedArticle, RenderOptions, RenderRequest, render
from vorlesen.service.articles import parse_published
from vorlesen.service.payload import ArticlePayload
from vorlesen.store.blobs import COVER_FILE, BlobStore, revision_prefix
from vorlesen.synth.pool import WarmPool

__all__ = [
    "BlobTarget",
    "RenderResult",
    "document_from_payload",
    "render_revision",
]

log = logging.getLogger("vorlesen.render")

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


def _read_source(payload: ArticlePayload, settings: Settings) -> Document:
    language = payload.language
    if payload.url:
        return ingest.load(payload.url, language=language, settings=settings)
    for value, filename in (
        (payload.html, "article.html"),
        (payload.ssml, "article.ssml"),
        (payload.text, "article.txt"),
    ):
        if value:
            # A page fetched for a player or a source keeps its address (the episode link).
            return ingest.from_bytes(
                value.encode("utf-8"),
                filename=filename,
                language=language,
                url=payload.page_url or None,
                settings=settings,
            )
    raise InputError("The article has no url, html, text or ssml.", reason="no_content")


def document_from_payload(payload: ArticlePayload, settings: Settings) -> Document:
    """The :class:`Document` a job's payload describes.

    ``title``, ``kicker`` and ``teaser`` given by the CMS replace what extraction found for
    those parts, in the article's order (kicker, title, dateline, teaser, body; a part the
    page lacks is put in its place); ``published_at`` becomes the publication date;
    ``section`` and ``image`` replace the page's ``article:section`` and ``og:image``.
    """
    doc = _read_source(payload, settings)
    if payload.section or payload.image:
        doc = dataclasses.replace(
            doc, section=payload.section or doc.section, image=payload.image or doc.image
        )
    header: dict[BlockKind, str | None] = {
        "kicker": payload.kicker,
        "title": payload.title,
        "teaser": payload.teaser,
    }  # the parts of an article's header a CMS may send in place of what extraction found
    given = {kind: text for kind, text in header.items() if text}
    if not given and not payload.published_at:
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
    published = payload.published_at or doc.published
    return Document.build(
        parts,
        title=given.get("title") or doc.title,
        site=doc.site,
        url=doc.url,
        published=published or None,
        language=doc.language,
        author=doc.author,
        section=doc.section,
        image=doc.image,
    )


@dataclass
class BlobTarget:
    """A revision's files in the blob store: ``audio.mp3``, ``audio.opus``,
    ``timings.json`` and ``captions.vtt`` under ``prefix``. Encoded into a temporary
    directory first; uploaded once the audio is complete."""

    blobs: BlobStore
    prefix: str
    meta: Mapping[str, object]
    """Fields put before the render's own in the timings' ``meta`` (source id, revision)."""
    heartbeat: Callable[[], None] | None = None

    @contextlib.contextmanager
    def open(self) -> Iterator[Mapping[AudioFormat, Path]]:
        with tempfile.TemporaryDirectory(prefix="vorlesen-render-") as tmp:
            yield {fmt: Path(tmp) / f"audio.{fmt}" for fmt in ("mp3", "opus")}

    def finish(self, rendered: RenderedArticle, outputs: Mapping[AudioFormat, Path]) -> None:
        for fmt, out in outputs.items():
            self.blobs.put_file(f"{self.prefix}/audio.{fmt}", out)
            if self.heartbeat is not None:
                self.heartbeat()
        timings = rendered.audio.timings
        meta = {**self.meta, **rendered.meta("audio.mp3")}
        self.blobs.write_bytes(
            f"{self.prefix}/timings.json", timings_json(timings, meta=meta).encode("utf-8")
        )
        self.blobs.write_bytes(f"{self.prefix}/captions.vtt", webvtt(timings).encode("utf-8"))


def render_revision(
    payload: ArticlePayload,
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
    starts. ``workers``: a render worker's kept pool (``WarmPool(keep=True)``), topped up
    for this render's voice; without it synthesis processes are started for this render
    alone. Raises :class:`~vorlesen.errors.VorlesenError` subclasses for bad input and
    engine failures; nothing is visible until the caller points the article at the
    revision.
    """
    started = time.monotonic()
    request = RenderRequest(
        source=partial(document_from_payload, payload),
        options=RenderOptions(
            engine=settings.engine,
            voice=payload.voice or None,
            jobs=settings.jobs,
            entries=tuple(lexicon_entries),
        ),
        fallback_title=source_id,
        limits=True,
    )
    prefix = revision_prefix(source_id, revision)
    target = BlobTarget(
        blobs, prefix, {"source_id": source_id, "revision": revision}, heartbeat=heartbeat
    )
    rendered = render(
        request,
        target,
        settings=settings,
        workers=workers,
        planned=planned,
        heartbeat=heartbeat,
    )
    document = rendered.document
    if document.image:
        _store_cover(document.image, f"{prefix}/{COVER_FILE}", blobs, settings, source_id)
    return RenderResult(
        title=rendered.tags.title,
        engine=rendered.spec.engine,
        voice=rendered.spec.voice,
        duration_s=rendered.audio.duration,
        utterances_total=len(rendered.script.utterances),
        synthesized=rendered.audio.synthesized,
        cached=rendered.audio.cached,
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
