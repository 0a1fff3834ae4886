"""choose_engine: explicit choices are honoured, only the default voice falls back."""

from __future__ import annotations

from pathlib import Path

import pytest

from vorlesen.config import Settings
from vorlesen.errors import UsageError, VoiceError
from vorlesen.synth.select import choose_engine


def _offline(tmp_path: Path, **kw: object) -> Settings:
    return Settings(cache_dir=tmp_path, offline=True, **kw)  # type: ignore[arg-type]


def test_espeak_requested(tmp_path: Path) -> None:
    spec, warnings = choose_engine("espeak", None, speed=1.2, settings=_offline(tmp_path))
    assert (spec.engine, spec.voice, spec.speed, warnings) == ("espeak", "de", 1.2, [])


def test_default_voice_offline_falls_back_with_warning(tmp_path: Path) -> None:
    spec, warnings = choose_engine(None, None, speed=1.0, settings=_offline(tmp_path))
    assert (spec.engine, spec.voice) == ("espeak", "de")
    assert len(warnings) == 1
    assert "de_DE-thorsten-medium" in warnings[0] and "--voice" in warnings[0]


def test_explicit_voice_never_falls_back(tmp_path: Path) -> None:
    with pytest.raises(VoiceError) as info:
        choose_engine("piper", "de_DE-thorsten-medium", speed=1.0, settings=_offline(tmp_path))
    assert info.value.reason == "voice_not_installed"


def test_explicit_unknown_voice(tmp_path: Path) -> None:
    with pytest.raises(VoiceError) as info:
        choose_engine(None, "en_US-joe-mdium", speed=1.0, settings=_offline(tmp_path))
    assert info.value.reason == "unknown_voice"
    assert "en_US-joe-medium" in info.value.message  # close match suggested


def test_piper_with_installed_voice(tmp_path: Path) -> None:
    spec, warnings = choose_engine(None, "en_US-joe-medium", speed=1.0, settings=_offline(tmp_path))
    assert (spec.engine, spec.voice, warnings) == ("piper", "en_US-joe-medium", [])
    assert spec.model is not None and spec.model.is_file()


def test_unknown_engine(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        choose_engine("festival", None, speed=1.0, settings=_offline(tmp_path))


def test_espeak_unknown_voice_fails_early(tmp_path: Path) -> None:
    with pytest.raises(VoiceError) as info:
        choose_engine("espeak", "de_DE-thorsten-medium", speed=1.0, settings=_offline(tmp_path))
    assert info.value.reason == "unknown_voice"
