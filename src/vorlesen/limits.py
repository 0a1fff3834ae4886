"""What one article may cost a publisher's service: characters of text, utterances, hours
of audio. Checked before synthesis starts, each refused with its own reason, so a 5 MB
text or 20 KB of ``<say-as interpret-as="characters">`` cannot keep the only worker busy
for an hour (``VORLESEN_MAX_ARTICLE_CHARS``, ``…_UTTERANCES``, ``…_AUDIO_HOURS``)."""

from __future__ import annotations

from vorlesen.config import Settings
from vorlesen.errors import InputError
from vorlesen.models import Document, Script

__all__ = [
    "SECONDS_PER_CHARACTER",
    "SECONDS_PER_WORD",
    "check_characters",
    "check_document",
    "check_script",
    "estimated_audio_s",
]

SECONDS_PER_CHARACTER = 0.040
SECONDS_PER_WORD = 0.157
"""Audio per character and per word of spoken text, pauses included, fitted to two
espeak-ng renders: ``tests/fixtures/service/artikel.txt`` (292 characters, 46 words,
19.0 s) and 104 letters spelled by ``<say-as interpret-as="characters">`` (207
characters, 104 words, 24.7 s). Per character alone, spelled text came out 2.5× short."""


def check_document(document: Document, settings: Settings) -> None:
    """Refuse an article with more text than ``max_article_chars`` (``too_many_characters``)
    — before it is normalized, which alone takes minutes for megabytes of text."""
    check_characters(len(document.text), settings)


def check_characters(chars: int, settings: Settings) -> None:
    """Refuse ``chars`` characters of article text over ``max_article_chars``."""
    if chars > settings.max_article_chars:
        raise InputError(
            f"The article has {chars:,} characters of text, more than the limit of "
            f"{settings.max_article_chars:,} (VORLESEN_MAX_ARTICLE_CHARS).",
            reason="too_many_characters",
        )


def estimated_audio_s(script: Script) -> float:
    """Seconds of audio the script will become, from its spoken text (rate applied)."""
    total = 0.0
    for utterance in script.utterances:
        spoken = utterance.spoken.replace("[[", "").replace("]]", "")
        seconds = len(spoken) * SECONDS_PER_CHARACTER + len(spoken.split()) * SECONDS_PER_WORD
        total += seconds / max(utterance.rate, 0.25)
    return total


def check_script(script: Script, settings: Settings) -> None:
    """Refuse a script of more than ``max_article_utterances`` utterances
    (``too_many_utterances``) or more than ``max_article_audio_hours`` of estimated audio
    (``too_much_audio``)."""
    count = len(script.utterances)
    if count > settings.max_article_utterances:
        raise InputError(
            f"The article would be read as {count:,} sentences, more than the limit of "
            f"{settings.max_article_utterances:,} (VORLESEN_MAX_ARTICLE_UTTERANCES).",
            reason="too_many_utterances",
        )
    seconds = estimated_audio_s(script)
    if seconds > settings.max_article_audio_hours * 3600:
        raise InputError(
            f"The article would become about {seconds / 60:,.0f} minutes of audio, more than "
            f"the limit of {settings.max_article_audio_hours:g} hours "
            "(VORLESEN_MAX_ARTICLE_AUDIO_HOURS).",
            reason="too_much_audio",
        )
