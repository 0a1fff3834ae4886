"""Reading web and e-mail addresses aloud: "www.bund.de" → "w w w punkt bund punkt de"."""

from __future__ import annotations

import re

from vorlesen.speak.de.acronyms import pronounceable, spell
from vorlesen.speak.de.numbers import cardinal, digits

_PARTS = re.compile(r"[0-9]+|[^\W\d_]+|.", re.DOTALL)
_SCHEME = re.compile(r"^(?:https?://)", re.IGNORECASE)
_SIGNS = {
    ".": "punkt",
    "/": "Schrägstrich",
    "-": "Bindestrich",
    "_": "Unterstrich",
    "@": "at",
    ":": "Doppelpunkt",
    "?": "Fragezeichen",
    "=": "gleich",
    "&": "und",
    "#": "Raute",
    "~": "Tilde",
    "+": "plus",
    "%": "Prozent",
}
_SAY_AS_WORD = frozenset(
    [
        "de",
        "com",
        "org",
        "net",
        "eu",
        "info",
        "at",
        "ch",
        "io",
        "gov",
        "int",
        "uk",
        "fr",
        "it",
        "es",
        "nl",
        "pl",
        "tv",
        "online",
        "news",
        "app",
    ]
)


def _label(part: str) -> str:
    low = part.lower()
    if low == "www":
        return "w w w"
    if low in _SAY_AS_WORD or len(part) > 3 or pronounceable(part):
        return low
    return spell(part).lower()


def _is_site_name(address: str) -> bool:
    """A bare domain written as a name, capitalized ("Motorsport-Total.com",
    "T-Online.de"): its hyphens join words as in any name instead of being spelled out,
    and its words keep their capitals."""
    return (
        address[0].isupper()
        and not any(c in address for c in "@/:")
        and "www." not in (address.lower())
    )


def read_address(address: str) -> str:
    """Spoken form of a URL or e-mail address (the scheme is not read)."""
    words: list[str] = []
    site = _is_site_name(address)
    glue = False
    for piece in _PARTS.findall(_SCHEME.sub("", address).rstrip("/")):
        if site and piece == "-" and words:
            glue = True  # "Motorsport-Total.com" → "Motorsport-Total punkt com"
            continue
        if piece.isdigit():
            word = cardinal(int(piece)) if len(piece) <= 4 else digits(piece)
        elif piece[0].isalpha():
            word = piece if site and piece[0].isupper() else _label(piece)
        elif piece in _SIGNS:
            word = _SIGNS[piece]
        else:
            continue
        if glue:
            words[-1] += "-" + word
            glue = False
        else:
            words.append(word)
    return " ".join(words)
