"""The engine protocol every synthesizer implements, :class:`EngineSpec`, and the registry.

An :class:`Engine` turns one utterance (text, or phonemes) into mono float32 audio. Engines
hold heavy, process-local state (an ONNX session, espeak-ng's global state), so they are not
sent between processes; an :class:`EngineSpec` is: a small, frozen, picklable description
that each worker process ``open()``s into its own engine. The spec also names everything
that changes the sound, which makes it the root of the utterance cache key.

**The registry.** An engine is one module that defines an :class:`EngineFamily` — its name,
how a voice name becomes a spec (its options), how a spec opens, and what of a spec
identifies its sound (its cache key) — and declares it as an entry point of the
``vorlesen.engines`` group (``pyproject.toml``; another package can add engines the same
way). Nothing outside that module names the engine: :meth:`EngineSpec.open`,
:meth:`EngineSpec.cache_key`, the engine choice (:mod:`vorlesen.synth.select`) and the
options' validation ask :func:`engine_family`, which imports an engine's module only when
that engine is used (a worker of one engine never loads the other's libraries).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from vorlesen.errors import EngineError, UsageError, VoiceError
from vorlesen.models import AudioArray, WordTime

if TYPE_CHECKING:
    from vorlesen.config import Settings

__all__ = [
    "CACHE_FORMAT",
    "ENGINE_GROUP",
    "Engine",
    "EngineFamily",
    "EngineSpec",
    "default_family",
    "engine_family",
    "engine_modules",
    "engine_names",
    "fallback_family",
    "file_sha256",
]

ENGINE_GROUP = "vorlesen.engines"
"""The entry-point group engines are declared in (``name = "module:FAMILY"``)."""

CACHE_FORMAT = 1
"""Bumped when the way audio is produced from a spec changes (invalidates cached audio)."""


@runtime_checkable
class Engine(Protocol):
    """A speech synthesizer for one voice, living in one process."""

    name: str
    """The name of the engine's :class:`EngineFamily`."""
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
        """IPA for ``text`` in ``lang`` (default: the voice's language); an inline
        ``[[ IPA ]]`` block stands for itself."""
        ...


class EngineFamily(Protocol):
    """What an engine module registers: everything the rest of vorlesen knows of it."""

    name: str
    """The engine's name (``--engine``, ``VORLESEN_ENGINE``, the spec's ``engine``)."""
    default: bool
    """Chosen when no engine is named (one registered family says so)."""
    offline: bool
    """Speaks without any download: the fallback when the default voice cannot be had."""

    def resolve(self, voice: str | None, *, speed: float, settings: Settings) -> EngineSpec:
        """The spec for ``voice`` (None: this engine's default voice for ``settings``).

        Raises :class:`~vorlesen.errors.VoiceError` for a voice that cannot be had; the
        reasons ``voice_not_installed`` and ``voice_download_failed`` mean "missing here"
        (the default voice may then fall back), any other "the name is wrong"."""
        ...

    def check(self, spec: EngineSpec) -> None:
        """Raise :class:`~vorlesen.errors.UsageError` when ``spec`` lacks what this engine
        needs (cheap: no files are opened)."""
        ...

    def open(self, spec: EngineSpec) -> Engine:
        """Build the engine ``spec`` describes (loads the voice: seconds, not microseconds)."""
        ...

    def identity(self, spec: EngineSpec) -> dict[str, object]:
        """What identifies the sound of ``spec``'s voice beyond the spec's common fields
        (file hashes, library version): merged into :meth:`EngineSpec.cache_key`."""
        ...


_FAMILIES: dict[str, EngineFamily] = {}
"""Engines loaded so far (their modules are imported on first use)."""


@lru_cache(maxsize=1)
def _declared() -> dict[str, str]:
    """Engine name → ``module:attribute`` of every declared engine.

    Raises:
        UsageError: ``engines_not_registered`` when the package's metadata declares none
            (an install older than the registry, or the source tree on ``PYTHONPATH``).
    """
    declared = {ep.name: ep.value for ep in entry_points(group=ENGINE_GROUP)}
    if not declared:
        raise UsageError(
            f"No speech engine is registered (entry points {ENGINE_GROUP!r}): vorlesen's "
            "installation is incomplete; reinstall it (pip install -e . in a checkout, or "
            "pip install vorlesen).",
            reason="engines_not_registered",
        )
    return declared


def engine_names() -> tuple[str, ...]:
    """The names of the engines this installation has, sorted."""
    return tuple(sorted(_declared()))


def engine_modules() -> tuple[str, ...]:
    """The modules that define the installed engines (what a synthesis worker may load)."""
    return tuple(sorted({value.split(":", 1)[0] for value in _declared().values()}))


def engine_family(name: str) -> EngineFamily:
    """The registered engine called ``name`` (case-insensitive).

    Raises:
        UsageError: ``unknown_engine`` when no engine has that name.
        EngineError: ``engine_unavailable`` when its module cannot be loaded.
    """
    key = name.strip().lower()
    known = _FAMILIES.get(key)
    if known is not None:
        return known
    value = _declared().get(key)
    if value is None:
        names = " or ".join(repr(n) for n in engine_names())
        raise UsageError(f"Unknown engine {name!r}; choose {names}.", reason="unknown_engine")
    try:
        family: EngineFamily = EntryPoint(key, value, ENGINE_GROUP).load()
    except Exception as exc:  # a broken install or plugin: say which, never a traceback
        raise EngineError(
            f"The speech engine {key!r} ({value}) cannot be loaded: {type(exc).__name__}: {exc}.",
            reason="engine_unavailable",
        ) from exc
    _FAMILIES[key] = family
    return family


def _marked(flag: str, what: str) -> EngineFamily:
    """The one loadable engine with ``flag`` set (engines that fail to load are passed
    over; two claiming it is a configuration error)."""
    marked: list[EngineFamily] = []
    for name in engine_names():
        try:
            family = engine_family(name)
        except EngineError:
            continue
        if getattr(family, flag):
            marked.append(family)
    if not marked:
        raise EngineError(f"No installed speech engine can be the {what}.", reason="no_engine")
    if len(marked) > 1:
        names = ", ".join(f.name for f in marked)
        raise UsageError(
            f"The engines {names} all claim to be the {what}; name one with VORLESEN_ENGINE "
            "or --engine.",
            reason="ambiguous_engine",
        )
    return marked[0]


def default_family() -> EngineFamily:
    """The engine used when none is named."""
    return _marked("default", "default engine")


def fallback_family() -> EngineFamily:
    """The engine that speaks without any download (the default voice's fallback)."""
    return _marked("offline", "offline fallback")


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

    engine: str
    """The engine's registered name (:func:`engine_names`)."""
    voice: str
    """Voice name, as the engine knows it."""
    model: Path | None = None
    """The voice's model file, for engines that load one."""
    config: Path | None = None
    """The voice's config file, for engines that load one."""
    speed: float = 1.0
    """Speaking rate; 1.0 is the voice's natural rate, 1.5 is 50 % faster."""
    noise_scale: float | None = None
    """Generator noise of a neural voice; ``None`` keeps the voice's configured value."""
    noise_w_scale: float | None = None
    """Phoneme-width noise of a neural voice; ``None`` keeps the voice's configured value."""
    threads: int = 1
    """ONNX intra-op threads per engine (1 per worker process is fastest in total)."""
    session_model: Path | None = None
    """The file the engine loads instead of ``model``: an optimized, equivalent copy
    (:mod:`vorlesen.synth.optimize`). Not part of :meth:`cache_key`: the sound is the same."""
    extra: tuple[tuple[str, str], ...] = field(default=())
    """Further engine-specific settings that change the sound, as sorted key/value pairs."""

    def __post_init__(self) -> None:
        if not 0.25 <= self.speed <= 4.0:
            raise UsageError(
                f"Speed {self.speed} is out of range; use a value from 0.25 to 4.",
                reason="bad_speed",
            )
        engine_family(self.engine).check(self)

    def open(self) -> Engine:
        """Build the engine this spec describes (loads the model; seconds, not microseconds)."""
        return engine_family(self.engine).open(self)

    def cache_key(self) -> str:
        """Stable hash of everything that changes the sound: the spec's common fields and
        what the engine names as its voice's identity (:meth:`EngineFamily.identity`:
        a Piper voice's file hashes, so a re-downloaded voice with the same name gets new
        keys); the thread count and the optimized session model are left out because they
        do not change the audio."""
        identity: dict[str, object] = {
            "format": CACHE_FORMAT,
            "engine": self.engine,
            "speed": round(self.speed, 6),
            "noise_scale": self.noise_scale,
            "noise_w_scale": self.noise_w_scale,
            "extra": [list(kv) for kv in self.extra],
            **engine_family(self.engine).identity(self),
        }
        blob = json.dumps(identity, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()
