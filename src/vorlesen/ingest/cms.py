"""CMS JSON articles: the fields a newsroom system exports, as blocks.

Shape: ``{"title", "kicker", "teaser", "body_html" | "body_text", "published",
"language", "site"?, "author"?, "dateline"?, "url"?, "section"?, "image"?}`` (``section``:
the Ressort, one podcast feed each; ``image``: the article's picture, an http(s) URL).
Header fields are read as given; ``body_html`` goes through the same boilerplate removal
as web pages (CMS bodies carry embeds and ad markers too), ``body_text`` is split on
blank lines.
"""

from __future__ import annotations

from typing import Any

from vorlesen.cleantext import clean_text
from vorlesen.errors import ExtractionError, InputError
from vorlesen.ingest.html import MarkedPart, build_document, marked_blocks_from_fragment
from vorlesen.ingest.language import normalize_language_tag
from vorlesen.ingest.text import paragraphs
from vorlesen.models import BlockKind, Document

_HEADER_KINDS: tuple[BlockKind, ...] = ("kicker", "title", "dateline", "teaser")
_TEXT_FIELDS = (
    "title",
    "kicker",
    "teaser",
    "dateline",
    "body_html",
    "body_text",
    "published",
    "language",
    "site",
    "author",
    "url",
    "section",
    "image",
)


def _field(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if key == "author" and isinstance(value, list):
        names = [clean_text(v).strip() for v in value if isinstance(v, str)]
        return ", ".join(n for n in names if n) or None
    if not isinstance(value, str):
        raise InputError(
            f"The CMS JSON field {key!r} must be a string, not {type(value).__name__}.",
            reason="bad_cms_json",
        )
    # The same cleaning as the API's text fields: these reach the feed, tags and pages too.
    return clean_text(value).strip() or None


def from_cms_json(obj: dict[str, Any]) -> Document:
    """Read an article exported by a CMS as a JSON object.

    Raises :class:`InputError` (reason ``bad_cms_json``) for a field of the wrong type and
    :class:`ExtractionError` (reason ``empty``) when neither title nor body has text.
    """
    if not isinstance(obj, dict):
        raise InputError("CMS JSON must be an object with article fields.", reason="bad_cms_json")
    fields = {key: _field(obj, key) for key in _TEXT_FIELDS}
    body: list[MarkedPart] = []
    warnings: tuple[str, ...] = ()
    if fields["body_html"]:
        body, warnings = marked_blocks_from_fragment(fields["body_html"])
    elif fields["body_text"]:
        body = [("paragraph", p, ()) for p in paragraphs(fields["body_text"])]
    if not body and not fields["teaser"]:
        raise ExtractionError(
            "The CMS JSON has no body text (body_html or body_text) to read.", reason="empty"
        )
    parts: list[MarkedPart] = []
    for kind in _HEADER_KINDS:
        value = fields[kind]
        if value:
            parts.append((kind, value, ()))
    parts.extend(body)
    return build_document(
        parts,
        title=fields["title"],
        site=fields["site"],
        url=fields["url"],
        published=fields["published"],
        author=fields["author"],
        language=normalize_language_tag(fields["language"]),
        warnings=warnings,
        section=fields["section"],
        image=_http_url(fields["image"]),
    )


def _http_url(value: str | None) -> str | None:
    """An http(s) URL as given; anything else (a relative path, ``javascript:``) is refused."""
    if value is None or value.lower().startswith(("http://", "https://")):
        return value
    raise InputError(
        f"The CMS JSON field 'image' must be an http(s) URL, not {value[:80]!r}.",
        reason="bad_cms_json",
    )
