"""The podcast feed: RSS 2.0 with the iTunes namespace and ``podcast:transcript``."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Request, Response

from vorlesen.store.blobs import revision_prefix

from ..deps import ServiceDep

__all__ = ["router"]

router = APIRouter(tags=["feed"])

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
FEED_ITEMS = 100
"""Newest articles in the feed; podcast apps only look at the recent ones."""

ET.register_namespace("itunes", ITUNES)
ET.register_namespace("podcast", PODCAST)
ET.register_namespace("atom", ATOM)


def _clock(seconds: float) -> str:
    total = round(seconds)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


@router.get(
    "/feed.xml", response_class=Response, responses={200: {"content": {"application/rss+xml": {}}}}
)
def feed(request: Request, service: ServiceDep) -> Response:
    """Articles with audio as podcast episodes, newest publication first (one being
    re-rendered stays in, with the audio it serves meanwhile)."""
    settings = service.settings
    base = service.base_url(request)
    articles = service.store.served_articles(limit=FEED_ITEMS)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", settings.feed_title)
    _sub(channel, "link", settings.feed_link or base + "/")
    _sub(channel, "description", f"{settings.feed_title}: Artikel zum Anhören (KI-Stimme).")
    _sub(channel, "language", "de")
    _sub(channel, "generator", "vorlesen")
    _sub(
        channel, f"{{{ATOM}}}link", href=f"{base}/feed.xml", rel="self", type="application/rss+xml"
    )
    _sub(channel, f"{{{ITUNES}}}author", settings.feed_author or settings.feed_title)
    _sub(channel, f"{{{ITUNES}}}explicit", "false")
    _sub(channel, f"{{{ITUNES}}}category", text="News")
    newest: datetime | None = None
    for article in articles:
        if article.ready_revision is None:
            continue
        revision = article.ready_revision
        prefix = revision_prefix(article.source_id, revision)
        try:
            size = service.blobs.local_path(f"{prefix}/audio.mp3").stat().st_size
        except Exception:  # files removed under us: leave the item out, keep the feed
            continue
        files = f"{base}/api/articles/{article.source_id}"
        date = article.published_at or article.created_at
        date = date if date.tzinfo else date.replace(tzinfo=UTC)
        newest = max(newest, date) if newest else date
        item = _sub(channel, "item")
        _sub(item, "title", article.title or article.source_id)
        teaser = article.payload.get("teaser") or article.title or article.source_id
        _sub(item, "description", f"{teaser} (Vorgelesen von einer KI-Stimme.)")
        if article.payload.get("url"):
            _sub(item, "link", str(article.payload["url"]))
        # One episode per article: a re-render (an edit, a lexicon fix) replaces its audio
        # (the enclosure URL names the revision) but is not a new episode.
        _sub(item, "guid", f"vorlesen:{article.source_id}", isPermaLink="false")
        _sub(item, "pubDate", format_datetime(date))
        _sub(
            item,
            "enclosure",
            url=f"{files}/audio.mp3?v={revision}",
            length=str(size),
            type="audio/mpeg",
        )
        _sub(item, f"{{{ITUNES}}}duration", _clock(article.duration_s or 0.0))
        _sub(
            item,
            f"{{{PODCAST}}}transcript",
            url=f"{files}/captions.vtt?v={revision}",
            type="text/vtt",
            language="de",
        )
    if newest is not None:
        _sub(channel, "lastBuildDate", format_datetime(newest))
    body = ET.tostring(rss, encoding="utf-8", xml_declaration=True)
    return Response(
        body,
        media_type="application/rss+xml; charset=utf-8",
        headers={"Cache-Control": "public, max-age=60"},
    )
