"""A podcast feed checked as a platform's validator would, rule by rule, written from the
published specifications (not from vorlesen's code):

* RSS 2.0 (rssboard.org/rss-specification): ``rss version="2.0"``, one ``channel`` with
  ``title``, ``link``, ``description``; an item has a title or a description; an
  ``enclosure`` has ``url``, ``length`` (bytes) and ``type``; dates are RFC 822; a
  ``guid`` identifies one item (no two alike).
* Apple Podcasts, "A Podcaster's Guide to RSS" and its artwork requirements: required
  ``itunes:image`` (href ending in .jpg/.png; square JPEG/PNG, 1400–3000 px, RGB),
  ``itunes:category`` with a ``text`` attribute from Apple's list (a subcategory nested
  in it), ``itunes:explicit`` ``true``/``false``, ``language`` an ISO 639 code;
  recommended ``itunes:author``, ``itunes:owner`` with ``itunes:email``, ``itunes:type``
  (``episodic``/``serial``); per episode ``itunes:duration`` in seconds (or ``[HH:]MM:SS``),
  ``itunes:episodeType`` ``full``/``trailer``/``bonus``, audio enclosures of an accepted
  type.
* Podcasting 2.0 (podcastindex.org/namespace/1.0): ``podcast:guid`` a UUIDv5 of the feed
  URL without scheme and trailing slashes in namespace ead4c236-…; ``podcast:locked``
  ``yes``/``no`` (``owner`` an e-mail); ``podcast:transcript`` with ``url`` and ``type``
  (``rel="captions"`` only for timed formats); ``podcast:person`` with text, and ``role``
  and ``group`` from its taxonomy.

:func:`check_feed` returns the parsed tree so a test can look further.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree as ET

from PIL import Image

__all__ = ["ITUNES", "NS", "PODCAST", "check_artwork", "check_feed", "podcast_guid_of"]

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
ATOM = "http://www.w3.org/2005/Atom"
NS = {"itunes": ITUNES, "podcast": PODCAST, "content": CONTENT, "atom": ATOM}

APPLE_NEWS_SUBCATEGORIES = {
    "Business News",
    "Daily News",
    "Entertainment News",
    "News Commentary",
    "Politics",
    "Sports News",
    "Tech News",
}
"""Apple's subcategories of News (the category these tests configure)."""
APPLE_AUDIO_TYPES = {"audio/mpeg", "audio/x-m4a", "audio/mp4", "audio/aac"}
TRANSCRIPT_TYPES = {"text/vtt", "application/srt", "application/x-subrip", "text/html",
                    "text/plain", "application/json"}  # fmt: skip
TIMED_TRANSCRIPTS = {"text/vtt", "application/srt", "application/x-subrip", "application/json"}
PERSON_ROLES = {("writing", "author"), ("writing", "writer"), ("cast", "host")}
"""The few (group, role) pairs of the Podcasting 2.0 taxonomy a news feed would use."""
GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
DURATION = re.compile(r"^(\d+|(\d+:)?[0-5]?\d:[0-5]\d)$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def podcast_guid_of(feed_url: str) -> str:
    """The Podcasting 2.0 guid of a feed URL, computed here from the spec's words."""
    bare = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(GUID_NAMESPACE, bare))


def _one(parent: ET.Element, path: str) -> ET.Element:
    found = parent.findall(path, NS)
    assert len(found) == 1, f"expected exactly one {path}, found {len(found)}"
    return found[0]


def _text(parent: ET.Element, path: str) -> str:
    text = (_one(parent, path).text or "").strip()
    assert text, f"{path} is empty"
    return text


def _rfc822(value: str) -> None:
    when = parsedate_to_datetime(value)
    assert when.tzinfo is not None, f"date {value!r} has no zone"


def _http(url: str) -> None:
    assert re.match(r"^https?://[^\s/]+", url), f"{url!r} is not an absolute http(s) URL"


def check_artwork(data: bytes, content_type: str) -> tuple[int, int]:
    """Apple's artwork rules on the served bytes: JPEG or PNG as declared, square,
    1400–3000 px, RGB. Returns the size."""
    image = Image.open(io.BytesIO(data))
    expected = {"JPEG": "image/jpeg", "PNG": "image/png"}
    assert image.format in expected, f"artwork is {image.format}"
    assert content_type.split(";")[0] == expected[image.format]
    width, height = image.size
    assert width == height, f"artwork is {width}×{height}, not square"
    assert 1400 <= width <= 3000, f"artwork is {width} px"
    assert image.mode in ("RGB", "P", "L", "RGBA"), f"artwork colour mode {image.mode}"
    return width, height


def check_feed(
    body: bytes, feed_url: str, fetch: Callable[[str], tuple[int, str, bytes]]
) -> ET.Element:
    """Check ``body`` (served at ``feed_url``) against the rules above; ``fetch(url)``
    returns ``(status, content type, bytes)`` for the URLs the feed names (artwork,
    enclosures, transcripts), which are checked too. Returns the ``channel``."""
    assert body.startswith(b"<?xml"), "no XML declaration"
    for prefix, uri in NS.items():
        assert f'xmlns:{prefix}="{uri}"'.encode() in body, f"namespace {prefix} not declared"
    rss = ET.fromstring(body)
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    channel = _one(rss, "channel")
    # RSS 2.0 required channel elements
    for name in ("title", "link", "description"):
        _text(channel, name)
    _http(_text(channel, "link"))
    assert LANGUAGE.match(_text(channel, "language"))
    for date in ("lastBuildDate", "pubDate"):
        for el in channel.findall(date):
            _rfc822(el.text or "")
    self_link = _one(channel, "atom:link[@rel='self']")
    assert self_link.get("href") == feed_url and self_link.get("type") == "application/rss+xml"
    # Apple Podcasts, channel
    image = _one(channel, "itunes:image").get("href") or ""
    assert image.endswith((".jpg", ".png")), f"itunes:image {image!r}"
    status, ctype, data = fetch(image)
    assert status == 200, f"artwork {image} answered {status}"
    check_artwork(data, ctype)
    categories = channel.findall("itunes:category", NS)
    assert categories, "no itunes:category"
    for category in categories:
        assert category.get("text") and not (category.text or "").strip(), "category as text"
        assert category.get("text") == "News"
        for sub in category.findall("itunes:category", NS):
            assert sub.get("text") in APPLE_NEWS_SUBCATEGORIES
    assert _text(channel, "itunes:explicit") in ("true", "false")
    _text(channel, "itunes:author")
    assert _text(channel, "itunes:type") in ("episodic", "serial")
    owner = _one(channel, "itunes:owner")
    _text(owner, "itunes:name")
    assert EMAIL.match(_text(owner, "itunes:email"))
    _text(channel, "copyright")
    # Podcasting 2.0, channel
    guid = _text(channel, "podcast:guid")
    assert uuid.UUID(guid).version == 5 and guid == podcast_guid_of(feed_url)
    locked = _one(channel, "podcast:locked")
    assert locked.text in ("yes", "no")
    if locked.get("owner") is not None:
        assert EMAIL.match(locked.get("owner") or "")
    # Items
    guids: list[str] = []
    for item in channel.findall("item"):
        title = item.find("title")
        assert title is not None and (title.text or "").strip(), "an item without title"
        _text(item, "description")
        guid_el = _one(item, "guid")
        guids.append(guid_el.text or "")
        assert guid_el.get("isPermaLink") in ("false", None) or (guid_el.text or "").startswith(
            "http"
        )
        _rfc822(_text(item, "pubDate"))
        enclosure = _one(item, "enclosure")
        url, length, kind = (enclosure.get(a) for a in ("url", "length", "type"))
        assert url and length and kind, "enclosure needs url, length and type"
        _http(url)
        assert kind in APPLE_AUDIO_TYPES and length.isdigit() and int(length) > 0
        status, ctype, data = fetch(url)
        assert status == 200 and ctype.split(";")[0] == kind
        assert int(length) == len(data), "enclosure length is not the served file's"
        assert DURATION.match(_text(item, "itunes:duration"))
        assert _text(item, "itunes:episodeType") in ("full", "trailer", "bonus")
        for art in item.findall("itunes:image", NS):
            href = art.get("href") or ""
            assert href.endswith((".jpg", ".png")), f"episode itunes:image {href!r}"
            status, ctype, data = fetch(href)
            assert status == 200
            check_artwork(data, ctype)
        for transcript in item.findall("podcast:transcript", NS):
            url, kind = transcript.get("url"), transcript.get("type")
            assert url and kind in TRANSCRIPT_TYPES
            if transcript.get("rel") is not None:
                assert transcript.get("rel") == "captions" and kind in TIMED_TRANSCRIPTS
            if transcript.get("language") is not None:
                assert LANGUAGE.match(transcript.get("language") or "")
            status, ctype, _data = fetch(url)
            assert status == 200 and ctype.split(";")[0] == kind
        for person in item.findall("podcast:person", NS):
            assert (person.text or "").strip()
            group, role = person.get("group", "cast"), person.get("role", "host")
            assert (group, role) in PERSON_ROLES
    assert len(guids) == len(set(guids)), "two items share a guid"
    return channel
