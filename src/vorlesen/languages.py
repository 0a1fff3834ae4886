"""The languages vorlesen knows by name: a leaf module, cheap to import (the CLI checks
``--lang`` against it before loading the pipeline)."""

from __future__ import annotations

__all__ = ["LANGUAGE_NAMES"]

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
