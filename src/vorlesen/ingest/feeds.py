"""Read RSS 2.0, Atom and XML sitemaps (standard, Google News, gzip, sitemap indexes).

Every document is first parsed by ``defusedxml`` with entity declarations and external
references refused — the same rules as for SSML and PLS — so a billion-laughs or XXE feed
is a :class:`~vorlesen.errors.MarkupError` before any other parser sees it. Sitemaps are
read from that tree; RSS and Atom go to ``feedparser`` (a maintained parser that knows
their dialects and date formats), which is imported here only.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import xml.etree.ElementTree as ET  # only for the Element type; parsing is defusedxml's
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import defusedxml  # ships no type information
import defusedxml.ElementTree as DefusedET
import feedparser  # type: ignore[import-untyped]  # no type information

from vorlesen.errors import MarkupError, UnsupportedContentError

__all__ = [
    "FEED_TYPES",
    "FeedItem",
    "ParsedSource",
    "gunzip",
    "parse_source",
]

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "application/rdf+xml",
    "application/gzip",
    "application/x-gzip",
    "application/octet-stream",
    "text/plain",
)
"""Content types a feed or sitemap is served with (gzip sitemaps often as octet-stream)."""

SourceKind = Literal["rss", "atom", "sitemap", "sitemap_index"]


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry: where its article is, what identifies it, and a hash of what it says."""

    key: str
    """The guid (RSS), id (Atom) or URL (sitemap): what stays the same when it is edited."""
    url: str
    title: str | None
    published: datetime | None
    item_hash: str
    """Changes when the entry's link, title, summary or modification date changes."""


@dataclass(frozen=True, slots=True)
class ParsedSource:
    """A parsed feed or sitemap: its kind, its items and (for an index) child sitemaps."""

    kind: SourceKind
    items: tuple[FeedItem, ...]
    sitemaps: tuple[str, ...] = ()


def gunzip(data: bytes, limit: int) -> bytes:
    """Unpack gzip data (``sitemap.xml.gz``), refusing more than ``limit`` bytes unpacked
    (a gzip bomb is small on the wire)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise MarkupError("The gzip data is corrupt.", reason="bad_gzip") from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise UnsupportedContentError(
            f"The unpacked sitemap is larger than {limit} bytes.", reason="too_large"
        )
    return out


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1].lower()


def _parse_xml(data: bytes) -> ET.Element:
    try:
        root: ET.Element = DefusedET.fromstring(
            data, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except defusedxml.EntitiesForbidden as exc:
        raise MarkupError(
            "The feed declares XML entities (entity expansion is a known attack); refused.",
            reason="xml_entities_forbidden",
        ) from exc
    except defusedxml.ExternalReferenceForbidden as exc:
        raise MarkupError(
            "The feed refers to external files; refused.", reason="xml_external_forbidden"
        ) from exc
    except ET.ParseError as exc:
        raise MarkupError(
            f"The feed is not well-formed XML: {exc}.", reason="xml_malformed"
        ) from exc
    return root


def _digest(*parts: object) -> str:
    blob = json.dumps(parts, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _iso_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _child(elem: ET.Element, *path: str) -> ET.Element | None:
    current: ET.Element | None = elem
    for name in path:
        if current is None:
            return None
        current = next((c for c in current if _local(c.tag) == name), None)
    return current


def _text(elem: ET.Element | None) -> str | None:
    if elem is None or elem.text is None:
        return None
    return elem.text.strip() or None


def _sitemap(root: ET.Element) -> ParsedSource:
    if _local(root.tag) == "sitemapindex":
        locs = [_text(_child(s, "loc")) for s in root if _local(s.tag) == "sitemap"]
        return ParsedSource("sitemap_index", (), tuple(loc for loc in locs if loc))
    items = []
    for url in root:
        if _local(url.tag) != "url":
            continue
        loc = _text(_child(url, "loc"))
        if not loc:
            continue
        title = _text(_child(url, "news", "title"))
        published = _iso_date(_text(_child(url, "news", "publication_date")))
        lastmod = _text(_child(url, "lastmod"))
        items.append(
            FeedItem(
                key=loc,
                url=loc,
                title=title,
                published=published or _iso_date(lastmod),
                item_hash=_digest(loc, title, lastmod, published),
            )
        )
    return ParsedSource("sitemap", tuple(items))


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)


def _feed(data: bytes, kind: SourceKind) -> ParsedSource:
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    items = []
    for entry in parsed.entries:
        # dict.get, not entry.get: feedparser's own get() maps "updated" to "published"
        # with a DeprecationWarning; the feed's fields are read as the feed has them.
        def field(name: str, entry: Any = entry) -> Any:
            return dict.get(entry, name)

        link = str(field("link") or "").strip()
        if not link:
            continue
        key = str(field("id") or field("guid") or link).strip()
        updated = field("updated") or field("published")
        when = field("published_parsed") or field("updated_parsed")
        items.append(
            FeedItem(
                key=key,
                url=link,
                title=str(field("title") or "").strip() or None,
                published=_struct_time(when),
                item_hash=_digest(link, field("title"), field("summary"), updated),
            )
        )
    return ParsedSource(kind, tuple(items))


def parse_source(data: bytes, *, limit: int) -> ParsedSource:
    """Parse a fetched feed or sitemap (gzip unpacked first); raise :class:`MarkupError`
    for hostile or broken XML and ``unsupported_source`` for XML that is neither."""
    if data[:2] == b"\x1f\x8b":
        data = gunzip(data, limit)
    root = _parse_xml(data)
    name = _local(root.tag)
    if name in ("urlset", "sitemapindex"):
        return _sitemap(root)
    if name in ("rss", "rdf"):
        return _feed(data, "rss")
    if name == "feed":
        return _feed(data, "atom")
    raise MarkupError(
        f"The document is XML but neither RSS, Atom nor a sitemap (its root is <{name}>).",
        reason="unsupported_source",
    )
