"""A page a player sits on becomes an article: no CMS work, and nothing fetched it should not.

A ``<vorlesen-player>`` without an ``article`` attribute sends its page's canonical URL.
:meth:`PageService.lookup` normalizes it (:func:`normalize_page_url`), derives a stable
article id from it (:func:`page_id`) and answers with what is known. An unknown page on a
host the publisher allowed (``VORLESEN_PUBLISHER_HOSTS``) is claimed in the database — one
caller wins however many listeners arrive at once — and queued for :meth:`fetch_page`,
which fetches it through the SSRF-safe fetch, extracts the article and hands it to the
ordinary render path. Pages that are not articles are remembered with their reason, so they
are not fetched on every view; every page is looked at again at most every
``VORLESEN_RECHECK_S`` seconds, and a changed text becomes a new revision.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from vorlesen import ingest
from vorlesen.config import Settings
from vorlesen.errors import (
    ExtractionError,
    FetchError,
    NotFoundError,
    RateLimitError,
    VorlesenError,
)
from vorlesen.ingest.fetch import fetch
from vorlesen.ingest.sniff import decode
from vorlesen.service.payload import ArticlePayload
from vorlesen.service.queue import WorkQueue
from vorlesen.service.ratelimit import RateLimiter
from vorlesen.store.db import ArticleRecord, Store
from vorlesen.store.sources import PageRecord, SourceStore

__all__ = [
    "HTML_TYPES",
    "PageLookup",
    "PageService",
    "host_allowed",
    "normalize_page_url",
    "page_id",
]

HTML_TYPES = ("text/html", "application/xhtml+xml")
"""What a page fetch accepts: a player sits on an HTML page."""

UNPUBLISHED = "unpublished"
"""The reason of a page whose article the publisher deleted: never fetched again."""

TRANSIENT_REASONS = frozenset({"timeout", "unreachable", "fetch_failed", "internal_error"})
"""Refusals that say little about the page: tried again after ``render_lease_s``, not an hour."""

MAX_URL_CHARS = 2000
"""Longest page URL taken (the same limit as an article's ``url`` field)."""


@dataclass(frozen=True, slots=True)
class PageLookup:
    """What a player learns about its page: the article, or that it is being fetched."""

    page: PageRecord
    article: ArticleRecord | None


def normalize_page_url(url: str) -> tuple[str, str]:
    """The page's URL as vorlesen keys it, and its host.

    Scheme and host lower case, default port, user info, query and fragment dropped, an
    empty path made ``/``: the same article reached with tracking parameters
    (``?utm_source=…``) or an anchor is one article. Raises :class:`FetchError`
    (``bad_url``, ``scheme_not_allowed``).
    """
    url = url.strip()
    if not url or len(url) > MAX_URL_CHARS:
        raise FetchError(f"A page URL must have 1 to {MAX_URL_CHARS} characters.", reason="bad_url")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError("The page URL is not valid.", reason="bad_url") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError("Only http and https pages can be read.", reason="scheme_not_allowed")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host or any(c.isspace() for c in url):
        raise FetchError("The page URL is not valid.", reason="bad_url")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError as exc:
        raise FetchError("The page URL's host is not valid.", reason="bad_url") from exc
    default = {"http": 80, "https": 443}[scheme]
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != default:
        netloc = f"{netloc}:{port}"
    path = parts.path or "/"
    return urllib.parse.urlunsplit((scheme, netloc, path, "", "")), host


def page_id(normalized_url: str) -> str:
    """The article id of a page: stable, URL-safe, the same on every API process."""
    return "p-" + hashlib.sha256(normalized_url.encode("utf-8")).hexdigest()[:32]


def host_allowed(host: str, patterns: Iterable[str]) -> bool:
    """Whether ``host`` is one of ``patterns``: an exact name, or ``*.example.de`` for any
    subdomain of example.de (not example.de itself, which is listed on its own)."""
    host = host.rstrip(".").lower()
    for pattern in patterns:
        pattern = pattern.strip().rstrip(".").lower()
        if not pattern:
            continue
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def text_hash(title: str | None, text: str, voice: str | None, settings: Settings) -> str:
    """What decides "the page changed": its article text (not its ads or timestamps), plus
    the voice and engine it is read with."""
    blob = json.dumps([title, text, voice, settings.voice, settings.engine], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class PageService:
    """Pages to articles, for the API (lookups) and the queue (fetches)."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        queue: WorkQueue,
        *,
        client_limiter: RateLimiter,
        host_limiter: RateLimiter,
    ) -> None:
        self.settings = settings
        self.store = store
        self.pages = SourceStore(store)
        self.queue = queue
        self.client_limiter = client_limiter
        self.host_limiter = host_limiter

    # -- the player's lookup -----------------------------------------------------------

    def lookup(self, url: str, *, client: str) -> PageLookup:
        """The article of the page at ``url``, claiming and queuing its fetch when it is
        new or due for a recheck.

        Raises :class:`FetchError` ``host_not_allowed`` (403) for a host the publisher did not
        allow, :class:`RateLimitError` (429) past the per-client or per-host limit, and the
        remembered :class:`ExtractionError` (or fetch error) of a page that is not an article.
        """
        normalized, host = normalize_page_url(url)
        if not host_allowed(host, self.settings.publisher_hosts):
            raise FetchError(
                f"The host {host!r} is not one of the publisher's hosts "
                "(VORLESEN_PUBLISHER_HOSTS); its pages are not read.",
                reason="host_not_allowed",
            )
        self.client_limiter.hit(f"page:{client}")
        source_id = page_id(normalized)
        page = self.pages.get_page(source_id)
        if page is None or self._due(page):
            page = self._claim(source_id, normalized, host, page)
        return self._answer(page)

    def _wait(self, page: PageRecord | None) -> float:
        """Seconds after its last claim before a page may be fetched again: ``recheck_s``;
        less for a fetch that failed on the way (a timeout, an unreachable server) and for
        one that never finished (its worker died, its message was lost)."""
        recheck = self.settings.recheck_s
        if page is None:
            return recheck
        if page.status == "pending" or page.reason in TRANSIENT_REASONS:
            return min(recheck, self.settings.render_lease_s)
        return recheck

    def _due(self, page: PageRecord) -> bool:
        """Whether the page may be fetched again: its wait is over, and the publisher did
        not delete its article (an unpublished page stays unpublished)."""
        if page.reason == UNPUBLISHED:
            return False
        cutoff = datetime.now(UTC) - timedelta(seconds=self._wait(page))
        return page.checked_at < cutoff

    def _claim(self, source_id: str, url: str, host: str, known: PageRecord | None) -> PageRecord:
        try:
            self.host_limiter.check(f"fetch:{host}")
        except RateLimitError:
            if known is not None:
                return known  # the recheck waits; the known answer stands
            raise
        page, won = self.pages.claim_page(source_id, url, host, recheck_s=self._wait(known))
        if won:
            # A concurrent claim may have filled the window; this one is made already.
            with contextlib.suppress(RateLimitError):
                self.host_limiter.hit(f"fetch:{host}")
            self.queue.enqueue_page(source_id)
        return page

    def _answer(self, page: PageRecord) -> PageLookup:
        article = self._article(page.source_id) if page.fetches else None
        if article is not None:  # a later refusal (the page gone) keeps the audio made
            return PageLookup(page=page, article=article)
        if page.status == "refused":
            raise _refusal(page)
        if page.status == "article":  # rendered once, then deleted by the publisher
            raise _unpublished()
        return PageLookup(page=page, article=None)

    def _article(self, source_id: str) -> ArticleRecord | None:
        try:
            return self.store.get_article(source_id)
        except NotFoundError:
            return None

    # -- the queue's fetch ---------------------------------------------------------------

    def fetch_page(self, source_id: str) -> str:
        """Task body: fetch the page, refuse it with a reason or publish its article (a new
        revision only when its text changed). Returns what happened (logs and tests)."""
        page = self.pages.get_page(source_id)
        if page is None:
            return "gone"
        if page.reason == UNPUBLISHED or (
            page.status == "article" and self._article(source_id) is None
        ):
            error = _unpublished()
            self.pages.finish_page(source_id, "refused", reason=error.reason, message=error.message)
            return f"refused:{UNPUBLISHED}"
        try:
            fetched = fetch(page.url, settings=self.settings, accept=HTML_TYPES)
            html = decode(fetched.data, fetched.content_type)
            doc = ingest.from_bytes(
                fetched.data,
                filename="page.html",
                content_type=fetched.content_type,
                url=page.url,
                language=page.language,
            )
        except VorlesenError as exc:
            self.pages.finish_page(source_id, "refused", reason=exc.reason, message=exc.message)
            return f"refused:{exc.reason}"
        text = "\n".join(block.text for block in doc.blocks)
        digest = text_hash(doc.title, text, page.voice, self.settings)
        payload = ArticlePayload(
            html=html,
            page_url=page.url,
            voice=page.voice or None,
            language=page.language or None,
            published_at=page.published_at.isoformat() if page.published_at else None,
        )
        article, changed = self.store.put_article(
            source_id,
            payload.stored(),
            digest,
            title=doc.title,
            voice=page.voice,
            published_at=page.published_at,
        )
        self.pages.finish_page(source_id, "article", content_hash=digest)
        if not changed:
            return "unchanged"
        self.queue.enqueue_render(source_id, article.revision)
        return "queued"


def _unpublished() -> ExtractionError:
    return ExtractionError(
        "The publisher deleted this page's audio; it is not rendered again "
        "(a PUT of the article publishes it anew).",
        reason=UNPUBLISHED,
    )


def _refusal(page: PageRecord) -> ExtractionError:
    """The remembered reason a page is not read (``no_article``, ``wrong_language``,
    ``http_status`` …), as an extraction error: the player shows nothing for it."""
    message = page.message or "This page is not an article vorlesen reads."
    return ExtractionError(message, reason=page.reason or "no_article")
