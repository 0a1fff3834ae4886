"""SSML 1.1 in, a :class:`~vorlesen.models.Document` with SSML marks out.

The text of the document becomes blocks (one per ``<p>``, and one per run of loose text
between them); every instruction becomes a :class:`~vorlesen.models.Mark` over a span of
its block's text, which the speak stage honours (``speak/script.py``). Supported:
``speak``, ``p``, ``s``, ``break`` (time/strength), ``say-as`` (characters, cardinal,
ordinal, date with format, telephone), ``sub``, ``phoneme`` (IPA), ``lang``, ``prosody``
(rate) and ``emphasis``. ``emphasis`` is read normally: Piper has no stress control, and
slowing one word would mean synthesizing it apart from its sentence, which breaks the
sentence melody more than it stresses the word. Unknown elements are read as their text,
with a warning in :attr:`Document.warnings`; nothing is dropped silently.

Safety: the size is checked before parsing, any DOCTYPE is refused (no DTD, so no entity
can be declared: no billion laughs, no XXE, no external DTD fetch), and the parser is
defusedxml's, which refuses entity declarations and external references again should
one slip through. Nesting is bounded so no document can exhaust the stack.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET  # only for the Element type; parsing is defusedxml's
from dataclasses import dataclass, field
from typing import Any, cast

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from vorlesen.config import get_settings
from vorlesen.errors import InputError, MarkupError, VoiceError
from vorlesen.ingest.language import normalize_language_tag
from vorlesen.lexicon.phonemes import default_phonemes, validate_ipa
from vorlesen.models import BLOCK_SEPARATOR, Block, Document, Mark, MarkKind
from vorlesen.speak.de.say_as import SAY_AS_TYPES, say_as
from vorlesen.speak.script import espeak_language

__all__ = [
    "BREAK_STRENGTHS",
    "FRAGMENT_ELEMENTS",
    "MAX_BREAK",
    "MAX_DEPTH",
    "from_ssml",
    "is_fragment_element",
    "parse_break",
    "parse_rate",
    "read_fragment",
]

BREAK_STRENGTHS: dict[str, float] = {
    "none": 0.0,
    "x-weak": 0.1,
    "weak": 0.25,
    "medium": 0.45,
    "strong": 0.8,
    "x-strong": 1.2,
}
"""Seconds of silence for ``<break strength=…>``; a bare ``<break/>`` is ``medium``."""

MAX_BREAK = 10.0
"""Longest ``<break>`` honoured, in seconds (as Polly); longer is capped with a warning, so
no "time=1000000s" can make a render allocate hours of silence."""

RATES: dict[str, float] = {
    "x-slow": 0.6,
    "slow": 0.8,
    "medium": 1.0,
    "default": 1.0,
    "fast": 1.2,
    "x-fast": 1.4,
}
"""Rate factors for the ``<prosody rate>`` keywords."""

MIN_RATE, MAX_RATE = 0.25, 4.0
"""The rate range engines accept (as ``--speed``); values outside are clamped, with a warning."""

MAX_DEPTH = 64
"""Deepest element nesting read; SSML needs a handful, a hostile file could nest millions."""

_NS = re.compile(r"^\{[^}]*\}")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_DOCTYPE = re.compile(r"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.I)
_TIME = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s)\s*$", re.I)
_PERCENT = re.compile(r"^\s*([+-]?)(\d+(?:\.\d+)?)\s*%\s*$")
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*$")
_WHITESPACE = re.compile(r"(\s+)")

_IGNORED_QUIETLY = frozenset({"mark", "desc", "meta", "metadata"})
"""SSML elements with nothing to read (bookmarks, descriptions, metadata)."""
_READ_WITH_WARNING: dict[str, str] = {
    "voice": "<voice> is not supported; its text is read with the article's voice",
    "audio": "<audio> is not played; its fallback text is read instead",
    "lexicon": "<lexicon> references are not loaded; pass the lexicon with --lexicon",
    "lookup": "<lookup> is not supported; its text is read without the referenced lexicon",
    "token": "<token> is read as its text",
    "w": "<w> is read as its text",
}
_NO_TEXT = frozenset({"lexicon"})
"""Elements whose content is not article text."""


def parse_break(time: str | None, strength: str | None) -> tuple[float, str | None]:
    """Seconds of silence for a ``<break>`` and a warning (or ``None``).

    ``time`` ("500ms", "1.5s") wins over ``strength``; neither means ``medium``.
    """
    if time is not None:
        m = _TIME.match(time)
        if m is None:
            fallback = BREAK_STRENGTHS.get((strength or "medium").strip().lower(), 0.45)
            return fallback, f'<break time="{time}"> is not a time like "500ms" or "1.5s"'
        value = float(m.group(1)) / (1000.0 if m.group(2).lower() == "ms" else 1.0)
        if value > MAX_BREAK:
            return MAX_BREAK, f'<break time="{time}"> is capped at {MAX_BREAK:g} s'
        return value, None
    if strength is None:
        return BREAK_STRENGTHS["medium"], None
    key = strength.strip().lower()
    if key not in BREAK_STRENGTHS:
        return BREAK_STRENGTHS["medium"], (
            f'<break strength="{strength}"> is unknown; use one of {", ".join(BREAK_STRENGTHS)}'
        )
    return BREAK_STRENGTHS[key], None


def parse_rate(rate: str) -> tuple[float, str | None]:
    """A ``<prosody rate>`` as a factor (1.0 = normal) and a warning (or ``None``).

    Keywords (x-slow … x-fast), percentages ("80%" absolute, "+10%"/"-20%" relative) and
    plain factors ("1.2") are understood.
    """
    key = rate.strip().lower()
    value: float | None = RATES.get(key)
    if value is None:
        m = _PERCENT.match(key)
        if m is not None:
            number = float(m.group(2)) / 100.0
            sign = m.group(1)
            value = 1.0 + number if sign == "+" else 1.0 - number if sign == "-" else number
        else:
            m2 = _NUMBER.match(key)
            value = float(m2.group(1)) if m2 is not None else None
    if value is None:
        return 1.0, f'<prosody rate="{rate}"> is not understood; read at the normal rate'
    if not MIN_RATE <= value <= MAX_RATE:
        clamped = min(MAX_RATE, max(MIN_RATE, value))
        return clamped, f'<prosody rate="{rate}"> is clamped to {clamped:g}'
    return value, None


@dataclass
class _BlockBuilder:
    """Collects one block's text with whitespace collapsed, and its marks."""

    parts: list[str] = field(default_factory=list)
    length: int = 0
    space: bool = False
    """A space is due before the next word."""
    marks: list[Mark] = field(default_factory=list)

    def add(self, text: str) -> None:
        for piece in _WHITESPACE.split(text):
            if not piece:
                continue
            if piece.isspace():
                self.space = True
                continue
            if self.space and self.length:
                self.parts.append(" ")
                self.length += 1
            self.space = False
            self.parts.append(piece)
            self.length += len(piece)

    def boundary(self) -> None:
        """A word boundary (``<s>``, ``<break>``): the next text does not glue on."""
        self.space = True

    def finish(self) -> tuple[str, tuple[Mark, ...]]:
        """The collapsed text and its marks, clipped to it and trimmed of leading spaces."""
        text = "".join(self.parts)
        marks: list[Mark] = []
        for mark in self.marks:
            lo, hi = min(mark.start, len(text)), min(mark.end, len(text))
            if mark.kind != "break":
                while lo < hi and text[lo] == " ":
                    lo += 1
                if hi <= lo:
                    continue
            marks.append(Mark(mark.kind, lo, hi, mark.value, mark.detail, mark.time, mark.rate))
        return text, tuple(marks)

    def block(self, start: int) -> Block | None:
        text, marks = self.finish()
        if not text:
            return None
        return Block(kind="paragraph", text=text, start=start, marks=marks)


_NEVER_IN_PHONEMES = frozenset("[]<>{}&\\")
"""Markup and block delimiters: never part of a phoneme block, whatever a voice lists."""


class _Reader:
    """Walks the element tree once, building blocks, marks and warnings.

    With ``fragment`` set it reads one SSML element embedded in an HTML article: there
    everything is one block, and HTML elements inside it are read as their text without a
    warning (they are the page's markup, not SSML mistakes).
    """

    def __init__(self, *, fragment: bool = False, phonemes: set[str] | None = None) -> None:
        self.fragment = fragment
        self.phonemes = phonemes
        """A voice's inventory to hold ``<phoneme>`` to strictly (refusing the document);
        None: espeak's, and a ``ph`` outside it is read as its text with a warning."""
        self.blocks: list[Block] = []
        self.current = _BlockBuilder()
        self.offset = 0
        self.warnings: list[str] = []
        self.replacing = 0
        """Depth inside a replacing element (sub, phoneme, say-as, lang)."""

    # -- blocks -----------------------------------------------------------------------

    def close_block(self) -> None:
        start = self.offset + (len(BLOCK_SEPARATOR) if self.blocks else 0)
        block = self.current.block(start)
        # Breaks in a stretch with no text (between paragraphs) open the next block, where
        # they fall before its first sentence: the pause goes to the utterance before.
        carried = (
            []
            if block is not None
            else [Mark("break", 0, 0, time=m.time) for m in self.current.marks if m.kind == "break"]
        )
        if block is not None:
            self.blocks.append(block)
            self.offset = block.end
        self.current = _BlockBuilder(marks=carried)

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    # -- elements -----------------------------------------------------------------------

    def children(self, el: ET.Element, depth: int) -> None:
        if el.text:
            self.current.add(el.text)
        for child in el:
            self.element(child, depth + 1)
            if child.tail:
                self.current.add(child.tail)

    def span(
        self,
        kind: MarkKind,
        el: ET.Element,
        depth: int,
        *,
        value: str = "",
        detail: str = "",
        rate: float = 1.0,
    ) -> None:
        """Read ``el``'s content and put a mark of ``kind`` over it."""
        start = self.current.length
        replacing = kind in ("sub", "phoneme", "say-as", "lang")
        if replacing:
            self.replacing += 1
        try:
            self.children(el, depth)
        finally:
            if replacing:
                self.replacing -= 1
        end = self.current.length
        self.current.marks.append(Mark(kind, start, end, value, detail, rate=rate))

    def element(self, el: ET.Element, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise MarkupError(
                f"The SSML nests elements more than {MAX_DEPTH} deep; refusing to read it.",
                reason="ssml_too_deep",
            )
        if not isinstance(el.tag, str):  # comments, processing instructions
            return
        name = _NS.sub("", el.tag).lower()
        if self.fragment and name in ("p", "paragraph", "br"):
            self.current.boundary()
            self.children(el, depth)
            self.current.boundary()
        elif name in ("p", "paragraph"):
            self.close_block()
            self.children(el, depth)
            self.close_block()
        elif name in ("s", "sentence"):
            self.current.boundary()
            self.span("s", el, depth)
            self.current.boundary()
        elif name == "break":
            self.current.boundary()
            seconds, warning = parse_break(el.get("time"), el.get("strength"))
            if warning:
                self.warn(warning)
            pos = self.current.length
            self.current.marks.append(Mark("break", pos, pos, time=seconds))
            if el.text or len(el):
                if not self.fragment:
                    self.warn("<break> is empty in SSML; text inside it is read")
                self.children(el, depth)
        elif self.replacing and name in ("sub", "phoneme", "say-as", "lang"):
            self.warn(
                f"<{name}> inside another <sub>, <phoneme>, <say-as> or <lang> is read "
                "as the outer element says"
            )
            self.children(el, depth)
        elif name == "sub":
            self.sub(el, depth)
        elif name == "phoneme":
            self.phoneme(el, depth)
        elif name == "say-as":
            self.say_as(el, depth)
        elif name == "lang":
            self.lang(el, depth)
        elif name == "prosody":
            self.prosody(el, depth)
        elif name == "emphasis":
            level = (el.get("level") or "moderate").strip().lower()
            self.span("emphasis", el, depth, value=level)
        elif name == "speak":
            self.warn("<speak> inside <speak> is read as its text")
            self.children(el, depth)
        elif name in _IGNORED_QUIETLY:
            return
        elif name in _READ_WITH_WARNING:
            self.warn(_READ_WITH_WARNING[name])
            if name not in _NO_TEXT:
                self.children(el, depth)
        else:
            if not self.fragment:
                self.warn(f"unknown SSML element <{name}> is read as its text")
            self.children(el, depth)

    def sub(self, el: ET.Element, depth: int) -> None:
        alias = el.get("alias")
        if alias is None or not alias.strip():
            self.warn("<sub> without an alias is read as its text")
            self.children(el, depth)
            return
        if not "".join(el.itertext()).strip():
            self.current.add(alias)  # nothing written to replace: the alias is the text
            return
        self.span("sub", el, depth, value=" ".join(alias.split()))

    def phoneme(self, el: ET.Element, depth: int) -> None:
        alphabet = (el.get("alphabet") or "ipa").strip().lower()
        ph = unicodedata.normalize("NFC", " ".join((el.get("ph") or "").split()))
        if alphabet != "ipa" or not ph:
            why = "has no ph" if not ph else f'uses alphabet "{alphabet}"; only ipa is read'
            self.warn(f"<phoneme> {why}: its text is read instead")
            self.children(el, depth)
            return
        # Only symbols of the inventory may enter the raw ``[[…]]`` block the phonemes are
        # spoken from: "]]<script>[[" or any other markup would escape it.
        allowed = set(default_phonemes()) if self.phonemes is None else set(self.phonemes)
        bad = validate_ipa(ph, (allowed - _NEVER_IN_PHONEMES) | {" "})
        if bad:
            symbols = ", ".join(f"'{s}' (U+{ord(s):04X})" for s in sorted(bad))
            if self.phonemes is not None:
                raise InputError(
                    f"<phoneme ph={ph!r}> uses symbols the voice cannot speak: {symbols}.",
                    reason="ipa_unsupported",
                )
            self.warn(
                f"<phoneme ph={ph!r}> uses symbols voices cannot speak: {symbols}; "
                "its text is read instead"
            )
            self.children(el, depth)
            return
        self.span("phoneme", el, depth, value=ph)

    def say_as(self, el: ET.Element, depth: int) -> None:
        kind = (el.get("interpret-as") or "").strip().lower()
        fmt = (el.get("format") or el.get("detail") or "").strip()
        content = " ".join("".join(el.itertext()).split())
        if kind not in SAY_AS_TYPES:
            self.warn(
                f'<say-as interpret-as="{kind}"> is not supported; its text is read as '
                f"written (supported: {', '.join(sorted(SAY_AS_TYPES))})"
            )
            self.children(el, depth)
            return
        try:
            say_as(content, kind, fmt)
        except InputError as exc:
            self.warn(f"<say-as>: {exc.message} It is read as written")
            self.children(el, depth)
            return
        self.span("say-as", el, depth, value=kind, detail=fmt)

    def lang(self, el: ET.Element, depth: int) -> None:
        # "xml:lang" verbatim is how an HTML parser keeps the attribute of an embedded <lang>.
        tag = (el.get(_XML_LANG) or el.get("xml:lang") or el.get("lang") or "").strip()
        code = normalize_language_tag(tag) if tag else None
        if not tag:
            self.warn("<lang> without xml:lang is read as German")
            self.children(el, depth)
            return
        if code == "de":
            self.children(el, depth)
            return
        try:
            espeak_language(tag)
        except VoiceError:
            self.warn(f'<lang xml:lang="{tag}">: espeak-ng has no voice for it; read as German')
            self.children(el, depth)
            return
        self.span("lang", el, depth, value=tag)

    def prosody(self, el: ET.Element, depth: int) -> None:
        for attribute in ("pitch", "volume", "contour", "range", "duration"):
            if el.get(attribute) is not None:
                self.warn(f"<prosody {attribute}> is not supported; only rate is applied")
        rate_text = el.get("rate")
        if rate_text is None:
            self.children(el, depth)
            return
        rate, warning = parse_rate(rate_text)
        if warning:
            self.warn(warning)
        self.span("prosody", el, depth, rate=rate)


FRAGMENT_ELEMENTS = frozenset({"sub", "phoneme", "say-as", "break", "lang", "emphasis", "prosody"})
"""SSML elements honoured when an article embeds them in its HTML (``<sub>`` only with an
``alias``: without one it is HTML's subscript)."""


def is_fragment_element(tag: object, alias: str | None) -> bool:
    """Whether an HTML element (its ``tag`` and ``alias`` attribute) is embedded SSML."""
    if not isinstance(tag, str):
        return False
    name = _NS.sub("", tag).lower()
    return name in FRAGMENT_ELEMENTS and (name != "sub" or alias is not None)


def read_fragment(element: Any) -> tuple[str, tuple[Mark, ...], tuple[str, ...]]:
    """Text, marks and warnings of one SSML element embedded in an HTML article.

    ``element`` is an ElementTree or lxml element (``<sub alias=…>``, ``<phoneme>``,
    ``<say-as>``, ``<break>``, ``<lang>``, ``<emphasis>``, ``<prosody>``) with its subtree;
    it is read exactly as :func:`from_ssml` reads it inside a ``<speak>`` document. The
    text is whitespace-collapsed (no leading or trailing space), the marks' offsets point
    into it. Raises :class:`MarkupError` (``ssml_too_deep``) for a hostile nesting.
    """
    reader = _Reader(fragment=True)
    try:
        reader.element(cast(ET.Element, element), 1)
    except RecursionError as exc:
        raise MarkupError(
            "The embedded SSML nests too deeply to read.", reason="ssml_too_deep"
        ) from exc
    text, marks = reader.current.finish()
    return text, marks, tuple(reader.warnings)


def _check_size(text: str, limit: int) -> None:
    # len(text) ≤ bytes, so a text over the limit in characters needs no encoding to refuse.
    size = len(text) if len(text) > limit else len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise MarkupError(
            f"The SSML document is {size} bytes, more than the limit of {limit} bytes "
            "(VORLESEN_MAX_INPUT_BYTES); it is not parsed.",
            reason="too_large",
        )


def from_ssml(
    text: str, *, max_bytes: int | None = None, phonemes: set[str] | None = None
) -> Document:
    """Read an SSML document (root ``<speak>``) into a document with marks.

    ``max_bytes`` defaults to ``VORLESEN_MAX_INPUT_BYTES``. Raises :class:`MarkupError`
    for an oversized, malformed or hostile document (reasons ``too_large``,
    ``ssml_doctype``, ``ssml_entities``, ``ssml_malformed``, ``not_ssml``,
    ``ssml_too_deep``). With ``phonemes`` (a voice's inventory) a ``<phoneme>`` using
    other symbols is refused (:class:`InputError`, ``ipa_unsupported``), as a lexicon
    entry's IPA is; without, its text is read instead, with a warning.
    """
    limit = max_bytes if max_bytes is not None else get_settings().max_input_bytes
    _check_size(text, limit)
    if _DOCTYPE.search(text):
        raise MarkupError(
            "The SSML document declares a DOCTYPE or entities; these are refused because they "
            "can expand without bound or read files (billion laughs, XXE).",
            reason="ssml_doctype",
        )
    try:
        root = fromstring(
            text.lstrip("\ufeff"), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise MarkupError(
            f"The SSML document uses forbidden XML features ({type(exc).__name__}).",
            reason="ssml_entities",
        ) from exc
    except (ET.ParseError, ValueError) as exc:
        raise MarkupError(
            f"The SSML document is not well-formed XML: {exc}.", reason="ssml_malformed"
        ) from exc
    if not isinstance(root.tag, str) or _NS.sub("", root.tag).lower() != "speak":
        raise MarkupError("An SSML document must have <speak> as its root.", reason="not_ssml")
    reader = _Reader(phonemes=phonemes)
    try:
        reader.children(root, 0)
    except RecursionError as exc:  # MAX_DEPTH keeps well below it; belt and braces
        raise MarkupError(
            "The SSML document nests too deeply to read.", reason="ssml_too_deep"
        ) from exc
    reader.close_block()
    tag = root.get(_XML_LANG) or root.get("lang")
    language = (normalize_language_tag(tag) if tag else None) or "de"
    return Document(
        blocks=tuple(reader.blocks),
        language=language,
        warnings=tuple(reader.warnings),
    )
