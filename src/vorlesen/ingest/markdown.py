"""Markdown articles: headings, paragraphs, quotes and list items become blocks.

Parsed with markdown-it-py (CommonMark plus GFM pipe tables). Code, images, raw HTML and
tables are not read: they are not prose, and a table read cell by cell is noise (HTML
extraction skips tables too). Optional YAML-style front matter (``title:``,
``kicker:``, ``teaser:``, ``dateline:``, ``published:``, ``author:``, ``site:``) fills
metadata and header blocks.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from vorlesen.errors import ExtractionError
from vorlesen.ingest.boilerplate import looks_like_dateline
from vorlesen.models import BlockKind, Document

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(---|\.\.\.)[ \t]*(\n|\Z)", re.S)
_HEADER_KINDS: tuple[BlockKind, ...] = ("kicker", "title", "dateline", "teaser")
_FRONT_KEYS = ("title", "kicker", "teaser", "dateline", "published", "author", "site")


def _front_matter(md: str) -> tuple[dict[str, str], str]:
    m = _FRONT_MATTER.match(md)
    if not m:
        return {}, md
    meta: dict[str, str] = {}
    for line in m.group(1).splitlines():
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if sep and key in _FRONT_KEYS:
            meta[key] = value.strip().strip("\"'")
    if not meta:
        return {}, md
    return meta, md[m.end() :]


def _inline_text(token: Token) -> tuple[str, bool]:
    """Readable text of an inline token, and whether all of it is bold."""
    parts: list[str] = []
    bold_depth = 0
    all_bold = True
    for child in token.children or []:
        if child.type == "strong_open":
            bold_depth += 1
        elif child.type == "strong_close":
            bold_depth -= 1
        elif child.type in ("text", "code_inline"):
            if child.content.strip() and bold_depth == 0:
                all_bold = False
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    text = " ".join("".join(parts).split())
    return text, all_bold and bool(text)


def from_markdown(md: str) -> Document:
    """Read a Markdown article: the first ``#`` heading is the headline.

    A bold-only paragraph right after the headline is the teaser; a short date line there is
    the dateline. Raises :class:`ExtractionError` (reason ``empty``) when nothing is left.
    """
    meta, body = _front_matter(md.lstrip("\ufeff"))
    # the table rule is on so that a pipe table is recognized (and skipped) rather than
    # read as a paragraph of pipes and dashes
    tokens = MarkdownIt("commonmark").enable("table").parse(body)
    parts: list[tuple[BlockKind, str]] = []
    for key in _HEADER_KINDS:
        if meta.get(key):
            parts.append((key, meta[key]))
    title = meta.get("title")
    quote_depth = 0
    table_depth = 0
    heading: str | None = None
    after_title = False
    for i, tok in enumerate(tokens):
        if tok.type == "blockquote_open":
            quote_depth += 1
        elif tok.type == "blockquote_close":
            quote_depth -= 1
        elif tok.type == "table_open":
            table_depth += 1
        elif tok.type == "table_close":
            table_depth -= 1
        elif table_depth:
            continue
        elif tok.type == "heading_open":
            heading = tok.tag
        elif tok.type == "heading_close":
            heading = None
        elif tok.type == "inline":
            text, bold = _inline_text(tok)
            if not text:
                continue
            if heading == "h1" and title is None:
                title = text
                parts.append(("title", text))
                after_title = True
                continue
            if heading is not None:
                parts.append(("heading", text))
            elif quote_depth:
                parts.append(("quote", text))
            elif after_title and looks_like_dateline(text) and i + 1 < len(tokens):
                parts.append(("dateline", text))
                continue
            elif after_title and bold and len(text) >= 40:
                parts.append(("teaser", text))
            else:
                parts.append(("paragraph", text))
            after_title = False
    if not parts:
        raise ExtractionError("The Markdown text is empty; nothing to read.", reason="empty")
    return Document.build(
        parts,
        title=title,
        published=meta.get("published"),
        author=meta.get("author"),
        site=meta.get("site"),
    )
