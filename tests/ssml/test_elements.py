"""Every supported SSML element, read into a document and made into a script."""

from __future__ import annotations

import pytest

from vorlesen.errors import InputError
from vorlesen.ingest.ssml import from_ssml, parse_break, parse_rate
from vorlesen.models import Document, Script
from vorlesen.speak.de.say_as import say_as
from vorlesen.speak.script import Pauses, make_script

PAUSES = Pauses()


def script(body: str) -> Script:
    return make_script(from_ssml(f'<speak xml:lang="de-DE">{body}</speak>'))


def spoken(body: str) -> list[str]:
    return [u.spoken for u in script(body).utterances]


def test_speak_root_language_and_namespace() -> None:
    doc = from_ssml(
        '<?xml version="1.0"?><speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis"'
        ' xml:lang="de-AT">Guten Tag.</speak>'
    )
    assert doc.language == "de"
    assert doc.text == "Guten Tag."
    assert doc.warnings == ()


def test_p_makes_blocks_with_offsets_and_paragraph_pauses() -> None:
    doc = from_ssml("<speak><p>Erster Absatz.</p>Lose Worte.<p>Dritter.</p></speak>")
    assert [b.text for b in doc.blocks] == ["Erster Absatz.", "Lose Worte.", "Dritter."]
    for block in doc.blocks:
        assert doc.text[block.start : block.end] == block.text
    utterances = make_script(doc).utterances
    assert [u.pause_after for u in utterances] == [PAUSES.paragraph, PAUSES.paragraph, PAUSES.end]


def test_s_marks_sentences_without_punctuation() -> None:
    s = script("<p><s>Erster Satz ohne Punkt</s><s>zweiter Satz</s> Dritter. Vierter.</p>")
    assert [u.written for u in s.utterances] == [
        "Erster Satz ohne Punkt",
        "zweiter Satz",
        "Dritter.",
        "Vierter.",
    ]
    assert [u.pause_after for u in s.utterances[:3]] == [PAUSES.sentence] * 3


def test_s_keeps_an_abbreviation_dot_inside_one_sentence() -> None:
    s = script("<s>Das kostet ca. zehn Euro. Wirklich.</s>")
    assert len(s.utterances) == 1


@pytest.mark.parametrize(
    ("attrs", "seconds"),
    [
        ('time="500ms"', 0.5),
        ('time="1.5s"', 1.5),
        ('strength="x-weak"', 0.1),
        ('strength="weak"', 0.25),
        ('strength="medium"', 0.45),
        ('strength="strong"', 0.8),
        ('strength="x-strong"', 1.2),
        ("", 0.45),
        ('time="2s" strength="weak"', 2.0),
    ],
)
def test_break_splits_the_utterance_and_sets_its_pause(attrs: str, seconds: float) -> None:
    s = script(f"Vor der Pause <break {attrs}/> nach der Pause.")
    assert [u.spoken for u in s.utterances] == ["Vor der Pause", "nach der Pause."]
    assert s.utterances[0].pause_after == pytest.approx(seconds)
    first, second = s.utterances
    assert s.document.text[first.start : first.end] == "Vor der Pause"
    assert s.document.text[second.start : second.end] == "nach der Pause."


def test_break_strength_none_does_not_split() -> None:
    s = script('Ein <break strength="none"/> Satz.')
    assert [u.spoken for u in s.utterances] == ["Ein Satz."]


def test_break_at_sentence_end_replaces_the_structural_pause() -> None:
    s = script('<p>Eins. <break time="3s"/>Zwei.</p><p>Drei.<break time="2s"/></p>')
    assert [u.pause_after for u in s.utterances] == [3.0, PAUSES.paragraph, 2.0]


def test_break_between_paragraphs_goes_to_the_utterance_before() -> None:
    s = script('<p>Eins.</p><break time="2500ms"/><p>Zwei.</p>')
    assert [u.pause_after for u in s.utterances] == [2.5, PAUSES.end]


def test_break_times_are_parsed_and_capped() -> None:
    assert parse_break("250ms", None) == (0.25, None)
    assert parse_break(".5s", None) == (0.5, None)
    seconds, warning = parse_break("100000s", None)
    assert seconds == 10.0 and warning is not None and "capped" in warning
    seconds, warning = parse_break("soon", "strong")
    assert seconds == 0.8 and warning is not None
    seconds, warning = parse_break(None, "huge")
    assert seconds == 0.45 and warning is not None


def test_say_as_characters_spells() -> None:
    assert spoken('Die <say-as interpret-as="characters">ARD</say-as> sendet.') == [
        "Die A R D sendet."
    ]
    assert say_as("B52", "spell-out") == "B fünf zwei"


def test_say_as_cardinal() -> None:
    assert spoken('Es sind <say-as interpret-as="cardinal">1.234</say-as> Leute.') == [
        "Es sind tausendzweihundertvierunddreißig Leute."
    ]
    assert say_as("-3,5", "cardinal") == "minus drei Komma fünf"
    assert say_as("2024", "number") == "zweitausendvierundzwanzig"


def test_say_as_ordinal_in_german_form() -> None:
    assert spoken('Er wurde <say-as interpret-as="ordinal">3.</say-as> im Rennen.') == [
        "Er wurde dritte im Rennen."
    ]
    assert say_as("3", "ordinal", "en") == "dritten"
    assert say_as("21.", "ordinal", "er") == "einundzwanzigster"


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("3.10.1990", "dmy", "dritter Oktober neunzehnhundertneunzig"),
        ("10/3/1990", "mdy", "dritter Oktober neunzehnhundertneunzig"),
        ("1990-10-03", "ymd", "dritter Oktober neunzehnhundertneunzig"),
        ("3.10.", "dm", "dritter Oktober"),
        ("10/1990", "my", "Oktober neunzehnhundertneunzig"),
        ("2024", "y", "zweitausendvierundzwanzig"),
        ("3. Oktober 1990", "dmy", "dritter Oktober neunzehnhundertneunzig"),
        ("1.1.2000", "", "erster Januar zweitausend"),
    ],
)
def test_say_as_date_formats(text: str, fmt: str, expected: str) -> None:
    assert say_as(text, "date", fmt) == expected
    attr = f' format="{fmt}"' if fmt else ""
    assert spoken(f'<say-as interpret-as="date"{attr}>{text}</say-as>') == [expected]


@pytest.mark.parametrize(
    ("before", "after", "day"),
    [
        ("Am ", " beginnt es.", "ersten"),
        ("Seit dem ", " gilt es.", "ersten"),
        ("Ab ", " gilt es.", "erstem"),
        ("Er kam am Dienstag, ", ", an.", "ersten"),
        ("Gestern war ", ".", "erster"),
    ],
)
def test_say_as_date_agrees_with_the_sentence(before: str, after: str, day: str) -> None:
    """The day of a say-as date takes the case the sentence sets, exactly as the same
    date written as plain text is read ("Am 01.08.2025" → "Am ersten August")."""
    from vorlesen.speak.de import normalize_text

    ssml = f'{before}<say-as interpret-as="date" format="dmy">01.08.2025</say-as>{after}'
    (got,) = spoken(ssml)
    assert got == f"{before}{day} August zweitausendfünfundzwanzig{after}".replace("  ", " ")
    assert got == normalize_text(f"{before}01.08.2025{after}")


def test_say_as_telephone_in_groups() -> None:
    assert spoken('Tel. <say-as interpret-as="telephone">0 30 12 34 56</say-as>') == [
        "Telefon null drei null, eins zwei, drei vier, fünf sechs"
    ]
    assert say_as("030123456", "telephone") == "null drei null, eins zwei, drei vier, fünf sechs"
    assert say_as("+49 30 1234", "telephone") == "plus vier neun, drei null, eins zwei drei vier"


@pytest.mark.parametrize(
    ("kind", "text", "fmt"),
    [
        ("cardinal", "zwölf", ""),
        ("ordinal", "3.", "xyz"),
        ("date", "31.4.2024", "dmy"),
        ("date", "3.10", "dmy"),
        ("date", "3.10.1990", "dqy"),
        ("telephone", "030-CALL-ME", ""),
        ("characters", "...", ""),
        ("currency", "5", ""),
    ],
)
def test_say_as_refuses_content_that_does_not_fit(kind: str, text: str, fmt: str) -> None:
    with pytest.raises(InputError):
        say_as(text, kind, fmt)


def test_invalid_say_as_is_read_as_written_with_a_warning() -> None:
    doc = from_ssml('<speak>Am <say-as interpret-as="date">31.4.2024</say-as> nicht.</speak>')
    assert len(doc.warnings) == 1 and "real date" in doc.warnings[0]
    assert doc.blocks[0].marks == ()
    doc = from_ssml('<speak><say-as interpret-as="currency">5 €</say-as></speak>')
    assert "not supported" in doc.warnings[0]


def test_sub_alias_goes_through_the_normalizer() -> None:
    assert spoken('Die <sub alias="Weltgesundheitsorganisation">WHO</sub> warnt.') == [
        "Die Weltgesundheitsorganisation warnt."
    ]
    assert spoken('Um <sub alias="3 Uhr">drei</sub>.') == ["Um drei Uhr."]


def test_phoneme_becomes_a_raw_phoneme_block() -> None:
    s = script('Die Stadt <phoneme alphabet="ipa" ph="ˈkɔksan">Koksan</phoneme> liegt im Norden.')
    assert s.utterances[0].spoken == "Die Stadt [[ˈkɔksan]] liegt im Norden."
    assert s.utterances[0].written == "Die Stadt Koksan liegt im Norden."


def test_phoneme_in_another_alphabet_is_read_as_text_with_a_warning() -> None:
    doc = from_ssml('<speak><phoneme alphabet="x-sampa" ph="kOksan">Koksan</phoneme></speak>')
    assert doc.blocks[0].marks == () and "x-sampa" in doc.warnings[0]


def test_phoneme_with_unknown_symbols_is_read_as_text_with_a_warning() -> None:
    doc = from_ssml('<speak><phoneme ph="k☃ksan">Koksan</phoneme></speak>')
    assert "U+2603" in doc.warnings[0]
    assert doc.blocks[0].marks == () and doc.blocks[0].text == "Koksan"


@pytest.mark.parametrize(
    "ph", ["]]<script>[[ʃ", "ʃ]] [[a", "a[b", "a>b", "<b>", "a&b", "a\u202eb", "a}}b"]
)
def test_markup_never_enters_a_phoneme_block(ph: str) -> None:
    """An outsider's ``ph`` that tries to close the ``[[…]]`` block and open markup."""
    from xml.sax.saxutils import quoteattr

    s = script(f"Die <phoneme ph={quoteattr(ph)}>Stadt</phoneme> liegt im Norden.")
    spoken_text = s.utterances[0].spoken
    assert "[[" not in spoken_text and "<" not in spoken_text, spoken_text
    assert s.utterances[0].written == "Die Stadt liegt im Norden."


def test_lang_phonemizes_with_english_espeak() -> None:
    s = script('Die <lang xml:lang="en-US">Financial Times</lang> berichtet.')
    text = s.utterances[0].spoken
    assert text.startswith("Die [[") and text.endswith("]] berichtet.")
    assert "faɪn" in text and "taɪmz" in text.replace("ˈ", "")


def test_lang_german_and_unknown_languages_read_normally() -> None:
    assert spoken('<lang xml:lang="de-CH">Grüezi</lang>') == ["Grüezi"]
    doc = from_ssml('<speak><lang xml:lang="tlh">Qapla</lang></speak>')
    assert doc.blocks[0].marks == () and "tlh" in doc.warnings[0]


def test_prosody_rate_sets_the_utterance_rate() -> None:
    s = script('<prosody rate="slow">Langsam gelesen.</prosody> Normal gelesen.')
    assert [(u.spoken, u.rate) for u in s.utterances] == [
        ("Langsam gelesen.", 0.8),
        ("Normal gelesen.", 1.0),
    ]


def test_prosody_inside_a_sentence_splits_it_without_a_pause() -> None:
    s = script('Das ist <prosody rate="150%">ganz schnell</prosody> gesagt.')
    assert [(u.spoken, u.rate, u.pause_after) for u in s.utterances] == [
        ("Das ist", 1.0, 0.0),
        ("ganz schnell", 1.5, 0.0),
        ("gesagt.", 1.0, PAUSES.end),
    ]


def test_nested_prosody_multiplies() -> None:
    s = script('<prosody rate="50%"><prosody rate="x-fast">Hier.</prosody></prosody>')
    assert s.utterances[0].rate == pytest.approx(0.7)


@pytest.mark.parametrize(
    ("rate", "factor"),
    [("x-slow", 0.6), ("slow", 0.8), ("medium", 1.0), ("fast", 1.2), ("x-fast", 1.4),
     ("80%", 0.8), ("+10%", 1.1), ("-20%", 0.8), ("1.25", 1.25)],
)  # fmt: skip
def test_prosody_rate_values(rate: str, factor: float) -> None:
    value, warning = parse_rate(rate)
    assert value == pytest.approx(factor) and warning is None


def test_prosody_rate_out_of_range_or_unknown_warns() -> None:
    assert parse_rate("1000%")[0] == 4.0
    assert parse_rate("sehr schnell") == (1.0, parse_rate("sehr schnell")[1])
    doc = from_ssml('<speak><prosody pitch="+5st">Hoch.</prosody></speak>')
    assert "pitch" in doc.warnings[0]


def test_emphasis_is_read_normally() -> None:
    s = script('Das ist <emphasis level="strong">sehr</emphasis> wichtig.')
    assert [(u.spoken, u.rate) for u in s.utterances] == [("Das ist sehr wichtig.", 1.0)]
    assert s.document.warnings == ()
    assert s.document.blocks[0].marks[0].kind == "emphasis"


def test_unknown_elements_are_read_with_a_warning() -> None:
    doc = from_ssml(
        "<speak>Vor <amazon:effect xmlns:amazon='x'>dem</amazon:effect> Ende "
        "<foo>hier</foo>.</speak>"
    )
    assert doc.text == "Vor dem Ende hier."
    assert any("<effect>" in w for w in doc.warnings)
    assert any("<foo>" in w for w in doc.warnings)


def test_mark_and_desc_are_silent_and_audio_reads_its_fallback() -> None:
    doc = from_ssml(
        '<speak>A<mark name="x"/>B <audio src="http://x/y.mp3">Gong<desc>Ton</desc></audio></speak>'
    )
    assert doc.text == "AB Gong"
    assert any("<audio>" in w for w in doc.warnings)


def test_elements_combine_in_one_sentence() -> None:
    s = script(
        '<s>Am <say-as interpret-as="date" format="dm">3.10.</say-as> sprach '
        '<lang xml:lang="en">Keir Starmer</lang> mit der '
        '<say-as interpret-as="characters">BBC</say-as>.</s>'
    )
    (u,) = s.utterances
    assert u.spoken.startswith("Am dritten Oktober sprach [[")
    assert u.spoken.endswith("]] mit der B B C.")


def test_lexicon_applies_outside_ssml_spans_only() -> None:
    from vorlesen.lexicon import Lexicon, make_entry

    lex = Lexicon([make_entry("Koksan", "alias", "Kok-san")])
    doc = from_ssml('<speak>Koksan und <sub alias="Koksahn">Koksan</sub>.</speak>')
    assert make_script(doc, lexicon=lex).utterances[0].spoken == "Kok-san und Koksahn."


def test_plain_documents_are_unchanged() -> None:
    doc = Document.build([("paragraph", "Ein Satz. Noch einer.")])
    assert [u.pause_after for u in make_script(doc).utterances] == [PAUSES.sentence, PAUSES.end]
    assert all(u.rate == 1.0 for u in make_script(doc).utterances)
