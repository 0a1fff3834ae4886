"""Choosing the engine for a render, through the engine registry (:mod:`vorlesen.synth.base`).

Never a silent fallback on a typo: an explicitly named voice that cannot be had is an
error. Only when no voice is named and the engine's default voice is missing here (not
installed, or its download failed) does the engine that speaks offline read instead
(espeak-ng German), with a warning that says how to install the voice, so a fresh offline
install still reads articles aloud.
"""

from __future__ import annotations

from vorlesen.config import Settings
from vorlesen.errors import VoiceError
from vorlesen.synth.base import EngineSpec, default_family, engine_family, fallback_family

__all__ = ["choose_engine"]

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

    ``engine`` is a registered engine's name (None: the default engine); ``voice`` None
    means the engine's default voice (``settings.voice`` for the neural default).
    """
    family = engine_family(engine) if engine else default_family()
    try:
        return family.resolve(voice, speed=speed, settings=settings), []
    except VoiceError as exc:
        if voice is not None or exc.reason not in _UNAVAILABLE or family.offline:
            raise
        fallback = fallback_family()
        warning = (
            f"The {family.name} engine's default voice is not available, so the robotic "
            f"{fallback.name} voice reads instead. {exc.message}"
        )
        return fallback.resolve(None, speed=speed, settings=settings), [warning]
