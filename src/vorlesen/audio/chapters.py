"""Chapters from timings: one per section of the article, for podcast players.

The opening (kicker, headline, dateline, teaser — and any paragraphs before the first
subheading) is the first chapter, named after the headline; each subheading starts a new
chapter named after it. An article without subheadings gets the opening and the body.
"""

from __future__ import annotations

from collections.abc import Sequence

from vorlesen.audio.tags import Chapter
from vorlesen.models import Timing

__all__ = ["BODY_TITLE", "INTRO_TITLE", "chapters_from"]

INTRO_TITLE = "Einleitung"
"""Name of the opening chapter when the article has no headline."""
BODY_TITLE = "Artikel"
"""Name of the body chapter of an article without subheadings."""

_OPENING_KINDS = frozenset({"kicker", "title", "dateline", "teaser"})


def chapters_from(timings: Sequence[Timing], *, duration: float | None = None) -> list[Chapter]:
    """Chapters covering the audio without gaps: each ends where the next starts.

    The first chapter starts at 0; the last ends at ``duration`` when given, else at the
    end of the last utterance. No timings → no chapters.
    """
    if not timings:
        return []
    headline = next((t.written for t in timings if t.kind == "title"), None)
    has_headings = any(t.kind == "heading" for t in timings)

    starts: list[tuple[str, float]] = []  # (title, start) per chapter
    current_heading: int | None = None
    in_body = False
    for t in timings:
        if t.kind == "heading":
            if t.paragraph != current_heading:
                current_heading = t.paragraph
                starts.append((t.written, t.start))
            continue
        if not starts:
            opening = t.kind in _OPENING_KINDS or has_headings
            starts.append((headline or INTRO_TITLE, t.start) if opening else (BODY_TITLE, t.start))
            in_body = not opening
        elif not has_headings and not in_body and t.kind not in _OPENING_KINDS:
            starts.append((BODY_TITLE, t.start))
            in_body = True

    last_end = max(t.end for t in timings)
    end_of_audio = max(last_end, duration) if duration is not None else last_end
    chapters: list[Chapter] = []
    for i, (title, start) in enumerate(starts):
        begin = 0.0 if i == 0 else start
        end = starts[i + 1][1] if i + 1 < len(starts) else end_of_audio
        chapters.append(Chapter(title=" ".join(title.split()), start=begin, end=end))
    return chapters
