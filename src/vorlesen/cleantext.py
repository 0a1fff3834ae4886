"""Free text as it may enter the service: one cleaning rule for every field.

A title, kicker, teaser, author or any other text a CMS or a listener sends ends up in
XML (the podcast feed, timings), HTML (the newsroom, the player), audio tags and headers.
:func:`clean_text` removes what none of those can carry or what spoofs what a reader
sees: C0/C1 control characters (tab and newline stay), lone surrogates (not encodable as
UTF-8), noncharacters, and invisible format controls — bidi overrides and isolates
("gnp.exe" shown as "exe.png"), zero-width characters, the BOM. ZWJ and ZWNJ stay inside
words (emoji sequences, Persian/Indic spelling need them).

:data:`CleanStr` is the annotated type the API schemas use for every text field, so a
field added later is cleaned by being declared with it.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

__all__ = ["CleanStr", "clean_text", "is_clean"]

_BIDI_AND_INVISIBLE = (
    "\u061c"  # ARABIC LETTER MARK
    "\u180e"  # MONGOLIAN VOWEL SEPARATOR
    "\u200b"  # ZERO WIDTH SPACE
    "\u200e\u200f"  # LRM, RLM
    "\u202a-\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2060-\u206f"  # word joiner, invisible operators, LRI/RLI/FSI/PDI, deprecated controls
    "\ufeff"  # BOM / ZERO WIDTH NO-BREAK SPACE
    "\ufff9-\ufffb"  # interlinear annotation controls
)
_UNWANTED = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 (but tab, newline) and C1 controls, DEL
    "\ud800-\udfff"  # surrogates: alone in a str they cannot be written as UTF-8
    "\ufdd0-\ufdef\ufffe\uffff"  # noncharacters (not allowed in XML either)
    + _BIDI_AND_INVISIBLE
    + "\U000e0000-\U000e007f"  # tag characters (invisible)
    "]"
)
"""What :func:`clean_text` removes. A carriage return is turned into a newline first."""


def clean_text(value: str) -> str:
    """``value`` without control, surrogate, noncharacter and invisible format characters.

    ``\\r\\n`` and lone ``\\r`` become ``\\n``; every other removed character is dropped
    (not replaced: the soft hyphen stays, "exe.png" spoofing disappears).
    """
    if value.isascii() and value.isprintable():
        return value  # the common case, no regex pass
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _UNWANTED.sub("", value)


def is_clean(value: str) -> bool:
    """Whether :func:`clean_text` would leave ``value`` as it is."""
    return clean_text(value) == value


def _clean_any(value: object) -> object:
    # Before pydantic's own str check, so lone surrogates never reach another validator.
    return clean_text(value) if isinstance(value, str) else value


CleanStr = Annotated[str, BeforeValidator(_clean_any)]
"""A ``str`` field cleaned with :func:`clean_text` on the way in."""
