"""Document → Script: sentences, spoken forms and structural pauses.

Every block becomes one or more utterances (one per sentence). The spoken form comes from
the normalizer of the document's language; the pause after each utterance from its place
in the article structure, so a listener hears where the headline ends and a paragraph
begins.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from vorlesen.lexicon import Lexicon
from vorlesen.lexicon.phonemes import espeak_phonemes
from vorlesen.lexicon.render import phoneme_block, spoken_phonemes
from vorlesen.models import BlockKind, Document, NormalizedText, Script, Utterance
from vorlesen.speak.normalize import normalize
from vorlesen.speak.segment import split_sentences

__all__ = ["Pauses", "make_script"]


@dataclass(frozen=True)
class Pauses:
    """Silence after an utterance, in seconds, by its place in the article."""

    sentence: float = 0.35
    """Between sentences of one paragraph."""
    paragraph: float = 0.8
    """After the last sentence of a body paragraph or quote."""
    kicker: float = 0.45
    title: float = 1.0
    dateline: float = 0.8
    teaser: float = 0.9
    heading: float = 0.7
    end: float = 0.6
    """After the last utterance of the article."""

    def after_block(self, kind: BlockKind) -> float:
        if kind in ("paragraph", "quote"):
            return self.paragraph
        value: float = getattr(self, kind)
        return value


Normalizer = Callable[[str], NormalizedText]


def _speakable(spoken: str) -> bool:
    return any(ch.isalnum() for ch in spoken) or "[[" in spoken


# Lexicon matches spoken as phonemes are hidden from the normalizer behind placeholders
# made of private-use characters, which it passes through untouched; aliases are put in
# place before normalizing, since they are text like any other ("Aliases go through the
# normalizer"). Brackets in the article are turned round so no text can inject phonemes.
_PH_OPEN, _PH_CLOSE, _PH_BASE = "\ue000", "\ue001", 0xE100
_PLACEHOLDER_MAX = 0xF8FF - _PH_BASE
_BRACKETS = str.maketrans("[]", "()")
_SPACE_BEFORE_PUNCT = re.compile(r" ([.,;:!?])")


def speak_sentence(
    written: str, norm: Normalizer, lexicon: Lexicon | None, voice: str | None
) -> str:
    """The spoken form of one sentence: lexicon entries applied, then normalized."""
    text = written.translate(_BRACKETS)
    if lexicon is None or not len(lexicon):
        return " ".join(norm(text).text.split())
    pieces: list[str] = []
    blocks: list[str] = []
    for part in lexicon.apply(text, voice=voice):
        entry = part.entry
        if entry is None:
            pieces.append(part.text)
        elif entry.kind == "alias":
            pieces.append(entry.value + ("s" if part.genitive else ""))
        elif len(blocks) >= _PLACEHOLDER_MAX:
            pieces.append(part.text)
        else:
            ipa = spoken_phonemes(entry, part.genitive, espeak_phonemes)
            pieces.append(_PH_OPEN + chr(_PH_BASE + len(blocks)) + _PH_CLOSE)
            blocks.append(phoneme_block(ipa))
    spoken = norm("".join(pieces)).text
    for n, block in enumerate(blocks):
        spoken = spoken.replace(_PH_OPEN + chr(_PH_BASE + n) + _PH_CLOSE, " " + block + " ")
    return _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(spoken.split()))


def make_script(
    document: Document,
    *,
    normalizer: Normalizer | None = None,
    pauses: Pauses | None = None,
    lexicon: Lexicon | None = None,
    voice: str | None = None,
) -> Script:
    """Turn ``document`` into the utterances that will be spoken, in reading order.

    ``lexicon`` entries (scoped to ``voice`` where they say so) are applied before
    normalization; IPA and foreign-language entries reach the engine as ``[[…]]`` blocks.
    """
    pauses = pauses or Pauses()
    lang = document.language
    norm: Normalizer = normalizer or (lambda text: normalize(text, lang))
    utterances: list[Utterance] = []
    for block_index, block in enumerate(document.blocks):
        spans = split_sentences(block.text)
        block_utterances: list[Utterance] = []
        for start, end in spans:
            written = block.text[start:end]
            spoken = speak_sentence(written, norm, lexicon, voice)
            if not _speakable(spoken):
                continue
            block_utterances.append(
                Utterance(
                    index=0,
                    block=block_index,
                    kind=block.kind,
                    written=written,
                    spoken=spoken,
                    start=block.start + start,
                    end=block.start + end,
                    pause_after=pauses.sentence,
                )
            )
        if block_utterances:
            last = block_utterances[-1]
            block_utterances[-1] = replace(last, pause_after=pauses.after_block(block.kind))
        utterances.extend(block_utterances)
    numbered = [replace(u, index=i) for i, u in enumerate(utterances)]
    if numbered:
        numbered[-1] = replace(numbered[-1], pause_after=pauses.end)
    return Script(document=document, utterances=tuple(numbered))
