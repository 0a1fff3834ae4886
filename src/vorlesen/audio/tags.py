"""What an audio file says about itself: descriptive tags, the AI disclosure, chapters.

Plain values, no I/O: :mod:`vorlesen.audio.encode` writes them as ID3v2.4 frames (MP3,
WAV) or Vorbis comments (Opus).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AudioTags", "Chapter", "iso639_2"]

# ISO 639-1 → ISO 639-2/B codes for the languages a news site is likely to publish in;
# ID3's TLAN and COMM want the three-letter form. Unknown codes pass through unchanged.
_ISO639_2 = {
    "de": "deu",
    "en": "eng",
    "fr": "fra",
    "it": "ita",
    "es": "spa",
    "nl": "nld",
    "pl": "pol",
    "tr": "tur",
    "da": "dan",
    "sv": "swe",
    "cs": "ces",
    "pt": "por",
}


def iso639_2(language: str) -> str:
    """Three-letter ISO 639-2 code for ``language`` ("de", "de-DE", "de_AT" → "deu")."""
    base = language.strip().replace("_", "-").split("-")[0].lower()
    if len(base) == 3:
        return base
    return _ISO639_2.get(base, "und")  # "und" = undetermined, per ISO 639-2


@dataclass(frozen=True, slots=True)
class AudioTags:
    """Metadata written into every rendition."""

    title: str
    """The article's headline."""
    site: str | None
    """Publisher or site name (ID3 TPE1 and TPUB; Opus ORGANIZATION)."""
    date: str | None
    """Publication date, ISO 8601 ("2024-05-03" or "2024-05-03T08:15:00+02:00")."""
    language: str
    """ISO 639-1 or 639-2 code of the spoken language ("de")."""
    engine: str
    """Synthesis engine ("piper", "espeak-ng"): part of the machine-readable AI marker."""
    voice: str
    """Voice name ("de_DE-thorsten-medium")."""
    url: str | None = None
    """Address of the article the audio reads."""
    comment: str | None = None
    """Extra text appended to the AI disclosure."""

    @property
    def disclosure(self) -> str:
        """The human-readable notice that this audio is machine-generated (EU AI Act
        Art. 50), followed by :attr:`comment` when given."""
        text = (
            f"Diese Audioversion wurde künstlich generiert. "
            f"Engine: {self.engine}, Stimme: {self.voice}."
        )
        return f"{text} {self.comment}" if self.comment else text


@dataclass(frozen=True, slots=True)
class Chapter:
    """A section of the audio the listener can jump to (ID3 CHAP, Opus CHAPTERxxx)."""

    title: str
    start: float
    end: float
    """Seconds from the start of the audio."""
