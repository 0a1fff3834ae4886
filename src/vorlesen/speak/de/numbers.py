"""German number words: cardinals, ordinals, years, decimals, digit strings.

Our own speller rather than num2words: newsreaders say "hundert" and "tausend" (not
"einhundert") at the start of a number but "tausendeinhundert" inside one, years
1100–1999 as "neunzehnhundert…", and the speller sits on the hot path (num2words costs
~20 µs a call; this is a few dict lookups, cached).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

Gender = Literal["m", "f", "n"]
Case = Literal["nom", "acc", "dat", "gen"]
Article = Literal["def", "indef", "none"]

_ONES = (
    "null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun",
    "zehn", "elf", "zwölf", "dreizehn", "vierzehn", "fünfzehn", "sechzehn", "siebzehn",
    "achtzehn", "neunzehn",
)  # fmt: skip
_TENS = (
    "", "zehn", "zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig", "achtzig",
    "neunzig",
)  # fmt: skip
# Ordinal stems of 1–19; larger numbers add "st" to the cardinal ("zwanzigst").
_ORD_SMALL = (
    "", "erst", "zweit", "dritt", "viert", "fünft", "sechst", "siebt", "acht", "neunt",
    "zehnt", "elft", "zwölft", "dreizehnt", "vierzehnt", "fünfzehnt", "sechzehnt",
    "siebzehnt", "achtzehnt", "neunzehnt",
)  # fmt: skip
# Powers of a thousand from a million up: (singular, plural). Feminine nouns, so "eine".
_BIG = (
    ("Million", "Millionen"),
    ("Milliarde", "Milliarden"),
    ("Billion", "Billionen"),
    ("Billiarde", "Billiarden"),
    ("Trillion", "Trillionen"),
    ("Trilliarde", "Trilliarden"),
    ("Quadrillion", "Quadrillionen"),
)
MAX_SPELLED = 10 ** (6 + 3 * len(_BIG)) - 1
"""Larger numbers are read digit by digit (no newsreader says "Quadrilliarde")."""

_DIGIT_WORDS = {str(i): _ONES[i] for i in range(10)}


def _below_100(n: int, final: bool) -> str:
    """1–99; ``final`` keeps "eins" for a trailing 1, else "ein" (as in "einhundert")."""
    if n < 20:
        if n == 1 and not final:
            return "ein"
        return _ONES[n]
    tens, ones = divmod(n, 10)
    if ones == 0:
        return _TENS[tens]
    unit = "ein" if ones == 1 else _ONES[ones]
    return f"{unit}und{_TENS[tens]}"


def _below_1000(n: int, final: bool, lead: bool = True) -> str:
    """1–999; a leading hundred without "ein" ("hundertzwei"), one after "tausend" with it
    (``lead=False``: "tausendeinhundert", as "zweitausendeinhundert" is said)."""
    hundreds, rest = divmod(n, 100)
    head = ""
    if hundreds:
        head = ("" if hundreds == 1 and lead else _below_100(hundreds, False)) + "hundert"
    if rest:
        return head + _below_100(rest, final)
    return head


def _below_million(n: int, final: bool) -> str:
    thousands, rest = divmod(n, 1000)
    head = ""
    if thousands:
        head = ("" if thousands == 1 else _below_1000(thousands, final=False)) + "tausend"
    if rest:
        return head + _below_1000(rest, final, lead=not thousands)
    return head


@lru_cache(maxsize=8192)
def cardinal(n: int) -> str:
    """Spell a non-negative integer: 1 → "eins", 1487708 → "eine Million vierhundert…"."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n == 0:
        return "null"
    if n > MAX_SPELLED:
        return digits(str(n))
    parts: list[str] = []
    rest = n
    for power in range(len(_BIG), 0, -1):
        unit = 10 ** (3 * power + 3)
        count, rest = divmod(rest, unit)
        if count:
            singular, plural = _BIG[power - 1]
            if count == 1:
                parts.append(f"eine {singular}")
            else:
                parts.append(f"{cardinal(count)} {plural}")
    if rest:
        parts.append(_below_million(rest, final=True))
    return " ".join(parts)


def cardinal_attributive(n: int) -> str:
    """A cardinal before a noun or inside a compound: a final 1 alone reads "ein"."""
    return "ein" if n == 1 else cardinal(n)


@lru_cache(maxsize=4096)
def ordinal_stem(n: int) -> str:
    """The stem an ending attaches to: 1 → "erst", 3 → "dritt", 20 → "zwanzigst"."""
    if n <= 0:
        return "nullt"
    if n > MAX_SPELLED:
        return digits(str(n)) + "t"
    rest = n % 100
    if 0 < rest < 20:
        head = n - rest
        prefix = cardinal(head).replace(" ", "") if head else ""
        if head and head % 1_000_000 == 0:
            prefix = prefix.removeprefix("eine")
        return (prefix + _ORD_SMALL[rest]).lower()
    word = cardinal(n).replace(" ", "").lower()
    if n % 1_000_000 == 0:
        word = word.removeprefix("eine")
        # "Millionen" → "millionst": ordinals of big powers use the singular stem.
        for singular, plural in _BIG:
            word = word.replace(plural.lower(), singular.lower())
    return word + "st"


def ordinal(n: int, ending: str) -> str:
    """Ordinal with an adjective ending: ``ordinal(9, "en")`` → "neunten"."""
    return ordinal_stem(n) + ending


@lru_cache(maxsize=4096)
def year(n: int) -> str:
    """Read a year: 1989 → "neunzehnhundertneunundachtzig", 2024 → "zweitausendvierundzwanzig"."""
    if 1100 <= n <= 1999:
        century, rest = divmod(n, 100)
        word = _ONES[century] + "hundert"
        return word + _below_100(rest, final=True) if rest else word
    return cardinal(n)


def digits(text: str) -> str:
    """Read a string of digits one by one: "0049" → "null null vier neun"."""
    return " ".join(_DIGIT_WORDS[c] for c in text if c in _DIGIT_WORDS)


def fraction_digits(text: str) -> str:
    """Digits after a decimal comma, read one by one (DIN 5008 style): "75" → "sieben fünf"."""
    return digits(text)


def decimal(int_part: int, frac: str) -> str:
    """A decimal number: (2, "5") → "zwei Komma fünf"."""
    return f"{cardinal(int_part)} Komma {fraction_digits(frac)}"


def ordinal_ending(article: Article, case: Case, gender: Gender) -> str:
    """Adjective ending of an ordinal after a determiner of the given kind.

    Weak after the definite article ("der dritte", "dem dritten"), mixed after "ein"-words
    ("ein dritter Platz", "ein drittes Mal"), strong with no article ("dritter Oktober",
    "ab erstem Januar").
    """
    if article == "def":
        if case == "nom" or (case == "acc" and gender != "m"):
            return "e"
        return "en"
    if case in ("nom", "acc"):
        if gender == "f":
            return "e"
        if gender == "n":
            return "es"
        return "er" if case == "nom" else "en"
    if article == "indef":
        return "en"
    if case == "dat":
        return "er" if gender == "f" else "em"
    return "er" if gender == "f" else "en"


_EIN: dict[tuple[Case, Gender], str] = {
    ("nom", "m"): "ein",
    ("nom", "f"): "eine",
    ("nom", "n"): "ein",
    ("acc", "m"): "einen",
    ("acc", "f"): "eine",
    ("acc", "n"): "ein",
    ("dat", "m"): "einem",
    ("dat", "f"): "einer",
    ("dat", "n"): "einem",
    ("gen", "m"): "eines",
    ("gen", "f"): "einer",
    ("gen", "n"): "eines",
}


def ein(case: Case, gender: Gender) -> str:
    """The number one before a noun, agreeing with it: ("dat", "f") → "einer"."""
    return _EIN[(case, gender)]


_DEF_ARTICLE: dict[tuple[Case, Gender], str] = {
    ("nom", "m"): "der",
    ("nom", "f"): "die",
    ("nom", "n"): "das",
    ("acc", "m"): "den",
    ("acc", "f"): "die",
    ("acc", "n"): "das",
    ("dat", "m"): "dem",
    ("dat", "f"): "der",
    ("dat", "n"): "dem",
    ("gen", "m"): "des",
    ("gen", "f"): "der",
    ("gen", "n"): "des",
}


def definite_article(case: Case, gender: Gender) -> str:
    """der/die/das in the given case: used for regnal numbers ("Ludwig dem Vierzehnten")."""
    return _DEF_ARTICLE[(case, gender)]


_FRACTION_NAMES = {2: "halb", 3: "Drittel", 4: "Viertel"}


def fraction(numerator: int, denominator: int) -> str:
    """A common fraction: (2, 3) → "zwei Drittel", (1, 2) → "ein halb"."""
    name = _FRACTION_NAMES.get(denominator)
    if name is None:
        stem = ordinal_stem(denominator)
        name = stem[:1].upper() + stem[1:] + "el"
    if denominator == 2:
        return "ein halb" if numerator == 1 else f"{cardinal(numerator)} halbe"
    return f"{cardinal_attributive(numerator)} {name}"
