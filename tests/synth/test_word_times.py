"""Word timings from both engines: Piper's alignment output and espeak-ng's word events."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest

from vorlesen.models import WordTime
from vorlesen.synth.base import file_sha256
from vorlesen.synth.espeak import EspeakEngine
from vorlesen.synth.optimize import prepare_model
from vorlesen.synth.piper import PiperEngine
from vorlesen.words import spoken_words

ENGLISH = "This is a test of the system, and it is one of the best. Then it ends."
GERMAN = "Am ersten August kam Doktor Müller, sagte [[zelˈɛnskɪj]] heute – zum Bundestag."


def check(text: str, audio: np.ndarray, words: tuple[WordTime, ...], rate: int) -> None:
    """One time per spoken word, in order, inside the audio, each word lasting."""
    assert len(words) == len(spoken_words(text))
    duration = len(audio) / rate
    previous = 0.0
    for w in words:
        assert previous <= w.start < w.end <= duration + 1e-9
        previous = w.start


@pytest.fixture(scope="module")
def aligned_joe(
    joe_model: Path, joe_config: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    cache = tmp_path_factory.mktemp("aligned")
    config = json.loads(joe_config.read_text(encoding="utf-8"))
    path = prepare_model(joe_model, config, file_sha256(joe_model), cache)
    assert path is not None
    return path


def test_the_optimized_graph_carries_the_alignment_output(aligned_joe: Path) -> None:
    model = onnx.load(str(aligned_joe))
    assert len(model.graph.output) == 2
    onnx.checker.check_model(model)


def test_piper_times_every_word(joe_model: Path, joe_config: Path, aligned_joe: Path) -> None:
    engine = PiperEngine(
        joe_model, joe_config, noise_scale=0.0, noise_w_scale=0.0, session_model=aligned_joe
    )
    audio, words = engine.synthesize_timed(ENGLISH)
    check(ENGLISH, audio, words, engine.sample_rate)
    # the same audio as without timings: the alignment output changes nothing
    assert np.array_equal(audio, engine.synthesize(ENGLISH))
    # a word starts with sound, and the gap at the full stop is silence between words
    names = [ENGLISH[a:b] for a, b in spoken_words(ENGLISH)]
    best, then = words[names.index("best.")], words[names.index("Then")]
    assert then.start - best.end > 0.1
    gap = audio[int(best.end * engine.sample_rate) + 200 : int(then.start * engine.sample_rate)]
    assert float(np.sqrt(np.mean(gap**2))) < 0.01


def test_piper_original_model_is_patched_in_memory(
    joe_model: Path, joe_config: Path, aligned_joe: Path
) -> None:
    """A voice running its original file (optimization off) still gets the same times."""
    plain = PiperEngine(joe_model, joe_config, noise_scale=0.0, noise_w_scale=0.0)
    fast = PiperEngine(
        joe_model, joe_config, noise_scale=0.0, noise_w_scale=0.0, session_model=aligned_joe
    )
    _, expected = plain.synthesize_timed(ENGLISH)
    _, actual = fast.synthesize_timed(ENGLISH)
    assert len(expected) == len(actual) == len(spoken_words(ENGLISH))
    assert max(abs(a.start - b.start) for a, b in zip(expected, actual, strict=True)) < 1e-3


def test_piper_words_espeak_joins_are_found(joe: PiperEngine) -> None:
    """espeak-ng speaks "of the" as one phoneme word; each still gets its own time."""
    text = "one of the best"
    audio, words = joe.synthesize_timed(text)
    check(text, audio, words, joe.sample_rate)
    assert words[1].start < words[2].start < words[3].start


def test_espeak_times_every_word_from_its_events() -> None:
    engine = EspeakEngine("de")
    audio, words = engine.synthesize_timed(GERMAN)
    check(GERMAN, audio, words, engine.sample_rate)
    # the phoneme block is one word, with time of its own
    names = [GERMAN[a:b] for a, b in spoken_words(GERMAN)]
    block = words[names.index("[[zelˈɛnskɪj]]")]
    assert block.end - block.start > 0.2


def test_espeak_word_starts_track_the_speech() -> None:
    """After a sentence pause the next word's time starts where its sound does."""
    engine = EspeakEngine("de")
    audio, (hallo, welt) = engine.synthesize_timed("Hallo. Welt.")
    rate = engine.sample_rate
    assert welt.start - hallo.start > 0.4
    before = audio[int((welt.start - 0.05) * rate) : int(welt.start * rate)]
    after = audio[int(welt.start * rate) : int((welt.start + 0.2) * rate)]
    assert float(np.max(np.abs(before))) < float(np.max(np.abs(after))) / 4
