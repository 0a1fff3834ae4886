"""The normalizer never crashes, never hangs and never leaves digits in prose."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from vorlesen.speak.de import normalize, normalize_text

ASCII_DIGIT = re.compile(r"[0-9]")

_NOUNS = ["Menschen", "Euro", "Prozent", "Jahre", "Tage", "Woche", "Kilometer", "Tonnen"]
_UNITS = ["km", "kg", "t", "m²", "°C", "%", "MW", "Mio. Euro", "Mrd. Dollar", "€", "$", "km/h"]
_MONTHS = ["Januar", "März", "Mai", "Oktober", "Dez.", "Sept."]
_WORDS = ["Die", "Regierung", "meldete", "am", "im", "der", "den", "zum", "rund", "nach",
          "mit", "bis", "vom", "z. B.", "u. a.", "ca.", "bzw.", "Nr.", "S.", "Art.", "§",
          "EU", "NATO", "USA", "BND", "Karl", "Ludwig", "Uhr", "gegen", "Platz", "Tempo",
          "A", "G", "&", "+", "-", "–", "/", ":", ",", ".", "(", ")"]  # fmt: skip

_int = st.integers(min_value=0, max_value=10**12).map(str)
_grouped = st.integers(min_value=1000, max_value=10**9).map(lambda n: f"{n:,}".replace(",", "."))
_decimal = st.tuples(st.integers(0, 9999), st.integers(0, 999)).map(lambda p: f"{p[0]},{p[1]}")
_date = st.tuples(st.integers(0, 40), st.integers(0, 15), st.integers(0, 2199)).map(
    lambda p: f"{p[0]:02d}.{p[1]:02d}.{p[2]}"
)
_time = st.tuples(st.integers(0, 30), st.integers(0, 70)).map(lambda p: f"{p[0]}:{p[1]:02d}")
_ordinal = st.integers(1, 2100).map(lambda n: f"{n}.")
_number = st.one_of(_int, _grouped, _decimal, _date, _time, _ordinal)
_piece = st.one_of(
    _number,
    st.tuples(_number, st.sampled_from(_UNITS)).map(" ".join),
    st.tuples(_number, st.sampled_from(_NOUNS)).map(" ".join),
    st.tuples(_ordinal, st.sampled_from(_MONTHS), _int).map(" ".join),
    st.tuples(_number, st.sampled_from(["-", "–", "/", ":", "x"]), _number).map("".join),
    st.tuples(st.sampled_from(["+", "-", "€", "$", "G", "A", "CO"]), _int).map("".join),
    st.tuples(_int, st.sampled_from(["-Jährige", "er", "er-Jahre", "-fach", "-Gipfel"])).map(
        "".join
    ),
    st.sampled_from(_WORDS),
)
_sentence = st.lists(_piece, min_size=1, max_size=12).map(" ".join)


def _covers(text: str) -> None:
    tokens = normalize(text).tokens
    position = 0
    for token in tokens:
        assert token.start == position
        assert token.end >= token.start
        position = token.end
    assert position == len(text)


@settings(max_examples=300, deadline=None)
@given(_sentence)
def test_generated_news_sentences_have_no_digits_left(sentence: str) -> None:
    spoken = normalize_text(sentence)
    assert not ASCII_DIGIT.search(spoken), (sentence, spoken)
    _covers(sentence)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_read_without_error_and_fully_covered(text: str) -> None:
    spoken = normalize_text(text)
    assert not ASCII_DIGIT.search(spoken), (text, spoken)
    _covers(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789.,:-–/+%€$ §xIVXaZ\u0000\u200b\n"), max_size=80))
def test_symbol_soup(text: str) -> None:
    spoken = normalize_text(text)
    assert not ASCII_DIGIT.search(spoken), (text, spoken)
    _covers(text)


def test_malformed_date_is_not_a_date() -> None:
    spoken = normalize_text("32.13.2024")
    assert "Dezember" not in spoken
    assert not ASCII_DIGIT.search(spoken)


def test_forty_digit_number() -> None:
    spoken = normalize_text("Die Zahl 1234567890123456789012345678901234567890 ist groß.")
    assert spoken.startswith("Die Zahl eins zwei drei")
    assert not ASCII_DIGIT.search(spoken)


def test_lone_symbols_and_controls() -> None:
    for text in ["", " ", "€", "§", "%", "&", "+", "-", "–", "/", ".", "\x00", "\x1b[31m", "\t"]:
        _covers(text)
        spoken = normalize_text(text)
        assert not ASCII_DIGIT.search(spoken), (text, spoken)


def test_mixed_scripts_pass_through() -> None:
    text = "Москва и 東京 sowie القاهرة"
    assert normalize_text(text) == "Москва и 東京 sowie القاهرة"


def test_one_megabyte_line_returns() -> None:
    unit = "Am 3. Oktober 1990 kamen 50.000 Menschen, z. B. aus der EU, um 14:30 Uhr. "
    line = unit * (1_000_000 // len(unit) + 1)
    spoken = normalize_text(line)
    assert "dritten Oktober" in spoken
    assert not ASCII_DIGIT.search(spoken)


def test_one_megabyte_without_spaces_returns() -> None:
    text = "ab.1,5%z.B.x@www.de-" * (1_000_000 // 20)
    spoken = normalize_text(text)
    assert not ASCII_DIGIT.search(spoken)


def test_pathological_runs_return() -> None:
    # one chunk each for the URL/e-mail detector, dotted numbers, digits and abbreviations
    for chunk in ("a.b", "1.", "x@", "9", "www.", "1.000"):
        text = chunk * (200_000 // len(chunk))
        spoken = normalize_text(text)
        assert spoken.strip(), chunk
        assert not ASCII_DIGIT.search(spoken), chunk
        _covers(text)
