"""SSML reaches the engines: prosody rate as per-utterance speed, and an English name
spoken by a German voice through raw phonemes (real inference, no mocks)."""

from __future__ import annotations

import numpy as np
import pytest

from vorlesen.ingest.ssml import from_ssml
from vorlesen.models import Segment
from vorlesen.speak.script import make_script
from vorlesen.synth.base import EngineSpec
from vorlesen.synth.cache import SegmentCache
from vorlesen.synth.espeak import EspeakEngine
from vorlesen.synth.piper import PiperEngine
from vorlesen.synth.pool import SynthItem, synthesize_all

SENTENCE = (
    '<speak xml:lang="de">Der britische Premierminister <lang xml:lang="en">Keir Starmer'
    '</lang> sprach mit der <lang xml:lang="en">Financial Times</lang>.</speak>'
)


def durations(segments: list[Segment]) -> list[float]:
    return [s.duration for s in segments]


def test_prosody_rate_changes_piper_duration(joe_spec: EngineSpec) -> None:
    items = [
        SynthItem(0, "This sentence is read at the normal rate."),
        SynthItem(1, "This sentence is read at the normal rate.", speed=0.5),
        SynthItem(2, "This sentence is read at the normal rate.", speed=2.0),
    ]
    normal, slow, fast = durations(list(synthesize_all(items, joe_spec, jobs=1)))
    assert slow > normal * 1.6
    assert fast < normal * 0.65


def test_prosody_rate_changes_espeak_duration() -> None:
    engine = EspeakEngine("de")
    normal = len(engine.synthesize("Ein Satz in normaler Geschwindigkeit."))
    slow = len(engine.synthesize("Ein Satz in normaler Geschwindigkeit.", speed=0.6))
    assert slow > normal * 1.3


def test_item_speed_is_part_of_the_cache_key(joe_spec: EngineSpec, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cache = SegmentCache(tmp_path / "cache")
    text = "Cached once per rate."
    first = list(synthesize_all([SynthItem(0, text)], joe_spec, jobs=1, cache=cache))
    slow = list(synthesize_all([SynthItem(0, text, speed=0.7)], joe_spec, jobs=1, cache=cache))
    again = list(synthesize_all([SynthItem(0, text, speed=0.7)], joe_spec, jobs=1, cache=cache))
    assert not first[0].cached and not slow[0].cached and again[0].cached
    assert slow[0].duration > first[0].duration
    np.testing.assert_array_equal(again[0].audio, slow[0].audio)


def test_item_speed_out_of_range_is_refused(joe_spec: EngineSpec) -> None:
    from vorlesen.errors import UsageError

    with pytest.raises(UsageError):
        synthesize_all([SynthItem(0, "x", speed=50.0)], joe_spec, jobs=1)


def test_pool_workers_apply_item_speeds(joe_spec: EngineSpec) -> None:
    text = "Two workers share this work."
    items = [SynthItem(i, text, speed=0.5 if i % 2 else 1.0) for i in range(4)]
    got = durations(list(synthesize_all(items, joe_spec, jobs=2)))
    assert got[1] > got[0] * 1.6 and got[3] > got[2] * 1.6


def _plausible(seconds: float, spoken: str) -> None:
    """German newsreaders manage about 12–18 characters a second; allow a wide band."""
    assert len(spoken) / 40 < seconds < len(spoken) / 5


def test_english_name_by_the_german_espeak_voice() -> None:
    (utterance,) = make_script(from_ssml(SENTENCE)).utterances
    assert utterance.spoken.count("[[") == 2
    engine = EspeakEngine("de")
    audio = engine.synthesize(utterance.spoken)
    without = engine.synthesize("Der britische Premierminister sprach mit der.")
    seconds = len(audio) / engine.sample_rate
    _plausible(
        seconds, "Der britische Premierminister Keir Starmer sprach mit der Financial Times."
    )
    # The names are spoken, not dropped: clearly longer than the sentence without them.
    assert len(audio) > len(without) + 0.6 * engine.sample_rate
    assert float(np.sqrt(np.mean(audio**2))) > 0.01


def test_english_name_through_the_piper_phoneme_path(joe: PiperEngine) -> None:
    """joe is an English model, but it proves the path: espeak German for the text, the
    English IPA of the names as raw blocks, ids into the same model."""
    (utterance,) = make_script(from_ssml(SENTENCE)).utterances
    english_ipa = utterance.spoken.split("[[")[1].split("]]")[0]
    phonemes = joe.phonemize(utterance.spoken, "de")
    assert english_ipa in phonemes
    assert "tɪʃə" in phonemes  # "britische" went through espeak-ng's German voice
    audio = joe.synthesize_phonemes(phonemes)
    seconds = len(audio) / joe.sample_rate
    _plausible(
        seconds, "Der britische Premierminister Keir Starmer sprach mit der Financial Times."
    )
    assert float(np.sqrt(np.mean(audio**2))) > 0.01
