"""Hear a pronunciation fix before saving it: the word, then the sentence it was heard in.

The newsroom's **Vorhören** button calls this. It runs the one render path
(:func:`vorlesen.pipeline.render`, into memory) on a short document, so what the editor hears is
what listeners will hear, with the engine and voice the service renders with. The word
comes first and alone, so the fix is heard clearly; the sentence from the feedback
follows (after a paragraph pause) only when the entry applies to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from vorlesen.config import Settings
from vorlesen.errors import InputError
from vorlesen.lexicon import LexEntry, Lexicon
from vorlesen.models import BlockKind, Document
from vorlesen.pipeline import MemoryTarget, RenderOptions, RenderRequest, render

__all__ = ["MAX_PREVIEW_CHARS", "Preview", "preview_entry"]

MAX_PREVIEW_CHARS = 300
"""Longest text previewed: a word or a sentence around it, not an article (it blocks a
request while it is synthesized)."""


@dataclass(frozen=True, slots=True)
class Preview:
    """A preview's audio and what the voice says in it."""

    wav: bytes
    spoken: tuple[str, ...]
    """Each utterance as spoken (aliases applied; IPA as ``[[…]]``): the word first."""
    with_sentence: bool
    """Whether the sentence follows the word (it contains the entry's word)."""


def preview_entry(
    entry: LexEntry,
    entries: list[LexEntry],
    *,
    settings: Settings,
    sentence: str = "",
) -> Preview:
    """WAV of ``entry``'s word, then of ``sentence`` when the entry applies to it, read
    with the built-in lexicon extended by ``entries`` and ``entry`` (last, so it wins).

    Raises:
        InputError: ``preview_empty`` / ``preview_too_long`` for unusable text;
        EngineError: when the engine cannot speak.
    """
    word = " ".join(entry.grapheme.split())
    sentence = " ".join(sentence.split())
    if not word:
        raise InputError("There is nothing to preview; enter a word.", reason="preview_empty")
    if len(word) > MAX_PREVIEW_CHARS:
        raise InputError(
            f"A preview may be at most {MAX_PREVIEW_CHARS} characters long.",
            reason="preview_too_long",
        )
    parts: list[tuple[BlockKind, str]] = [("paragraph", word)]
    applies = any(part.matched for part in Lexicon([entry]).apply(sentence))
    with_sentence = applies and len(sentence) <= MAX_PREVIEW_CHARS and sentence != word
    if with_sentence:
        parts.append(("paragraph", sentence))
    request = RenderRequest(
        source=Document.build(parts),
        options=RenderOptions(
            engine=settings.engine,
            voice=entry.voice,
            # One process, no cache: a preview is a few syllables, and an edited entry
            # must be heard as it is now.
            jobs=1,
            use_cache=False,
            entries=(*entries, entry),  # last, so it wins
        ),
        fallback_title=word,
    )
    target = MemoryTarget("wav")
    rendered = render(request, target, settings=settings)
    return Preview(
        wav=target.data,
        spoken=tuple(u.spoken for u in rendered.script.utterances),
        with_sentence=with_sentence,
    )
