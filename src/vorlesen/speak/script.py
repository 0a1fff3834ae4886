"""Document → Script: sentences, spoken forms and structural pauses.

Every block becomes one or more utterances (one per sentence). The spoken form comes from
the normalizer of the document's language; the pause after each utterance from its place
in the article structure, so a listener hears where the headline ends and a paragraph
begins.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

from vorlesen.errors import InputError, VoiceError
from vorlesen.lexicon import Lexicon
from vorlesen.lexicon.phonemes import espeak_phonemes
from vorlesen.lexicon.render import phoneme_block, spoken_phonemes
from vorlesen.models import (
    Block,
    BlockKind,
    Document,
    Mark,
    NormalizedText,
    Script,
    Utterance,
    WordSpan,
)
from vorlesen.speak.de.say_as import say_as
from vorlesen.speak.normalize import normalize
from vorlesen.speak.segment import split_sentences
from vorlesen.words import spoken_words

__all__ = [
    "Override",
    "Pauses",
    "espeak_language",
    "make_script",
    "speak_sentence",
    "speak_sentence_words",
]


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


OverrideKind = Literal["text", "spoken", "phonemes"]


@dataclass(frozen=True, slots=True)
class Override:
    """A span of a sentence whose reading is fixed in advance (from SSML marks).

    ``text``: ``value`` replaces the span and goes through the normalizer like an alias
    (``<sub>``); ``spoken``: ``value`` is already spoken German and bypasses the normalizer
    (``<say-as>``); ``phonemes``: ``value`` is IPA, spoken as a ``[[…]]`` block
    (``<phoneme>``, ``<lang>``). Offsets are into the sentence, end exclusive. The lexicon
    never applies inside an override: the SSML author's choice wins.
    """

    start: int
    end: int
    kind: OverrideKind
    value: str


def _placeholder(n: int) -> str:
    return _PH_OPEN + chr(_PH_BASE + n) + _PH_CLOSE


def speak_sentence(
    written: str,
    norm: Normalizer,
    lexicon: Lexicon | None,
    voice: str | None,
    overrides: Sequence[Override] = (),
) -> str:
    """The spoken form of one sentence: overrides and lexicon entries applied, then normalized.

    Overlapping overrides: the one starting first (the longer on a tie) wins.
    """
    return speak_sentence_words(written, norm, lexicon, voice, overrides)[0]


@dataclass(frozen=True, slots=True)
class _Source:
    """A piece of the normalizer's input and the written span it stands for."""

    text: str
    start: int
    end: int
    exact: bool
    """Character for character the written text (else the whole piece reads the span)."""


def speak_sentence_words(
    written: str,
    norm: Normalizer,
    lexicon: Lexicon | None,
    voice: str | None,
    overrides: Sequence[Override] = (),
) -> tuple[str, tuple[WordSpan, ...]]:
    """:func:`speak_sentence`, plus the written tokens its spoken words read.

    Each written token (offsets into ``written``) is found through the normalizer's token
    map, an alias or ``<sub>`` through the span it replaced; spoken words whose written
    spans overlap form one token ("1. August" → "ersten August").
    """
    plain_only = not overrides and (lexicon is None or not len(lexicon))
    sources: list[_Source] = []
    hidden: list[tuple[str, bool, int, int]] = []
    """Texts put back after normalizing, whether each is padded by spaces, and its span."""

    def hide(value: str, pad: bool, fallback: str, start: int, end: int) -> None:
        if len(hidden) >= _PLACEHOLDER_MAX:
            sources.append(_Source(fallback, start, end, exact=True))
            return
        sources.append(_Source(_placeholder(len(hidden)), start, end, exact=False))
        hidden.append((value, pad, start, end))

    def plain(text: str, offset: int) -> None:
        if lexicon is None or not len(lexicon):
            sources.append(_Source(text, offset, offset + len(text), exact=True))
            return
        for part in lexicon.apply(text, voice=voice):
            entry = part.entry
            a, b = offset + part.start, offset + part.end
            if entry is None:
                sources.append(_Source(part.text, a, b, exact=True))
            elif entry.kind == "alias":
                sources.append(_Source(entry.value + ("s" if part.genitive else ""), a, b, False))
            else:
                ipa = spoken_phonemes(entry, part.genitive, espeak_phonemes)
                hide(phoneme_block(ipa), True, part.text, a, b)

    text = written.translate(_BRACKETS)
    pos = 0
    for ov in sorted(overrides, key=lambda o: (o.start, -o.end)):
        if ov.start < pos or ov.end <= ov.start:
            continue  # nested in (or overlapping) one already applied
        plain(text[pos : ov.start], pos)
        if ov.kind == "text":
            sources.append(_Source(ov.value.translate(_BRACKETS), ov.start, ov.end, exact=False))
        elif ov.kind == "spoken":
            value = ov.value.translate(_BRACKETS)
            hide(value, False, text[ov.start : ov.end], ov.start, ov.end)
        else:
            hide(phoneme_block(ov.value), True, text[ov.start : ov.end], ov.start, ov.end)
        pos = ov.end
    plain(text[pos:], pos)
    origin: list[tuple[int, int]] = []
    for src in sources:
        for k in range(len(src.text)):
            origin.append((src.start + k, src.start + k + 1) if src.exact else (src.start, src.end))
    given = "".join(src.text for src in sources)
    normalized = norm(given)
    # The spoken text character by character, each with the written span it reads.
    chars: list[tuple[str, int, int]] = []
    for tok in normalized.tokens:
        inside = origin[tok.start : tok.end]
        if tok.spoken == given[tok.start : tok.end]:  # passed through: char for char
            chars.extend((ch, *span) for ch, span in zip(tok.spoken, inside, strict=True))
            continue
        if inside:
            span = (min(a for a, _ in inside), max(b for _, b in inside))
        else:  # spoken without a written counterpart: sits where it was inserted
            at = origin[tok.start][0] if tok.start < len(origin) else len(written)
            span = (at, at)
        chars.extend((ch, *span) for ch in tok.spoken)
    pieces: list[tuple[str, int, int]] = []
    i = 0
    while i < len(chars):
        ch = chars[i][0]
        if ch == _PH_OPEN and i + 2 < len(chars) and chars[i + 2][0] == _PH_CLOSE:
            n = ord(chars[i + 1][0]) - _PH_BASE
            if 0 <= n < len(hidden):
                value, pad, start, end = hidden[n]
                pieces.append((f" {value} " if pad else value, start, end))
                i += 3
                continue
        pieces.append(chars[i])
        i += 1
    raw = "".join(p for p, _, _ in pieces)
    spoken = " ".join(raw.split())
    if not plain_only:
        spoken = _SPACE_BEFORE_PUNCT.sub(r"\1", spoken)
    # Only spaces were dropped, so non-space characters correspond one to one, in order.
    char_origin: list[tuple[int, int]] = [
        (start, end) for piece, start, end in pieces for ch in piece if not ch.isspace()
    ]
    return spoken, _word_spans(spoken, char_origin)


_BLOCK = re.compile(r"\[\[.*?\]\]", re.DOTALL)


def _word_spans(spoken: str, char_origin: list[tuple[int, int]]) -> tuple[WordSpan, ...]:
    """Group the spoken words of ``spoken`` by the written span they read."""
    nonspace_before: list[int] = []
    count = 0
    for ch in spoken:
        nonspace_before.append(count)
        if not ch.isspace():
            count += 1
    groups: list[WordSpan] = []
    for n, (a, b) in enumerate(spoken_words(spoken)):
        word = spoken[a:b]
        blocks = [(a + m.start(), a + m.end()) for m in _BLOCK.finditer(word)]
        keep = [
            k for k in range(a, b) if spoken[k].isalnum() or any(x <= k < y for x, y in blocks)
        ] or list(range(a, b))
        spans = [char_origin[nonspace_before[k]] for k in keep if not spoken[k].isspace()]
        if not spans:
            continue
        start, end = min(s for s, _ in spans), max(e for _, e in spans)
        last = groups[-1] if groups else None
        if last is not None and ((start < last.end and last.start < end) or start == end):
            groups[-1] = WordSpan(
                min(last.start, start), max(last.end, end), last.first, n - last.first + 1
            )
        else:
            groups.append(WordSpan(start, end, n, 1))
    return tuple(groups)


# -- foreign-language spans -------------------------------------------------------------

_ESPEAK_DEFAULTS = {"en": "en-us", "pt": "pt", "zh": "cmn"}
"""espeak-ng voice for a bare language code where the code alone is not a voice."""


@lru_cache(maxsize=64)
def espeak_language(tag: str) -> str:
    """The espeak-ng voice that phonemizes a language tag ("en" → "en-us", "en-GB" → "en-gb").

    Raises :class:`VoiceError` (reason ``espeak_voice_unavailable``) when espeak-ng has
    no voice for it.
    """
    lower = tag.strip().replace("_", "-").lower()
    base = lower.split("-")[0]
    candidates = [lower, base, _ESPEAK_DEFAULTS.get(base, base)] if "-" in lower else []
    candidates += [_ESPEAK_DEFAULTS.get(base, base), base]
    error: VoiceError | None = None
    for candidate in dict.fromkeys(c for c in candidates if c):
        try:
            espeak_phonemes("a", candidate)
        except VoiceError as exc:
            error = exc
            continue
        return candidate
    raise VoiceError(
        f"espeak-ng has no voice for the language {tag!r}.", reason="espeak_voice_unavailable"
    ) from error


# -- SSML marks ---------------------------------------------------------------------------

_REPLACING = frozenset({"sub", "phoneme", "say-as", "lang"})
"""Marks that replace the reading of their span (and must not be cut in two)."""


def _override(mark: Mark, text: str, offset: int) -> Override | None:
    """The override a replacing mark asks for, relative to a piece starting at ``offset``.

    An invalid ``say-as`` or an unknown language (SSML not checked at ingest) is read as
    plain text rather than failing the whole article.
    """
    span = text[mark.start : mark.end]
    start, end = mark.start - offset, mark.end - offset
    try:
        if mark.kind == "sub":
            return Override(start, end, "text", mark.value)
        if mark.kind == "phoneme":
            return Override(start, end, "phonemes", mark.value)
        if mark.kind == "say-as":
            # the sentence before the element sets the case of a date ("Am" → "ersten")
            before = text[offset : mark.start]
            return Override(start, end, "spoken", say_as(span, mark.value, mark.detail, before))
        if mark.kind == "lang":
            ipa = espeak_phonemes(span, espeak_language(mark.value))
            return Override(start, end, "phonemes", ipa) if ipa else None
    except (InputError, VoiceError):
        return None
    return None


@dataclass(frozen=True, slots=True)
class _Piece:
    start: int
    end: int
    pause: float | None
    """Explicit pause after it (a ``<break>``), else ``None`` for the structural one."""
    sentence_end: bool
    """Whether it ends a sentence (else it was cut at a break or a rate change)."""
    rate: float


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _sentence_spans(block: Block) -> list[tuple[int, int]]:
    """Sentences of a marked block: each ``<s>`` is one, the text between is segmented."""
    text = block.text
    spans: list[tuple[int, int]] = []
    pos = 0
    for mark in sorted((m for m in block.marks if m.kind == "s"), key=lambda m: m.start):
        if mark.start < pos or mark.end <= mark.start:
            continue  # nested <s>: the outer one is the sentence
        spans.extend((pos + a, pos + b) for a, b in split_sentences(text[pos : mark.start]))
        start, end = _trim(text, mark.start, mark.end)
        if end > start:
            spans.append((start, end))
        pos = mark.end
    spans.extend((pos + a, pos + b) for a, b in split_sentences(text[pos:]))
    return spans


def _pieces(block: Block) -> tuple[list[_Piece], float | None]:
    """Cut a marked block into utterance pieces; also the pause of a break before them all.

    Sentences are cut at ``<break>`` points and at ``<prosody>`` edges inside them, never
    inside a replacing span (a ``<say-as>`` date or a ``<lang>`` name stays whole); a
    sentence boundary inside a replacing span joins the two sentences.
    """
    text = block.text
    replacing = [(m.start, m.end) for m in block.marks if m.kind in _REPLACING]

    def inside_replacing(pos: int) -> bool:
        return any(a < pos < b for a, b in replacing)

    sentences: list[tuple[int, int]] = []
    for start, end in _sentence_spans(block):
        if sentences and _joins_sentences(sentences[-1][1], start, replacing):
            sentences[-1] = (sentences[-1][0], end)
        else:
            sentences.append((start, end))
    breaks = sorted(
        ((m.start, m.time) for m in block.marks if m.kind == "break"), key=lambda b: b[0]
    )
    prosody = [m for m in block.marks if m.kind == "prosody" and m.end > m.start]
    cuts: set[int] = {m.start for m in prosody} | {m.end for m in prosody}
    cuts |= {pos for pos, time in breaks if time > 0}
    pieces: list[tuple[int, int, bool]] = []
    for start, end in sentences:
        points = sorted(c for c in cuts if start < c < end and not inside_replacing(c))
        bounds = [start, *points, end]
        for a, b in itertools.pairwise(bounds):
            a, b = _trim(text, a, b)
            if b > a:
                pieces.append((a, b, False))
        if pieces and pieces[-1][1] <= end:
            last = pieces[-1]
            pieces[-1] = (last[0], last[1], True)
    leading: float | None = None
    pauses: list[float | None] = [None] * len(pieces)
    for pos, time in breaks:
        if any(a < pos < b for a, b, _end in pieces):
            continue  # not a cut (strength none, or inside a replacing span): no pause
        owner = None
        for n, (_a, b, _end) in enumerate(pieces):
            if b <= pos:
                owner = n
        if owner is None:
            leading = time
        else:
            pauses[owner] = time
    out: list[_Piece] = []
    for (a, b, sentence_end), pause in zip(pieces, pauses, strict=True):
        rate = 1.0
        for m in prosody:
            if m.start < b and a < m.end:
                rate *= m.rate
        out.append(_Piece(a, b, pause, sentence_end, rate))
    return out, leading


def _joins_sentences(prev_end: int, start: int, replacing: list[tuple[int, int]]) -> bool:
    """Whether one replacing span runs from before ``prev_end`` to after ``start``."""
    return any(a < prev_end and start < b for a, b in replacing)


def _block_utterances(
    block: Block,
    block_index: int,
    norm: Normalizer,
    lexicon: Lexicon | None,
    voice: str | None,
    pauses: Pauses,
) -> tuple[list[tuple[Utterance, bool]], float | None]:
    """Utterances of a block, each with whether an SSML ``<break>`` set its pause.

    A block without marks is simply its sentences, each followed by the sentence pause.
    """
    pieces, leading = _pieces(block)
    result: list[tuple[Utterance, bool]] = []
    replacing = [m for m in block.marks if m.kind in _REPLACING]
    for piece in pieces:
        overrides = [
            ov
            for m in replacing
            if piece.start <= m.start and m.end <= piece.end
            for ov in [_override(m, block.text, piece.start)]
            if ov is not None
        ]
        written = block.text[piece.start : piece.end]
        spoken, words = speak_sentence_words(written, norm, lexicon, voice, overrides)
        if not _speakable(spoken):
            if piece.pause is not None and result:
                prev, _explicit = result[-1]
                result[-1] = (replace(prev, pause_after=prev.pause_after + piece.pause), True)
            continue
        structural = pauses.sentence if piece.sentence_end else 0.0
        offset = block.start + piece.start
        result.append(
            (
                Utterance(
                    index=0,
                    block=block_index,
                    kind=block.kind,
                    written=written,
                    spoken=spoken,
                    start=block.start + piece.start,
                    end=block.start + piece.end,
                    pause_after=structural if piece.pause is None else piece.pause,
                    rate=round(piece.rate, 6),
                    words=tuple(
                        replace(w, start=offset + w.start, end=offset + w.end) for w in words
                    ),
                ),
                piece.pause is not None,
            )
        )
    return result, leading


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
    explicit: set[int] = set()
    """Positions in ``utterances`` whose pause an SSML ``<break>`` set."""
    for block_index, block in enumerate(document.blocks):
        marked, leading = _block_utterances(block, block_index, norm, lexicon, voice, pauses)
        if leading is not None and utterances:
            utterances[-1] = replace(utterances[-1], pause_after=leading)
            explicit.add(len(utterances) - 1)
        if marked and not marked[-1][1]:
            last_u = marked[-1][0]
            marked[-1] = (replace(last_u, pause_after=pauses.after_block(block.kind)), False)
        for utterance, is_explicit in marked:
            if is_explicit:
                explicit.add(len(utterances))
            utterances.append(utterance)
    numbered = [replace(u, index=i) for i, u in enumerate(utterances)]
    if numbered and len(numbered) - 1 not in explicit:
        numbered[-1] = replace(numbered[-1], pause_after=pauses.end)
    return Script(document=document, utterances=tuple(numbered))
