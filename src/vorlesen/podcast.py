"""A podcast RSS feed that Apple Podcasts, Spotify and Podcasting 2.0 apps accept.

Built with feedgen (RSS 2.0 and its iTunes extension) plus the :class:`PodcastNamespace`
extension below for what feedgen does not know: the Podcasting 2.0 namespace
(``podcast:guid``, ``podcast:locked``, ``podcast:transcript``, ``podcast:person``) and
``itunes:explicit`` as the ``true``/``false`` Apple now asks for (feedgen writes the
retired ``yes``/``no``). The callers hand in plain values (:class:`Channel`,
:class:`Episode`); this module knows the specifications, not the database.

Only this module imports feedgen.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from vorlesen.podcast_categories import APPLE_CATEGORIES, parse_category

__all__ = [
    "APPLE_CATEGORIES",
    "PODCAST_NS",
    "Channel",
    "Episode",
    "Transcript",
    "parse_category",
    "podcast_guid",
    "rss",
]

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
"""The UUIDv5 namespace the Podcasting 2.0 ``<podcast:guid>`` specification fixes."""


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot carry: one in a title must not take the whole feed down."""


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def podcast_guid(feed_url: str) -> str:
    """The feed's ``podcast:guid``: UUIDv5 of its URL without scheme and trailing slashes,
    in the namespace the Podcasting 2.0 specification fixes (so anyone can recompute it)."""
    bare = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", feed_url.strip()).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


@dataclass(frozen=True, slots=True)
class Transcript:
    """A ``podcast:transcript``: where, what type, and ``rel="captions"`` for timed ones."""

    url: str
    type: str
    captions: bool = False


@dataclass(frozen=True, slots=True)
class Channel:
    """What the feed says about itself (the podcast)."""

    title: str
    link: str
    """The website the podcast belongs to."""
    feed_url: str
    """The feed's own URL (``atom:link rel="self"``, the source of ``podcast:guid``)."""
    description: str
    language: str
    image_url: str
    """Square JPEG/PNG artwork, 1400–3000 px; the URL ends in ``.jpg`` or ``.png``."""
    category: str
    subcategory: str | None
    explicit: bool
    author: str
    copyright: str
    owner_name: str | None
    owner_email: str | None
    locked: bool
    last_build: datetime | None


@dataclass(frozen=True, slots=True)
class Episode:
    """One article as a podcast episode."""

    guid: str
    """Stable over re-renders: one article is one episode."""
    title: str
    description: str
    """Plain text: the teaser and the AI disclosure."""
    content_html: str
    """``content:encoded``: the same as HTML, with a link to the article."""
    link: str | None
    published: datetime
    audio_url: str
    audio_length: int
    """Exact byte length of the file ``audio_url`` serves."""
    audio_type: str
    duration_s: float
    image_url: str | None
    author: str | None
    transcripts: Sequence[Transcript] = ()
    language: str = "de"


class PodcastNamespace(BaseExtension):  # type: ignore[misc]  # feedgen ships no types
    """Channel elements feedgen lacks: ``podcast:guid``, ``podcast:locked`` and
    ``itunes:explicit`` as ``true``/``false``."""

    def __init__(self) -> None:
        self.guid: str | None = None
        self.locked: bool | None = None
        self.locked_owner: str | None = None
        self.explicit: bool | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = rss_feed[0]
        if self.explicit is not None:
            xml_elem(f"{{{ITUNES_NS}}}explicit", channel).text = str(self.explicit).lower()
        if self.guid:
            xml_elem(f"{{{PODCAST_NS}}}guid", channel).text = self.guid
        if self.locked is not None:
            locked = xml_elem(f"{{{PODCAST_NS}}}locked", channel)
            locked.text = "yes" if self.locked else "no"
            if self.locked_owner:
                locked.attrib["owner"] = self.locked_owner
        return rss_feed


class PodcastNamespaceEntry(BaseEntryExtension):  # type: ignore[misc]  # feedgen ships no types
    """Item elements feedgen lacks: ``podcast:transcript`` and ``podcast:person``."""

    def __init__(self) -> None:
        self.transcripts: list[tuple[Transcript, str]] = []
        self.people: list[tuple[str, str, str]] = []
        """``(name, role, group)`` per the Podcasting 2.0 person taxonomy."""

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, entry: Any) -> Any:
        for transcript, language in self.transcripts:
            el = xml_elem(f"{{{PODCAST_NS}}}transcript", entry)
            el.attrib["url"] = transcript.url
            el.attrib["type"] = transcript.type
            el.attrib["language"] = language
            if transcript.captions:
                el.attrib["rel"] = "captions"
        for name, role, group in self.people:
            el = xml_elem(f"{{{PODCAST_NS}}}person", entry)
            el.attrib["role"] = role
            el.attrib["group"] = group
            el.text = name
        return entry


def rss(channel: Channel, episodes: Sequence[Episode]) -> bytes:
    """The feed as UTF-8 XML, episodes in the order given (newest first, as apps expect)."""
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.load_extension("dc")
    fg.register_extension("podcast_ns", PodcastNamespace, PodcastNamespaceEntry)
    fg.title(_text(channel.title))
    # feedgen's RSS <link> is the last link given: the website, after the feed's own.
    fg.link(href=channel.feed_url, rel="self", type="application/rss+xml")
    fg.link(href=channel.link, rel="alternate")
    fg.description(_text(channel.description))
    fg.language(channel.language)
    fg.generator("vorlesen")
    fg.copyright(_text(channel.copyright))
    if channel.last_build is not None:
        fg.lastBuildDate(channel.last_build)
    itunes = fg.podcast
    itunes.itunes_author(_text(channel.author))
    category: dict[str, str] = {"cat": channel.category}
    if channel.subcategory:
        category["sub"] = channel.subcategory
    itunes.itunes_category(category)
    itunes.itunes_image(channel.image_url)
    itunes.itunes_type("episodic")
    itunes.itunes_summary(_text(channel.description))
    if channel.owner_email:
        itunes.itunes_owner(
            name=_text(channel.owner_name or channel.author), email=channel.owner_email
        )
    ns: PodcastNamespace = fg.podcast_ns
    ns.guid = podcast_guid(channel.feed_url)
    ns.locked = channel.locked
    ns.locked_owner = channel.owner_email
    ns.explicit = channel.explicit
    for episode in episodes:
        entry = fg.add_entry(order="append")
        entry.title(_text(episode.title))
        entry.guid(episode.guid, permalink=False)
        if episode.link:
            entry.link(href=episode.link)
        entry.description(_text(episode.description))
        entry.content(_text(episode.content_html), type="CDATA")
        entry.enclosure(episode.audio_url, str(episode.audio_length), episode.audio_type)
        entry.published(episode.published)
        entry.podcast.itunes_duration(str(max(1, round(episode.duration_s))))
        entry.podcast.itunes_episode_type("full")
        if episode.image_url:
            entry.podcast.itunes_image(episode.image_url)
        entry_ns: PodcastNamespaceEntry = entry.podcast_ns
        entry_ns.transcripts = [(t, episode.language) for t in episode.transcripts]
        if episode.author:
            author = _text(episode.author)
            entry.podcast.itunes_author(author)
            entry.dc.dc_creator(author)
            entry_ns.people = [(author, "author", "writing")]
    body: bytes = fg.rss_str(pretty=False)
    return body
