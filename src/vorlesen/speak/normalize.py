"""Written text → spoken text, by language.

German goes through the full news normalizer (:mod:`vorlesen.speak.de`); other languages
through the basic number reader (:mod:`vorlesen.speak.basic`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from vorlesen.models import NormalizedText
from vorlesen.speak.basic import normalize_basic

__all__ = ["normalize", "normalize_lines"]

_LINE_BREAKS = str.maketrans({c: " " for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})


def normalize(text: str, lang: str = "de") -> NormalizedText:
    """Make ``text`` speakable in ``lang`` (an ISO 639-1 code, region ignored)."""
    base = lang.split("-")[0].split("_")[0].lower()
    if base == "de":
        from vorlesen.speak import de  # the German tables load on first use

        return de.normalize(text)
    return normalize_basic(text, base)


def normalize_lines(lines: Iterable[bytes], out: TextIO, lang: str = "de") -> None:
    """Write one spoken line per input line to ``out``, flushing each.

    Input is bytes decoded leniently, and line breaks inside a spoken line are flattened,
    so no byte sequence can change the line count (a co-process relies on it).
    """
    for raw in lines:
        line = raw.decode("utf-8", errors="replace").rstrip("\n").rstrip("\r")
        out.write(normalize(line, lang).text.translate(_LINE_BREAKS) + "\n")
        out.flush()
