"""Written tokens behind spoken words: the map the player highlights and feedback names."""

from __future__ import annotations

from vorlesen.lexicon import Lexicon, make_entry
from vorlesen.models import Block, Document, Mark, Script
from vorlesen.speak.script import make_script
from vorlesen.words import spoken_words


def tokens(script: Script) -> list[tuple[str, list[str]]]:
    """(written token, spoken words) for every utterance, in order."""
    text = script.document.text
    out: list[tuple[str, list[str]]] = []
    for u in script.utterances:
        words = [u.spoken[a:b] for a, b in spoken_words(u.spoken)]
        assert sum(w.count for w in u.words) == len(words)
        for w in u.words:
            assert u.start <= w.start < w.end <= u.end
            out.append((text[w.start : w.end], words[w.first : w.first + w.count]))
    return out


def test_a_date_is_one_written_token_read_as_several_words() -> None:
    doc = Document.build(
        [("title", "Neu"), ("paragraph", "Am 1. August kam Dr. Müller in die USA.")]
    )
    assert tokens(make_script(doc)) == [
        ("Neu", ["Neu"]),
        ("Am", ["Am"]),
        ("1. August", ["ersten", "August"]),
        ("kam", ["kam"]),
        ("Dr.", ["Doktor"]),
        ("Müller", ["Müller"]),
        ("in", ["in"]),
        ("die", ["die"]),
        ("USA", ["U", "S", "A."]),
    ]


def test_a_lexicon_alias_and_ipa_point_back_to_the_grapheme() -> None:
    lexicon = Lexicon(
        [
            make_entry("BVB", "alias", "Borussia Dortmund"),
            make_entry("Selenskyj", "ipa", "zelˈɛnskɪj"),
        ]
    )
    doc = Document.build([("paragraph", "Der BVB gewinnt, sagte Selenskyj heute.")])
    assert tokens(make_script(doc, lexicon=lexicon)) == [
        ("Der", ["Der"]),
        ("BVB", ["Borussia", "Dortmund"]),
        ("gewinnt", ["gewinnt,"]),
        ("sagte", ["sagte"]),
        ("Selenskyj", ["[[zelˈɛnskɪj]]"]),
        ("heute", ["heute."]),
    ]


def test_an_ssml_sub_points_back_to_the_written_text() -> None:
    text = "Die WHO tagt am 3. Mai."
    block = Block(
        "paragraph", text, marks=(Mark("sub", 4, 7, value="Weltgesundheitsorganisation"),)
    )
    doc = Document(blocks=(block,))
    assert tokens(make_script(doc)) == [
        ("Die", ["Die"]),
        ("WHO", ["Weltgesundheitsorganisation"]),
        ("tagt", ["tagt"]),
        ("am", ["am"]),
        ("3. Mai", ["dritten", "Mai."]),
    ]


def test_offsets_point_into_later_blocks() -> None:
    doc = Document.build([("title", "Eins zwei"), ("paragraph", "Drei vier. Fünf sechs.")])
    script = make_script(doc)
    assert [w for w, _ in tokens(script)] == ["Eins", "zwei", "Drei", "vier", "Fünf", "sechs"]


def test_spoken_words_keep_a_phoneme_block_whole() -> None:
    text = "sagte [[nuː jɔɹk]], – dann 2 Wörter."
    assert [text[a:b] for a, b in spoken_words(text)] == [
        "sagte",
        "[[nuː jɔɹk]],",
        "dann",
        "2",
        "Wörter.",
    ]


def test_text_a_normalizer_passes_through_is_mapped_word_by_word() -> None:
    """The basic normalizer (other languages) returns plain text as one token."""
    doc = Document.build([("paragraph", "Turnout was 75 percent in 2024.")], language="en")
    assert tokens(make_script(doc)) == [
        ("Turnout", ["Turnout"]),
        ("was", ["was"]),
        ("75", ["seventy-five"]),
        ("percent", ["percent"]),
        ("in", ["in"]),
        ("2024", ["two", "thousand", "and", "twenty-four."]),
    ]
