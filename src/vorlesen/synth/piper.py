"""Piper neural voices through ONNX Runtime — the only module that imports ``piper``.

We build the ``onnxruntime.InferenceSession`` ourselves instead of ``PiperVoice.load``: one
single-threaded session per worker process (the pool runs one per core), no spinning
threads, and, when :mod:`vorlesen.synth.optimize` could build it, the voice's equivalent
faster graph. Phonemization, phoneme ids and inference are Piper's own code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime  # ships no type information
from piper.config import PiperConfig, SynthesisConfig
from piper.voice import PiperVoice

from vorlesen.errors import EngineError, VoiceError
from vorlesen.models import AudioArray

__all__ = ["PiperEngine"]

_LOGGER = logging.getLogger(__name__)

_PHONEME_MARKERS = frozenset("^$_")
"""Piper's BOS/EOS/PAD symbols; never part of a spoken phoneme string."""


def _load_config(config: Path) -> PiperConfig:
    """Read a voice's ``.onnx.json``; missing or malformed → :class:`VoiceError`."""
    if not config.is_file():
        raise VoiceError(
            f"The voice config {config} is missing; a Piper voice needs both "
            f"'{config.name.removesuffix('.json')}' and '{config.name}' side by side.",
            reason="voice_config_missing",
        )
    try:
        raw: dict[str, Any] = json.loads(config.read_text(encoding="utf-8"))
        return PiperConfig.from_dict(raw)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise VoiceError(
            f"The voice config {config} is not a valid Piper voice config ({exc}).",
            reason="corrupt_voice",
        ) from exc


def _open_session(model: Path, threads: int) -> onnxruntime.InferenceSession:
    """ONNX session with ``threads`` intra-op threads and one inter-op thread."""
    if not model.is_file():
        raise VoiceError(f"The voice model {model} does not exist.", reason="voice_file_missing")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    # Workers are separate processes; spinning threads would only steal the other cores.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only; ORT warnings are noise for users
    try:
        return onnxruntime.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # ORT raises its own Fail/InvalidProtobuf/RuntimeException types
        raise VoiceError(
            f"The voice model {model} is corrupt or not an ONNX model; delete it and "
            "download the voice again.",
            reason="corrupt_voice",
        ) from exc


class PiperEngine:
    """One Piper voice in this process: phonemize with espeak-ng, infer with ONNX Runtime.

    ``speed`` divides the voice's ``length_scale`` (1.5 → phonemes last 2/3 as long). Audio
    is returned at the model's natural level (not peak-normalized per utterance, unlike
    Piper's default) so utterances keep a consistent loudness; mastering normalizes later.
    """

    name = "piper"

    def __init__(
        self,
        model: Path,
        config: Path,
        *,
        speed: float = 1.0,
        threads: int = 1,
        noise_scale: float | None = None,
        noise_w_scale: float | None = None,
        voice_name: str | None = None,
        session_model: Path | None = None,
    ) -> None:
        model, config = Path(model), Path(config)
        if speed <= 0:
            raise VoiceError(f"Speed must be positive, not {speed}.", reason="bad_speed")
        piper_config = _load_config(config)
        session = None
        if session_model is not None:  # the optimized copy; the original if it is unusable
            try:
                session = _open_session(Path(session_model), threads)
            except VoiceError as exc:
                _LOGGER.warning("optimized model %s unusable (%s): removed", session_model, exc)
                with contextlib.suppress(OSError):  # rebuilt by the next render
                    Path(session_model).unlink()
        if session is None:
            session = _open_session(model, threads)
        self._voice = PiperVoice(session=session, config=piper_config)
        self._config = piper_config
        self.voice = voice_name or model.name.removesuffix(".onnx")
        self.sample_rate = int(piper_config.sample_rate)
        self.speed = speed
        self._syn_config = SynthesisConfig(
            length_scale=piper_config.length_scale / speed,
            noise_scale=noise_scale,
            noise_w_scale=noise_w_scale,
            normalize_audio=False,
        )

    # -- phonemes ---------------------------------------------------------------------

    def phonemize(self, text: str, lang: str | None = None) -> str:
        """IPA for ``text`` as Piper would feed it to the model; ``[[ IPA ]]`` passes through.

        Sentences are joined by a space. ``lang`` is an espeak-ng voice (``"en-us"``) and
        defaults to the voice's own language.
        """
        voice = self._voice
        if lang is not None and lang != self._config.espeak_voice:
            voice = dataclasses.replace(
                voice, config=dataclasses.replace(self._config, espeak_voice=lang)
            )
        try:
            sentences = voice.phonemize(text)
        except Exception as exc:  # espeak-ng rejects an unknown language with a RuntimeError
            raise EngineError(
                f"Cannot phonemize with espeak-ng language {lang or self._config.espeak_voice!r}"
                f" ({exc}).",
                reason="phonemize_failed",
            ) from exc
        return " ".join("".join(s) for s in sentences if s)

    def _split(self, phonemes: str) -> list[str]:
        """A phoneme string as the list of symbols Piper looks up (NFD code points)."""
        return list(unicodedata.normalize("NFD", phonemes))

    def phoneme_ids(self, phonemes: str) -> list[int]:
        """The ids the model receives for ``phonemes`` (BOS, id+PAD per symbol, EOS).

        Symbols the voice does not know are skipped, as Piper does.
        """
        return self._voice.phonemes_to_ids(
            [p for p in self._split(phonemes) if p in self._config.phoneme_id_map]
        )

    def unsupported_phonemes(self, phonemes: str) -> set[str]:
        """Symbols in ``phonemes`` this voice has no id for (they would be silently dropped)."""
        id_map = self._config.phoneme_id_map
        return {p for p in self._split(phonemes) if p not in id_map or p in _PHONEME_MARKERS}

    # -- audio ------------------------------------------------------------------------

    def _config_for(self, speed: float) -> SynthesisConfig:
        """The synthesis config for one call, ``speed`` times this engine's own speed."""
        if speed == 1.0:
            return self._syn_config
        if speed <= 0:
            raise VoiceError(f"Speed must be positive, not {speed}.", reason="bad_speed")
        return dataclasses.replace(
            self._syn_config, length_scale=self._config.length_scale / (self.speed * speed)
        )

    def _ids_to_audio(self, ids: list[int], speed: float = 1.0) -> AudioArray:
        syn_config = self._config_for(speed)
        try:
            raw = self._voice.phoneme_ids_to_audio(ids, syn_config)
        except Exception as exc:  # ORT failure mid-run: out of memory, broken model
            raise EngineError(
                f"Piper inference failed for voice {self.voice} ({exc}).",
                reason="inference_failed",
            ) from exc
        audio = raw[0] if isinstance(raw, tuple) else raw
        return np.clip(np.asarray(audio, dtype=np.float32).reshape(-1), -1.0, 1.0)

    def synthesize(self, text: str, *, speed: float = 1.0) -> AudioArray:
        """Speak ``text``; Piper may split it into sentences, whose audio is concatenated.

        ``speed`` multiplies this engine's speed for this call (SSML ``prosody rate``).
        """
        chunks: list[AudioArray] = []
        for sentence in self._voice.phonemize(text):
            if not sentence:
                continue
            ids = self._voice.phonemes_to_ids(
                [p for p in sentence if p in self._config.phoneme_id_map]
            )
            chunks.append(self._ids_to_audio(ids, speed))
        if not chunks:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(chunks).astype(np.float32, copy=False)

    def synthesize_phonemes(self, phonemes: str, *, speed: float = 1.0) -> AudioArray:
        """Speak an IPA string directly (lexicon entries, SSML ``<phoneme>``)."""
        ids = self.phoneme_ids(phonemes.strip())
        if len(ids) <= 3:  # only BOS/PAD/EOS: nothing speakable
            return np.zeros(0, dtype=np.float32)
        return self._ids_to_audio(ids, speed)

    def __repr__(self) -> str:
        return f"PiperEngine(voice={self.voice!r}, speed={self.speed})"
