"""The languages vorlesen knows by name: a leaf module, cheap to import (the CLI checks
``--lang`` against it before loading the pipeline)."""

from __future__ import annotations

import re

__all__ = ["LANGUAGE_NAMES", "known_language", "known_languages_text"]

LANGUAGE_NAMES: dict[str, str] = {
    "de": "German",
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "pl": "Polish",
    "tr": "Turkish",
    "sv": "Swedish",
}
"""ISO 639-1 code → English name (for messages); ``--lang`` accepts these."""


def known_language(tag: str) -> str | None:
    """The primary code of ``tag`` ("de-AT", "DE", "de_DE" → "de") when vorlesen reads that
    language, else None."""
    primary = re.split(r"[-_]", tag.strip(), maxsplit=1)[0].lower()
    return primary if primary in LANGUAGE_NAMES else None


def known_languages_text() -> str:
    """The known languages for a message: "de (German), en (English), …"."""
    return ", ".join(f"{code} ({name})" for code, name in LANGUAGE_NAMES.items())
