"""Real Piper inference with the joe test voice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vorlesen.errors import VoiceError
from vorlesen.synth.base import Engine
from vorlesen.synth.piper import PiperEngine

SENTENCE = "The weather today is sunny and warm."


def test_is_an_engine(joe: PiperEngine) -> None:
    assert isinstance(joe, Engine)
    assert (joe.name, joe.voice, joe.sample_rate) == ("piper", "en_US-joe-medium", 22050)


def test_synthesize_gives_plausible_audio(joe: PiperEngine) -> None:
    audio = joe.synthesize(SENTENCE)
    assert audio.dtype == np.float32 and audio.ndim == 1
    seconds = len(audio) / joe.sample_rate
    assert 0.04 * len(SENTENCE) <= seconds <= 0.2 * len(SENTENCE)
    assert np.abs(audio).max() <= 1.0
    assert np.sqrt(np.mean(audio**2)) > 0.01  # not silence


def test_several_sentences_are_concatenated(joe: PiperEngine) -> None:
    one = joe.synthesize("Good morning.")
    two = joe.synthesize("Good morning. Good morning.")
    assert len(two) > 1.6 * len(one)


def test_speed_shortens(joe_model: Path, joe_config: Path, joe: PiperEngine) -> None:
    fast = PiperEngine(joe_model, joe_config, speed=1.5, noise_w_scale=0.0)
    normal = PiperEngine(joe_model, joe_config, noise_w_scale=0.0)
    assert len(fast.synthesize(SENTENCE)) < 0.8 * len(normal.synthesize(SENTENCE))


def test_phoneme_ids_follow_the_voice_map(joe: PiperEngine) -> None:
    # BOS ^=1, PAD _=0 after each symbol, EOS $=2 (the joe config's id map).
    assert joe.phoneme_ids("hə") == [1, 0, 20, 0, 59, 0, 2]


def test_inline_ipa_block_reaches_the_model(joe: PiperEngine) -> None:
    phonemes = joe.phonemize("Hallo [[ˈhaloː]]")
    assert phonemes.endswith("ˈhaloː")
    ids = joe.phoneme_ids(phonemes)
    block = [i for i in joe.phoneme_ids("ˈhaloː")[2:-1] if i != 0]
    tail = [i for i in ids[-2 * len(block) - 1 : -1] if i != 0]
    assert tail == block  # ˈ h a l o ː → 120 20 14 24 27 122


def test_synthesize_phonemes_matches_text(joe: PiperEngine) -> None:
    from_text = joe.synthesize("Hello there.")
    from_ipa = joe.synthesize_phonemes(joe.phonemize("Hello there."))
    assert abs(len(from_text) - len(from_ipa)) < 0.25 * len(from_text)


def test_phonemize_other_language(joe: PiperEngine) -> None:
    assert joe.phonemize("Guten Tag", "de") == "ɡˈuːtən tˈɑːk"


def test_unsupported_phonemes(joe: PiperEngine) -> None:
    assert joe.unsupported_phonemes("ˈhaloː") == set()
    assert joe.unsupported_phonemes("ha\u1d2c$") == {"\u1d2c", "$"}


def test_corrupt_model_is_a_voice_error(tmp_path: Path, joe_config: Path) -> None:
    model = tmp_path / "broken.onnx"
    model.write_bytes(np.random.default_rng(1).bytes(4096))
    with pytest.raises(VoiceError) as info:
        PiperEngine(model, joe_config)
    assert info.value.reason == "corrupt_voice"
    assert str(model) in info.value.message


def test_missing_config_is_a_voice_error(tmp_path: Path, joe_model: Path) -> None:
    with pytest.raises(VoiceError) as info:
        PiperEngine(joe_model, tmp_path / "nope.onnx.json")
    assert info.value.reason == "voice_config_missing"


def test_garbage_config_is_a_voice_error(tmp_path: Path, joe_model: Path) -> None:
    config = tmp_path / "v.onnx.json"
    config.write_text("{not json", encoding="utf-8")
    with pytest.raises(VoiceError) as info:
        PiperEngine(joe_model, config)
    assert info.value.reason == "corrupt_voice"
