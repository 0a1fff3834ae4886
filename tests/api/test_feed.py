"""The podcast feeds through the API: every requirement of a feed Apple Podcasts and
Spotify take (checked by ``podcast_rules`` from the specifications, and by feedparser),
feeds per section, episode artwork from the article's image, hostile images."""

from __future__ import annotations

import dataclasses
import io
import logging
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar
from xml.etree import ElementTree as ET

import feedparser
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import ValidationError

from podcast_rules import NS, check_artwork, check_feed, podcast_guid_of
from support import serve_http, service_settings
from vorlesen.config import Settings
from vorlesen.errors import InputError, UsageError
from vorlesen.podcast import podcast_guid
from vorlesen.server import create_app
from vorlesen.service.container import Service

from .conftest import AUTH, TOKEN

BASE = "http://testserver"


def _jpeg(size: tuple[int, int], colour: str = "#c04020") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


EVIL_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)" width="2000" height="2000">'
    b"<script>alert(document.cookie)</script></svg>"
)


def _page(title: str, *, section: str | None = None, image: str | None = None) -> str:
    meta = ""
    if section:
        meta += f'<meta property="article:section" content="{section}">'
    if image:
        meta += f'<meta property="og:image" content="{image}">'
    return (
        f'<html lang="de"><head><title>{title}</title>{meta}'
        '<meta name="author" content="Anna Muster"></head><body><article>'
        f"<h1>{title}</h1><p>Der Stadtrat hat am Dienstag lange beraten und am Ende"
        " einstimmig beschlossen, was viele schon lange gefordert hatten.</p>"
        "<p>Die Bauarbeiten sollen im Frühjahr beginnen und zwei Jahre dauern.</p>"
        "</article></body></html>"
    )


class Images(BaseHTTPRequestHandler):
    """A newspaper's image server, some of whose images are anything but."""

    files: ClassVar[dict[str, tuple[str, bytes]]] = {
        "/photo.jpg": ("image/jpeg", _jpeg((1600, 900))),
        "/evil.svg": ("image/svg+xml", EVIL_SVG),
        "/not-an-image.jpg": ("image/jpeg", b"<!doctype html><p>Seite nicht gefunden</p>"),
        # The article page: its og:image is relative to it.
        "/politik/rathaus.html": (
            "text/html; charset=utf-8",
            _page("Rathaus beschließt Radweg", section="Politik", image="../photo.jpg").encode(),
        ),
    }

    def do_GET(self) -> None:
        if self.path == "/huge.jpg":  # 50 MB announced: refused before a byte is read
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(50 * 1024 * 1024))
            self.end_headers()
            return
        if self.path not in self.files:
            self.send_error(404)
            return
        kind, data = self.files[self.path]
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def images() -> Iterator[str]:
    with serve_http(Images) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    env = {
        "VORLESEN_API_TOKENS": TOKEN,
        "VORLESEN_PUBLIC_URL": BASE,
        "VORLESEN_FETCH_ALLOW_HOSTS": '["127.0.0.1"]',
        "VORLESEN_FEED_TITLE": "Tagesblatt",
        "VORLESEN_FEED_AUTHOR": "Tagesblatt Verlag",
        "VORLESEN_FEED_LINK": "https://tagesblatt.example/",
        "VORLESEN_FEED_CATEGORY": "News/Daily News",
        "VORLESEN_FEED_OWNER_NAME": "Redaktion Tagesblatt",
        "VORLESEN_FEED_OWNER_EMAIL": "podcast@tagesblatt.example",
    }
    yield from service_settings(tmp_path, monkeypatch, env)


def _publish(client: TestClient, source_id: str, **body: object) -> None:
    r = client.put(f"/api/articles/{source_id}", json=body, headers=AUTH)
    assert r.status_code == 202, r.text


def _fetch(client: TestClient) -> object:
    def fetch(url: str) -> tuple[int, str, bytes]:
        r = client.get(url.removeprefix(BASE))
        return r.status_code, r.headers.get("content-type", ""), r.content

    return fetch


@pytest.fixture
def newsroom(client: TestClient, service: Service, images: str) -> TestClient:
    """Three rendered articles: Politik (a page whose metadata names section and image),
    Wirtschaft (the API's fields), and one without section or image."""
    _publish(
        client,
        "rathaus",
        url=f"{images}/politik/rathaus.html",
        teaser="Der Radweg kommt.",
        published_at="2026-03-02T08:00:00Z",
    )
    _publish(
        client,
        "boerse",
        text="Börse schließt fester\n\nDer Leitindex stieg am Freitag um ein Prozent.",
        section="Wirtschaft",
        image=f"{images}/photo.jpg",
        published_at="2026-03-03T08:00:00Z",
    )
    _publish(
        client,
        "wetter",
        text="Sonne am Wochenende\n\nDas Wetter wird freundlich und warm.",
        published_at="2026-03-01T08:00:00Z",
    )
    service.queue.run_pending()
    for sid in ("rathaus", "boerse", "wetter"):
        assert client.get(f"/api/articles/{sid}").json()["status"] == "ready", sid
    return client


def test_feed_meets_rss_apple_and_podcasting20_rules(newsroom: TestClient, images: str) -> None:
    client = newsroom
    r = client.get("/feed.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/rss+xml")
    channel = check_feed(r.content, f"{BASE}/feed.xml", _fetch(client))  # type: ignore[arg-type]
    # Channel, as configured
    assert channel.findtext("title") == "Tagesblatt"
    assert channel.findtext("link") == "https://tagesblatt.example/"
    assert channel.findtext("language") == "de"
    assert channel.findtext("copyright") == "© Tagesblatt Verlag"
    assert channel.findtext("itunes:author", namespaces=NS) == "Tagesblatt Verlag"
    (category,) = channel.findall("itunes:category", NS)
    assert category.get("text") == "News"
    assert [c.get("text") for c in category] == ["Daily News"]
    assert channel.findtext("itunes:explicit", namespaces=NS) == "false"
    assert channel.findtext("itunes:type", namespaces=NS) == "episodic"
    assert channel.findtext("itunes:owner/itunes:name", namespaces=NS) == "Redaktion Tagesblatt"
    assert channel.findtext("itunes:owner/itunes:email", namespaces=NS) == (
        "podcast@tagesblatt.example"
    )
    locked = channel.find("podcast:locked", NS)
    assert locked is not None and locked.text == "yes"
    assert locked.get("owner") == "podcast@tagesblatt.example"
    # Episodes: newest publication first, one per article
    items = {i.findtext("guid"): i for i in channel.findall("item")}
    assert list(items) == ["vorlesen:boerse", "vorlesen:rathaus", "vorlesen:wetter"]
    rathaus = items["vorlesen:rathaus"]
    assert rathaus.findtext("title") == "Rathaus beschließt Radweg"
    description = rathaus.findtext("description") or ""
    assert "Der Radweg kommt." in description and "KI-Stimme" in description
    content = rathaus.findtext("content:encoded", namespaces=NS) or ""
    assert "Der Radweg kommt." in content and "KI-Stimme" in content
    page_url = f"{images}/politik/rathaus.html"
    assert f'<a href="{page_url}">' in content
    assert rathaus.findtext("link") == page_url
    assert rathaus.findtext("itunes:episodeType", namespaces=NS) == "full"
    duration = int(rathaus.findtext("itunes:duration", namespaces=NS) or "0")
    state = client.get("/api/articles/rathaus").json()
    assert duration == max(1, round(state["duration_s"]))
    enclosure = rathaus.find("enclosure")
    assert enclosure is not None and enclosure.get("url") == state["audio_mp3"]
    # The article image (the page's og:image) re-encoded as episode artwork
    art = rathaus.find("itunes:image", NS)
    assert art is not None and art.get("href") == f"{BASE}/api/articles/rathaus/cover-1.jpg"
    # The CMS's image (API field) too; no image: no episode artwork (the channel's shows)
    assert items["vorlesen:boerse"].find("itunes:image", NS) is not None
    assert items["vorlesen:wetter"].find("itunes:image", NS) is None
    transcripts = {t.get("type"): t for t in rathaus.findall("podcast:transcript", NS)}
    assert set(transcripts) == {"text/vtt", "application/json"}
    assert transcripts["text/vtt"].get("url") == state["captions_vtt"]
    assert transcripts["text/vtt"].get("rel") == "captions"
    assert transcripts["application/json"].get("url") == state["timings_json"]
    person = rathaus.find("podcast:person", NS)
    assert person is not None and person.text == "Anna Muster"
    assert (person.get("role"), person.get("group")) == ("author", "writing")
    assert rathaus.findtext("itunes:author", namespaces=NS) == "Anna Muster"
    # feedparser reads it as a podcast app's parser would
    feed = feedparser.parse(r.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert feed.feed.image.href.endswith(".png")
    assert [e.id for e in feed.entries] == list(items)
    assert all(e.enclosures[0].type == "audio/mpeg" for e in feed.entries)


def test_sections_have_their_own_feeds(newsroom: TestClient) -> None:
    client = newsroom
    listing = client.get("/feeds").json()["items"]
    assert [(f["section"], f["title"], f["url"], f["episodes"]) for f in listing] == [
        (None, "Tagesblatt", f"{BASE}/feed.xml", 3),
        ("politik", "Tagesblatt – Politik", f"{BASE}/feed.xml?section=politik", 1),
        ("wirtschaft", "Tagesblatt – Wirtschaft", f"{BASE}/feed.xml?section=wirtschaft", 1),
    ]
    state = client.get("/api/articles/rathaus").json()
    assert state["section"] == "Politik"
    assert state["section_feed"] == f"{BASE}/feed.xml?section=politik"
    guids = set()
    for info in listing:
        url = info["url"]
        r = client.get(url.removeprefix(BASE))
        assert r.status_code == 200
        channel = check_feed(r.content, url, _fetch(client))  # type: ignore[arg-type]
        assert channel.findtext("title") == info["title"]
        assert len(channel.findall("item")) == info["episodes"]
        guids.add(channel.findtext("podcast:guid", namespaces=NS))
    assert len(guids) == 3  # each feed is its own podcast
    politik = ET.fromstring(client.get("/feed.xml?section=politik").content)
    assert [i.findtext("guid") for i in politik.iter("item")] == ["vorlesen:rathaus"]
    missing = client.get("/feed.xml?section=sport")
    assert missing.status_code == 404 and missing.json()["reason"] == "not_found"
    assert client.get("/feed.xml?section=Pol%20itik").status_code == 422


def test_hostile_images_never_break_the_feed(
    client: TestClient, service: Service, images: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An SVG with script, a 50 MB image, an HTML page served as JPEG and a missing one:
    each article renders, the feed stays valid, those episodes just have no artwork, and
    the log says why for each."""
    caplog.set_level(logging.WARNING, logger="vorlesen.render")
    for n, path in enumerate(("/evil.svg", "/huge.jpg", "/not-an-image.jpg", "/gone.jpg")):
        _publish(
            client,
            f"a{n}",
            text=f"Meldung {n}\n\nEine kurze Meldung ohne Bild.",
            image=f"{images}{path}",
        )
    service.queue.run_pending()
    for n in range(4):
        assert client.get(f"/api/articles/a{n}").json()["status"] == "ready"
        assert client.get(f"/api/articles/a{n}/cover.jpg").status_code == 404
    r = client.get("/feed.xml")
    channel = check_feed(r.content, f"{BASE}/feed.xml", _fetch(client))  # type: ignore[arg-type]
    assert len(channel.findall("item")) == 4
    assert not channel.findall("item/itunes:image", NS)
    assert b"<script" not in r.content and b"alert(" not in r.content
    said = " ".join(r.getMessage() for r in caplog.records if r.name == "vorlesen.render")
    for reason in ("unsupported_content_type", "too_large", "bad_image", "http_status"):
        assert f"({reason}:" in said, said


def test_artwork_is_served_like_audio(newsroom: TestClient, service: Service) -> None:
    """Versioned artwork URLs are immutable, answer If-None-Match with 304, carry a fixed
    type and nosniff; the default cover is drawn once and then only looked up."""
    client = newsroom
    cover = client.get("/api/articles/rathaus/cover-1.jpg")
    assert cover.status_code == 200 and cover.headers["content-type"] == "image/jpeg"
    assert check_artwork(cover.content, "image/jpeg") == (1400, 1400)
    assert cover.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert cover.headers["x-content-type-options"] == "nosniff"
    again = client.get(
        "/api/articles/rathaus/cover-1.jpg", headers={"If-None-Match": cover.headers["etag"]}
    )
    assert again.status_code == 304
    part = client.get("/api/articles/rathaus/cover.jpg", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == cover.content[:10]

    channel = ET.fromstring(client.get("/feed.xml").content).find("channel")
    assert channel is not None
    href = channel.find("itunes:image", NS).get("href")  # type: ignore[union-attr]
    assert href is not None and href.startswith(f"{BASE}/feed/artwork-")
    art = client.get(href.removeprefix(BASE))
    assert art.status_code == 200 and check_artwork(art.content, art.headers["content-type"])
    assert art.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert art.headers["x-content-type-options"] == "nosniff"
    assert (
        client.get(
            href.removeprefix(BASE), headers={"If-None-Match": art.headers["etag"]}
        ).status_code
        == 304
    )
    # Apple re-checks artwork with HEAD requests.
    head = client.head(href.removeprefix(BASE))
    assert head.status_code == 200 and int(head.headers["content-length"]) == len(art.content)
    head = client.head("/api/articles/rathaus/cover-1.jpg")
    assert head.status_code == 200 and head.headers["content-type"] == "image/jpeg"
    stored = service.blobs.local_path(href.removeprefix(f"{BASE}/"))
    mtime = stored.stat().st_mtime_ns
    client.get("/feed.xml")
    assert stored.stat().st_mtime_ns == mtime  # generated once
    politik = ET.fromstring(client.get("/feed.xml?section=politik").content)
    section_art = politik.find("channel/itunes:image", NS)
    assert section_art is not None and section_art.get("href") != href  # its own title
    assert client.get("/feed/artwork-0123456789abcdef.png").status_code == 404
    assert client.get("/feed/..%2Fvorlesen.db").status_code == 404


def _with(service: Service, **changes: str) -> Service:
    """The same service with some settings changed (what another start would read)."""
    return dataclasses.replace(service, settings=service.settings.model_copy(update=changes))


def test_publisher_artwork_is_checked_at_start(service: Service, tmp_path: Path) -> None:
    good = tmp_path / "cover.png"
    Image.new("RGB", (1500, 1500), "navy").save(good)
    wide = tmp_path / "wide.jpg"
    wide.write_bytes(_jpeg((2000, 1400)))
    svg = tmp_path / "cover.svg"
    svg.write_bytes(EVIL_SVG)
    for bad, words in ((wide, "not square"), (svg, "not a JPEG or PNG"), (tmp_path / "x", "read")):
        with pytest.raises(UsageError, match=words) as info:
            create_app(service=_with(service, feed_image=str(bad)))
        assert info.value.reason == "bad_feed_image"
    with TestClient(create_app(service=_with(service, feed_image=str(good)))) as client:
        channel = ET.fromstring(client.get("/feed.xml").content).find("channel")
        assert channel is not None
        href = channel.find("itunes:image", NS).get("href")  # type: ignore[union-attr]
        assert href is not None and href.endswith(".png")
        served = client.get(href.removeprefix(BASE))
        assert served.content == good.read_bytes()
    url = "https://cdn.tagesblatt.example/podcast-3000.jpg"
    with TestClient(create_app(service=_with(service, feed_image=url))) as c:
        channel = ET.fromstring(c.get("/feed.xml").content).find("channel")
        assert channel is not None
        assert channel.find("itunes:image", NS).get("href") == url  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("feed_category", "Nachrichten", "not an Apple Podcasts category"),
        ("feed_category", "News/Cooking", "not a subcategory of 'News'"),
        ("feed_image", "https://cdn.example/cover.webp", "must end in .jpg or .png"),
    ],
)
def test_feed_settings_podcast_platforms_refuse_stop_the_start(
    field: str, value: str, words: str, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match=words):
        Settings(data_dir=tmp_path, **{field: value})  # type: ignore[arg-type]


def test_podcast_guid_follows_the_podcasting20_spec() -> None:
    """The specification's own examples, and the rule as the tests read it."""
    assert podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml") == (
        "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    )
    assert podcast_guid("podnews.net/rss/") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert podcast_guid("https://podnews.net/rss////") == podcast_guid("http://podnews.net/rss")
    url = f"{BASE}/feed.xml?section=politik"
    assert podcast_guid(url) == podcast_guid_of(url)


def test_control_characters_in_a_title_do_not_break_the_feed(
    client: TestClient, service: Service
) -> None:
    _publish(client, "kaputt", text="Titel\x0bmit\x01Steuerzeichen\n\nEin Satz.", title="A\x01B")
    service.queue.run_pending()
    r = client.get("/feed.xml")
    assert r.status_code == 200
    feed = feedparser.parse(r.content)
    assert not feed.bozo and feed.entries[0].title == "AB"


def test_a_hostile_canonical_link_is_left_out(client: TestClient, service: Service) -> None:
    page = _page("Ein Titel").replace(
        "</head>", '<link rel="canonical" href="javascript:alert(1)"></head>'
    )
    _publish(client, "kanonisch", html=page)
    service.queue.run_pending()
    body = client.get("/feed.xml").content
    item = ET.fromstring(body).find("channel/item")
    assert item is not None and item.find("link") is None
    assert b"javascript:" not in body


def test_section_and_image_come_from_page_cms_json_and_api() -> None:
    from vorlesen.ingest.cms import from_cms_json
    from vorlesen.ingest.html import from_html

    page = from_html(
        _page("Ein Titel", section="Kultur", image="/b/bild.jpg"), "https://x.example/a/1"
    )
    assert (page.section, page.image) == ("Kultur", "https://x.example/b/bild.jpg")
    js = _page("T", image="javascript:alert(1)")
    assert from_html(js, "https://x.example/a").image is None
    cms = from_cms_json(
        {
            "title": "T",
            "body_text": "Ein Satz.",
            "section": "Sport",
            "image": "https://i.example/p.png",
        }
    )
    assert (cms.section, cms.image) == ("Sport", "https://i.example/p.png")
    with pytest.raises(InputError, match="http") as info:
        from_cms_json({"title": "T", "body_text": "Ein Satz.", "image": "/relative.png"})
    assert info.value.reason == "bad_cms_json"
