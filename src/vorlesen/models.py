"""The typed values that flow through the pipeline.

``source ─ingest→ Document ─speak→ Script ─synth→ Segment… ─audio→ Rendition``

All are immutable dataclasses; audio lives in numpy arrays inside :class:`Segment`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

BlockKind = Literal["kicker", "title", "dateline", "teaser", "heading", "paragraph", "quote"]
"""What a block of the article is; decides structural pauses and chapters."""

BLOCK_KINDS: tuple[BlockKind, ...] = (
    "kicker",
    "title",
    "dateline",
    "teaser",
    "heading",
    "paragraph",
    "quote",
)

MarkKind = Literal["s", "sub", "phoneme", "say-as", "lang", "break", "prosody", "emphasis"]
"""What an SSML span inside a block asks for (see :class:`Mark`)."""


@dataclass(frozen=True, slots=True)
class Mark:
    """An SSML instruction over a span of a block's text (offsets into ``Block.text``).

    ``s`` marks a sentence; ``sub`` (``value`` = alias), ``phoneme`` (``value`` = IPA),
    ``say-as`` (``value`` = interpret-as, ``detail`` = format), ``lang`` (``value`` =
    language tag) replace the span's reading; ``break`` is a point (``start == end``) with
    ``time`` seconds of silence; ``prosody`` sets ``rate`` (1.0 = normal); ``emphasis``
    (``value`` = level) is kept for the record and read normally.
    """

    kind: MarkKind
    start: int
    end: int
    value: str = ""
    detail: str = ""
    time: float = 0.0
    """Pause in seconds (``break`` only)."""
    rate: float = 1.0
    """Speaking-rate factor (``prosody`` only)."""


BLOCK_SEPARATOR = "\n\n"
"""Joins block texts into :attr:`Document.text`; offsets refer to that joined text."""


@dataclass(frozen=True, slots=True)
class Block:
    """One unit of the article a listener hears, in reading order."""

    kind: BlockKind
    text: str
    start: int = 0
    """Offset of ``text`` in :attr:`Document.text`."""
    marks: tuple[Mark, ...] = ()
    """SSML spans over ``text`` (SSML input, embedded fragments); empty for plain articles."""

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass(frozen=True, slots=True)
class Document:
    """An article reduced to what must be heard, with its metadata."""

    blocks: tuple[Block, ...]
    title: str | None = None
    site: str | None = None
    """Publisher or site name (goes into the audio tags)."""
    url: str | None = None
    published: str | None = None
    """Publication date-time as ISO 8601, when known."""
    language: str = "de"
    author: str | None = None
    warnings: tuple[str, ...] = ()
    """Things the reader should know about the input (e.g. unknown SSML elements read as text)."""
    section: str | None = None
    """The newspaper section (Ressort) the article belongs to, e.g. "Politik"."""
    image: str | None = None
    """Absolute URL of the article's own image (``og:image``, the CMS's), when known."""

    @classmethod
    def build(
        cls,
        parts: Iterable[tuple[BlockKind, str]],
        **meta: str | None,
    ) -> Document:
        """Make a document from ``(kind, text)`` pairs, computing offsets.

        Texts are whitespace-collapsed; empty ones are skipped.
        """
        blocks: list[Block] = []
        offset = 0
        for kind, raw in parts:
            text = " ".join(raw.split())
            if not text:
                continue
            if blocks:
                offset += len(BLOCK_SEPARATOR)
            blocks.append(Block(kind=kind, text=text, start=offset))
            offset += len(text)
        language = meta.pop("language", None) or "de"
        # Typed loosely so the optional non-text fields (warnings) do not clash with the
        # text metadata; unknown keys are still a TypeError.
        changes: dict[str, Any] = dict(meta)
        return cls(blocks=tuple(blocks), language=language, **changes)

    @property
    def text(self) -> str:
        """All block texts joined by a blank line; the space offsets refer to."""
        return BLOCK_SEPARATOR.join(b.text for b in self.blocks)

    @property
    def headline(self) -> str | None:
        """The title block's text, else the metadata title."""
        for block in self.blocks:
            if block.kind == "title":
                return block.text
        return self.title


@dataclass(frozen=True, slots=True)
class SpokenToken:
    """A piece of spoken text and the span of written text it reads."""

    start: int
    end: int
    """Character span in the written input (end exclusive)."""
    spoken: str


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """Result of normalization: the spoken form and a token map back to the written text.

    ``text`` joins token spokens; each token knows its written span, so the player can
    highlight what is being read.
    """

    written: str
    tokens: tuple[SpokenToken, ...]

    @property
    def text(self) -> str:
        out: list[str] = []
        for tok in self.tokens:
            out.append(tok.spoken)
        return "".join(out)


@dataclass(frozen=True, slots=True)
class WordSpan:
    """A written token of the article and the spoken words that read it.

    "1. August" is one written token read as two spoken words; a lexicon alias or an SSML
    ``<sub>`` is read by its alias's words but points back at the written grapheme.
    """

    start: int
    end: int
    """Character span in :attr:`Document.text` (end exclusive)."""
    first: int
    """Index of its first spoken word in ``vorlesen.words.spoken_words(utterance.spoken)``."""
    count: int
    """How many spoken words read it (at least one)."""


@dataclass(frozen=True, slots=True)
class Utterance:
    """One sentence (or heading) to be synthesized on its own."""

    index: int
    block: int
    """Index of the block (paragraph) it belongs to."""
    kind: BlockKind
    written: str
    spoken: str
    start: int
    end: int
    """Character span in :attr:`Document.text`."""
    pause_after: float = 0.0
    """Silence after it, in seconds (structural pauses)."""
    phonemes: str | None = None
    """When set, the engine speaks these phonemes instead of ``spoken`` (lexicon, SSML)."""
    rate: float = 1.0
    """Speaking-rate factor on top of the render's speed (SSML ``prosody rate``)."""
    words: tuple[WordSpan, ...] = ()
    """The written tokens in reading order, each with the spoken words that read it."""


@dataclass(frozen=True, slots=True)
class Script:
    """Everything that will be spoken, in order."""

    document: Document
    utterances: tuple[Utterance, ...]

    def lines(self) -> list[str]:
        """``written<TAB>spoken`` per utterance, as ``read --text-only`` prints them."""
        return [f"{u.written}\t{u.spoken}" for u in self.utterances]


AudioArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class WordTime:
    """When one spoken word is heard, in seconds from the start of its segment's audio."""

    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Segment:
    """Synthesized audio of one utterance: mono float32 samples in [-1, 1]."""

    index: int
    audio: AudioArray
    sample_rate: int
    cached: bool = False
    words: tuple[WordTime, ...] = ()
    """One per spoken word of the utterance (``vorlesen.words.spoken_words``), in order;
    empty when the engine could not time them."""

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate


@dataclass(frozen=True, slots=True)
class WordTiming:
    """Where one written token is heard in the final audio."""

    start: float
    end: float
    """Seconds from the start of the audio."""
    written: str
    """The token as written in the article ("1. August")."""
    spoken: str
    """The spoken words that read it ("ersten August")."""
    char_start: int
    char_end: int
    """Character span in the extracted article text."""


@dataclass(frozen=True, slots=True)
class Timing:
    """Where one utterance sits in the final audio."""

    index: int
    start: float
    end: float
    """Seconds from the start of the audio."""
    written: str
    spoken: str
    paragraph: int
    kind: BlockKind
    char_start: int
    char_end: int
    """Character span in the extracted article text."""
    words: tuple[WordTiming, ...] = ()
    """The utterance's written tokens with their times; empty when the engine gave none."""


@dataclass(frozen=True, slots=True)
class Rendition:
    """A finished audio file with its timings."""

    path: str
    format: str
    duration: float
    sample_rate: int
    engine: str
    voice: str
    timings: Sequence[Timing] = field(default_factory=tuple)
    loudness_lufs: float | None = None
