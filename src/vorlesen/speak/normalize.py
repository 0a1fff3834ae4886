"""Written text → spoken text, by language.

German goes through the full news normalizer (:mod:`vorlesen.speak.de`); other languages
through the basic number reader (:mod:`vorlesen.speak.basic`).
"""

from __future__ import annotations

from vorlesen.models import NormalizedText
from vorlesen.speak.basic import normalize_basic

__all__ = ["normalize"]


def normalize(text: str, lang: str = "de") -> NormalizedText:
    """Make ``text`` speakable in ``lang`` (an ISO 639-1 code, region ignored)."""
    base = lang.split("-")[0].split("_")[0].lower()
    if base == "de":
        from vorlesen.speak import de  # the German tables load on first use

        return de.normalize(text)
    return normalize_basic(text, base)
