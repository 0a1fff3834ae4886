"""Choosing the engine for a render: Piper with a resolved voice, or espeak-ng.

Never a silent fallback on a typo: an explicitly named voice that cannot be had is an
error. Only the *default* voice falls back to espeak-ng German (with a warning that says
how to install the voice), so a fresh offline install still reads articles aloud.
"""

from __future__ import annotations

from vorlesen.config import Settings
from vorlesen.errors import UsageError, VoiceError
from vorlesen.synth.base import EngineSpec
from vorlesen.synth.optimize import optimized_model
from vorlesen.synth.voices import resolve_voice

__all__ = ["DEFAULT_ESPEAK_VOICE", "choose_engine"]

DEFAULT_ESPEAK_VOICE = "de"
"""espeak-ng voice used for the fallback and for ``engine="espeak"`` without a voice."""

_UNAVAILABLE = frozenset({"voice_not_installed", "voice_download_failed"})
"""Reasons that mean "the default voice is missing here", not "the name is wrong"."""


def choose_engine(
    engine: str | None,
    voice: str | None,
    *,
    speed: float,
    settings: Settings,
) -> tuple[EngineSpec, list[str]]:
    """The engine spec for a render and any warnings to show the user.

    ``engine`` is ``"piper"`` (default) or ``"espeak"``; ``voice`` ``None`` means
    ``settings.voice``.
    """
    warnings: list[str] = []
    name = (engine or "piper").lower()
    if name == "espeak":
        from vorlesen.synth.espeak import EspeakEngine

        espeak_voice = voice or DEFAULT_ESPEAK_VOICE
        EspeakEngine(espeak_voice, speed=speed)  # fail now on an unknown voice, not in a worker
        return EngineSpec(engine="espeak", voice=espeak_voice, speed=speed), []
    if name != "piper":
        raise UsageError(
            f"Unknown engine {engine!r}; choose 'piper' or 'espeak'.", reason="unknown_engine"
        )
    try:
        files = resolve_voice(voice or settings.voice, settings)
    except VoiceError as exc:
        if voice is not None or exc.reason not in _UNAVAILABLE:
            raise
        warnings.append(
            f"The default voice {settings.voice!r} is not available, so the robotic espeak-ng "
            f"German voice reads instead. {exc.message}"
        )
        spec = EngineSpec(engine="espeak", voice=DEFAULT_ESPEAK_VOICE, speed=speed)
        return spec, warnings
    spec = EngineSpec(
        engine="piper",
        voice=files.name,
        model=files.model,
        config=files.config,
        speed=speed,
        session_model=optimized_model(files.model, files.config, settings),
    )
    return spec, warnings
