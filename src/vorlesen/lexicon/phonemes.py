"""Phoneme inventories and the one bridge to espeak-ng's phonemizer.

Piper voices speak espeak-ng IPA: each Unicode code point (after NFD, so "ç" is "c" plus
a combining cedilla) is one symbol looked up in the voice config's ``phoneme_id_map``. An
IPA entry with a symbol outside that map would be silently dropped by Piper, so entries
are checked here before they are saved.
"""

from __future__ import annotations

import json
import threading
import unicodedata
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from vorlesen.errors import InputError, VoiceError
from vorlesen.lexicon.entries import LexEntry

__all__ = [
    "allowed_phonemes",
    "check_entry",
    "default_phonemes",
    "espeak_phonemes",
    "ipa_symbols",
    "validate_ipa",
]

_ESPEAK_LOCK = threading.Lock()
"""espeak-ng keeps global state (the current voice); one caller at a time."""

_FRAMING = frozenset({"^", "$", "_"})
"""Piper's begin, end and pad symbols: in its id map, but never phonemes of a word."""

_STRIP_FROM_PHRASE = str.maketrans("", "", ".,;:!?")
"""Punctuation espeak keeps as clause marks; inside a name they would add pauses."""


def ipa_symbols(ipa: str) -> list[str]:
    """The symbols Piper sees for an IPA string: NFD code points, as its phonemizer does."""
    return list(unicodedata.normalize("NFD", ipa))


def validate_ipa(ipa: str, allowed: set[str]) -> set[str]:
    """Symbols of ``ipa`` the voice cannot speak (empty set: all fine).

    ``allowed`` is a voice's phoneme inventory (:func:`allowed_phonemes`). The string is
    checked as Piper will read it, code point by code point after NFD.
    """
    return {sym for sym in ipa_symbols(ipa) if sym not in allowed}


def _describe(symbols: set[str]) -> str:
    named = []
    for sym in sorted(symbols):
        name = unicodedata.name(sym, "unnamed")
        named.append(f"'{sym}' (U+{ord(sym):04X} {name})")
    return ", ".join(named)


def check_entry(entry: LexEntry, allowed: set[str]) -> None:
    """Refuse an IPA entry the voice cannot speak, naming the offending symbols."""
    if entry.kind != "ipa":
        return
    bad = validate_ipa(entry.value, allowed)
    if bad:
        raise InputError(
            f"The IPA for {entry.grapheme!r} uses symbols the voice cannot speak: "
            f"{_describe(bad)}.",
            reason="ipa_unsupported",
        )


def allowed_phonemes(config_path: Path) -> set[str]:
    """The single-symbol phonemes of a Piper voice, from its ``.onnx.json`` config.

    Multi-character keys (vowel clusters like "aɪ") are left out: Piper's raw phoneme
    blocks ``[[ … ]]`` are read one code point at a time.
    """
    try:
        config: Any = json.loads(Path(config_path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VoiceError(
            f"Cannot read the voice config {config_path}: {exc}.", reason="voice_config_invalid"
        ) from exc
    id_map = config.get("phoneme_id_map") if isinstance(config, dict) else None
    if not isinstance(id_map, dict) or not id_map:
        raise VoiceError(
            f"The voice config {config_path} has no phoneme_id_map.",
            reason="voice_config_invalid",
        )
    return {str(key) for key in id_map if len(str(key)) == 1} - _FRAMING


@lru_cache(maxsize=1)
def default_phonemes() -> frozenset[str]:
    """espeak-ng's IPA inventory as Piper's espeak voices map it (German ones included).

    Used to check entries when no particular voice is named, e.g. ``lexicon add --ipa``.
    """
    text = files("vorlesen.lexicon").joinpath("data/espeak_phonemes.txt").read_text("utf-8")
    symbols: set[str] = set()
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        symbols.add(chr(int(line.split()[0], 16)))
    return frozenset(symbols)


def espeak_phonemes(text: str, voice: str = "en-us") -> str:
    """IPA for ``text`` read by espeak-ng's ``voice``, as one string for a ``[[ ]]`` block.

    This is the only place the lexicon imports piper (it bundles espeak-ng); keep it the
    single function to move when the synth package takes over. Sentences are joined with
    a space and clause punctuation is dropped so a name is read without a pause.
    """
    from piper.phonemize_espeak import EspeakPhonemizer

    with _ESPEAK_LOCK:
        try:
            sentences = EspeakPhonemizer().phonemize(voice, text)
        except Exception as exc:  # espeakbridge raises plain RuntimeError on bad voices
            raise VoiceError(
                f"espeak-ng cannot phonemize with voice {voice!r}: {exc}.",
                reason="espeak_voice_unavailable",
            ) from exc
    joined = " ".join("".join(sentence) for sentence in sentences)
    return " ".join(joined.translate(_STRIP_FROM_PHRASE).split())
