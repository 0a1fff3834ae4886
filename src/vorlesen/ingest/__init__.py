"""ingest: any article source in, a clean :class:`~vorlesen.models.Document` out.

``load`` takes what a user types (URL, path, ``-``); ``from_bytes`` takes what the API
receives. Both refuse binary data and oversized input, decode text, sniff the format from
the content (not only the name), dispatch to one reader per format and check the language.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vorlesen.config import Settings, get_settings
from vorlesen.errors import (
    ExtractionError,
    InputError,
    LanguageError,
    NotFoundError,
    UnsupportedContentError,
)
from vorlesen.ingest.language import detect_language, normalize_language_tag
from vorlesen.ingest.sniff import Format, check_not_binary, decode, sniff_format
from vorlesen.ingest.text import from_text
from vorlesen.languages import LANGUAGE_NAMES
from vorlesen.lazy import lazy_attributes
from vorlesen.models import Document

if TYPE_CHECKING:
    from vorlesen.ingest.cms import from_cms_json
    from vorlesen.ingest.html import from_html
    from vorlesen.ingest.markdown import from_markdown

__all__ = [
    "detect_language",
    "from_bytes",
    "from_cms_json",
    "from_html",
    "from_markdown",
    "from_text",
    "load",
]

_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")

# The readers of other formats load when first used, as does the fetcher
# (vorlesen.ingest.fetch): reading a text file does not pay for trafilatura, lxml,
# markdown-it and httpx (≈0.5 s at start-up).
_LAZY = {
    "from_cms_json": "vorlesen.ingest.cms",
    "from_html": "vorlesen.ingest.html",
    "from_markdown": "vorlesen.ingest.markdown",
}


__getattr__, __dir__ = lazy_attributes(
    __name__, {name: (module, name) for name, module in _LAZY.items()}
)


def _from_html(text: str, url: str | None) -> Document:
    from vorlesen.ingest.html import from_html

    return from_html(text, url=url)


def _from_markdown(text: str) -> Document:
    from vorlesen.ingest.markdown import from_markdown

    return from_markdown(text)


def _from_ssml(text: str) -> Document:
    from vorlesen.ingest.ssml import from_ssml

    return from_ssml(text)


def _from_json_text(text: str) -> Document:
    try:
        obj: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnsupportedContentError(
            f"The input looks like JSON but cannot be parsed: {exc.msg} at line {exc.lineno}.",
            reason="bad_json",
        ) from exc
    except RecursionError as exc:  # '{"a":' * 50_000 exhausts the C parser's stack guard
        raise UnsupportedContentError(
            "The input looks like JSON but nests too deeply to read.", reason="bad_json"
        ) from exc
    if not isinstance(obj, dict):
        raise UnsupportedContentError(
            "JSON input must be one CMS article object, not a list or a value.",
            reason="bad_json",
        )
    from vorlesen.ingest.cms import from_cms_json

    return from_cms_json(obj)


_READERS: dict[Format, Callable[[str], Document]] = {
    "text": from_text,
    "markdown": _from_markdown,
    "json": _from_json_text,
    "ssml": _from_ssml,
}


def _too_large(size: int, limit: int) -> UnsupportedContentError:
    return UnsupportedContentError(
        f"The input is {size} bytes, more than the limit of {limit} bytes "
        "(VORLESEN_MAX_INPUT_BYTES).",
        reason="too_large",
    )


def _check_language(doc: Document, language: str | None) -> Document:
    """Apply an explicit language, or require German (or too short to tell)."""
    if language is not None:
        code = normalize_language_tag(language) or language
        return _with_language(doc, code)
    detected = detect_language(doc.text)
    effective = detected or normalize_language_tag(doc.language) or "de"
    if effective != "de":
        name = LANGUAGE_NAMES.get(effective, effective)
        raise LanguageError(
            f"The article looks {name}, not German; give its language to read it anyway "
            f'(vorlesen read --lang {effective}; in the API "language": "{effective}").',
            reason="wrong_language",
        )
    return _with_language(doc, "de")


def _with_language(doc: Document, code: str) -> Document:
    return doc if doc.language == code else dataclasses.replace(doc, language=code)


def _read(
    data: bytes,
    *,
    filename: str | None,
    content_type: str | None,
    url: str | None,
    language: str | None,
    settings: Settings,
) -> Document:
    if len(data) > settings.max_input_bytes:
        raise _too_large(len(data), settings.max_input_bytes)
    if not data.strip():
        raise ExtractionError("The input is empty; there is nothing to read.", reason="empty")
    check_not_binary(data, content_type)
    text = decode(data, content_type)
    fmt = sniff_format(text, filename=filename, content_type=content_type)
    doc = _from_html(text, url) if fmt == "html" else _READERS[fmt](text)
    if url and doc.url is None:
        doc = dataclasses.replace(doc, url=url)
    if not doc.blocks:
        raise ExtractionError("No readable text was found in the input.", reason="empty")
    return _check_language(doc, language)


def from_bytes(
    data: bytes,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    url: str | None = None,
    language: str | None = None,
    settings: Settings | None = None,
) -> Document:
    """Read an article from raw bytes (an upload or a request body).

    ``filename`` and ``content_type`` are hints; the content decides first. ``settings``
    (default: the environment's) set the input limit: a service passes its own. Raises
    :class:`~vorlesen.errors.InputError` subclasses with a ``reason`` for every failure.
    """
    return _read(
        data,
        filename=filename,
        content_type=content_type,
        url=url,
        language=language,
        settings=settings or get_settings(),
    )


def _read_stdin(limit: int) -> bytes:
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        raise _too_large(len(data), limit)
    return data


def _read_file(path: Path, limit: int) -> bytes:
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise NotFoundError(f"The file {str(path)!r} does not exist.", reason="not_found") from exc
    except OSError as exc:
        raise InputError(
            f"The file {str(path)!r} cannot be read: {exc.strerror}.", reason="unreadable"
        ) from exc
    if path.is_dir():
        raise InputError(f"{str(path)!r} is a directory, not an article file.", reason="not_a_file")
    if stat.st_size > limit:
        raise _too_large(stat.st_size, limit)
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(
            f"The file {str(path)!r} cannot be read: {exc.strerror}.", reason="unreadable"
        ) from exc
    if len(data) > limit:  # it grew after stat(), or it is a device/pipe
        raise _too_large(len(data), limit)
    return data


def load(source: str, *, language: str | None = None, settings: Settings | None = None) -> Document:
    """Read an article from an http(s) URL, a file path, or ``-`` (stdin).

    Without ``language`` the text must be German (or too short to tell), otherwise a
    :class:`~vorlesen.errors.LanguageError` says which language it looks like; with it, the
    check is skipped and the document carries that language.
    """
    settings = settings or get_settings()
    if source == "-":
        data = _read_stdin(settings.max_input_bytes)
        return _read(
            data,
            filename=None,
            content_type=None,
            url=None,
            language=language,
            settings=settings,
        )
    if _URL_SCHEME.match(source):
        from vorlesen.ingest.fetch import fetch

        fetched = fetch(source, settings=settings)
        return _read(
            fetched.data,
            filename=fetched.url.split("?", 1)[0],
            content_type=fetched.content_type,
            url=fetched.url,
            language=language,
            settings=settings,
        )
    path = Path(source).expanduser()
    data = _read_file(path, settings.max_input_bytes)
    return _read(
        data,
        filename=path.name,
        content_type=None,
        url=None,
        language=language,
        settings=settings,
    )
