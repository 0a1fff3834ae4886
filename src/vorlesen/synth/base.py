"""The engine protocol every synthesizer implements, and :class:`EngineSpec`.

An :class:`Engine` turns one utterance (text, or phonemes) into mono float32 audio. Engines
hold heavy, process-local state (an ONNX session, espeak-ng's global state), so they are not
sent between processes; an :class:`EngineSpec` is: a small, frozen, picklable description
that each worker process ``open()``s into its own engine. The spec also names everything
that changes the sound, which makes it the root of the utterance cache key.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from vorlesen.errors import UsageError, VoiceError
from vorlesen.models import AudioArray, WordTime

__all__ = ["CACHE_FORMAT", "Engine", "EngineName", "EngineSpec", "file_sha256"]

EngineName = Literal["piper", "espeak"]

CACHE_FORMAT = 1
"""Bumped when the way audio is produced from a spec changes (invalidates cached audio)."""


@runtime_checkable
class Engine(Protocol):
    """A speech synthesizer for one voice, living in one process."""

    name: str
    """Engine family: ``"piper"`` or ``"espeak"``."""
    voice: str
    """Voice name (a Piper voice key such as ``de_DE-thorsten-medium``, or an espeak voice)."""
    sample_rate: int
    """Sample rate of the audio the engine returns, in Hz."""

    def synthesize(self, text: str, *, speed: float = 1.0) -> AudioArray:
        """Speak ``text`` (which may hold inline ``[[ IPA ]]`` blocks); mono float32 in [-1, 1].

        ``speed`` multiplies the engine's own speed for this call only (SSML ``prosody``).
        """
        ...

    def synthesize_timed(
        self, text: str, *, speed: float = 1.0
    ) -> tuple[AudioArray, tuple[WordTime, ...]]:
        """:meth:`synthesize`, plus when each spoken word of ``text`` is heard.

        One :class:`~vorlesen.models.WordTime` per word of
        :func:`vorlesen.words.spoken_words` (``text``), in seconds into the returned audio;
        an empty tuple when the engine cannot time this text's words.
        """
        ...

    def synthesize_phonemes(self, phonemes: str, *, speed: float = 1.0) -> AudioArray:
        """Speak an IPA string as this engine's phonemizer would produce it."""
        ...

    def phonemize(self, text: str, lang: str | None = None) -> str:
        """IPA for ``text`` in ``lang`` (default: the voice's language)."""
        ...


@lru_cache(maxsize=32)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, memoized per (path, size, mtime) so a 60 MB model is hashed once."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise VoiceError(
            f"Cannot read the voice file {path}: {exc.strerror}.", reason="voice_file_missing"
        ) from exc
    return _sha256_cached(str(path), st.st_size, st.st_mtime_ns)


@dataclass(frozen=True, slots=True)
class EngineSpec:
    """What to open in a worker: engine family, voice files, speed and sound settings.

    Picklable (paths, strings and numbers only), so it crosses process boundaries; the
    heavy engine is built by :meth:`open` where it is used.
    """

    engine: EngineName
    """Engine family."""
    voice: str
    """Voice name: Piper voice key, or espeak-ng voice (``"de"``, ``"en-us"``)."""
    model: Path | None = None
    """Piper ONNX model file (Piper only)."""
    config: Path | None = None
    """Piper voice config ``.onnx.json`` (Piper only)."""
    speed: float = 1.0
    """Speaking rate; 1.0 is the voice's natural rate, 1.5 is 50 % faster."""
    noise_scale: float | None = None
    """Piper generator noise; ``None`` keeps the voice's configured value."""
    noise_w_scale: float | None = None
    """Piper phoneme-width noise; ``None`` keeps the voice's configured value."""
    threads: int = 1
    """ONNX intra-op threads per engine (1 per worker process is fastest in total)."""
    session_model: Path | None = None
    """The file the ONNX session loads instead of ``model``: its optimized, equivalent copy
    (:mod:`vorlesen.synth.optimize`). Not part of :meth:`cache_key`: the sound is the same."""
    extra: tuple[tuple[str, str], ...] = field(default=())
    """Further engine-specific settings that change the sound, as sorted key/value pairs."""

    def __post_init__(self) -> None:
        if not 0.25 <= self.speed <= 4.0:
            raise UsageError(
                f"Speed {self.speed} is out of range; use a value from 0.25 to 4.",
                reason="bad_speed",
            )
        if self.engine == "piper" and (self.model is None or self.config is None):
            raise UsageError(
                "A Piper engine spec needs both the model and the config path.",
                reason="bad_engine_spec",
            )

    def open(self) -> Engine:
        """Build the engine this spec describes (loads the model; seconds, not microseconds)."""
        if self.engine == "piper":
            from vorlesen.synth.piper import PiperEngine

            assert self.model is not None and self.config is not None  # __post_init__
            return PiperEngine(
                self.model,
                self.config,
                speed=self.speed,
                threads=self.threads,
                noise_scale=self.noise_scale,
                noise_w_scale=self.noise_w_scale,
                voice_name=self.voice,
                session_model=self.session_model,
            )
        from vorlesen.synth.espeak import EspeakEngine

        return EspeakEngine(self.voice, speed=self.speed)

    def cache_key(self) -> str:
        """Stable hash of everything that changes the sound.

        Piper voices are identified by the SHA-256 of model and config (a re-downloaded or
        retrained voice with the same name gets new keys); thread count is left out because
        it does not change the audio.
        """
        identity: dict[str, object] = {
            "format": CACHE_FORMAT,
            "engine": self.engine,
            "speed": round(self.speed, 6),
            "noise_scale": self.noise_scale,
            "noise_w_scale": self.noise_w_scale,
            "extra": [list(kv) for kv in self.extra],
        }
        if self.engine == "piper":
            assert self.model is not None and self.config is not None
            identity["model"] = file_sha256(self.model)
            identity["config"] = file_sha256(self.config)
        else:
            from vorlesen.synth.espeak import espeak_version

            identity["voice"] = self.voice
            identity["espeak"] = espeak_version()
        blob = json.dumps(identity, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()
