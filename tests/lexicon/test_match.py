"""Matching: whole words, longest match, genitive, case, voice scope, offsets."""

from __future__ import annotations

import pytest

from vorlesen.lexicon import LexEntry, Lexicon, LexPart, make_entry


def matches(parts: list[LexPart]) -> list[tuple[str, str, bool]]:
    return [(p.text, p.entry.grapheme, p.genitive) for p in parts if p.entry is not None]


def assert_covers(text: str, parts: list[LexPart]) -> None:
    assert "".join(p.text for p in parts) == text
    for p in parts:
        assert text[p.start : p.end] == p.text


@pytest.fixture
def lex() -> Lexicon:
    return Lexicon(
        [
            make_entry("Selenskyj", "ipa", "zelˈɛnskɪj"),
            make_entry("Wolodymyr Selenskyj", "ipa", "vɔlɔdˈɪmɪɾ zelˈɛnskɪj"),
            make_entry("Pjöngjang", "alias", "Pjöng-jang"),
            make_entry("Financial Times", "lang", "en"),
            make_entry("Apple", "lang", "en", case_sensitive=True),
            make_entry("Straße", "alias", "Strasse-Test"),
            make_entry("McDonald's", "lang", "en"),
        ]
    )


def test_longest_match_wins(lex: Lexicon) -> None:
    text = "Präsident Wolodymyr Selenskyj sprach, Selenskyj auch."
    parts = lex.apply(text)
    assert matches(parts) == [
        ("Wolodymyr Selenskyj", "Wolodymyr Selenskyj", False),
        ("Selenskyj", "Selenskyj", False),
    ]
    assert_covers(text, parts)
    first = next(p for p in parts if p.entry)
    assert (first.start, first.end) == (10, 29)


def test_genitive_s_matches_name(lex: Lexicon) -> None:
    parts = lex.apply("Selenskyjs Rede und Pjöngjangs Antwort")
    assert matches(parts) == [
        ("Selenskyjs", "Selenskyj", True),
        ("Pjöngjangs", "Pjöngjang", True),
    ]


def test_genitive_on_last_word_of_phrase(lex: Lexicon) -> None:
    parts = lex.apply("Wolodymyr Selenskyjs Regierung")
    assert matches(parts) == [("Wolodymyr Selenskyjs", "Wolodymyr Selenskyj", True)]


def test_apostrophe_genitive_and_apostrophe_in_entry(lex: Lexicon) -> None:
    assert matches(lex.apply("Selenskyj's Plan")) == [("Selenskyj's", "Selenskyj", True)]
    assert matches(lex.apply("bei McDonald's essen")) == [("McDonald's", "McDonald's", False)]


def test_whole_words_only(lex: Lexicon) -> None:
    assert matches(lex.apply("Applestore und Selenskyjanhänger")) == []
    assert matches(lex.apply("Anti-Selenskyj-Kurs")) == [("Selenskyj", "Selenskyj", False)]


def test_hyphen_compound_matches(lex: Lexicon) -> None:
    text = "Die Selenskyj-Regierung in Pjöngjang-Nähe"
    parts = lex.apply(text)
    assert matches(parts) == [
        ("Selenskyj", "Selenskyj", False),
        ("Pjöngjang", "Pjöngjang", False),
    ]
    assert_covers(text, parts)


def test_case_insensitive_by_default_and_sensitive_on_request(lex: Lexicon) -> None:
    assert matches(lex.apply("SELENSKYJ und selenskyj")) == [
        ("SELENSKYJ", "Selenskyj", False),
        ("selenskyj", "Selenskyj", False),
    ]
    assert matches(lex.apply("Apple und APPLE und apple")) == [("Apple", "Apple", False)]
    assert matches(lex.apply("laut FINANCIAL TIMES")) == [
        ("FINANCIAL TIMES", "Financial Times", False)
    ]


def test_german_letters_are_word_characters(lex: Lexicon) -> None:
    assert matches(lex.apply("Die Straße.")) == [("Straße", "Straße", False)]
    assert matches(lex.apply("Die Straßenbahn.")) == []


def test_decomposed_input_matches_composed_entry(lex: Lexicon) -> None:
    text = "Pjo\u0308ngjang heute"
    parts = lex.apply(text)
    assert matches(parts) == [(text[:10], "Pjöngjang", False)]
    assert_covers(text, parts)


def test_phrase_words_may_be_separated_by_any_whitespace(lex: Lexicon) -> None:
    assert matches(lex.apply("Die Financial\n  Times schreibt")) == [
        ("Financial\n  Times", "Financial Times", False)
    ]
    assert matches(lex.apply("Financial, Times")) == []


def test_voice_scope() -> None:
    lex = Lexicon(
        [
            make_entry("Koksan", "alias", "Kok-san"),
            make_entry("Koksan", "alias", "Kock-Sann", voice="de_DE-thorsten-medium"),
            make_entry("Vedant Patel", "lang", "en", voice="de_DE-kerstin-low"),
        ]
    )
    text = "Koksan, sagte Vedant Patel."
    no_voice = lex.apply(text)
    assert [(p.text, p.entry.value) for p in no_voice if p.entry] == [("Koksan", "Kok-san")]
    thorsten = lex.apply(text, voice="de_DE-thorsten-medium")
    assert [(p.text, p.entry.value) for p in thorsten if p.entry] == [("Koksan", "Kock-Sann")]
    kerstin = lex.apply(text, voice="de_DE-kerstin-low")
    assert [(p.text, p.entry.value) for p in kerstin if p.entry] == [
        ("Koksan", "Kok-san"),
        ("Vedant Patel", "en"),
    ]


def test_case_sensitive_entry_preferred_over_insensitive() -> None:
    lex = Lexicon(
        [
            make_entry("Modi", "alias", "insensitive"),
            make_entry("Modi", "alias", "sensitive", case_sensitive=True),
        ]
    )
    assert [p.entry.value for p in lex.apply("Modi MODI") if p.entry] == [
        "sensitive",
        "insensitive",
    ]


def test_later_entry_replaces_same_key() -> None:
    lex = Lexicon([make_entry("Koksan", "alias", "alt"), make_entry("koksan", "alias", "neu")])
    assert len(lex) == 1
    assert [p.entry.value for p in lex.apply("Koksan") if p.entry] == ["neu"]


def test_no_match_is_one_plain_part() -> None:
    text = "Ein ganz normaler Satz."
    assert Lexicon([make_entry("Koksan", "alias", "x")]).apply(text) == [
        LexPart(0, len(text), text)
    ]
    assert Lexicon().apply("") == []


def test_many_entries_long_text_are_all_matched() -> None:
    """2,000 entries over 140,000 characters: every occurrence found, the text covered.
    (How fast is measured by ``bench/normalize.py``, not asserted against the clock.)"""
    entries: list[LexEntry] = [
        make_entry(f"Name{i} Nachname{i}", "alias", f"Alias {i}") for i in range(2000)
    ]
    lex = Lexicon(entries).extended(Lexicon.builtin())
    sentence = "Laut Financial Times traf Name7 Nachname7 in Kyjiw Wolodymyr Selenskyj. "
    text = sentence * 2000  # ~140,000 characters
    parts = lex.apply(text)
    assert sum(1 for p in parts if p.entry) == 4 * 2000
    assert_covers(text, parts)
