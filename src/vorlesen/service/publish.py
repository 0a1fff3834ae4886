"""Publishing an article: check what the CMS sent, store it as a new revision when its
content changed, queue the render.

The checks that can fail without fetching anything run here, so a bad request is refused
at once (the API answers 422) instead of failing later in a worker: plain text over the
character limit, an address the fetcher would refuse (internal networks), and SSML that is
hostile, malformed or asks for phonemes the voice cannot speak. Identical content renders
nothing; changed content becomes a new revision, rendered incrementally (unchanged
utterances come from the cache).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from vorlesen.config import Settings
from vorlesen.ingest.fetch import vet_url
from vorlesen.ingest.ssml import from_ssml
from vorlesen.limits import check_characters
from vorlesen.service.articles import parse_published
from vorlesen.service.lexicon import voice_phonemes
from vorlesen.service.payload import ArticlePayload
from vorlesen.service.queue import RenderQueue
from vorlesen.store.db import ArticleRecord, Store

__all__ = ["content_hash", "publish"]


def content_hash(content: dict[str, Any], default_voice: str, engine: str | None) -> str:
    """What decides "same content": the payload's content plus the configured voice and
    engine (a new default voice renders every article anew)."""
    blob = json.dumps([content, default_voice, engine], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def publish(
    source_id: str,
    payload: ArticlePayload,
    *,
    store: Store,
    queue: RenderQueue,
    settings: Settings,
) -> ArticleRecord:
    """Publish or update ``source_id`` with ``payload``; returns the article as stored.

    Raises:
        VorlesenError: the payload is refused before anything is stored (too long,
            internal address, bad SSML, a bad ``published_at``).
    """
    if payload.text:
        check_characters(len(payload.text), settings)
    if payload.url:
        vet_url(payload.url, settings)
    if payload.ssml:
        from_ssml(payload.ssml, phonemes=voice_phonemes(settings, payload.voice))
    published = parse_published(payload.published_at)
    digest = content_hash(payload.content(), settings.voice, settings.engine)
    article, changed = store.put_article(
        source_id,
        payload.stored(),
        digest,
        title=payload.title,
        voice=payload.voice,
        published_at=published,
    )
    if changed:
        queue.enqueue_render(source_id, article.revision)
    return article
