"""espeak-ng through ctypes — the offline fallback engine; the only module touching libespeak-ng.

The library and its data come from the ``espeakng-loader`` wheel, so this works from PyPI
alone. espeak-ng keeps process-global state (one voice, one rate, one callback), so every
call runs under one lock and the library is initialized once per process.

Phoneme input: espeak-ng's ``[[...]]`` syntax takes espeak *mnemonics* (``'halo:``), not
IPA. :func:`ipa_to_espeak` converts the common German and English IPA symbols with a
table. Limits: tones, most diacritics and rare symbols have no entry and are dropped (with
a logged warning); stress marks move onto the next vowel, where espeak expects them;
English-only sounds spoken by the German voice use the nearest German phoneme.

Word timings are espeak-ng's own: its synthesis callback reports a word event (character
position in the text, audio position in ms) as each word starts; a word ends where the
next starts, or with the audio.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import re
import threading
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import espeakng_loader
import numpy as np

from vorlesen.errors import EngineError, VoiceError
from vorlesen.models import AudioArray, WordTime
from vorlesen.words import spoken_words

if TYPE_CHECKING:
    from vorlesen.config import Settings
    from vorlesen.synth.base import EngineSpec

__all__ = ["FAMILY", "EspeakEngine", "EspeakFamily", "espeak_version", "ipa_to_espeak"]

_LOGGER = logging.getLogger(__name__)

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_ESPEAK_CHARS_UTF8 = 1
_ESPEAK_PHONEMES = 0x100
"""espeak_Synth flag: honour ``[[...]]`` phoneme mnemonics in the text."""
_ESPEAK_RATE = 1
_PHONEMES_IPA = 0x02
_DEFAULT_WPM = 175
"""espeak-ng's own default rate; ``speed`` scales it."""
_MIN_WPM, _MAX_WPM = 80, 450
"""The rate range espeak-ng accepts."""

_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1


class _Event(ctypes.Structure):
    """``espeak_EVENT`` from speak_lib.h (the union's widest member is a pointer)."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_void_p),
    ]


_PHONEME_BLOCK = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
_PHONEME_BLOCK_PARTS = re.compile(r"(\[\[.*?\]\])", re.DOTALL)
"""Splits a text into plain parts and whole ``[[…]]`` blocks."""

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)

# -- IPA → espeak-ng mnemonics --------------------------------------------------------

# fmt: off
_COMMON: dict[str, str] = {
    # affricates and diphthongs first (longest match wins)
    "ts": "ts", "tʃ": "tS", "dʒ": "dZ", "pf": "pF", "t͡s": "ts", "t͡ʃ": "tS", "d͡ʒ": "dZ",
    "aɪ": "aI", "aʊ": "aU", "ɔʏ": "OY", "ɔø": "OY",
    # consonants
    "b": "b", "d": "d", "f": "f", "ɡ": "g", "g": "g", "h": "h", "j": "j", "k": "k",
    "l": "l", "m": "m", "n": "n", "p": "p", "s": "s", "t": "t", "v": "v", "w": "w",
    "z": "z", "ŋ": "N", "ʃ": "S", "ʒ": "Z", "ç": "C", "x": "x", "θ": "T", "ð": "D",
    "ʔ": "?", "χ": "x", "ɲ": "n^", "ʎ": "l^", "ʁ": "R", "r": "r", "ɾ": "r", "ɹ": "r",
    "ɫ": "l", "ʝ": "j", "β": "b", "ɣ": "g",
    # vowels shared by both tables
    "a": "a", "e": "e", "i": "i", "o": "o", "u": "u", "ɪ": "I", "ʊ": "U", "ɔ": "O",
    "ɛ": "E", "ə": "@", "ɜ": "3", "ɑ": "A", "ɨ": "I", "ɯ": "u",
    # prosody
    "ˈ": "'", "ˌ": ",", "ː": ":", " ": " ", ",": " _ ", ".": " _: ", "?": " _: ",
    "!": " _: ", ";": " _ ", ":": " _ ", "-": "",
}

_TABLES: dict[str, dict[str, str]] = {
    # German voice: ʏ/y are both "y" (short/long by ":"), ø is "Y", œ is "W", ɐ is "3".
    "de": {
        **_COMMON,
        "y": "y", "ʏ": "y", "ø": "Y", "œ": "W", "ɐ": "3", "ɚ": "3", "æ": "E", "ʌ": "a",
        "ɒ": "O", "eɪ": "EI", "oʊ": "o:", "əʊ": "o:", "ɔɪ": "OY",
    },
    "en": {
        **_COMMON,
        "æ": "a", "ɐ": "a#", "ɚ": "3", "ʌ": "V", "ɒ": "0", "eɪ": "eI", "oʊ": "oU",
        "əʊ": "oU", "ɔɪ": "OI", "ɾ": "t#", "ɹ": "r", "y": "y", "ʏ": "y", "ø": "Y",
        "œ": "W",
    },
}
# fmt: on

_VOWEL_STARTS = frozenset("aeiouyɪʊɔɛəɜɑæʌɒɐɚøœʏɨɯ")
_IGNORED = frozenset("\u0329\u032f\u0361\u02b0\u02b2")
"""Diacritics dropped without a warning: syllabic, non-syllabic, tie bar, aspiration."""


def _table_for(voice: str) -> dict[str, str]:
    lang = voice.split("-")[0].split("_")[0].lower()
    return _TABLES.get(lang, _TABLES["de"])


def ipa_to_espeak(ipa: str, voice: str = "de") -> str:
    """Convert IPA to espeak-ng phoneme mnemonics for ``voice`` (``"de"`` or ``"en-…"``).

    Unknown symbols are dropped and logged. Stress marks are moved right before the next
    vowel, because espeak reads them as properties of the vowel that follows.
    """
    table = _table_for(voice)
    text = unicodedata.normalize("NFC", ipa.strip())
    longest = max(len(k) for k in table)
    out: list[str] = []
    pending_stress = ""
    unknown: list[str] = []
    i = 0
    while i < len(text):
        for size in range(min(longest, len(text) - i), 0, -1):
            piece = text[i : i + size]
            if piece in table:
                break
        else:
            if text[i] not in _IGNORED:
                unknown.append(text[i])
            i += 1
            continue
        mnemonic = table[piece]
        if piece in ("ˈ", "ˌ"):
            pending_stress = mnemonic
        else:
            if piece[0] in _VOWEL_STARTS and pending_stress:
                out.append(pending_stress)
                pending_stress = ""
            elif piece[0] in " ,.?!;:":
                pending_stress = ""
            out.append(mnemonic)
        i += size
    if unknown:
        _LOGGER.warning(
            "espeak-ng has no phoneme for IPA %s in %r; dropped", "".join(sorted(set(unknown))), ipa
        )
    return re.sub(r" {2,}", " ", "".join(out)).strip()


# -- the library ----------------------------------------------------------------------

_LOCK = threading.RLock()
_STATE: dict[str, Any] = {}
"""Per-process library state: ``lib``, ``rate`` (sample rate), ``callback``, ``samples``,
``words`` (word events of the running call: character position, audio position in ms)."""


def _library() -> Any:
    """Load and initialize libespeak-ng once per process; returns the ctypes handle."""
    lib = _STATE.get("lib")
    if lib is not None:
        return lib
    try:
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data = espeakng_loader.get_data_path()
    except (OSError, RuntimeError) as exc:
        raise EngineError(
            f"espeak-ng cannot be loaded ({exc}); reinstall the 'espeakng-loader' package.",
            reason="espeak_unavailable",
        ) from exc
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    lib.espeak_Synth.restype = ctypes.c_int
    lib.espeak_Synchronize.argtypes = []
    lib.espeak_Synchronize.restype = ctypes.c_int
    lib.espeak_TextToPhonemes.argtypes = [
        ctypes.POINTER(ctypes.c_void_p),
        ctypes.c_int,
        ctypes.c_int,
    ]
    lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
    lib.espeak_Info.argtypes = [ctypes.c_void_p]
    lib.espeak_Info.restype = ctypes.c_char_p

    rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data.encode(), 0)
    if rate <= 0:
        raise EngineError(
            f"espeak-ng failed to initialize with its data at {data}.",
            reason="espeak_unavailable",
        )
    samples: list[AudioArray] = []
    words: list[tuple[int, int]] = []

    def collect(wav: Any, count: int, events: Any) -> int:
        if wav and count > 0:
            chunk = np.ctypeslib.as_array(wav, shape=(count,))
            samples.append((chunk.astype(np.float32) / 32768.0).astype(np.float32))
        if events:
            k = 0
            while events[k].type != _EVENT_LIST_TERMINATED:
                if events[k].type == _EVENT_WORD:
                    words.append((events[k].text_position, events[k].audio_position))
                k += 1
        return 0  # 0 = keep going

    callback = _SynthCallback(collect)  # kept referenced in _STATE: C holds the pointer
    lib.espeak_SetSynthCallback(callback)
    _STATE.update(lib=lib, rate=int(rate), callback=callback, samples=samples, words=words)
    return lib


def espeak_version() -> str:
    """The espeak-ng library version (part of the cache key for espeak audio)."""
    with _LOCK:
        raw: bytes | None = _library().espeak_Info(None)
    return raw.decode("ascii", "replace") if raw else "unknown"


@lru_cache(maxsize=1)
def _voice_names() -> frozenset[str]:
    """espeak-ng voice identifiers available in the bundled data (``de``, ``en-us``, …)."""
    from pathlib import Path

    root = Path(espeakng_loader.get_data_path()) / "lang"
    return frozenset(p.name.lower() for p in root.rglob("*") if p.is_file())


class EspeakEngine:
    """An espeak-ng voice in this process (formant synthesis: robotic but always there)."""

    name = "espeak"

    def __init__(self, voice: str = "de", *, speed: float = 1.0) -> None:
        if speed <= 0:
            raise VoiceError(f"Speed must be positive, not {speed}.", reason="bad_speed")
        with _LOCK:
            _library()
            self.sample_rate: int = _STATE["rate"]
        if voice.lower() not in _voice_names():
            import difflib

            close = difflib.get_close_matches(voice, sorted(_voice_names()), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise VoiceError(f"espeak-ng has no voice {voice!r}.{hint}", reason="unknown_voice")
        self.voice = voice
        self.speed = speed
        self._wpm = round(min(_MAX_WPM, max(_MIN_WPM, _DEFAULT_WPM * speed)))

    def _run(self, action: Callable[[Any], None], speed: float = 1.0) -> None:
        """Select this engine's voice and rate, then run ``action(lib)`` under the lock."""
        lib = _library()
        if lib.espeak_SetVoiceByName(self.voice.encode()) != 0:
            raise VoiceError(f"espeak-ng cannot load voice {self.voice!r}.", reason="unknown_voice")
        wpm = self._wpm
        if speed != 1.0:
            if speed <= 0:
                raise VoiceError(f"Speed must be positive, not {speed}.", reason="bad_speed")
            wpm = round(min(_MAX_WPM, max(_MIN_WPM, _DEFAULT_WPM * self.speed * speed)))
        lib.espeak_SetParameter(_ESPEAK_RATE, wpm, 0)
        action(lib)

    def _speak(self, espeak_text: str, speed: float = 1.0) -> AudioArray:
        return self._speak_events(espeak_text, speed)[0]

    def _speak_events(
        self, espeak_text: str, speed: float = 1.0
    ) -> tuple[AudioArray, list[tuple[int, int]]]:
        """Audio of ``espeak_text`` and its word events: (1-based character position,
        audio position in ms)."""
        data = espeak_text.encode("utf-8") + b"\0"

        def synth(lib: Any) -> None:
            status = lib.espeak_Synth(
                data,
                len(data),
                0,
                _POS_CHARACTER,
                0,
                _ESPEAK_CHARS_UTF8 | _ESPEAK_PHONEMES,
                None,
                None,
            )
            lib.espeak_Synchronize()
            if status != 0:
                raise EngineError(
                    f"espeak-ng failed to synthesize (status {status}).", reason="inference_failed"
                )

        with _LOCK:
            samples: list[AudioArray] = _STATE["samples"]
            words: list[tuple[int, int]] = _STATE["words"]
            samples.clear()
            words.clear()
            try:
                self._run(synth, speed)
                events = list(words)
                if not samples:
                    return np.zeros(0, dtype=np.float32), events
                return np.concatenate(samples).astype(np.float32, copy=False), events
            finally:
                samples.clear()
                words.clear()

    def _prepare(self, text: str) -> str:
        """Turn inline ``[[ IPA ]]`` blocks into espeak mnemonics; never leave stray brackets."""
        return self._prepare_mapped(text)[0]

    def _prepare_mapped(self, text: str) -> tuple[str, list[int]]:
        """:meth:`_prepare`, plus where each character of ``text`` went in the result."""
        out: list[str] = []
        where: list[int] = []
        length = 0
        pos = 0
        for match in _PHONEME_BLOCK.finditer(text):
            plain = text[pos : match.start()]
            where.extend(range(length, length + len(plain)))
            out.append(plain)
            length += len(plain)
            mnemonics = ipa_to_espeak(match.group(1), self.voice)
            if not mnemonics:
                _LOGGER.warning("Dropped phoneme block %r: nothing espeak-ng can say", match[0])
                piece = " "
            else:
                piece = f" [[{mnemonics}]] "
            where.extend([length + 1] * (match.end() - match.start()))
            out.append(piece)
            length += len(piece)
            pos = match.end()
        where.extend(range(length, length + len(text) - pos))
        out.append(text[pos:])
        converted = "".join(out)
        # Any bracket pair left (unbalanced input) would switch espeak into phoneme mode.
        # Brackets become spaces one for one, so ``where`` stays right.
        parts = re.split(r"(\[\[[^\[\]]*\]\])", converted)
        cleaned = [
            p if p.startswith("[[") and p.endswith("]]") else p.replace("[", " ").replace("]", " ")
            for p in parts
        ]
        return "".join(cleaned), where

    def synthesize_timed(
        self, text: str, *, speed: float = 1.0
    ) -> tuple[AudioArray, tuple[WordTime, ...]]:
        """:meth:`synthesize`, plus when each spoken word of ``text``
        (:func:`vorlesen.words.spoken_words`) is heard, from espeak-ng's word events."""
        prepared, where = self._prepare_mapped(text)
        audio, events = self._speak_events(prepared, speed)
        duration = len(audio) / self.sample_rate
        positions = sorted((pos - 1, ms / 1000.0) for pos, ms in events)
        starts: list[float] = []
        for a, b in spoken_words(text):
            lo, hi = where[a], where[b - 1] + 1
            inside = [t for pos, t in positions if lo <= pos < hi]
            starts.append(min(inside) if inside else float("nan"))
        return audio, _word_times(starts, duration)

    def synthesize(self, text: str, *, speed: float = 1.0) -> AudioArray:
        """Speak ``text``; inline ``[[ IPA ]]`` blocks are converted, not read out.

        ``speed`` multiplies this engine's speed for this call (SSML ``prosody rate``).
        """
        return self._speak(self._prepare(text), speed)

    def synthesize_phonemes(self, phonemes: str, *, speed: float = 1.0) -> AudioArray:
        """Speak an IPA string (converted to espeak mnemonics; see :func:`ipa_to_espeak`)."""
        mnemonics = ipa_to_espeak(phonemes, self.voice)
        if not mnemonics:
            return np.zeros(0, dtype=np.float32)
        return self._speak(f"[[{mnemonics}]]", speed)

    def phonemize(self, text: str, lang: str | None = None) -> str:
        """espeak-ng's IPA for ``text``, clauses joined by spaces (punctuation is not kept);
        an inline ``[[ IPA ]]`` block stands for itself, in its place."""
        out: list[str] = []
        for part in _PHONEME_BLOCK_PARTS.split(text):
            if part.startswith("[[") and part.endswith("]]"):
                out.append(part[2:-2].strip())
            elif part.strip():
                out.append(self._phonemize_plain(part, lang or self.voice))
        return " ".join(p for p in out if p)

    def _phonemize_plain(self, text: str, voice: str) -> str:
        buffer = ctypes.create_string_buffer(text.encode("utf-8"))
        pointer = ctypes.c_void_p(ctypes.addressof(buffer))
        clauses: list[str] = []
        with _LOCK:
            lib = _library()
            if lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise VoiceError(f"espeak-ng has no voice {voice!r}.", reason="unknown_voice")
            while pointer.value:
                raw: bytes | None = lib.espeak_TextToPhonemes(
                    ctypes.byref(pointer), _ESPEAK_CHARS_UTF8, _PHONEMES_IPA
                )
                if raw:
                    clauses.append(raw.decode("utf-8", "replace"))
        ipa = " ".join(c.strip() for c in clauses if c.strip())
        # Language-switch markers like "(en)" are not phonemes.
        return re.sub(r"\([a-z-]+\)", "", ipa)

    def __repr__(self) -> str:
        return f"EspeakEngine(voice={self.voice!r}, speed={self.speed})"


def _word_times(starts: list[float], duration: float) -> tuple[WordTime, ...]:
    """Word times from word starts (NaN: no event for that word — it shares the time
    between its neighbours); each word ends where the next begins."""
    if not starts:
        return ()
    known = [(i, t) for i, t in enumerate(starts) if t == t]  # NaN is not equal to itself
    anchors = [(-1, 0.0), *known, (len(starts), duration)]
    filled = list(starts)
    for (i0, t0), (i1, t1) in itertools.pairwise(anchors):
        for i in range(i0 + 1, i1):
            filled[i] = t0 + (t1 - t0) * (i - i0) / (i1 - i0)
    times: list[WordTime] = []
    floor = 0.0
    for n, start in enumerate(filled):
        floor = min(duration, max(floor, start))
        end = filled[n + 1] if n + 1 < len(filled) else duration
        times.append(WordTime(floor, min(duration, max(floor, end))))
    return tuple(times)


class EspeakFamily:
    """espeak-ng's entry in the engine registry (``vorlesen.engines``: ``espeak``): the
    offline fallback — its voices ship with the ``espeakng-loader`` wheel."""

    name = "espeak"
    default = False
    offline = True

    DEFAULT_VOICE = "de"
    """The voice used when none is named (and for the default voice's fallback)."""

    def resolve(self, voice: str | None, *, speed: float, settings: Settings) -> EngineSpec:
        from vorlesen.synth.base import EngineSpec

        name = voice or self.DEFAULT_VOICE
        EspeakEngine(name, speed=speed)  # fail now on an unknown voice, not in a worker
        return EngineSpec(engine=self.name, voice=name, speed=speed)

    def check(self, spec: EngineSpec) -> None:
        """Every espeak-ng spec is complete (the voice is checked when it opens)."""

    def open(self, spec: EngineSpec) -> EspeakEngine:
        return EspeakEngine(spec.voice, speed=spec.speed)

    def identity(self, spec: EngineSpec) -> dict[str, object]:
        return {"voice": spec.voice, "espeak": espeak_version()}


FAMILY = EspeakFamily()
"""The registered engine (entry point ``vorlesen.engines: espeak``)."""
