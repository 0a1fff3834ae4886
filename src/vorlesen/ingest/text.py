"""Plain text articles: paragraphs split on blank lines, headline and dateline on top.

Plain text has no markup, so structure comes from layout: a first short line without a
final full stop is the headline (with a shorter one above it, that one is the kicker), a
short date line right after it is the dateline, and hard-wrapped lines inside a paragraph
are joined. Text written one line per block (exports, copied pages: some line is longer
than any wrap width) keeps each line as a block of its own.
"""

from __future__ import annotations

import re

from vorlesen.errors import ExtractionError
from vorlesen.ingest.boilerplate import looks_like_dateline
from vorlesen.models import BlockKind, Document

TITLE_MAX_CHARS = 160
"""A first paragraph longer than this is body text, not a headline."""

KICKER_MAX_WORDS = 4
"""A first line this short above the headline is its kicker ("Einzelhandel")."""
WRAP_MAX_CHARS = 100
"""Hard-wrapped text stays within this width; a longer line means one line per block."""

_PARAGRAPH_SPLIT = re.compile(r"\n[ \t]*\n+")


def _blocks(text: str) -> list[tuple[str, int]]:
    """Blocks with the number of lines each was written on: blank-line separated
    paragraphs with hard wraps joined, or each line of a chunk written a line per block."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    out: list[tuple[str, int]] = []
    for chunk in _PARAGRAPH_SPLIT.split(text):
        lines = [" ".join(line.split()) for line in chunk.split("\n")]
        lines = [line for line in lines if line]
        if len(lines) > 1 and max(len(line) for line in lines) > WRAP_MAX_CHARS:
            out.extend((line, 1) for line in lines)
        elif lines:
            out.append((" ".join(lines), len(lines)))
    return out


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs with their hard line wraps joined (a chunk written
    one line per block gives a paragraph per line)."""
    return [block for block, _ in _blocks(text)]


def _is_title(first: str, lines: int) -> bool:
    if len(first) > TITLE_MAX_CHARS or lines > 2:
        return False
    return not first.endswith((".", ",", ";")) or first.endswith("..")


def from_text(text: str) -> Document:
    """Read a plain-text article.

    Raises :class:`ExtractionError` (reason ``empty``) when there is no text at all.
    """
    blocks = _blocks(text)
    if not blocks:
        raise ExtractionError("The text is empty; there is nothing to read.", reason="empty")
    parts: list[tuple[BlockKind, str]] = []
    title: str | None = None
    if (
        len(blocks) > 2
        and blocks[0][1] == 1
        and len(blocks[0][0].split()) <= KICKER_MAX_WORDS
        and _is_title(*blocks[0])
        and _is_title(*blocks[1])
        and not looks_like_dateline(blocks[1][0])
    ):
        parts.append(("kicker", blocks[0][0]))
        blocks = blocks[1:]
    rest = [block for block, _ in blocks]
    if len(blocks) > 1 and _is_title(*blocks[0]):
        title = rest[0]
        parts.append(("title", title))
        rest = rest[1:]
        if len(rest) > 1 and looks_like_dateline(rest[0]):
            parts.append(("dateline", rest[0]))
            rest = rest[1:]
    parts.extend(("paragraph", p) for p in rest)
    return Document.build(parts, title=title)
