"""German readings of SSML ``<say-as>``: one function per ``interpret-as``, in one table.

A new kind of reading is one function here and one row in :data:`READINGS` (its
``interpret-as`` names); :func:`say_as` dispatches, :mod:`vorlesen.speak.script` applies
the result to the utterance, :mod:`vorlesen.ingest.ssml` refuses a span no reading fits
when the SSML is read in. Every reader takes the written text, the ``format`` attribute and
the sentence text before the span (German case agreement), and raises
:class:`~vorlesen.errors.InputError` (reason ``bad_say_as``) when the text does not fit.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from functools import lru_cache

from vorlesen.errors import InputError
from vorlesen.speak.de import numbers

__all__ = ["ORDINAL_ENDINGS", "READINGS", "SAY_AS_TYPES", "say_as"]

ORDINAL_ENDINGS = frozenset({"e", "en", "er", "es", "em"})
"""Adjective endings an ordinal may take (``format`` of ``say-as ordinal``)."""

_NUMBER = re.compile(r"^([+\-−]?)(\d{1,3}(?:[.\u202f\u00a0 ]\d{3})+|\d+)(?:,(\d+))?$")
_ORDINAL = re.compile(r"^(\d+)\.?$")
_DATE_SEPARATORS = re.compile(r"[\s./-]+")
_PHONE_ALLOWED = re.compile(r"^\+?[\d\s()/.\-]+$")
_PHONE_GROUP = re.compile(r"\d+")


def _bad(text: str, what: str) -> InputError:
    return InputError(f"{text!r} cannot be read as {what}.", reason="bad_say_as")


def _spell(text: str) -> str:
    """Letters one by one as capitals, digits as words: "ARD" → "A R D", "B52" → "B fünf zwei"."""
    out: list[str] = []
    for char in text:
        if char.isdigit() and char.isascii():
            out.append(numbers.digits(char))
        elif char.isalpha():
            upper = char.upper()
            out.append(upper if len(upper) == 1 else char)
    return " ".join(out)


def _cardinal(text: str) -> str:
    m = _NUMBER.match(text.strip())
    if m is None:
        raise _bad(text, "a number")
    sign, whole, frac = m.groups()
    value = int(re.sub(r"\D", "", whole))
    spoken = numbers.decimal(value, frac) if frac else numbers.cardinal(value)
    return f"minus {spoken}" if sign in ("-", "−") else spoken


def _ordinal(text: str, ending: str) -> str:
    m = _ORDINAL.match(text.strip())
    if m is None:
        raise _bad(text, "an ordinal number")
    ending = ending or "e"
    if ending not in ORDINAL_ENDINGS:
        raise InputError(
            f"The ordinal format {ending!r} is not a German ending; use one of "
            f"{', '.join(sorted(ORDINAL_ENDINGS))}.",
            reason="bad_say_as",
        )
    return numbers.ordinal(int(m.group(1)), ending)


@lru_cache(maxsize=1)
def _months() -> tuple[dict[str, int], dict[int, str]]:
    """Month names and abbreviations → number, and number → full name (from the tables)."""
    from vorlesen.speak.de import default_normalizer

    by_name = {k.casefold().rstrip("."): v for k, v in default_normalizer().tables.months.items()}
    names: dict[int, str] = {}
    for written, number in default_normalizer().tables.months.items():
        if number not in names and written.isalpha() and len(written) > 3:
            names[number] = written
    return by_name, names


def _date(text: str, fmt: str, before: str = "") -> str:
    """A date read day, month, year: "3.10.1990"/dmy → "dritter Oktober neunzehnhundertneunzig".

    ``fmt`` orders the written fields (``dmy``, ``mdy``, ``ymd``, ``dm``, ``md``, ``my``,
    ``ym``, ``d``, ``m``, ``y``). The day's ending agrees with ``before``, the sentence
    text before the date, as the normalizer does for a written date ("Am" → "am ersten
    Oktober"); on its own it is a bare ordinal (strong ending, "dritter"), as newsreaders
    say a date alone.
    """
    fmt = (fmt or "dmy").lower()
    if not fmt or len(set(fmt)) != len(fmt) or set(fmt) - set("dmy"):
        raise InputError(
            f"The date format {fmt!r} is not one of dmy, mdy, ymd, dm, md, my, ym, d, m, y.",
            reason="bad_say_as",
        )
    fields = [f for f in _DATE_SEPARATORS.split(text.strip()) if f]
    if len(fields) != len(fmt):
        raise _bad(text, f"a date in the format {fmt}")
    by_name, names = _months()
    values: dict[str, int] = {}
    for letter, raw in zip(fmt, fields, strict=True):
        if raw.isdigit():
            values[letter] = int(raw)
        elif letter == "m" and raw.casefold().rstrip(".") in by_name:
            values[letter] = by_name[raw.casefold().rstrip(".")]
        else:
            raise _bad(text, f"a date in the format {fmt}")
    day, month, year = values.get("d"), values.get("m"), values.get("y")
    if (month is not None and not 1 <= month <= 12) or (day is not None and not 1 <= day <= 31):
        raise _bad(text, f"a date in the format {fmt}")
    if day is not None and month is not None:
        try:  # 31 April, 29 February outside leap years
            datetime.date(year if year is not None and year > 0 else 2000, month, day)
        except ValueError as exc:
            raise _bad(text, "a real date") from exc
    words: list[str] = []
    if day is not None:
        words.append(numbers.ordinal(day, _day_ending(before)))
    if month is not None:
        words.append(names[month])
    if year is not None:
        words.append(numbers.year(year))
    return " ".join(words)


def _day_ending(before: str) -> str:
    """The ending of a date's day after ``before`` (German case agreement; the month
    name that follows is masculine, "am ersten August")."""
    if not before.strip():
        return "er"
    from vorlesen.speak.de import default_normalizer

    return default_normalizer().ordinal_ending_after(before, "m")


def _telephone(text: str) -> str:
    """A phone number digit by digit, written groups separated by a short pause (comma).

    Convention (as German radio reads numbers out): every digit singly, "zwei" not
    "zwo"; groups as written ("030 12 34 56"); a lone leading "0" joins the next group
    (the trunk prefix belongs to the area code); an unbroken run of digits is grouped in
    pairs from the right. "+" reads "plus". "0 30 12 34 56" →
    "null drei null, eins zwei, drei vier, fünf sechs".
    """
    stripped = text.strip()
    if not _PHONE_ALLOWED.match(stripped):
        raise _bad(text, "a telephone number")
    groups = _PHONE_GROUP.findall(stripped)
    if not groups:
        raise _bad(text, "a telephone number")
    if len(groups) == 1 and len(groups[0]) > 4:
        run = groups[0]
        head = len(run) % 2
        groups = ([run[:head]] if head else []) + [run[i : i + 2] for i in range(head, len(run), 2)]
    if len(groups) > 1 and groups[0] == "0":
        groups = ["0" + groups[1], *groups[2:]]
    spoken = ", ".join(numbers.digits(g) for g in groups)
    return f"plus {spoken}" if stripped.startswith("+") else spoken


Reader = Callable[[str, str, str], str]
"""A reading: (written text, ``format``, sentence text before it) → what is spoken."""


def _characters(text: str, fmt: str, before: str) -> str:
    spoken = _spell(text)
    if not spoken:
        raise _bad(text, "characters to spell")
    return spoken


READINGS: dict[str, Reader] = {
    "characters": _characters,
    "spell-out": _characters,
    "verbatim": _characters,
    "cardinal": lambda text, fmt, before: _cardinal(text),
    "number": lambda text, fmt, before: _cardinal(text),
    "ordinal": lambda text, fmt, before: _ordinal(text, fmt.strip().lower()),
    "date": _date,
    "telephone": lambda text, fmt, before: _telephone(text),
}
"""``interpret-as`` → its reading (``spell-out``/``verbatim`` mean ``characters``,
``number`` means ``cardinal``)."""

SAY_AS_TYPES = frozenset(READINGS)
"""``interpret-as`` values :func:`say_as` reads."""


def say_as(text: str, interpret_as: str, fmt: str = "", before: str = "") -> str:
    """The German reading of ``text`` as SSML ``say-as`` asks for it.

    ``characters`` spells ("ARD" → "A R D"); ``cardinal`` reads a number (German
    grouping and decimal comma: "1.234,5"); ``ordinal`` reads "3." as "dritte" (``fmt``
    an ending: "en" → "dritten"); ``date`` reads with ``fmt`` as field order, the day in
    the case the sentence text ``before`` it sets (see :func:`_date`); ``telephone``
    reads digits singly in groups (see :func:`_telephone`).
    Raises :class:`InputError` (reason ``bad_say_as``) when ``text`` does not fit, and
    (reason ``say_as_unsupported``) for an ``interpret-as`` no reading has.
    """
    reader = READINGS.get(interpret_as.strip().lower())
    if reader is None:
        raise InputError(
            f"say-as interpret-as={interpret_as!r} is not supported; use one of "
            f"{', '.join(sorted(SAY_AS_TYPES))}.",
            reason="say_as_unsupported",
        )
    return reader(text, fmt, before)
