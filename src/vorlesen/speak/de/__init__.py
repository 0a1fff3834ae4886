"""German text normalization: written news German → what a newsreader says.

``normalize(text)`` returns a :class:`~vorlesen.models.NormalizedText` whose tokens map
each written span to its spoken form; ``normalize_text(text)`` returns the spoken string.
Both use one module-level :class:`GermanNormalizer` with the built-in tables; build your
own instance to add publisher tables.
"""

from __future__ import annotations

from vorlesen.models import NormalizedText
from vorlesen.speak.de.normalizer import GermanNormalizer

__all__ = ["GermanNormalizer", "default_normalizer", "normalize", "normalize_text"]

_default: GermanNormalizer | None = None


def default_normalizer() -> GermanNormalizer:
    """The shared normalizer with the built-in tables (loaded on first use)."""
    global _default
    if _default is None:
        _default = GermanNormalizer()
    return _default


def normalize(text: str) -> NormalizedText:
    """Written German → spoken German, with a token map back to the written offsets."""
    return default_normalizer().normalize(text)


def normalize_text(text: str) -> str:
    """Written German → spoken German as one string."""
    return default_normalizer().normalize(text).text
