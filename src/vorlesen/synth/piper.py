"""Piper neural voices through ONNX Runtime — the only module that imports ``piper``.

We build the ``onnxruntime.InferenceSession`` ourselves instead of ``PiperVoice.load``: one
single-threaded session per worker process (the pool runs one per core), no spinning
threads, and, when :mod:`vorlesen.synth.optimize` could build it, the voice's equivalent
faster graph. Phonemization, phoneme ids and inference are Piper's own code.

Word timings come from the voice graph itself: piper-tts's ``add_alignment_output`` marks
the duration predictor's frames-per-phoneme tensor as a second output (built into the
optimized copy; patched in memory on first use when a voice runs its original file), so
each utterance says how many samples every phoneme lasts. Phonemes are grouped into words
at the spaces espeak-ng puts between them; where espeak-ng joined or split words ("of
the" → ``ʌvðə``), each word's own phonemes are matched into the sentence's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import functools
import hashlib
import itertools
import json
import logging
import os
import platform
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import onnxruntime  # ships no type information
from piper.config import PiperConfig, SynthesisConfig
from piper.const import BOS, PAD
from piper.voice import PiperVoice

from vorlesen.errors import EngineError, UsageError, VoiceError
from vorlesen.models import AudioArray, WordTime
from vorlesen.words import spoken_words

if TYPE_CHECKING:
    from vorlesen.config import Settings
    from vorlesen.synth.base import EngineSpec

__all__ = ["FAMILY", "PiperEngine", "PiperFamily", "add_alignment"]

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


def add_alignment(model: Any) -> str:
    """Add Piper's alignment output (phoneme durations) to ``model``, an ``onnx.ModelProto``,
    in place; returns the tensor's name.

    Raises:
        ValueError: the graph has no single duration (``Ceil``) tensor, or it is an output
        already.
    """
    from onnx import TensorProto, helper
    from piper.patch_voice_with_alignment import add_alignment_output

    name = add_alignment_output(model)
    # Piper adds the output without a type, which onnx's checker rejects; a Ceil of the
    # duration predictor's float tensor is a float tensor.
    for output in model.graph.output:
        if output.name == name and not output.HasField("type"):
            output.CopyFrom(
                helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", 1, "phonemes"])
            )
    return name


def _open_session(
    model: Path | bytes, threads: int, *, keep_prepared: bool = False
) -> onnxruntime.InferenceSession:
    """ONNX session with ``threads`` intra-op threads and one inter-op thread; ``model`` is
    a file, or a serialized graph.

    ``keep_prepared`` (a file in vorlesen's own cache): the graph as ONNX Runtime prepares
    it for this machine (fused, in the blocked layout) is kept beside the file the first
    time, and later sessions load that copy without preparing it again (≈0.2 s of CPU
    less per worker). The copy is named for the ONNX Runtime version and the CPU's
    features, because ONNX Runtime's own layout choices depend on both.
    """
    if isinstance(model, Path) and not model.is_file():
        raise VoiceError(f"The voice model {model} does not exist.", reason="voice_file_missing")
    if isinstance(model, Path) and keep_prepared:
        session = _prepared_session(model, threads)
        if session is not None:
            return session
    return _session(model, _session_options(threads))


def _prepared_session(model: Path, threads: int) -> onnxruntime.InferenceSession | None:
    """A session from the prepared copy kept beside ``model`` (a damaged one is removed),
    else one that prepares ``model`` and keeps the copy; ``None`` when the copy cannot be
    written (a read-only cache: the caller prepares the graph every time)."""
    prepared = model.with_name(f"{model.stem}.ort-{_runtime_fingerprint()}.onnx")
    if prepared.is_file():
        options = _session_options(threads)
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
        try:
            return _session(prepared, options)
        except VoiceError as exc:
            _LOGGER.info("prepared model %s unusable (%s): removed", prepared, exc)
            with contextlib.suppress(OSError):
                prepared.unlink()
    tmp = prepared.with_name(f".{prepared.name}.{os.getpid()}.part")
    options = _session_options(threads)
    options.optimized_model_filepath = str(tmp)
    try:
        session = _session(model, options)
        os.replace(tmp, prepared)
        return session
    except (VoiceError, OSError) as exc:
        _LOGGER.info("cannot keep the prepared model %s (%s)", prepared, exc)
        with contextlib.suppress(OSError):
            tmp.unlink()
        return None


def _session_options(threads: int) -> onnxruntime.SessionOptions:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    # Workers are separate processes; spinning threads would only steal the other cores.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only; ORT warnings are noise for users
    return options


def _session(
    model: Path | bytes, options: onnxruntime.SessionOptions
) -> onnxruntime.InferenceSession:
    try:
        return onnxruntime.InferenceSession(
            str(model) if isinstance(model, Path) else model,
            sess_options=options,
            providers=["CPUExecutionProvider"],
        )
    except Exception as exc:  # ORT raises its own Fail/InvalidProtobuf/RuntimeException types
        name = model if isinstance(model, Path) else "(patched in memory)"
        raise VoiceError(
            f"The voice model {name} is corrupt or not an ONNX model; delete it and "
            "download the voice again.",
            reason="corrupt_voice",
        ) from exc


@functools.cache
def _runtime_fingerprint() -> str:
    """ONNX Runtime's version and a short hash of the CPU's model and feature flags."""
    features = platform.machine() + platform.processor()
    with (
        contextlib.suppress(OSError),
        open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh,
    ):
        for line in fh:
            if line.startswith(("flags", "Features", "model name")):
                features += line
            elif not line.strip():
                break  # the first processor tells
    digest = hashlib.sha256(features.encode()).hexdigest()[:12]
    return f"{onnxruntime.__version__}-{digest}"


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
                session = _open_session(Path(session_model), threads, keep_prepared=True)
            except VoiceError as exc:
                _LOGGER.warning("optimized model %s unusable (%s): removed", session_model, exc)
                with contextlib.suppress(OSError):  # rebuilt by the next render
                    Path(session_model).unlink()
        if session is None:
            session = _open_session(model, threads)
        self._model = model
        self._threads = threads
        self._aligned = len(session.get_outputs()) > 1
        self._word_phonemes: dict[str, list[str]] = {}
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

    # -- word timings -----------------------------------------------------------------

    def _ensure_aligned(self) -> bool:
        """Give the session the alignment output if its graph lacks it (patched in memory,
        once); ``False`` when the voice cannot have one."""
        if self._aligned:
            return True
        try:
            import onnx

            proto = onnx.load(str(self._model))
            add_alignment(proto)
            session = _open_session(proto.SerializeToString(), self._threads)
        except Exception as exc:  # no onnx, no duration tensor: audio without word times
            _LOGGER.info("voice %s gives no word timings (%r)", self.voice, exc)
            self._model = Path()  # do not try again
            return False
        self._voice = dataclasses.replace(self._voice, session=session)
        self._aligned = True
        return True

    def synthesize_timed(
        self, text: str, *, speed: float = 1.0
    ) -> tuple[AudioArray, tuple[WordTime, ...]]:
        """:meth:`synthesize`, plus when each spoken word of ``text``
        (:func:`vorlesen.words.spoken_words`) is heard; no times when the voice has no
        alignment output."""
        if not self._aligned and (self._model == Path() or not self._ensure_aligned()):
            return self.synthesize(text, speed=speed), ()
        id_map = self._config.phoneme_id_map
        lead = len(id_map[BOS]) + len(id_map[PAD])
        chunks: list[AudioArray] = []
        symbols: list[tuple[str, int, int]] = []
        """Every phoneme spoken, with its first and end sample in the joined audio."""
        offset = 0
        for sentence in self._voice.phonemize(text):
            if not sentence:
                continue
            kept = [p for p in sentence if p in id_map]
            ids = self._voice.phonemes_to_ids(kept)
            audio, samples = self._ids_to_aligned_audio(ids, speed)
            chunks.append(audio)
            if samples is not None and len(samples) == len(ids) and samples.sum() > 0:
                # Durations are whole frames; scale to the audio should they not add up.
                edges = np.concatenate(([0.0], np.cumsum(samples, dtype=np.float64)))
                edges *= len(audio) / edges[-1]
                pos = lead
                for p in kept:
                    width = len(id_map[p]) + len(id_map[PAD])
                    symbols.append((p, offset + int(edges[pos]), offset + int(edges[pos + width])))
                    pos += width
            symbols.append((" ", offset + len(audio), offset + len(audio)))
            offset += len(audio)
        joined = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
        words = [text[a:b] for a, b in spoken_words(text)]
        spans = self._word_symbols(symbols, words)
        rate = float(self.sample_rate)
        times = tuple(WordTime(symbols[a][1] / rate, symbols[b - 1][2] / rate) for a, b in spans)
        return joined.astype(np.float32, copy=False), times if len(times) == len(words) else ()

    def _ids_to_aligned_audio(
        self, ids: list[int], speed: float
    ) -> tuple[AudioArray, np.ndarray[Any, Any] | None]:
        try:
            raw = self._voice.phoneme_ids_to_audio(ids, self._config_for(speed), True)
        except Exception as exc:  # ORT failure mid-run: out of memory, broken model
            raise EngineError(
                f"Piper inference failed for voice {self.voice} ({exc}).",
                reason="inference_failed",
            ) from exc
        audio, samples = raw if isinstance(raw, tuple) else (raw, None)
        clipped = np.clip(np.asarray(audio, dtype=np.float32).reshape(-1), -1.0, 1.0)
        return clipped, None if samples is None else np.asarray(samples).reshape(-1)

    def _phonemes_of(self, word: str) -> list[str]:
        """The phonemes of one spoken word alone (a ``[[ IPA ]]`` block: its symbols)."""
        cached = self._word_phonemes.get(word)
        if cached is None:
            cached = [p for s in self._voice.phonemize(word) for p in s if _sounds(p)]
            if len(self._word_phonemes) < 4096:  # a few articles' words; bounded memory
                self._word_phonemes[word] = cached
        return cached

    def _word_symbols(
        self, symbols: list[tuple[str, int, int]], words: list[str]
    ) -> list[tuple[int, int]]:
        """For each word, the range of ``symbols`` that speaks it (empty list: none found)."""
        groups: list[tuple[int, int]] = []
        start: int | None = None
        for i, (p, _a, _b) in enumerate(symbols):
            if p == " ":
                if start is not None:
                    groups.append((start, i))
                start = None
            elif start is None and _sounds(p):
                start = i
        if start is not None:
            groups.append((start, len(symbols)))
        groups = [(a, _last_sound(symbols, a, b)) for a, b in groups]
        if len(groups) == len(words):
            return groups
        # espeak-ng joined ("of the") or split words: find each word's phonemes in the
        # sentence's, and let a word run until the next one starts.
        heard = [i for i, (p, _a, _b) in enumerate(symbols) if _sounds(p)]
        wanted: list[str] = []
        firsts: list[int] = []
        for word in words:
            firsts.append(len(wanted))
            wanted.extend(self._phonemes_of(word))
        if not heard or not words:
            return []
        matcher = difflib.SequenceMatcher(None, [symbols[i][0] for i in heard], wanted, False)
        at: dict[int, int] = {}
        for block in matcher.get_matching_blocks():
            for k in range(block.size):
                at[block.b + k] = block.a + k
        starts: list[float] = []
        for n, first in enumerate(firsts):
            size = (firsts[n + 1] if n + 1 < len(firsts) else len(wanted)) - first
            found = [at[k] - (k - first) for k in range(first, first + size) if k in at]
            starts.append(float(found[0]) if found else float("nan"))
        filled = _interpolate(starts, len(heard))
        spans: list[tuple[int, int]] = []
        for n, begin in enumerate(filled):
            end = filled[n + 1] if n + 1 < len(filled) else len(heard)
            a = heard[min(begin, len(heard) - 1)]
            b = heard[max(begin, min(end, len(heard)) - 1)] + 1
            spans.append((a, max(a + 1, b)))
        return spans

    def synthesize_phonemes(self, phonemes: str, *, speed: float = 1.0) -> AudioArray:
        """Speak an IPA string directly (lexicon entries, SSML ``<phoneme>``)."""
        ids = self.phoneme_ids(phonemes.strip())
        if len(ids) <= 3:  # only BOS/PAD/EOS: nothing speakable
            return np.zeros(0, dtype=np.float32)
        return self._ids_to_audio(ids, speed)

    def __repr__(self) -> str:
        return f"PiperEngine(voice={self.voice!r}, speed={self.speed})"


def _sounds(symbol: str) -> bool:
    """Whether a phoneme symbol is a sound (not a space, stress mark or punctuation)."""
    return any(ch.isalpha() for ch in symbol)


def _last_sound(symbols: list[tuple[str, int, int]], start: int, end: int) -> int:
    """End of a word's symbol range with trailing punctuation left out."""
    while end - 1 > start and not _sounds(symbols[end - 1][0]):
        end -= 1
    return end


def _interpolate(starts: list[float], total: int) -> list[int]:
    """Word starts (indices into the heard phonemes), monotone; words not found get
    evenly spaced places between their found neighbours."""
    n = len(starts)
    known = [(i, s) for i, s in enumerate(starts) if s == s]  # NaN is not equal to itself
    anchors = [(-1, -1.0), *known, (n, float(total))]
    out = list(starts)
    for (i0, s0), (i1, s1) in itertools.pairwise(anchors):
        for i in range(i0 + 1, i1):
            out[i] = s0 + (s1 - s0) * (i - i0) / (i1 - i0)
    result: list[int] = []
    floor = 0
    for value in out:
        floor = max(floor, min(total - 1, max(0, round(value))))
        result.append(floor)
    return result


class PiperFamily:
    """Piper's entry in the engine registry (``vorlesen.engines``: ``piper``).

    A voice is a name from the Piper voices repository (downloaded on first use, cached)
    or a local ``.onnx`` path (:mod:`vorlesen.synth.voices`); its session loads the
    voice's optimized, equivalent graph where one could be built
    (:mod:`vorlesen.synth.optimize`). The sound is identified by the SHA-256 of model and
    config.
    """

    name = "piper"
    default = True
    offline = False

    def resolve(self, voice: str | None, *, speed: float, settings: Settings) -> EngineSpec:
        # Imported here: a worker process opens specs and must not load httpx or onnx.
        from vorlesen.synth.base import EngineSpec
        from vorlesen.synth.optimize import optimized_model
        from vorlesen.synth.voices import resolve_voice

        files = resolve_voice(voice or settings.voice, settings)
        return EngineSpec(
            engine=self.name,
            voice=files.name,
            model=files.model,
            config=files.config,
            speed=speed,
            session_model=optimized_model(files.model, files.config, settings),
        )

    def check(self, spec: EngineSpec) -> None:
        if spec.model is None or spec.config is None:
            raise UsageError(
                "A Piper engine spec needs both the model and the config path.",
                reason="bad_engine_spec",
            )

    def open(self, spec: EngineSpec) -> PiperEngine:
        self.check(spec)
        assert spec.model is not None and spec.config is not None
        return PiperEngine(
            spec.model,
            spec.config,
            speed=spec.speed,
            threads=spec.threads,
            noise_scale=spec.noise_scale,
            noise_w_scale=spec.noise_w_scale,
            voice_name=spec.voice,
            session_model=spec.session_model,
        )

    def identity(self, spec: EngineSpec) -> dict[str, object]:
        from vorlesen.synth.base import file_sha256

        self.check(spec)
        assert spec.model is not None and spec.config is not None
        return {"model": file_sha256(spec.model), "config": file_sha256(spec.config)}


FAMILY = PiperFamily()
"""The registered engine (entry point ``vorlesen.engines: piper``)."""
