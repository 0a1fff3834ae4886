"""The podcast feeds: the articles with audio as episodes of one channel, or of one
section's channel, with the channel's artwork.

Every episode says its voice is synthetic (:data:`AI_DISCLOSURE`); the RSS itself is
written by :mod:`vorlesen.podcast`. Absolute URLs start at ``base``, which the HTTP edge
derives from ``VORLESEN_PUBLIC_URL`` or the allowed host of the request.
"""

from __future__ import annotations

import hashlib
import html
from datetime import UTC
from pathlib import Path

from vorlesen.artwork import check_channel_artwork, default_cover
from vorlesen.errors import NotFoundError, UsageError
from vorlesen.podcast import Channel, Episode, Transcript, parse_category, rss
from vorlesen.service.container import Service
from vorlesen.store.blobs import COVER_FILE, revision_prefix
from vorlesen.store.db import ArticleRecord

__all__ = ["AI_DISCLOSURE", "FEED_ITEMS", "feed_rss", "prepare_artwork", "sections"]

FEED_ITEMS = 100
"""Newest articles in the feed; podcast apps only look at the recent ones."""
AI_DISCLOSURE = "Vorgelesen von einer KI-Stimme."
"""Said in every episode's description: listeners are told the voice is synthetic."""
_COVER_VERSION = "1"
"""Part of a generated cover's name: a new drawing gets a new URL (apps cache artwork)."""


def _blob_name(data: bytes, ext: str) -> str:
    return f"artwork-{hashlib.sha256(data).hexdigest()[:16]}.{ext}"


def prepare_artwork(service: Service) -> None:
    """Check ``VORLESEN_FEED_IMAGE`` when it is a file and store it to be served; raises
    :class:`UsageError` (``bad_feed_image``) at start when podcast platforms would not
    take it. A URL is used as it is."""
    configured = service.settings.feed_image
    if not configured or configured.lower().startswith(("http://", "https://")):
        return
    try:
        data = Path(configured).read_bytes()
    except OSError as exc:
        raise UsageError(
            f"VORLESEN_FEED_IMAGE {configured!r} cannot be read ({exc.strerror}).",
            reason="bad_feed_image",
        ) from exc
    name = _blob_name(data, check_channel_artwork(data, configured))
    key = f"feed/{name}"
    if not service.blobs.exists(key):
        service.blobs.write_bytes(key, data)
    service.feed_artwork = key


def _channel_image(service: Service, base: str, title: str) -> str:
    """The channel artwork's URL: the publisher's, or a cover drawn from ``title`` once
    (stored under a name derived from the title, so later requests only look it up)."""
    configured = service.settings.feed_image
    if configured.lower().startswith(("http://", "https://")):
        return configured
    key = service.feed_artwork
    if key is None:
        digest = hashlib.sha256(f"{_COVER_VERSION}\n{title}".encode()).hexdigest()[:16]
        key = f"feed/artwork-{digest}.png"
        if not service.blobs.exists(key):
            service.blobs.write_bytes(key, default_cover(title))
    return f"{base}/{key}"


def sections(service: Service) -> dict[str, tuple[str, int]]:
    """Section key → (name, episodes) of every section with served audio."""
    return {key: (name, n) for key, name, n in service.store.served_sections()}


def _episode(service: Service, article: ArticleRecord, base: str) -> Episode | None:
    """The article as an episode; None when its files vanished under us (left out)."""
    revision = article.ready_revision
    if revision is None:
        return None
    prefix = revision_prefix(article.source_id, revision)
    try:
        size = service.blobs.stat(f"{prefix}/audio.mp3").size
    except (NotFoundError, OSError):  # removed under us (a newer revision): leave it out
        return None
    files = f"{base}/api/articles/{article.source_id}"
    date = article.published_at or article.created_at
    date = date if date.tzinfo else date.replace(tzinfo=UTC)
    title = article.title or article.payload.get("title") or article.source_id
    # What the served revision found; the payload (perhaps a newer revision's) for
    # articles rendered before these were kept.
    teaser = article.teaser or article.payload.get("teaser") or title
    link = article.link or article.payload.get("url")
    if link and not link.lower().startswith(("http://", "https://")):
        link = None  # a page's canonical "javascript:…" is no link for a podcast app
    content = f"<p>{html.escape(teaser)}</p><p>{html.escape(AI_DISCLOSURE)}</p>"
    if link:
        content += f'<p><a href="{html.escape(link)}">Zum Artikel</a></p>'
    image = None
    if service.blobs.exists(f"{prefix}/{COVER_FILE}"):
        image = f"{files}/cover-{revision}.jpg"
    return Episode(
        guid=f"vorlesen:{article.source_id}",
        title=title,
        description=f"{teaser} ({AI_DISCLOSURE})",
        content_html=content,
        link=link,
        published=date,
        audio_url=f"{files}/audio.mp3?v={revision}",
        audio_length=size,
        audio_type="audio/mpeg",
        duration_s=article.duration_s or 0.0,
        image_url=image,
        author=article.author,
        transcripts=(
            Transcript(f"{files}/captions.vtt?v={revision}", "text/vtt", captions=True),
            Transcript(f"{files}/timings.json?v={revision}", "application/json"),
        ),
    )


def feed_rss(service: Service, base: str, section: str | None = None) -> bytes:
    """Articles with audio as podcast episodes, newest publication first (one being
    re-rendered stays in, with the audio it serves meanwhile); ``section``: one section's
    (:class:`~vorlesen.errors.NotFoundError` for a section without episodes)."""
    settings = service.settings
    title = settings.feed_title
    feed_url = f"{base}/feed.xml"
    articles = service.store.served_articles(limit=FEED_ITEMS, section=section)
    if section is not None:
        if not articles:
            raise NotFoundError(
                f"There is no feed for the section {section!r}; /feeds lists them.",
                reason="not_found",
            )
        title = f"{settings.feed_title} – {sections(service)[section][0]}"
        feed_url = f"{feed_url}?section={section}"
    episodes = [e for e in (_episode(service, a, base) for a in articles) if e is not None]
    category, subcategory = parse_category(settings.feed_category)
    author = settings.feed_author or settings.feed_title
    channel = Channel(
        title=title,
        link=settings.feed_link or base + "/",
        feed_url=feed_url,
        description=f"{title}: Artikel zum Anhören, vorgelesen von einer KI-Stimme.",
        language="de",
        image_url=_channel_image(service, base, title),
        category=category,
        subcategory=subcategory,
        explicit=settings.feed_explicit,
        author=author,
        copyright=settings.feed_copyright or f"© {author}",
        owner_name=settings.feed_owner_name or None,
        owner_email=settings.feed_owner_email or None,
        locked=settings.feed_locked,
        last_build=max((e.published for e in episodes), default=None),
    )
    return rss(channel, episodes)
