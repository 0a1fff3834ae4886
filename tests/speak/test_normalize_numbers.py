"""The German number speller, checked against num2words and newsreader conventions."""

from __future__ import annotations

import pytest
from num2words import num2words

from vorlesen.speak.de.numbers import (
    cardinal,
    decimal,
    digits,
    ein,
    fraction,
    ordinal,
    ordinal_ending,
    year,
)


def _newsreader(n2w: str) -> str:
    """num2words with the newsreader's habits: no leading "ein" before hundert/tausend
    (but "tausendeinhundert" inside a number, as num2words has it)."""
    text = n2w.replace(" ", "")
    if text.startswith("einhundert"):
        text = text[3:]
    if text.startswith("eintausend"):
        text = text[3:]
    return text


@pytest.mark.parametrize("n", [*range(0, 1200), 1999, 2024, 10_001, 99_999, 123_456, 999_999])
def test_cardinals_below_a_million_agree_with_num2words(n: int) -> None:
    assert cardinal(n) == _newsreader(num2words(n, lang="de"))


@pytest.mark.parametrize(
    ("n", "spoken"),
    [
        (1, "eins"),
        (100, "hundert"),
        (1000, "tausend"),
        (101, "hunderteins"),
        (1100, "tausendeinhundert"),
        (2150, "zweitausendeinhundertfünfzig"),
        (101_100, "hunderteintausendeinhundert"),
        (1_000_000, "eine Million"),
        (2_000_000, "zwei Millionen"),
        (1_487_708, "eine Million vierhundertsiebenundachtzigtausendsiebenhundertacht"),
        (3_000_000_000, "drei Milliarden"),
        (1_000_001_000, "eine Milliarde tausend"),
    ],
)
def test_cardinals(n: int, spoken: str) -> None:
    assert cardinal(n) == spoken


def test_a_forty_digit_number_is_read_digit_by_digit() -> None:
    big = int("9" * 40)
    assert cardinal(big) == " ".join(["neun"] * 40)


@pytest.mark.parametrize(
    ("n", "spoken"),
    [
        (1100, "elfhundert"),
        (1871, "achtzehnhunderteinundsiebzig"),
        (1900, "neunzehnhundert"),
        (1989, "neunzehnhundertneunundachtzig"),
        (2000, "zweitausend"),
        (2001, "zweitausendeins"),
        (2025, "zweitausendfünfundzwanzig"),
        (800, "achthundert"),
    ],
)
def test_years(n: int, spoken: str) -> None:
    assert year(n) == spoken


@pytest.mark.parametrize(
    ("n", "ending", "spoken"),
    [
        (1, "en", "ersten"),
        (3, "e", "dritte"),
        (7, "er", "siebter"),
        (8, "en", "achten"),
        (19, "en", "neunzehnten"),
        (20, "e", "zwanzigste"),
        (100, "en", "hundertsten"),
        (101, "e", "hunderterste"),
        (1000, "e", "tausendste"),
        (1_000_000, "e", "millionste"),
    ],
)
def test_ordinals(n: int, ending: str, spoken: str) -> None:
    assert ordinal(n, ending) == spoken


def test_ordinal_stems_agree_with_num2words() -> None:
    for n in range(1, 200):
        expected = _newsreader(num2words(n, lang="de", to="ordinal")).rstrip(".")
        assert ordinal(n, "e") == expected, n


@pytest.mark.parametrize(
    ("article", "case", "gender", "ending"),
    [
        ("def", "nom", "m", "e"),  # der erste Mai
        ("def", "dat", "m", "en"),  # am ersten Mai
        ("def", "acc", "m", "en"),  # den zweiten Platz
        ("def", "acc", "f", "e"),  # die zweite Liga
        ("def", "gen", "m", "en"),  # des Zweiten Weltkriegs
        ("indef", "nom", "m", "er"),  # ein zweiter Versuch
        ("indef", "nom", "n", "es"),  # ein zweites Gutachten
        ("indef", "dat", "f", "en"),  # einer zweiten Runde
        ("none", "nom", "m", "er"),  # dritter Oktober (dateline)
        ("none", "nom", "f", "e"),  # zweite Bundesliga
        ("none", "dat", "m", "em"),  # ab erstem Januar
        ("none", "acc", "m", "en"),  # bis fünfzehnten März
    ],
)
def test_ordinal_endings(article: str, case: str, gender: str, ending: str) -> None:
    assert ordinal_ending(article, case, gender) == ending  # type: ignore[arg-type]


def test_ein_agrees_with_case_and_gender() -> None:
    assert ein("nom", "f") == "eine"
    assert ein("dat", "f") == "einer"
    assert ein("dat", "n") == "einem"
    assert ein("acc", "m") == "einen"


def test_decimals_fractions_digits() -> None:
    assert decimal(3, "75") == "drei Komma sieben fünf"
    assert decimal(0, "5") == "null Komma fünf"
    assert fraction(2, 3) == "zwei Drittel"
    assert fraction(1, 4) == "ein Viertel"
    assert fraction(3, 8) == "drei Achtel"
    assert digits("0049") == "null null vier neun"
