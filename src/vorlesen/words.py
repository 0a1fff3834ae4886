"""Spoken words: how an utterance's spoken text is cut into the words engines time.

The script (which knows where each spoken word came from in the article) and the engines
(which know when each word is heard) must count words the same way; this module is that
one definition. A spoken word is a run of non-space characters holding a letter or digit,
or a ``[[ IPA ]]`` phoneme block (with whatever is glued to it), which counts as one word
even when the IPA holds spaces. Punctuation standing alone ("–") is not a word.
"""

from __future__ import annotations

import re

__all__ = ["spoken_words"]

_WORD = re.compile(r"(?:\[\[.*?\]\]|[^\s\[]|\[(?!\[))+", re.DOTALL)


def spoken_words(text: str) -> list[tuple[int, int]]:
    """Character spans (end exclusive) of the spoken words in ``text``, in order."""
    spans: list[tuple[int, int]] = []
    for match in _WORD.finditer(text):
        word = match.group()
        if "[[" in word or any(ch.isalnum() for ch in word):
            spans.append(match.span())
    return spans
