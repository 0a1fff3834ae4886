"""Plain text articles: paragraphs split on blank lines, headline and dateline on top.

Plain text has no markup, so structure comes from layout: a first short line without a
final full stop is the headline, a short date line right after it is the dateline, and
hard-wrapped lines inside a paragraph are joined.
"""

from __future__ import annotations

import re

from vorlesen.errors import ExtractionError
from vorlesen.ingest.boilerplate import looks_like_dateline
from vorlesen.models import BlockKind, Document

TITLE_MAX_CHARS = 160
"""A first paragraph longer than this is body text, not a headline."""

_PARAGRAPH_SPLIT = re.compile(r"\n[ \t]*\n+")


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs with their hard line wraps joined."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    out: list[str] = []
    for chunk in _PARAGRAPH_SPLIT.split(text):
        joined = " ".join(chunk.split())
        if joined:
            out.append(joined)
    return out


def _is_title(first: str, raw_first_chunk_lines: int) -> bool:
    if len(first) > TITLE_MAX_CHARS or raw_first_chunk_lines > 2:
        return False
    return not first.endswith((".", ",", ";")) or first.endswith("..")


def from_text(text: str) -> Document:
    """Read a plain-text article.

    Raises :class:`ExtractionError` (reason ``empty``) when there is no text at all.
    """
    paras = paragraphs(text)
    if not paras:
        raise ExtractionError("The text is empty; there is nothing to read.", reason="empty")
    first_chunk = _PARAGRAPH_SPLIT.split(text.strip().replace("\r\n", "\n"), maxsplit=1)[0]
    parts: list[tuple[BlockKind, str]] = []
    title: str | None = None
    rest = paras
    if len(paras) > 1 and _is_title(paras[0], len(first_chunk.splitlines())):
        title = paras[0]
        parts.append(("title", title))
        rest = paras[1:]
        if len(rest) > 1 and looks_like_dateline(rest[0]):
            parts.append(("dateline", rest[0]))
            rest = rest[1:]
    parts.extend(("paragraph", p) for p in rest)
    return Document.build(parts, title=title)
