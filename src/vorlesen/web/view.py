"""The article as the demo page shows it, rebuilt from the rendered timings sidecar.

The timings JSON carries the extracted article text (blocks joined by a blank line) and,
per utterance, the block (``paragraph``) and its kind. That is enough to lay the article
out as a publisher would — kicker, headline, dateline, teaser, body — with exactly the
text the voice reads, so the player's follow-along finds every sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vorlesen.models import BLOCK_KINDS, BLOCK_SEPARATOR, BlockKind

__all__ = ["ArticleView", "ViewBlock", "article_view", "sentence_at"]


@dataclass(frozen=True, slots=True)
class ViewBlock:
    """One block of the page: its kind (decides the HTML element) and text."""

    kind: BlockKind
    text: str


@dataclass(frozen=True, slots=True)
class ArticleView:
    """What the demo page shows: header parts and body blocks, all plain text."""

    title: str | None
    kicker: str | None
    dateline: str | None
    teaser: str | None
    body: tuple[ViewBlock, ...]
    site: str | None
    published: str | None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def article_view(timings: Mapping[str, Any]) -> ArticleView:
    """Lay out the article a timings document describes.

    A block's kind is the kind of its utterances; blocks without utterances (the voice
    skipped them) are paragraphs. The first kicker, title, dateline and teaser go into the
    header; everything else, in order, is the body.
    """
    text = timings.get("text")
    blocks_text = text.split(BLOCK_SEPARATOR) if isinstance(text, str) and text else []
    kinds: dict[int, BlockKind] = {}
    for utterance in timings.get("utterances") or []:
        if not isinstance(utterance, Mapping):
            continue
        block, utterance_kind = utterance.get("paragraph"), utterance.get("kind")
        if isinstance(block, int) and block not in kinds:
            for known in BLOCK_KINDS:
                if utterance_kind == known:
                    kinds[block] = known
    header: dict[str, str] = {}
    body: list[ViewBlock] = []
    for i, block_text in enumerate(blocks_text):
        kind: BlockKind = kinds.get(i, "paragraph")
        if kind in ("kicker", "title", "dateline", "teaser") and kind not in header:
            header[kind] = block_text
        else:
            body.append(ViewBlock(kind=kind, text=block_text))
    return ArticleView(
        title=header.get("title") or _text(timings.get("title")),
        kicker=header.get("kicker"),
        dateline=header.get("dateline"),
        teaser=header.get("teaser"),
        body=tuple(body),
        site=_text(timings.get("site")),
        published=_text(timings.get("published")),
    )


def sentence_at(timings: Mapping[str, Any], index: int) -> Mapping[str, Any] | None:
    """The utterance with ``index`` in a timings document (for feedback next to audio)."""
    for utterance in timings.get("utterances") or []:
        if isinstance(utterance, Mapping) and utterance.get("index") == index:
            return utterance
    return None
