"""German news text normalization: written German → spoken German, with offsets.

The text is tokenized (:mod:`.tokens`), then read left to right. At each token a small
grammar function for its kind decides, from the tokens around it, what it is — a date,
time, ordinal, year, count with its unit or currency, abbreviation, acronym, regnal
number, address — and verbalizes it. Facts about the language (which words are
abbreviations, units, months, noun genders, which small words set which case) come from
the tables in ``data/`` (:mod:`.tables`); the functions here hold only the grammar.

Case agreement follows the determiner or preposition before a number:

* ordinals take the weak ending after a definite article ("am ersten", "der erste"),
  the mixed one after "ein"-words, the strong one with no article ("dritter Oktober" in
  a dateline, "ab erstem Januar");
* a bare "1" before a noun becomes "ein/eine/einem/einer" for the noun's gender and the
  case the preceding preposition governs ("nach 1 Woche" → "nach einer Woche").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from vorlesen.errors import UsageError
from vorlesen.models import NormalizedText, SpokenToken
from vorlesen.speak.de import acronyms as acr
from vorlesen.speak.de.numbers import (
    MAX_SPELLED,
    Article,
    Case,
    Gender,
    cardinal,
    cardinal_attributive,
    decimal,
    definite_article,
    digits,
    ein,
    fraction,
    ordinal,
    ordinal_ending,
    ordinal_stem,
    year,
)
from vorlesen.speak.de.tables import (
    Abbreviation,
    Tables,
    Unit,
    add_abbreviations,
    add_acronym,
    finish,
    load_tables,
)
from vorlesen.speak.de.tokens import (
    NUM,
    SCRIPT_DIGITS,
    SP,
    SYM,
    URL,
    WORD,
    Token,
    tokenize,
)
from vorlesen.speak.de.urls import read_address

_INT = re.compile(r"[0-9]+")
_GROUPED = re.compile(r"([0-9]{1,3}(?:\.[0-9]{3})+)(?:,([0-9]+))?")
_DECIMAL = re.compile(r"([0-9]+),([0-9]+)")
_POINT_CENTS = re.compile(r"([0-9]+)\.([0-9]{2})")
"""A Swiss amount with a decimal point after a currency ("CHF 20.50", "Fr. 12.90")."""
_NO_CENTS = re.compile(r"[.,][-–]")
"""A price's "no cents" mark ("1.500,–", "20.–", "12,-"): not read."""
_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{2}|[0-9]{4})")
_DAY_MONTH = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})")
_CLOCK = re.compile(r"([0-9]{1,2})[.:]([0-9]{2})")
_SCORE = re.compile(r"([0-9]{1,3}):([0-9]{1,3})")
_HMS = re.compile(r"([0-9]{1,2}):([0-5][0-9]):([0-5][0-9])")
_ISO_DATE = re.compile(r"(1[1-9][0-9]{2}|20[0-9]{2})-([0-9]{2})-([0-9]{2})")
_SCRIPT_TO_ASCII = str.maketrans(SCRIPT_DIGITS, "0123456789" * 2)
_SUPERSCRIPTS = frozenset(SCRIPT_DIGITS[:10])
_VULGAR = {
    "½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5),
    "⅖": (2, 5), "⅗": (3, 5), "⅘": (4, 5), "⅙": (1, 6), "⅚": (5, 6), "⅛": (1, 8),
    "⅜": (3, 8), "⅝": (5, 8), "⅞": (7, 8),
}  # fmt: skip
_NOT_NOUN_CLASSES = frozenset(
    [
        "yearctx",
        "countctx",
        "weekday",
        "title",
        "phonectx",
        "daypart",
        "dayctx",
        "goalctx",
        "versionctx",
    ]
)
"""Classes a capitalized word may have and still be a noun ("Jahr", "Platz", "Papst")."""
_CODE_GROUPS = 3
"""Digit groups joined by hyphens from which on a number is a code read digit by digit
("ISBN 978-3-16-148410-0"); two groups are a range ("5-6")."""
_THOUSANDS_SPACES = frozenset([" ", "\u202f", "\u00a0", "\u2009", "'", "’"])
"""Spaces that set off thousands ("40 000", "40\u202f000"): plain, narrow no-break,
no-break, thin; and the Swiss apostrophe ("1'500 Franken", "1’500")."""
_THOUSANDS_GROUP = re.compile(r"[0-9]{3}(?:,([0-9]+))?")
_MAX_THOUSANDS_GROUPS = 8
"""Most space-separated groups in one number (up to quadrillions); a longer run of digit
groups is a table or a code, and the bound keeps a run of them linear to read."""
_SEPARATOR_WORDS = {".": " Punkt ", ",": " Komma ", ":": " zu "}
_ROMAN = re.compile(r"(XL|L?X{0,3})(IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}

_DASHES = frozenset("-–—−‒")
_CLOSERS = frozenset(".,;:!?)]}\"'»«“”")
_GENDER_MARKS = frozenset("*:_/")
"""Signs that join a noun and its feminine plural ending ("Lehrer*innen", "Lehrer:innen")."""
_GENDER_ENDINGS = frozenset(["innen", "in", "Innen", "In"])
_PLUS_RUN = 3
"""Pluses in a row from which they are an end mark or separator ("+++"), not read."""
_MAX_DAY = 31
_SHORT_CAPS = 4
"""Longest small word ("IN", "UND", "VOM") read as a word in a headline in capitals."""
_SIGNS = {"+": "plus", "-": "minus", "−": "minus", "–": "minus"}
_SENTENCE_END = frozenset(".!?")
_OPENERS = frozenset(",:;([{\"'„“‚‘»«–—-/")
# Adjective and adverb endings that fuse with a number into one word ("68-jährig").
_FUSING = (
    "jährig", "jähr", "fach", "mal", "malig", "tägig", "stündig", "wöchig", "monatig",
    "minütig", "köpfig", "prozentig", "stöckig", "teilig", "seitig", "sprachig",
    "spurig", "gleisig", "stellig", "zimmrig", "sitzig", "türig", "eckig", "tel",
)  # fmt: skip
_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_TIME_PREPOSITIONS = frozenset(
    ["um", "gegen", "ab", "bis", "seit", "von", "zwischen", "vor", "nach", "gg.", "ca."]
)
_ROMAN_CARDINAL_BEFORE = frozenset(
    [
        "Teil",
        "Band",
        "Kapitel",
        "Phase",
        "Stufe",
        "Akt",
        "Hartz",
        "Klasse",
        "Liga",
        "Buch",
        "Abschnitt",
        "Titel",
        "Anlage",
    ]
)
_DURATION_WORDS = frozenset(["Stunden", "Minuten"])
_DURATION_SINGULAR = {"Stunden": "Stunde", "Minuten": "Minute"}
_STAMP_SEPARATORS = frozenset(["-", "–", "|", ",", "/", "•", "·"])
"""What may stand between a date and its time in a dateline ("06.11.2023 | 14:10")."""
_RACE_ARTICLES = frozenset(["eine", "einer", "seine", "ihre", "seiner", "ihrer"])
"""Words before "3:41" that make it a race time ("eine 3:41 laufen"), never a score."""
_PER = frozenset(["pro", "je", "Pro", "Je"])
_RACE_TIME = re.compile(r"([0-9]{1,2}):([0-5][0-9]),([0-9]{1,3})")
"""A race time in minutes, seconds and fractions: "1:43,21"."""
_LAW_REACH = 12
"""Tokens after a § or Art. reference in which a law code is expanded."""
_RANGE_JOINERS = frozenset(["bis", "und", "oder", "/"])
"""Words between two ordinals that make the second continue the first ("vom 12. bis
15.", "24./25. Dezember"): it takes the first one's ending."""
_MAX_RANK = 10
"""Largest "N." read as a finishing place after "wurde" ("Er wurde 3." → "Dritter"); a
larger one is an age ("Sie wurde 80." → "achtzig"). After "wird"/"werden" (``ageverb``)
any "N." without a noun after it is an age ("Charlotte wird 9." → "neun")."""
_MAX_MARKED_RANK = 99
"""Largest place read from "wurde 11.." (doubled period: ordinal plus sentence end)."""
_MAX_MATCH_MINUTE = 130
"""Largest "(N.)" read as a match minute ("zum 2:0 (52.)"), extra time and overtime
included."""
_MINUTE_REACH = 16
"""Tokens before a "(N.)" in which a score or a goal word makes it a match minute."""
_PRONOUN_GENDERS: dict[str, Gender] = {"pron_m": "m", "pron_f": "f", "pron_n": "n"}
_BYLINE_MAX = 3
"""Longest lower-case author code in a dateline ("Chemnitz (mr) –"), dropped from speech."""
_DATELINE_TOKENS = 8
"""Tokens a dateline's place name may span before its author code ("Frankfurt am Main")."""
_BYLINE_AFTER = frozenset(["-", "–", "—", ".", ":", ","])
"""What follows a dateline's author code."""
_PLACE_JOINERS = frozenset(["am", "an", "der", "im", "ob", "in", "vor", "bei", "auf"])
"""Small words inside a place name ("Frankfurt am Main", "Rothenburg ob der Tauber")."""


@dataclass(slots=True)
class _Run:
    """State of one normalization run."""

    toks: list[Token]
    ordinal_at: int = -10
    """Index of the token after the last ordinal read, for ranges ("vom 1. bis 3.")."""
    ordinal_ending: str = "en"
    law_at: int = -100
    """Index of the last § / Art. token."""
    phone_end: int = -10
    """Index after the last digit group read as part of a phone number."""
    rank_at: int = -10
    """Index after the last finishing place read ("Er wurde 1."), for "und sie 2."."""
    minute_at: int = -10
    """Index after the last match minute read ("(12., 78.)" goes on with it)."""


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


class GermanNormalizer:
    """Reads German news text aloud, as a newsreader would say it.

    Tables load once per instance. A publisher extends them with a folder of TSV files
    named like the built-in ones (``data_dir``) or with dictionaries:
    ``extra_abbreviations={"Gem.": "Gemeinde"}``, ``extra_acronyms={"MDR": "spell"}``
    (``"word"``, ``"spell"``, or a spoken form), ``extra_nouns={"Wallbox": "f"}``.
    """

    def __init__(
        self,
        data_dir: Path | str | None = None,
        *,
        extra_abbreviations: Mapping[str, str] | None = None,
        extra_acronyms: Mapping[str, str] | None = None,
        extra_nouns: Mapping[str, Gender] | None = None,
    ) -> None:
        self.tables: Tables = load_tables(Path(data_dir) if data_dir is not None else None)
        t = self.tables
        if extra_abbreviations:
            add_abbreviations(t, extra_abbreviations)
        for written, how in (extra_acronyms or {}).items():
            if not written or not how.strip():
                raise UsageError(
                    f"Acronym {written!r} needs 'word', 'spell' or a spoken form.",
                    reason="table_malformed",
                )
            if how in ("word", "spell"):
                add_acronym(t, written, how)
            else:
                add_acronym(t, written, "word", how)
        for noun, gender in (extra_nouns or {}).items():
            add = {noun.lower(): gender}
            t.nouns.update(add)
        finish(t)
        self._fw = t.function_words
        self._fw_lower = {k.lower(): v for k, v in t.function_words.items()}
        self._month_keys = t.months
        self._gender_cache: dict[str, Gender] = {}
        self._max_suffix = max((len(s) for s in t.noun_suffixes), default=0)
        self._suffix_abbreviations = [
            (k, v.spoken) for k, v in t.abbreviations.items() if v.when == "suffix"
        ]
        # symbols of several characters ("+/-"); "§§" has its own rule
        self._multi_symbols = {
            k: v for k, v in t.symbols.items() if len(k) > 1 and not k.startswith("§")
        }
        self._multi_symbol_starts = frozenset(k[0] for k in self._multi_symbols)
        # acronyms written in lower case ("ifo"): looked up though not capitalized
        self._lower_acronyms = frozenset(k for k in t.acronyms if k.islower())
        # names with digits ("1Password"): matched on adjacent tokens from their first
        self._name_starts = frozenset(k[0] for k in t.names)
        self._name_pieces = max((len(tokenize(k)) for k in t.names), default=0)
        # unit symbols written before their number ("km 12,5"), read as the unit's noun
        self._units_before = frozenset(
            k for k, classes in t.function_words.items() if "unitbefore" in classes
        )

    # ------------------------------------------------------------------ public API

    def normalize(self, text: str) -> NormalizedText:
        """Spoken form of ``text`` as tokens, each mapping a written span to speech."""
        toks = tokenize(text)
        run = _Run(toks)
        out: list[SpokenToken] = []
        last = ""  # spoken text emitted so far: its last character decides spacing
        last_replaced = False
        at_start = True
        i = 0
        n = len(toks)
        while i < n:
            tok = toks[i]
            kind = tok.kind
            result: tuple[int, str] | None = None
            if tok.text[0] in self._name_starts:
                result = self._name(toks, i)  # "1Password": before its pieces are read
            if result is None:
                result = self._token(run, i)
            if result is None:
                spoken = tok.text
                replaced = False
                end = i + 1
            else:
                end, spoken = result
                replaced = True
                if at_start and spoken:
                    spoken = _capitalize(spoken)
            if spoken.startswith(",") and out and out[-1].spoken.isspace():
                # a separator read as a pause sits on the word before it: "Politik, Inland"
                out[-1] = SpokenToken(out[-1].start, out[-1].end, "")
            if (
                spoken
                and last
                and (replaced or last_replaced)
                and last[-1].isalnum()
                and spoken[0].isalnum()
            ):
                # "G7" → "G sieben": a replaced piece never glues onto a neighbour word
                spoken = " " + spoken
            out.append(SpokenToken(tok.start, toks[end - 1].end, spoken))
            if spoken:
                last = spoken
            last_replaced = replaced
            if kind != SP:
                at_start = bool(spoken) and spoken[-1] in _SENTENCE_END and not replaced
            i = end
        return NormalizedText(written=text, tokens=tuple(out))

    def _token(self, run: _Run, i: int) -> tuple[int, str] | None:
        """The reading of the token at ``i`` by its kind: (index after it, spoken), or
        ``None`` to say it as written."""
        toks = run.toks
        n = len(toks)
        tok = toks[i]
        kind = tok.kind
        if kind == NUM:
            return self._number(run, i)
        if kind == WORD:
            word = tok.text
            if (
                word[0].isupper()
                or (i + 1 < n and toks[i + 1].text == ".")
                or not word.islower()
                or word in self._lower_acronyms
            ):
                return self._word(run, i)
            if i >= 2 and toks[i - 2].text in _PER:
                return self._per_unit(run, i)
            if word in self._units_before:
                return self._unit_before(run, i)
            return None
        if kind == SYM:
            return self._symbol(run, i)
        if kind == URL:
            return i + 1, read_address(tok.text)
        if i < _DATELINE_TOKENS and i + 3 < n and toks[i + 1].text == "(":
            return self._byline_code(toks, i)
        return None

    def normalize_text(self, text: str) -> str:
        """Spoken form of ``text`` as a string."""
        return self.normalize(text).text

    def ordinal_ending_after(self, before: str, gender: Gender = "m") -> str:
        """The ending an ordinal takes right after the text ``before``, by the same rules as
        in running text: "Am" → "en" ("am ersten"), nothing → "er" ("erster August").

        For readings fixed elsewhere (an SSML ``<say-as>`` date) that must still agree with
        the sentence around them.
        """
        toks = tokenize(before.rstrip() + " 1")
        article, case, _ = self._context(_Run(toks), len(toks) - 1)
        return ordinal_ending(article, case, gender)

    # ------------------------------------------------------------------ navigation

    @staticmethod
    def _next(toks: list[Token], i: int) -> int:
        """Index of the first non-space token after ``i``, or ``len(toks)``."""
        j = i + 1
        while j < len(toks) and toks[j].kind == SP:
            j += 1
        return j

    @staticmethod
    def _prev(toks: list[Token], i: int) -> int:
        """Index of the last non-space token before ``i``, or -1."""
        j = i - 1
        while j >= 0 and toks[j].kind == SP:
            j -= 1
        return j

    def _classes(self, word: str) -> frozenset[str]:
        found = self._fw.get(word)
        if found is None:
            found = self._fw_lower.get(word.lower(), frozenset())
        return found

    def _is_noun(self, tok: Token) -> bool:
        """A capitalized word that is not a sentence-starting function word or month."""
        text = tok.text
        if tok.kind != WORD or not text[0].isupper():
            return False
        if len(text) > 1 and text[1].isupper():
            return False
        if text not in self._fw and text.lower() in self.tables.nouns:
            return True  # "Mal", "Morgen": a noun that a function word also spells
        return not self._classes(text) - _NOT_NOUN_CLASSES

    def gender(self, noun: str) -> Gender:
        """Grammatical gender of a noun: lexicon, then its head in the lexicon, then suffix."""
        cached = self._gender_cache.get(noun)
        if cached is not None:
            return cached
        low = noun.lower()
        found = self._known_gender(low)
        if found is None:
            suffixes = self.tables.noun_suffixes
            for k in range(min(self._max_suffix, len(low)), 0, -1):
                found = suffixes.get(low[-k:])
                if found is not None:
                    break
        result: Gender = found or "m"
        if len(self._gender_cache) < 50_000:
            self._gender_cache[noun] = result
        return result

    def _noun_after(self, toks: list[Token], j: int) -> Token | None:
        """The noun a number at ``j`` counts: next word, or the one after an adjective."""
        k = self._noun_index(toks, j)
        return toks[k] if k >= 0 else None

    def _noun_index(self, toks: list[Token], j: int) -> int:
        """Index of the noun :meth:`_noun_after` finds, or -1."""
        k = self._next(toks, j)
        if k < len(toks) and toks[k].kind == WORD:
            if self._is_noun(toks[k]):
                return k
            word = toks[k].text
            if (
                word.islower()
                and not self._classes(word)
                and word.endswith(("e", "er", "en", "es", "em"))
            ):
                k2 = self._next(toks, k)
                if k2 < len(toks) and self._is_noun(toks[k2]):
                    return k2
        return -1

    def _one_case(self, run: _Run, i: int, noun_at: int) -> Case:
        """The case of "1" before the noun at ``noun_at``: from the words before it, else
        from the noun itself.

        With no preposition or article before it, the count is the subject (nominative)
        unless the noun shows otherwise: a time span before "später", "lang", "alt" is
        accusative ("einen Tag später"), and so is a masculine noun in its "-en" form
        whose nominative is shorter ("1 Toten" → "einen Toten", "1 Kunden").
        """
        article, case, _ = self._context(run, i)
        if case != "nom" or article != "none":
            return case
        toks = run.toks
        after = self._next(toks, noun_at)
        if after < len(toks) and "accnext" in self._classes(toks[after].text):
            return "acc"
        text = toks[noun_at].text
        if text.endswith("en") and self.gender(text) == "m":
            nouns = self.tables.nouns
            low = text.lower()
            if low[:-1] in nouns or low[:-2] in nouns or low[:-2] + "er" in nouns:
                return "acc"
        return case

    def _context(self, run: _Run, i: int) -> tuple[Article, Case, int]:
        """Article kind and case set by the words before token ``i``; and that word's index.

        Skips particles ("nach fast 1 Woche") and a weekday in apposition
        ("am Dienstag, 5. März").
        """
        toks = run.toks
        j = self._prev(toks, i)
        for _ in range(4):
            if j < 0:
                return "none", "nom", j
            tok = toks[j]
            if tok.text == ",":
                k = self._prev(toks, j)
                if k >= 1 and toks[k].text == "." and toks[k - 1].kind == WORD:
                    k -= 1  # "am So., 5. Januar"
                    if "weekday" in self._classes(toks[k].text + "."):
                        j = self._prev(toks, k)
                        continue
                if k >= 0 and "weekday" in self._classes(toks[k].text):
                    j = self._prev(toks, k)
                    continue
                return "none", "nom", j
            if tok.text == "." and j >= 1 and "weekday" in self._classes(self._word_key(toks, j)):
                j = self._prev(toks, j - 1)  # "am Fr. 12. Mai"
                continue
            classes = self._classes(tok.text)
            if "weekday" in classes or ("particle" in classes and tok.kind == WORD):
                j = self._prev(toks, j)
                continue
            break
        if j < 0:
            return "none", "nom", j
        classes = self._classes(toks[j].text)
        if not classes:
            return "none", "nom", j
        # The table (word_contexts.tsv) says which class decides, in order; the rules
        # named there are the conditions that need the words around.
        for context in self.tables.word_contexts:
            if context.word_class not in classes:
                continue
            if context.rule == "der":
                return "def", self._case_of_der(toks, j), j
            if context.rule in ("amount", "object") and self._amount_follows(toks, i):
                continue  # "Jetzt kostet 1 kg Butter 2,39 Euro": the count is the subject
            if context.rule == "object" and self._subject_follows_verb(toks, j):
                continue  # "Heute gewinnt 1 Team den Pokal"
            return context.article, context.case, j
        return "none", "nom", j

    def _case_of_der(self, toks: list[Token], j: int) -> Case:
        """ "der" before a number: dative after a preposition ("mit der 1. Mannschaft"),
        genitive after a noun ("Sieger der 3. Etappe"), else nominative."""
        k = self._prev(toks, j)
        if k >= 0:
            before = toks[k]
            if any(c.startswith("prep_") for c in self._classes(before.text)):
                return "dat"
            if before.kind == WORD and self._is_noun(before):
                return "gen"
        return "nom"

    def _subject_follows_verb(self, toks: list[Token], v: int) -> bool:
        """Whether the verb at ``v`` opens its clause after a sentence adverb ("Dann
        gewinnt …") or a fronted phrase ("Am Ende gewinnt …"), so its subject comes after
        it: a count there is the subject ("Dann gewinnt 1 Spieler" → "ein Spieler")."""
        p = self._prev(toks, v)
        if p < 0 or toks[p].kind != WORD:
            return False
        if "advhead" in self._classes(toks[p].text):
            return True
        if not self._is_noun(toks[p]):
            return False
        q = self._prev(toks, p)  # "Am Ende", "Im Schnitt", "Pro Jahr"
        if q < 0 or toks[q].kind != WORD:
            return False
        if not any(c.startswith(("prep_", "def_dat")) for c in self._classes(toks[q].text)):
            return False
        r = self._prev(toks, q)
        return r < 0 or toks[r].text in _SENTENCE_END or toks[r].text in _OPENERS

    def _amount_follows(self, toks: list[Token], i: int) -> bool:
        """Whether another number follows the one at ``i`` right after its unit and noun
        ("1 kg Butter 2,39 Euro"), with no small word between ("1 Euro für 2")."""
        for k in range(i + 1, min(len(toks), i + 9)):
            tok = toks[k]
            if tok.kind == NUM:
                return True
            if tok.kind == SP:
                continue
            if tok.kind != WORD or not (tok.text[0].isupper() or tok.text in self.tables.units):
                return False
        return False

    def _period_ends_sentence(self, toks: list[Token], k: int) -> bool:
        """Whether the period consumed before index ``k`` also ends the sentence."""
        if k >= len(toks):
            return True
        nxt = self._next(toks, k - 1)
        if nxt >= len(toks):
            return True
        if toks[k].kind != SP:
            return False
        tok = toks[nxt]
        if tok.kind == WORD and tok.text[0].isupper():
            classes = self._classes(tok.text)
            return bool(classes) and bool(classes & {"other", "def_der", "def_nom", "def_dat"})
        return False

    # ------------------------------------------------------------------ units

    def _unit_at(
        self, toks: list[Token], j: int, table: Mapping[str, Unit]
    ) -> tuple[int, Unit, str] | None:
        """Longest table entry made of adjacent tokens starting at ``j``, after one space."""
        n = len(toks)
        if j < n and toks[j].kind == SP:
            if len(toks[j].text) > 2 or "\n" in toks[j].text:
                return None
            j += 1
        if j >= n or toks[j].kind in (SP, URL):
            return None
        best: tuple[int, Unit, str] | None = None
        key = ""
        for k in range(j, min(n, j + self.tables.max_unit_tokens)):
            tok = toks[k]
            if tok.kind in (SP, URL):
                break
            key += tok.text
            unit = table.get(key)
            if unit is not None:
                after = k + 1
                # a unit ends at a word boundary: "5 m" but not "5 m" of "5 mal"
                if after < n and toks[after].kind == WORD and tok.kind == WORD:
                    continue
                best = (after, unit, key)
        if best is not None and self._opens_abbreviation(toks, best[0], best[2]):
            return None
        return best

    def _opens_abbreviation(self, toks: list[Token], after: int, key: str) -> bool:
        """Whether a unit ``key`` ending before ``after`` starts an abbreviation of several
        parts instead: "s. o." ("siehe oben"), not "Sekunden"; but "2 s. u. a." is two
        seconds "unter anderem"."""
        n = len(toks)
        if after >= n or toks[after].text != "." or not key.isalpha():
            return False
        k = self._abbreviation_part(toks, after + 1)
        if k < 0 or f"{key}.{toks[k].text}." not in self.tables.abbreviations:
            return False
        k2 = self._abbreviation_part(toks, k + 2)
        return k2 < 0 or f"{toks[k].text}.{toks[k2].text}." not in self.tables.abbreviations

    @staticmethod
    def _abbreviation_part(toks: list[Token], k: int) -> int:
        """Index of a word with its period at ``k``, after at most one space, or -1."""
        if k < len(toks) and toks[k].text == " ":
            k += 1
        if k + 1 < len(toks) and toks[k].kind == WORD and toks[k + 1].text == ".":
            return k
        return -1

    # ------------------------------------------------------------------ numbers

    def _name(self, toks: list[Token], i: int) -> tuple[int, str] | None:
        """A name from ``names.tsv`` starting at ``i`` ("1Password" → "One Password"),
        ending at a word boundary."""
        key = ""
        found: tuple[int, str] | None = None
        for k in range(i, min(len(toks), i + self._name_pieces)):
            if toks[k].kind in (SP, URL):
                break
            key += toks[k].text
            spoken = self.tables.names.get(key)
            if spoken is not None and not (k + 1 < len(toks) and toks[k + 1].kind in (WORD, NUM)):
                found = (k + 1, spoken)
        return found

    def _number(self, run: _Run, i: int) -> tuple[int, str] | None:
        toks = run.toks
        text = toks[i].text
        if _INT.fullmatch(text):
            return self._integer(run, i, text)
        m = _DATE.fullmatch(text)
        if m:
            found = self._date(run, i, int(m[1]), int(m[2]), m[3])
            if found is not None:
                return found
        m = _HMS.fullmatch(text)
        if m:
            return self._hms(run, i, int(m[1]), int(m[2]), int(m[3]))
        m = _RACE_TIME.fullmatch(text)
        if m:
            return self._race_time(run, i, int(m[1]), int(m[2]), m[3])
        m = _CLOCK.fullmatch(text)
        if m:
            found = self._clock(run, i, int(m[1]), int(m[2]), text[m.end(1)])
            if found is not None:
                return found
        m = _DAY_MONTH.fullmatch(text)
        if m and i + 1 < len(toks) and toks[i + 1].text == "." and not self._after_version(toks, i):
            day, month = int(m[1]), int(m[2])
            if 1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month]:
                ending = self._day_ending(run, i)
                run.ordinal_at, run.ordinal_ending = i + 2, ending
                return i + 2, f"{ordinal(day, ending)} {self._month_name(month)}"
        m = _GROUPED.fullmatch(text)
        if m:
            value = int(m[1].replace(".", "")) if len(m[1]) < 36 else -1
            if value >= 0:
                if m[2] is None and i + 1 < len(toks) and toks[i + 1].text == ".":
                    found = self._ordinal(run, i, value, grouped=True)
                    if found is not None:
                        return found
                return self._quantity(run, i, value, m[2])
        m = _DECIMAL.fullmatch(text)
        if m and len(m[1]) < 28:
            return self._quantity(run, i, int(m[1]), m[2])
        return i + 1, self._generic(text)

    def _after_version(self, toks: list[Token], i: int) -> bool:
        """Whether the number at ``i`` follows a word that versions things ("Bluetooth
        5.3.", "iOS 17.1."): a version number, not a date, before a sentence's period."""
        p = self._prev(toks, i)
        return p >= 0 and p == i - 2 and "versionctx" in self._classes(toks[p].text)

    @staticmethod
    def _generic(text: str) -> str:
        """Read a digit string with separators piece by piece ("1.2.3" → "eins Punkt …")."""
        out: list[str] = []
        for piece in re.split(r"([.,:])", text):
            if piece in _SEPARATOR_WORDS:
                out.append(_SEPARATOR_WORDS[piece])
            elif piece:
                out.append(_read_int_string(piece))
        return "".join(out)

    def _month_name(self, month: int) -> str:
        for name, number in self._month_keys.items():
            if number == month and not name.endswith("."):
                return name
        return cardinal(month)

    def _date(self, run: _Run, i: int, day: int, month: int, yr: str) -> tuple[int, str] | None:
        if not (1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month]):
            return None
        year_value = int(yr)
        if len(yr) == 2:
            year_value += 2000 if year_value <= 50 else 1900
        ending = self._day_ending(run, i)
        run.ordinal_at, run.ordinal_ending = i + 1, ending
        spoken = f"{ordinal(day, ending)} {self._month_name(month)} {year(year_value)}"
        stamp = self._time_after_date(run.toks, i + 1)
        if stamp is not None:
            return stamp[0], f"{spoken}, {stamp[1]}"
        return i + 1, spoken

    def _time_after_date(self, toks: list[Token], k: int) -> tuple[int, str] | None:
        """A clock time right after a date, as in a dateline or an "Aktualisiert" stamp:
        "31.10.2023 14:08", "28.01.2020-15:49", "06.11.2023 | 14:10", "20. April 2020,
        14:57" → (index after it, "vierzehn Uhr acht"). A date is never followed by a
        score, so "14:08" there is a time even without "Uhr"."""
        n = len(toks)
        steps = 0
        while k < n and steps < 4 and toks[k].kind != NUM:
            tok = toks[k]
            if tok.kind == SP:
                if "\n" in tok.text:
                    return None
            elif tok.text not in _STAMP_SEPARATORS:
                return None
            k += 1
            steps += 1
        if k >= n or steps == 0:
            return None
        m = _CLOCK.fullmatch(toks[k].text)
        if m is None or (k + 1 < n and toks[k + 1].kind in (NUM, WORD)):
            return None
        hour, minute = int(m[1]), int(m[2])
        if hour > 24 or minute > 59:
            return None
        spoken = f"{cardinal_attributive(hour)} Uhr"
        if minute:
            spoken += f" {cardinal(minute)}"
        end = k + 1
        j = self._next(toks, k)
        if j < n and toks[j].text == "Uhr":
            end = j + 1
        return end, spoken

    def _day_ending(self, run: _Run, i: int) -> str:
        """The ending of a numeric date's day at ``i``: the one of the ordinal it continues
        ("am 24./25.12." → "am vierundzwanzigsten und fünfundzwanzigsten"), else from the
        words before it."""
        article, case, ctx = self._context(run, i)
        if (
            ctx >= 0
            and (run.toks[ctx].text in _RANGE_JOINERS or run.toks[ctx].text in _DASHES)
            and run.ordinal_at >= ctx - 2
        ):
            return run.ordinal_ending
        return ordinal_ending(article, case, "m")

    def _clock(self, run: _Run, i: int, hour: int, minute: int, sep: str) -> tuple[int, str] | None:
        toks = run.toks
        j = self._next(toks, i)
        has_uhr = j < len(toks) and toks[j].text == "Uhr"
        if not has_uhr and sep == ":" and j < len(toks) and minute < 60:
            # "29:55 Minuten" → "neunundzwanzig Minuten fünfundfünfzig"
            word = toks[j].text
            if word in _DURATION_WORDS:
                return j + 1, f"{self._duration_head(run, i, hour, word)} {cardinal(minute)}"
            duration = self._unit_at(toks, i + 1, self.tables.units)
            if duration is not None and duration[1].plural in _DURATION_WORDS:
                head = self._duration_head(run, i, hour, duration[1].plural)
                return duration[0], f"{head} {cardinal(minute)}"
        if not has_uhr and sep == ":" and minute < 60 and len(toks[i].text) == len(f"{hour}") + 3:
            p = self._prev(toks, i)
            glued = i + 1 < len(toks) and toks[i + 1].text in "-‑"
            if p >= 0 and toks[p].text in _RACE_ARTICLES and not glued:
                # "eine 3:41 laufen": a race time in minutes and seconds ("eine 2:1-
                # Führung" is a score)
                return i + 1, f"{self._duration_head(run, i, hour, 'Minuten')} {cardinal(minute)}"
        if hour > 24 or minute > 59:
            return None  # a score like "28:25" is read by the caller
        is_time = has_uhr
        if not is_time:
            # "8.30 bis 17 Uhr", "8.30–17 Uhr": the clock word comes after the range
            k = j
            if k < len(toks) and (toks[k].text in _DASHES or toks[k].text == "bis"):
                k = self._next(toks, k)
                if k < len(toks) and toks[k].kind == NUM:
                    k2 = self._next(toks, k)
                    is_time = k2 < len(toks) and toks[k2].text == "Uhr"
        if not is_time and sep == ":":
            p = self._prev(toks, i)
            prev = toks[p].text.lower() if p >= 0 else ""
            is_time = prev in _TIME_PREPOSITIONS or toks[i].text.startswith("0") or prev == ","
            if prev == "von" and not (j < len(toks) and toks[j].text in ("bis", *_DASHES)):
                is_time = False  # "ein Torverhältnis von 12:25", but "von 9:30 bis 12 Uhr"
        if not is_time:
            if sep == ":":
                return i + 1, f"{cardinal(hour)} zu {cardinal(minute)}"
            return None
        spoken = f"{cardinal_attributive(hour)} Uhr"
        if minute:
            spoken += f" {cardinal(minute)}"
        end = i + 1
        if has_uhr:
            end = j + 1
        return end, spoken

    def _duration_head(self, run: _Run, i: int, value: int, plural: str) -> str:
        """ "3 Minuten", but "einer Minute" in "unter 1:50 Minuten" (case from the words
        before it)."""
        if value != 1:
            return f"{cardinal(value)} {plural}"
        _, case, _ = self._context(run, i)
        return f"{ein(case, 'f')} {_DURATION_SINGULAR[plural]}"

    def _hms(self, run: _Run, i: int, hours: int, minutes: int, seconds: int) -> tuple[int, str]:
        """ "2:16:34 Stunden" → "zwei Stunden sechzehn Minuten vierunddreißig Sekunden";
        with "Uhr" a clock time to the second."""
        toks = run.toks
        j = self._next(toks, i)
        if j < len(toks) and toks[j].text == "Uhr":
            spoken = f"{cardinal_attributive(hours)} Uhr"
            if minutes:
                spoken += f" {cardinal(minutes)}"
            if seconds:
                spoken += " und " + _count(seconds, "Sekunde", "Sekunden")
            return j + 1, spoken
        end = i + 1
        unit = self._unit_at(toks, end, self.tables.units)
        if unit is not None and unit[1].plural == "Stunden":
            end = unit[0]
        elif j < len(toks) and toks[j].text in ("Stunden", "Stunde"):
            end = j + 1
        parts = [
            _count(value, singular, plural)
            for value, singular, plural in (
                (hours, "Stunde", "Stunden"),
                (minutes, "Minute", "Minuten"),
                (seconds, "Sekunde", "Sekunden"),
            )
            if value
        ]
        return end, " ".join(parts) or "null Sekunden"

    def _race_time(
        self, run: _Run, i: int, minutes: int, seconds: int, frac: str
    ) -> tuple[int, str]:
        """ "1:43,21 Min." → "eine Minute dreiundvierzig Komma zwei eins": a unit after
        it (minutes) is read once, up front."""
        end = i + 1
        unit = self._unit_at(run.toks, end, self.tables.units)
        if unit is not None and unit[1].plural == "Minuten":
            end = unit[0]
        elif end + 1 < len(run.toks) and run.toks[end + 1].text in ("Minuten", "Minute"):
            end += 2
        if minutes:
            _, case, _ = self._context(run, i)
            head = ein(case, "f") + " Minute" if minutes == 1 else f"{cardinal(minutes)} Minuten"
            spoken = f"{head} {decimal(seconds, frac)}"
        else:
            spoken = f"{decimal(seconds, frac)} Sekunden"
        if unit is not None and unit[2].endswith(".") and self._period_ends_sentence(run.toks, end):
            spoken += "."
        return end, spoken

    def _integer(self, run: _Run, i: int, text: str) -> tuple[int, str] | None:
        toks = run.toks
        n = len(toks)
        if len(text) > 27:
            return i + 1, digits(text)
        spaced = self._spaced_thousands(run, i)
        if spaced is not None:
            last, value, frac = spaced
            return self._quantity(run, i, value, frac, last)
        code = self._code(run, i)
        if code is not None:
            return code
        value = int(text)
        nxt = toks[i + 1] if i + 1 < n else None
        if _in_name(toks, i):
            # "F1", "C42", "Formel-1-Auto", "Sars-CoV-2": a number in a name or code is
            # a plain cardinal: never "ein", an ordinal or a fused compound
            if len(text) == 4 and 1100 <= value <= 2099 and toks[i - 1].kind != WORD:
                return i + 1, year(value)  # "EM-2024-Quali"
            return i + 1, _read_int_string(text)
        if nxt is not None and nxt.text == " " and len(text) <= 2:
            found = self._day_without_period(run, i, value)
            if found is not None:
                return found
        if nxt is not None and nxt.kind == WORD and nxt.text.startswith("er"):
            return self._decade(toks, i, value, text)
        if nxt is not None and nxt.text == ".":
            found = self._ordinal(run, i, value)
            if found is not None:
                return found
        if nxt is not None and nxt.text in _VULGAR:
            num, den = _VULGAR[nxt.text]
            return self._mixed_fraction(run, i + 2, value, num, den)
        if (
            nxt is not None
            and nxt.text == " "
            and i + 4 < n
            and toks[i + 3].text == "/"
            and _INT.fullmatch(toks[i + 2].text)
            and _INT.fullmatch(toks[i + 4].text)
            and len(toks[i + 4].text) < 3
            and 0 < int(toks[i + 2].text) < int(toks[i + 4].text) <= 10
        ):
            # "1 1/2 Stunden" → "eineinhalb Stunden"
            num, den = int(toks[i + 2].text), int(toks[i + 4].text)
            return self._mixed_fraction(run, i + 5, value, num, den)
        if nxt is not None and nxt.kind == SYM and nxt.text[0] in _SUPERSCRIPTS:
            # "10³" → "zehn hoch drei"
            return i + 2, f"{_read_int_string(text)} hoch {_script_number(nxt.text)}"
        if nxt is not None and nxt.text == "/" and i + 2 < n and toks[i + 2].kind == NUM:
            other = toks[i + 2].text
            if len(text) == 2 and _INT.fullmatch(other):
                found = self._month_year(run, i, text, other)
                if found is not None:
                    return found
            if _leading_zero(text) and _INT.fullmatch(other):
                # "030/12345-67": area code and number, digit by digit
                run.phone_end = i + 3
                return i + 3, f"{digits(text)} {digits(other)}"
            if _INT.fullmatch(other) and len(other) < 10:
                den = int(other)
                if value == 1 and den == 2:
                    return self._half(run, i, i + 3)
                if 0 < value < den <= 10:
                    return i + 3, fraction(value, den)
                if len(text) == 4 and 1100 <= value <= 2099 and len(other) in (2, 4):
                    # a season or school year: "1990/91", "2024/25", "1989/1990"
                    second = year(den) if len(other) == 4 else cardinal(den)
                    return i + 3, f"{year(value)} {second}"
                return i + 3, f"{_read_int_string(text)} {_read_int_string(other)}"
        if text[0] == "0" and len(text) > 1:
            j = self._next(toks, i)
            if not (j < n and toks[j].text == "Uhr" and len(text) == 2):
                run.phone_end = i + 1  # an area code: the groups after it are digits too
                return i + 1, digits(text)
        return self._quantity(run, i, value, None)

    def _day_without_period(self, run: _Run, i: int, value: int) -> tuple[int, str] | None:
        """A day written without its period before a month name, a common slip ("am 15
        April", "18. bis 20 März"): still a date, read as an ordinal."""
        toks = run.toks
        month = self._month_at(toks, i + 2)
        if month is None or month[0] != i + 3 or not 1 <= value <= _DAYS_IN_MONTH[month[1]]:
            return None
        if month[0] < len(toks) and toks[month[0]].text in "-‑":
            return None  # "3 Mai-Termine" counts things; it is no date
        ending = self._day_ending(run, i)
        run.ordinal_at, run.ordinal_ending = i + 1, ending
        spoken = f"{ordinal(value, ending)} {self._month_name(month[1])}"
        end = i + 3
        y = self._next(toks, end - 1)
        n = len(toks)
        if (
            y < n
            and toks[y].kind == NUM
            and len(toks[y].text) == 4
            and _INT.fullmatch(toks[y].text)
            and not (y + 1 < n and toks[y + 1].kind == WORD)
        ):
            spoken += " " + year(int(toks[y].text))
            end = y + 1
        return end, spoken

    def _spaced_thousands(self, run: _Run, i: int) -> tuple[int, int, str | None] | None:
        """A number whose thousands are set off by spaces ("40 000 €", "1 250 000",
        "+25 000"): (index of its last group, value, decimals), or ``None``.

        One to three digits, then groups of exactly three after one space (plain, or a
        no-break one); not a phone number ("Tel. 030 123 456", "+49 30 123456", "+1 212
        555 0123": another digit group follows).
        """
        toks = run.toks
        n = len(toks)
        head = toks[i].text
        if len(head) > 3 or head[0] == "0" or i + 2 >= n:
            return None
        if toks[i + 1].text not in _THOUSANDS_SPACES or toks[i + 2].kind != NUM:
            return None
        last = -1
        frac: str | None = None
        k = i + 1
        while k + 1 < n and toks[k].text in _THOUSANDS_SPACES and toks[k + 1].kind == NUM:
            m = _THOUSANDS_GROUP.fullmatch(toks[k + 1].text)
            if m is None or k > i + 2 * _MAX_THOUSANDS_GROUPS:
                return None  # "+49 30 123456", "+1 212 555 0123"
            last = k + 1
            k += 2
            if m[1] is not None:
                frac = m[1]
                break
        if last < 0 or self._is_phone(run, i):
            return None
        if k + 1 < n and toks[k].kind == SP and toks[k + 1].kind == NUM:
            return None
        value = int("".join(toks[j].text[:3] for j in range(i + 2, last + 1, 2)), 10)
        value += int(head) * 1000 ** ((last - i) // 2)
        return last, value, frac

    def _month_year(self, run: _Run, i: int, month: str, other: str) -> tuple[int, str] | None:
        """Two digits, a slash and a number that are a month and year ("ab 01/2025" →
        "ab Januar zweitausendfünfundzwanzig") or a season ("Saison 09/10" → "null neun
        zehn"), not an area code and phone number."""
        toks = run.toks
        after = i + 3
        if after < len(toks) and (toks[after].text in "/-‑" or toks[after].kind == NUM):
            return None  # "01/2025/3", "09/10-12": a file number
        p = self._prev(toks, i)
        if p >= 0 and self._classes(self._word_key(toks, p)) & {"countctx", "phonectx"}:
            return None  # "Nr. 12/2024", "Tel. 04/1234"
        first, second = int(month), int(other)
        if len(other) == 4 and 1 <= first <= 12 and 1900 <= second <= 2099:
            return after, f"{self._month_name(first)} {year(second)}"
        if _leading_zero(month) and len(other) == 2 and second == (first + 1) % 100:
            return after, f"{digits(month)} {_read_int_string(other)}"
        return None

    def _code(self, run: _Run, i: int) -> tuple[int, str] | None:
        """Digit groups that count nothing: ISBNs and other hyphenated codes, ISO dates,
        phone numbers. They are read digit by digit (dates as dates)."""
        toks = run.toks
        n = len(toks)
        end = i + 1
        groups = 1
        while (
            groups < _CODE_GROUPS + 8
            and end + 1 < n
            and toks[end].text in "-‑"
            and toks[end + 1].kind == NUM
            and _INT.fullmatch(toks[end + 1].text)
        ):
            groups += 1
            end += 2
        if groups == 3:
            m = _ISO_DATE.fullmatch("".join(t.text for t in toks[i:end]))
            if m:
                found = self._date(run, i, int(m[3]), int(m[2]), m[1])
                if found is not None:
                    return end, found[1]
        if groups >= _CODE_GROUPS:
            return end, " ".join(digits(toks[k].text) for k in range(i, end, 2))
        if self._is_phone(run, i) or self._is_country_code(toks, i):
            run.phone_end = i + 1
            return i + 1, digits(toks[i].text)
        if self._is_postal_code(toks, i) or self._is_plate(toks, i):
            return i + 1, digits(toks[i].text)
        return None

    def _is_postal_code(self, toks: list[Token], i: int) -> bool:
        """Five digits after a house number and a comma, before a place: "Unter den
        Linden 77, 10117 Berlin" (after "PLZ" the phone rule reads them)."""
        if len(toks[i].text) != 5:
            return False
        p = self._prev(toks, i)
        if p < 1 or toks[p].text != ",":
            return False
        q = p - 1
        if toks[q].kind == WORD and len(toks[q].text) == 1 and q >= 1:
            q -= 1  # "3a"
        if toks[q].kind != NUM or not _INT.fullmatch(toks[q].text) or len(toks[q].text) > 3:
            return False
        k = self._next(toks, i)
        if k >= len(toks) or not self._is_noun(toks[k]):
            return False
        word = toks[k].text
        t = self.tables
        return not (word in t.units or word in t.currencies or word in t.scales) and (
            word.lower() not in t.nouns
        )

    def _is_plate(self, toks: list[Token], i: int) -> bool:
        """A licence plate's number: "M-AB 1234" (district, letters, up to four digits)."""
        if len(toks[i].text) > 4 or i < 4 or toks[i - 1].text != " ":
            return False
        letters, dash, district = toks[i - 2], toks[i - 3], toks[i - 4]
        return (
            letters.kind == WORD
            and len(letters.text) <= 2
            and letters.text.isupper()
            and dash.text in "-‑"
            and district.kind == WORD
            and len(district.text) <= 3
            and district.text.isupper()
            and district.text not in self.tables.acronyms
            and (i == 4 or toks[i - 5].kind == SP or toks[i - 5].text in _OPENERS)
        )

    @staticmethod
    def _is_country_code(toks: list[Token], i: int) -> bool:
        """ "+49 30 123456": a plus, one to three digits, then another digit group."""
        return (
            i >= 1
            and toks[i - 1].text == "+"
            and (i < 2 or toks[i - 2].kind == SP or toks[i - 2].text in "(")
            and len(toks[i].text) <= 3
            and i + 2 < len(toks)
            and toks[i + 1].text == " "
            and toks[i + 2].kind == NUM
            and _INT.fullmatch(toks[i + 2].text) is not None
        )

    def _is_phone(self, run: _Run, i: int) -> bool:
        """Whether the digit group at ``i`` belongs to a phone number: it follows "Tel.",
        "Telefon", … or continues a number begun with an area code ("030 1234567")."""
        toks = run.toks
        q = i - 1
        if q >= 0 and ((toks[q].kind == SP and toks[q].text == " ") or toks[q].text in "-/"):
            q -= 1
        if q >= 0 and run.phone_end == q + 1 and toks[q].kind == NUM:
            return True
        p = self._prev(toks, i)
        if p >= 0 and toks[p].text == ":":
            p = self._prev(toks, p)
        return p >= 0 and "phonectx" in self._classes(self._word_key(toks, p))

    @staticmethod
    def _word_key(toks: list[Token], p: int) -> str:
        """The word ending at ``p`` as the tables spell it: "Art." for "Art" + "."."""
        if toks[p].text == "." and p >= 1 and toks[p - 1].kind == WORD:
            return toks[p - 1].text + "."
        return toks[p].text

    def _mixed_fraction(
        self, run: _Run, end: int, value: int, num: int, den: int
    ) -> tuple[int, str]:
        """ "2½ Stunden" → "zweieinhalb Stunden", "1¾ km" → "eindreiviertel Kilometer";
        ``end`` is the index after the fraction."""
        toks = run.toks
        tail = "einhalb" if den == 2 else fraction(num, den).replace(" ", "").lower()
        words = ("ein" if value == 1 else cardinal(value)) + tail
        unit = self._unit_at(toks, end, self.tables.units) or self._unit_at(
            toks, end, self.tables.currencies
        )
        if unit is not None:
            words += " " + unit[1].plural
            end = unit[0]
        return end, words

    def _decade(self, toks: list[Token], i: int, value: int, text: str) -> tuple[int, str]:
        """ "90er", "1960er", "80er-Jahre": a decade reads as its year plus "-er".

        Before "Jahre" the hyphen becomes a space ("neunziger Jahren"), the spelling the
        Duden gives beside "Neunzigerjahren"; other compounds keep it ("zehner-Karte").
        """
        if len(text) == 4 and 1100 <= value <= 2099:
            head = year(value)
        else:
            head = cardinal_attributive(value)
        spoken = head + toks[i + 1].text
        end = i + 2
        if (
            end + 1 < len(toks)
            and toks[end].text in "-‑"
            and toks[end + 1].kind == WORD
            and toks[end + 1].text.startswith("Jahr")
        ):
            return end + 1, spoken + " "
        return end, spoken

    def _ordinal(
        self, run: _Run, i: int, value: int, grouped: bool = False
    ) -> tuple[int, str] | None:
        """ "N." as an ordinal when its context says so, with case agreement."""
        toks = run.toks
        n = len(toks)
        after = i + 2  # index after the period
        m = self._next(toks, i + 1)
        nxt = toks[m] if m < n else None
        month = self._month_at(toks, m)
        article, case, ctx = self._context(run, i)
        det = article != "none" or (
            ctx >= 0 and toks[ctx].text in _RANGE_JOINERS and run.ordinal_at >= ctx - 2
        )
        prev_tok = toks[ctx] if ctx >= 0 else None
        minute = self._match_minute(run, i, value)
        if minute is not None:
            return minute
        rank: Gender | None = None
        if month is None and article == "none":
            rank = self._rank(run, i, value, ctx)
        is_ordinal: bool
        if month is not None or rank is not None:
            is_ordinal = True
        elif nxt is None:
            is_ordinal = det
        elif (value > 999 and not (grouped and det)) or (
            prev_tok is not None and "countctx" in self._classes(prev_tok.text)
        ):
            is_ordinal = False
        elif det:
            is_ordinal = True
        elif nxt.text in _DASHES or nxt.text in ("bis", "/"):
            # a range or pair of ordinals: "1.–3. Klasse", "24./25. Dezember"
            k = self._next(toks, m)
            is_ordinal = k + 1 < n and toks[k].kind == NUM and toks[k + 1].text == "."
            if not is_ordinal and k + 2 < n and toks[k].kind == NUM and toks[k + 1].text == " ":
                is_ordinal = self._month_at(toks, k + 2) is not None  # "18. bis 20 März"
        elif nxt.text == "+" and m == i + 2 and m + 1 < n and toks[m + 1].kind == NUM:
            is_ordinal = True  # stoppage time: "90.+3"
        elif nxt.kind == WORD and nxt.text.islower():
            is_ordinal = "other" not in self._classes(nxt.text)
        elif nxt.kind == WORD:
            if nxt.text.lower() in self.tables.ordinal_nouns:
                is_ordinal = True
            elif not self._is_noun(nxt):
                is_ordinal = False
            else:
                is_ordinal = prev_tok is None or (
                    prev_tok.kind == SYM and prev_tok.text in _OPENERS
                )
        else:
            is_ordinal = False
        if not is_ordinal:
            return None
        # ending: inherit in ranges ("vom 12. bis 15."), else from context and the noun
        noun_ahead: Token | None = None
        if (
            ctx >= 0
            and (toks[ctx].text in _RANGE_JOINERS or toks[ctx].text in _DASHES)
            and run.ordinal_at >= ctx - 2
        ):
            ending = run.ordinal_ending
        elif rank is not None:
            # a place agrees with the subject ("sie … Zweite") or with a noun after it
            # ("wurde 1. Vorsitzender" → "erster Vorsitzender")
            noun_ahead = self._noun_after(toks, i + 1)
            gender_of = self.gender(noun_ahead.text) if noun_ahead is not None else rank
            ending = ordinal_ending("none", "nom", gender_of)
        else:
            if month is not None:
                gender: Gender = "m"
            else:
                noun = self._noun_after(toks, i + 1)
                gender = self.gender(noun.text) if noun is not None else "m"
            ending = ordinal_ending(article, case, gender)
        spoken = ordinal(value, ending)
        if rank is not None:
            run.rank_at = after
            if noun_ahead is None:
                spoken = _capitalize(spoken)  # a noun: "Erster", "Zweite"
        end = after
        run.ordinal_at = after
        run.ordinal_ending = ending
        if month is not None:
            month_end, month_no = month
            spoken += " " + self._month_name(month_no)
            end = month_end
            y = self._next(toks, end - 1)
            if y < n and toks[y].kind == NUM and _INT.fullmatch(toks[y].text):
                ytext = toks[y].text
                if len(ytext) == 4 and not (y + 1 < n and toks[y + 1].kind == WORD):
                    spoken += " " + year(int(ytext))
                    end = y + 1
                    stamp = self._time_after_date(toks, end)
                    if stamp is not None:  # "18. Oktober 2023 | 14:10"
                        spoken += ", " + stamp[1]
                        end = stamp[0]
            elif toks[end - 1].text == "." and self._period_ends_sentence(toks, end):
                spoken += "."
        elif end >= n or (nxt is None):
            spoken += "."
        return end, spoken

    def _match_minute(self, run: _Run, i: int, value: int) -> tuple[int, str] | None:
        """ "zum 2:0 (52.)" → "(zweiundfünfzigste Minute)": a minute marker in a match
        report, an ordinal in brackets after a score or a goal word ("Tor", "traf"), or
        one more in the same brackets ("(12., 78.)", "(52./Elfmeter)")."""
        toks = run.toks
        n = len(toks)
        after = i + 2
        if not 1 <= value <= _MAX_MATCH_MINUTE or after > n or toks[i + 1].text != ".":
            return None
        closer = toks[after].text if after < n else ""
        if closer not in (")", "/", ",", "+"):
            return None
        p = self._prev(toks, i)
        if p < 0:
            return None
        if toks[p].text == "," and run.minute_at >= p - 1:
            pass  # "(12., 78.)"
        elif toks[p].text != "(" or p != i - 1:
            return None
        elif not self._match_context(toks, p):
            if closer == ")" and value <= _MAX_MARKED_RANK:
                # "Bremen (9.) vor Mainz", "Geiger (12.)": a place in a table or a result
                return after, _capitalize(ordinal(value, "er"))
            return None
        run.minute_at = after
        run.ordinal_at = after  # "(45.+1)": the stoppage time goes on after "Minute"
        return after, f"{ordinal(value, 'e')} Minute"

    def _match_context(self, toks: list[Token], p: int) -> bool:
        """Whether a score ("2:0") or a goal word stands shortly before ``p`` in its
        sentence."""
        k = p - 1
        seen = 0
        while k >= 0 and seen < _MINUTE_REACH:
            tok = toks[k]
            if tok.kind != SP:
                seen += 1
                if tok.text in _SENTENCE_END and toks[k - 1].kind != NUM:
                    return False  # an ordinal's period ("(12., 78.)") ends no sentence
                if tok.kind == NUM and _SCORE.fullmatch(tok.text):
                    return True
                if tok.kind == WORD and "goalctx" in self._classes(tok.text):
                    return True
            k -= 1
        return False

    def _rank(self, run: _Run, i: int, value: int, ctx: int) -> Gender | None:
        """The gender of a finishing place "N." at ``i`` ("Er wurde 1.", "wurde sie 2.",
        "und sie 2." after another place), or ``None`` when it is not one."""
        toks = run.toks
        # "werde 11..": the ordinal's period and the sentence's, so the writer marked an
        # ordinal; no age is written so, and a place may then be larger than _MAX_RANK
        marked = i + 2 < len(toks) and toks[i + 1].text == "." and toks[i + 2].text == "."
        if value > (_MAX_MARKED_RANK if marked else _MAX_RANK) or value < 1 or ctx < 0:
            return None
        classes = self._classes(toks[ctx].text)
        if "rankverb" in classes:
            if "ageverb" in classes and not marked and self._noun_after(toks, i + 1) is None:
                return None  # "Charlotte wird 9." is an age; "wird 2. Vorsitzender" a place
            subject = self._prev(toks, ctx)  # "Er wurde 1."
        else:
            pronoun = self._pronoun_gender(classes)
            if pronoun is None:
                return None
            v = self._prev(toks, ctx)
            if v < 0:
                return None
            joined = toks[v].text in (",", "und", "oder") and run.rank_at >= v - 3
            if not joined:
                verb = self._classes(toks[v].text)
                if "rankverb" not in verb or (
                    "ageverb" in verb and self._noun_after(toks, i + 1) is None
                ):
                    return None  # "Morgen wird sie 2." is an age
            return pronoun  # "wurde sie 2.", "und sie 2."
        if subject < 0 or toks[subject].kind != WORD:
            return "m"
        pronoun = self._pronoun_gender(self._classes(toks[subject].text))
        if pronoun is not None:
            return pronoun
        return self.gender(toks[subject].text) if self._is_noun(toks[subject]) else "m"

    @staticmethod
    def _pronoun_gender(classes: frozenset[str]) -> Gender | None:
        for name, gender in _PRONOUN_GENDERS.items():
            if name in classes:
                return gender
        return None

    def _unit_before(self, run: _Run, i: int) -> tuple[int, str] | None:
        """A unit symbol before its number, read as its noun: "km 12,5" → "Kilometer"."""
        toks = run.toks
        unit = self.tables.units.get(toks[i].text)
        if unit is None or i + 2 >= len(toks) or toks[i + 1].text != " " or toks[i + 2].kind != NUM:
            return None
        return i + 1, unit.singular

    def _month_at(self, toks: list[Token], m: int) -> tuple[int, int] | None:
        """(index after, month number) when a month name or abbreviation starts at ``m``."""
        if m >= len(toks) or toks[m].kind != WORD:
            return None
        word = toks[m].text
        if m + 1 < len(toks) and toks[m + 1].text == ".":
            number = self._month_keys.get(word + ".")
            if number is not None:
                return m + 2, number
        number = self._month_keys.get(word)
        if number is not None and not word.endswith("."):
            return m + 1, number
        return None

    def _quantity(
        self, run: _Run, i: int, value: int, frac: str | None, last: int | None = None
    ) -> tuple[int, str]:
        """A count or measure: number, then optional scale word, unit or currency.

        ``last`` is the number's last token when it spans several ("40 000").
        """
        toks = run.toks
        t = self.tables
        last = i if last is None else last
        end = last + 1
        scale = self._unit_at(toks, end, t.scales)
        if scale is not None:
            end = scale[0]
        currency = self._unit_at(toks, end, t.currencies)
        unit = None
        if currency is not None:
            end = currency[0]
        else:
            unit = self._unit_at(toks, end, t.units)
            if unit is not None:
                end = unit[0]
        noun_unit = currency or unit
        if value == 1 and frac is None and noun_unit is None and scale is None:
            found = self._one_plural(run, i)
            if found is not None:
                return found
        words = self._amount(run, i, value, frac, scale, noun_unit)
        if (
            noun_unit is not None
            and end + 1 < len(toks)
            and toks[end].text == "/"
            and toks[end + 1].kind == WORD
        ):
            per = self._unit_at(toks, end + 1, t.units)
            if per is not None:
                words += " pro " + per[1].singular  # "30 l/m²"
                end = per[0]
            else:
                words += " pro "  # "3,50 €/Person"
                end += 1
        # a unit abbreviation's period may also end the sentence ("… 40 Min.")
        if (noun_unit is not None and noun_unit[2].endswith(".") and end >= len(toks)) or (
            scale is not None and noun_unit is None and scale[2].endswith(".") and end >= len(toks)
        ):
            words += "."
        if end == last + 1:
            fused = self._fuse(toks, last, words, value, frac)
            if fused is not None:
                return fused
        return end, words

    def _amount(
        self,
        run: _Run,
        i: int,
        value: int,
        frac: str | None,
        scale: tuple[int, Unit, str] | None,
        noun: tuple[int, Unit, str] | None,
    ) -> str:
        toks = run.toks
        if frac is None and scale is not None and scale[1].gender == "n":
            # "5 Tsd." is a plain number in thousands
            value *= 1000
            scale = None
        if frac is not None:
            if scale is None and noun is not None and noun[1].subunit and len(frac) == 2:
                money = noun[1]
                cents = int(frac)
                if money.subunit:
                    if value == 0:
                        return f"{cardinal(cents)} {money.subunit}"
                    _, case, _ = self._context(run, i)
                    head = ein(case, money.gender) if value == 1 else cardinal(value)
                    word = money.singular if value == 1 else money.plural
                    if noun[2] == word and word == money.singular + "n" and money.gender != "f":
                        word = money.singular  # "mit 4,40 Metern" → "vier Meter vierzig"
                    return f"{head} {word}" + (f" {cardinal(cents)}" if cents else "")
            spoken = decimal(value, frac)
            if scale is not None:
                spoken += " " + scale[1].plural
            if noun is not None:
                spoken += " " + noun[1].plural
            return spoken
        if scale is not None:
            if value == 1:
                _, case, _ = self._context(run, i)
                spoken = f"{ein(case, scale[1].gender)} {scale[1].singular}"
            else:
                spoken = f"{cardinal(value)} {scale[1].plural}"
            if noun is not None:
                spoken += " " + noun[1].plural
            return spoken
        if noun is not None:
            if value == 1:
                _, case, _ = self._context(run, i)
                return f"{ein(case, noun[1].gender)} {noun[1].singular}"
            return f"{cardinal(value)} {noun[1].plural}"
        if value == 1:
            j = self._next(toks, i)
            if j < len(toks) and toks[j].text == "Uhr":
                return "ein"
            p = self._prev(toks, i)
            if p >= 0 and "countctx" in self._classes(self._word_key(toks, p)):
                return "eins"  # "Platz 1", "Art. 1 Abs. 2"
            follower = self._noun_index(toks, i)
            if follower >= 0:
                case = self._one_case(run, i, follower)
                return ein(case, self.gender(toks[follower].text))
            if j < len(toks) and toks[j].text == "von":
                k = self._next(toks, j)
                if k < len(toks) and toks[k].kind == NUM:
                    return self._one_of(run, i, k)
            return "eins"
        if 1100 <= value <= 1999 and len(toks[i].text) == 4 and self._is_year(run, i):
            return year(value)
        return cardinal(value)

    def _one_plural(self, run: _Run, i: int) -> tuple[int, str] | None:
        """ "1" before a plural in "-e" of a known masculine or neuter noun, read in the
        singular: "bis 1 Prozentpunkte" → "bis einen Prozentpunkt" (so article and noun
        agree)."""
        toks = run.toks
        k = i + 2
        if k >= len(toks) or toks[i + 1].text != " " or not self._is_noun(toks[k]):
            return None
        text = toks[k].text
        if len(text) < 4 or not text.endswith("e") or self._known_gender(text.lower()):
            return None
        gender = self._known_gender(text[:-1].lower())
        if gender not in ("m", "n"):
            return None
        p = self._prev(toks, i)
        if p >= 0 and "countctx" in self._classes(self._word_key(toks, p)):
            return None  # "Platz 1 Punkte"?: not a count of the noun
        return k + 1, f"{ein(self._one_case(run, i, k), gender)} {text[:-1]}"

    def _known_gender(self, low: str) -> Gender | None:
        """The gender of a lower-cased noun in the lexicon, or of its compound head there."""
        nouns = self.tables.nouns
        found = nouns.get(low)
        if found is None:
            # the head of a compound: "Haftstrafe" → "strafe"; a first member has at least
            # three letters, so "Waffe" is not "W" + "Affe"
            for k in range(3, max(3, len(low) - 2)):
                found = nouns.get(low[k:])
                if found is not None:
                    break
        return found

    def _one_of(self, run: _Run, i: int, k: int) -> str:
        """ "1 von 10 Erwachsenen" → "einer von zehn": the pronoun, in the gender of the
        counted plural noun (masculine when unknown) and the case before it."""
        gender: Gender = "m"
        noun = self._noun_after(run.toks, k)
        if noun is not None:
            low = noun.text.lower()
            nouns = self.tables.nouns
            for cut in (0, 1, 2, 3):  # plural endings: "-n", "-en", "-ern" ("Kindern")
                if cut == 3 and not low.endswith("ern"):
                    break
                found = nouns.get(low[: len(low) - cut])
                if found is not None:
                    gender = found
                    break
        _, case, _ = self._context(run, i)
        if gender == "n" and case in ("nom", "acc"):
            return "eines"
        if gender == "m" and case == "nom":
            return "einer"
        return ein(case, gender)

    def _is_year(self, run: _Run, i: int) -> bool:
        """A plain 4-digit number 1100–1999 is a year unless its context counts things."""
        toks = run.toks
        p = self._prev(toks, i)
        if p >= 0:
            prev = toks[p]
            classes = self._classes(prev.text)
            if "yearctx" in classes or prev.text in self._month_keys:
                return True
            if prev.text in _DASHES or prev.text == "/":
                q = self._prev(toks, p)
                return q >= 0 and toks[q].kind == NUM and len(toks[q].text) == 4
            if "particle" in classes:
                return False
        j = self._next(toks, i)
        if j < len(toks):
            nxt = toks[j]
            if nxt.text in _DASHES and j == i + 1:
                return True
            if nxt.kind == WORD and self._is_noun(nxt) and nxt.text not in self._month_keys:
                return False
        return True

    def _fuse(
        self, toks: list[Token], i: int, words: str, value: int, frac: str | None
    ) -> tuple[int, str] | None:
        """Number compounds: "68-Jährige" → "Achtundsechzigjährige", "1-Zimmer" → "ein-"."""
        n = len(toks)
        if not (i + 2 < n and toks[i + 1].text in "-‑" and toks[i + 2].kind == WORD):
            return None
        word = toks[i + 2].text
        if frac is None:
            words = cardinal_attributive(value) if value != 1 else "ein"
            p = i - 2 if i >= 2 and toks[i - 1].text in "-‑" else self._prev(toks, i)
            if value == 1 and p >= 0 and "countctx" in self._classes(self._word_key(toks, p)):
                words = "eins"  # "Nr.-1-Hit" → "Nummer-eins-Hit"
            if 1100 <= value <= 1999 and len(toks[i].text) == 4:
                words = year(value)
        if word.lower().startswith(_FUSING):
            fused = words.replace(" ", "") + word.lower()
            return i + 3, _capitalize(fused) if word[0].isupper() else fused
        unit = self._unit_at(toks, i + 2, self.tables.units)
        if unit is not None and unit[0] + 1 < n and toks[unit[0]].text in "-‑":
            # a unit symbol inside a compound: "100-m-Lauf" → "hundert-Meter-Lauf"
            return unit[0] + 1, f"{words}-{unit[1].plural}-"
        return i + 1, words

    # ------------------------------------------------------------------ words

    def _per_unit(self, run: _Run, i: int) -> tuple[int, str] | None:
        """A unit symbol after "pro" or "je": "Cent pro kWh" → "pro Kilowattstunde"."""
        toks = run.toks
        if i < 2 or toks[i - 2].text not in _PER or toks[i - 1].text != " ":
            return None
        unit = self._unit_at(toks, i, self.tables.units)
        if unit is None or unit[2] in ("x", "%", "‰"):
            return None
        spoken = unit[1].singular
        if unit[2].endswith(".") and self._period_ends_sentence(toks, unit[0]):
            spoken += "."
        return unit[0], spoken

    def _word(self, run: _Run, i: int) -> tuple[int, str] | None:
        toks = run.toks
        tok = toks[i]
        text = tok.text
        n = len(toks)
        if i >= 2 and toks[i - 2].text in _PER:
            found = self._per_unit(run, i)
            if found is not None:
                return found
        has_period = i + 1 < n and toks[i + 1].text == "."
        if has_period and text + "." in self.tables.currencies:
            found = self._abbreviated_currency(run, i)  # "Fr. 200.–" (Swiss francs)
            if found is not None:
                return found
        if has_period:
            found = self._abbreviation(run, i)
            if found is not None:
                return found
            if text[0] in "IVXL":
                found = self._regnal(run, i, i + 2)
                if found is not None:
                    return found
            month = self._month_at(toks, i)
            if month is not None and month[0] == i + 2:
                spoken = self._month_name(month[1])
                if self._period_ends_sentence(toks, i + 2):
                    spoken += "."
                return i + 2, spoken
        if (
            not has_period
            and len(text) == 2
            and "weekday" in self._classes(text + ".")
            and (
                (i + 2 < n and toks[i + 1].text in _DASHES and self._is_weekday_at(toks, i + 2))
                or (i >= 2 and toks[i - 1].text in _DASHES and self._is_weekday_at(toks, i - 2))
                # a dateline "Mi, 18. Oktober 2023": the weekday before its date
                or (i + 1 < n and toks[i + 1].text == "," and self._number_follows(toks, i + 1))
            )
        ):
            entry = self.tables.abbreviations.get(text + ".")
            if entry is not None:
                return i + 1, entry.spoken  # "Mo–Fr" → "Montag bis Freitag"
        if has_period and len(text) == 1 and text.isupper():
            found = self._dotted_initials(toks, i)
            if found is not None:
                return found
        m_inner = _INNER_I.fullmatch(text)
        if m_inner is not None:
            return i + 1, f"{m_inner[1]}-{m_inner[2].lower()}"  # "LehrerInnen"
        if not text[0].isupper():
            if text in self.tables.acronyms or _inner_capitals(text):
                return self._acronym(toks, i)  # "ifo", "mRNA", "iOS"
            return None
        if text in self.tables.law_codes and i - run.law_at <= _LAW_REACH:
            return i + 1, self.tables.law_codes[text]
        if text[0] in "IVXL" and not has_period and _ROMAN.fullmatch(text):
            p = self._prev(toks, i)
            if p >= 1 and toks[p].text in _DASHES:
                p -= 1
            if p >= 0 and toks[p].text in _ROMAN_CARDINAL_BEFORE:
                return i + 1, cardinal(_roman_value(text))
            if p == i - 2 and self._ruler_name(toks, p):
                # "Papst Leo XIV hat", "Ludwig II baute": regnal without its period
                found = self._regnal(run, i, i + 1)
                if found is not None:
                    return found
            if (
                p == i - 2
                and len(text) >= 2
                and ("I" in text or "V" in text)
                and len(toks[p].text) > 1
                and toks[p].text[0].isupper()
                and toks[p].text[1:].islower()
            ):
                # a sequel or a second team: "Rocky IV", "Schalke II" → "vier", "zwei"
                return i + 1, cardinal(_roman_value(text))
        if text.isupper() and text in self.tables.currencies:
            # a currency code before the amount: "EUR 15" → "fünfzehn Euro" (codes only:
            # "Euro 2024" is a tournament)
            j = i + 1
            if j < n and toks[j].kind == SP and len(toks[j].text) == 1:
                j += 1
            if j < n and toks[j].kind == NUM:
                found = self._prefixed_money(run, j, self.tables.currencies[text])
                if found is not None:
                    return found
        canton = self.tables.cantons.get(text)
        if (
            canton is not None
            and i == 2
            and toks[1].text == " "
            and self._is_noun(toks[0])
            and i + 1 < n
            and (
                toks[i + 1].text == ":"
                or (i + 2 < n and toks[i + 1].text == " " and toks[i + 2].text in _DATELINE_MARKS)
            )
        ):
            return i + 1, f", Kanton {canton}"  # "Studen BE – …": a Swiss dateline
        police = _CANTON_BEFORE.get(text)
        if police is not None and i + 2 < n and toks[i + 1].text == " ":
            canton = self.tables.cantons.get(toks[i + 2].text)
            if canton is not None and not (i + 3 < n and toks[i + 3].kind in (WORD, NUM)):
                # "Kapo BE" → "Kantonspolizei Bern", "Kanton ZH" → "Kanton Zürich"
                return i + 3, f"{police} {canton}"
        camel = _CAMEL.fullmatch(text)
        if camel is not None and text not in self.tables.acronyms:
            first, second = (camel[1], camel[2]) if camel[1] else (camel[3], camel[4])
            return i + 1, f"{first} {second}"  # "ClimateAction" → "Climate Action"
        country = self.tables.nation_codes.get(text)
        if (
            country is not None
            and i >= 1
            and i + 1 < n
            and toks[i - 1].text == "("
            and toks[i + 1].text in (")", "/", ",", ";")
        ):
            return i + 1, country  # "Karl Geiger (GER)" → "(Deutschland)"
        if len(text) >= 2 and (not text[1:].islower() or text in self.tables.acronyms):
            return self._acronym(toks, i)
        return None

    def _dotted_initials(self, toks: list[Token], i: int) -> tuple[int, str] | None:
        """Capitals each with its period and nothing between ("F.A.S.", "U.S.") that no
        table knows: spelled ("F A S"). Initials with spaces ("Christian P. Stadtfeld")
        are read by the phonemizer as letters anyway."""
        n = len(toks)
        k = i
        letters: list[str] = []
        while (
            k + 1 < n
            and toks[k].kind == WORD
            and len(toks[k].text) == 1
            and toks[k].text.isupper()
            and toks[k + 1].text == "."
        ):
            letters.append(toks[k].text)
            k += 2
        if len(letters) < 2 or "".join(f"{c}." for c in letters) in self.tables.abbreviations:
            return None
        spoken = " ".join(letters)
        if self._period_ends_sentence(toks, k):
            spoken += "."
        return k, spoken

    def _abbreviation(self, run: _Run, i: int) -> tuple[int, str] | None:
        """Table abbreviations, with parts ("z. B.", "z.B.", "i. d. R.")."""
        toks = run.toks
        n = len(toks)
        abbreviations = self.tables.abbreviations
        candidates: list[tuple[str, int]] = []
        key = ""
        k = i
        for part in range(4):
            if k + 1 >= n or toks[k].kind != WORD or toks[k + 1].text != ".":
                break
            if part and len(toks[k].text) > 4:
                break
            key += toks[k].text + "."
            candidates.append((key, k + 2))
            k += 2
            if k < n and toks[k].kind == SP and toks[k].text == " ":
                k += 1
        if candidates and candidates[0][0] not in abbreviations:
            word = candidates[0][0]
            for suffix, expansion in self._suffix_abbreviations:
                if word.endswith(suffix) and len(word) > len(suffix) + 1:
                    end = candidates[0][1]
                    spoken = word[: -len(suffix)] + expansion
                    if self._period_ends_sentence(toks, end):
                        spoken += "."
                    return end, spoken
        p = self._prev(toks, i)
        sentence_start = p < 0 or toks[p].text in _SENTENCE_END or toks[p].text in '"„“(»'
        for key, end in reversed(candidates):
            found = key if key in abbreviations else None
            spoken_case = False
            if found is None and sentence_start and key[0].isupper():
                found = key[0].lower() + key[1:]
                spoken_case = found in abbreviations
                if not spoken_case:
                    continue
            if found is None:
                continue
            entry = self._applicable(toks, i, key, end, found)
            if entry is None:
                continue
            spoken = _capitalize(entry.spoken) if spoken_case else entry.spoken
            if key in ("Art.", "Abs.", "Nr.") or key.startswith("Art"):
                run.law_at = end
            nxt = self._next(toks, end - 1)
            if entry.when == "day" and nxt < n and self._is_daypart(toks[nxt]):
                pass  # "Fr. Morgen": the weekday goes on into its part of the day
            elif self._period_ends_sentence(toks, end):
                spoken += "."
            return end, spoken
        return None

    def _applicable(
        self, toks: list[Token], i: int, key: str, end: int, found: str
    ) -> Abbreviation | None:
        """The first reading of the abbreviation ``found`` whose condition holds here
        ("Fr." before a number is "Freitag", before a name "Frau")."""
        t = self.tables
        n = len(toks)
        entries: list[Abbreviation] = [t.abbreviations[found]]
        entries += t.abbreviation_alternatives.get(found, [])
        for entry in entries:
            if entry.when == "any":
                return entry
            j = self._next(toks, end - 1)
            if j >= n:
                continue
            following = toks[j]
            if entry.when == "num" and (
                self._number_follows(toks, j) or self._ends_weekday_range(toks, i, key)
            ):
                return entry
            if entry.when == "day" and (
                self._is_daypart(following) or self._after_day_word(toks, i)
            ):
                return entry
            if (
                entry.when == "name"
                and following.kind == WORD
                and following.text[0].isupper()
                and following.text not in self._month_keys
            ):
                return entry
        return None

    def _is_daypart(self, tok: Token) -> bool:
        """A part of the day after a weekday: "Abend" in "Fr. Abend"."""
        return tok.kind == WORD and "daypart" in self._classes(tok.text)

    def _after_day_word(self, toks: list[Token], i: int) -> bool:
        """Whether a word that takes a weekday, never "Frau", stands right before ``i``
        ("am Fr.", "bis Fr.", "jeden Fr.")."""
        p = self._prev(toks, i)
        return p >= 0 and toks[p].kind == WORD and "dayctx" in self._classes(toks[p].text)

    def _ends_weekday_range(self, toks: list[Token], i: int, key: str) -> bool:
        """ "Fr." in "Mo.–Fr.": a weekday abbreviation right after a dash and a weekday."""
        return (
            "weekday" in self._classes(key)
            and i >= 2
            and toks[i - 1].text in _DASHES
            and self._is_weekday_at(toks, i - 2)
        )

    def _is_weekday_at(self, toks: list[Token], j: int) -> bool:
        """A weekday name or abbreviation ends (or starts) at token ``j``."""
        if j < 0 or j >= len(toks):
            return False
        if toks[j].text == "." and j >= 1:
            return "weekday" in self._classes(toks[j - 1].text + ".")
        if toks[j].kind != WORD:
            return False
        if "weekday" in self._classes(toks[j].text):
            return True
        return j + 1 < len(toks) and "weekday" in self._classes(toks[j].text + ".")

    def _number_follows(self, toks: list[Token], j: int) -> bool:
        """A number at ``j``, or a range or list going on to one ("Mo.–Fr.", "Fr., 12.")."""
        if toks[j].kind == NUM:
            return True
        if toks[j].text in _DASHES:
            return True
        if toks[j].text == ",":
            k = self._next(toks, j)
            return k < len(toks) and toks[k].kind == NUM
        return False

    def _regnal(self, run: _Run, i: int, after: int) -> tuple[int, str] | None:
        """ "Karl V." → "Karl der Fünfte", with the case the name stands in; ``after`` is
        the index after the numeral and its period, if it has one."""
        toks = run.toks
        period = after == i + 2
        text = toks[i].text
        if not _ROMAN.fullmatch(text) or text in ("L", "XL"):
            return None  # sizes ("Größe XL."), never a ruler's number
        p = self._prev(toks, i)
        if (
            p < 0
            or p != i - 2
            or not self._is_noun(toks[p])
            or self.tables.months.get(toks[p].text)
        ):
            return None
        name = toks[p].text
        if len(name) < 2 or not name[1:].islower():
            return None
        if name in _ROMAN_CARDINAL_BEFORE or "countctx" in self._classes(name):
            spoken = cardinal(_roman_value(text))  # "Lesen Sie Teil II." → "Teil zwei."
            if period and self._period_ends_sentence(toks, after):
                spoken += "."
            return after, spoken
        case: Case
        if self._genitive_name(toks, p, after):
            case = "gen"  # "die Herrschaft Ludwigs XIV." → "Ludwigs des Vierzehnten"
            name = name[:-1]
        else:
            # walk back over the name ("Papst Johannes Paul") to what sets the case
            q = p
            for _ in range(4):
                r = self._prev(toks, q)
                if r >= 0 and self._is_noun(toks[r]) and toks[r].text[1:].islower():
                    q = r
                else:
                    break
            _, case, _ = self._context(run, q)
        female = (
            name in self.tables.female_names or name.endswith("a") or self._female_title(toks, p)
        )
        gender: Gender = "f" if female else "m"
        value = _roman_value(text)
        ending = ordinal_ending("def", case, gender)
        spoken = f"{definite_article(case, gender)} {_capitalize(ordinal_stem(value))}{ending}"
        if period and self._period_ends_sentence(toks, after):
            spoken += "."
        return after, spoken

    def _title_before(self, toks: list[Token], p: int) -> str | None:
        """The ruler's or cleric's title before the name at ``p`` ("Königin Elizabeth",
        "Papst Johannes Paul"), or ``None``."""
        q = p
        for _ in range(3):
            q = self._prev(toks, q)
            if q < 0 or toks[q].kind != WORD:
                return None
            word = toks[q].text
            if "title" in self._classes(word):
                return word
        return None

    def _female_title(self, toks: list[Token], p: int) -> bool:
        """Whether a woman's title stands before the name at ``p`` ("Königin Elizabeth")."""
        title = self._title_before(toks, p)
        return title is not None and title.endswith("in")

    def _ruler_name(self, toks: list[Token], p: int) -> bool:
        """Whether the word at ``p`` names a ruler, so that a Roman numeral after it is
        regnal even without its period: a title stands before it ("König Charles III"),
        or it is a ruler's first name ("Ludwig II", "Ludwigs II"), unlike "Rocky IV"."""
        name = toks[p].text
        t = self.tables
        for form in (name, name[:-1] if name.endswith("s") else ""):
            if form in t.ruler_names or form in t.female_names:
                return True
        return self._title_before(toks, p) is not None

    def _genitive_name(self, toks: list[Token], p: int, after: int) -> bool:
        """Whether the name at ``p`` before a regnal number is a genitive: it ends in "s"
        and hangs on a noun that is not a title ("die Ära Wilhelms II.", not "Papst
        Johannes XXIII."), or stands before one ("Ludwigs XIV. Hof")."""
        name = toks[p].text
        if (
            len(name) < 4
            or not name.endswith("s")
            or name.endswith(("ss", "us", "es", "is", "os", "as"))
        ):
            return False
        r = self._prev(toks, p)
        if r >= 0 and self._is_noun(toks[r]) and "title" not in self._classes(toks[r].text):
            return True
        k = self._next(toks, after - 1)
        return k < len(toks) and self._is_noun(toks[k]) and toks[k].text not in self._month_keys

    def _acronym(self, toks: list[Token], i: int) -> tuple[int, str] | None:
        text = toks[i].text
        entry = self.tables.acronyms.get(text)
        if entry is not None:
            spoken, spelled = entry.spoken, entry.how == "spell"
        elif text.endswith("s") and text[:-1] in self.tables.acronyms:
            base = self.tables.acronyms[text[:-1]]
            spoken, spelled = base.spoken + "s", base.how == "spell"
        elif acr.is_acronym_shape(text):
            beside = self._beside_capital_word(toks, i)
            if beside and len(text) <= _SHORT_CAPS and text.lower() in self._fw_lower:
                return i + 1, text.lower()  # "UNWETTER IN BAYERN": a headline in capitals
            spoken = acr.read_unknown(text, beside)
            spelled = spoken != text.capitalize()
        else:
            return None
        end = i + 1
        n = len(toks)
        if spelled and end + 1 < n and toks[end].text in "-‑" and toks[end + 1].kind == WORD:
            return end + 1, spoken + " "
        return end, spoken

    def _beside_capital_word(self, toks: list[Token], i: int) -> bool:
        """Whether an all-capitals word next to ``i`` (one space apart) is read as a word,
        so a short name beside it is one too: "PHILIP FONG", "WANG ZHAO"."""
        if not toks[i].text.isupper():
            return False
        for k in (i - 2, i + 2):
            if 0 <= k < len(toks) and toks[(i + k) // 2].text == " ":
                other = toks[k].text
                if (
                    toks[k].kind == WORD
                    and other.isupper()
                    and other not in self.tables.acronyms
                    and acr.reads_as_word(other)
                ):
                    return True
        return False

    # ------------------------------------------------------------------ symbols

    def _symbol(self, run: _Run, i: int) -> tuple[int, str] | None:
        toks = run.toks
        n = len(toks)
        text = toks[i].text
        t = self.tables
        before = toks[i - 1] if i > 0 else None
        after = toks[i + 1] if i + 1 < n else None
        marks = self._marks(toks, i)
        if marks is not None:
            return marks
        if (
            text in ".,"
            and before is not None
            and before.kind == NUM
            and after is not None
            and _NO_CENTS.fullmatch(text + after.text)
            and (i + 2 >= n or toks[i + 2].kind == SP or toks[i + 2].text in _CLOSERS)
        ):
            return i + 2, ""  # "1.500,– Euro", "Fr. 200.–."
        if text[0] in self._multi_symbol_starts:
            found = self._multi_symbol(toks, i)
            if found is not None:
                return found
        if (text in _DASHES or text == "/") and run.phone_end == i:
            return i + 1, ""  # "030 4664-0", "0911/2112": a phone number's signs are not read
        if run.ordinal_at == i and after is not None and after.kind == NUM:
            if text == "/":
                return i + 1, " und "  # "24./25. Dezember": both days
            if text == "+" and _INT.fullmatch(after.text) and len(after.text) < 3:
                # stoppage time: "in der 90.+3 Minute" → "neunzigsten plus drei"
                return i + 2, f" plus {cardinal(int(after.text))}"
        if (
            text == "+"
            and before is not None
            and before.kind == NUM
            and (after is None or after.kind == SP or after.text in _CLOSERS)
        ):
            return i + 1, "plus"  # "Generation 50+"
        if text[0] in SCRIPT_DIGITS:
            return self._script_digits(toks, i)
        if text in _VULGAR:
            return self._vulgar(run, i)
        if text in _DASHES or text == "+":
            p = self._prev(toks, i)
            q = self._next(toks, i)
            num_before = p >= 0 and toks[p].kind == NUM
            num_after = q < n and toks[q].kind == NUM
            if text != "+" and num_after and run.ordinal_at == i:
                return i + 1, " bis "
            if (
                text != "+"
                and self._is_weekday_at(toks, i - 1)
                and self._is_weekday_at(toks, i + 1)
            ):
                return i + 1, " bis "  # "Mo.–Fr."
            if text != "+" and num_before and num_after:
                if _leading_zero(toks[p].text) or _leading_zero(toks[q].text):
                    return None  # a phone or file number, not a range
                if p == i - 1 and (_in_name(toks, p) or (q + 1 < n and toks[q + 1].kind == WORD)):
                    return i + 1, ""  # "Core i9-14900K", "DDR5-6000": a model code
                adjacent = before is toks[p] and after is toks[q]
                if adjacent or text != "-":
                    return i + 1, " bis "
            if (
                after is not None
                and after.kind == NUM
                and (before is None or before.kind == SP or before.text in "([/")
            ):
                return i + 1, _SIGNS[text] + " "
            if text == "+" and before is not None and before.kind == SP:
                return i + 1, "plus"
            return None
        if text in ("§",):
            run.law_at = i
            if after is not None and after.text == "§":
                return i + 2, t.symbols.get("§§", "Paragrafen")
            return i + 1, t.symbols.get("§", "Paragraf")
        currency = t.currencies.get(text)
        if currency is not None:
            j = i + 1
            if j < n and toks[j].kind == SP and len(toks[j].text) == 1:
                j += 1
            if j < n and toks[j].kind == NUM:
                found = self._prefixed_money(run, j, currency)
                if found is not None:
                    return found
        if text == "x" or text == "×":
            return i + 1, "mal"
        spoken = t.symbols.get(text)
        if spoken is not None:
            if text in ("&", "+", "=") and not (before is not None and before.kind == SP):
                return i + 1, spoken
            return i + 1, spoken
        return None

    def _marks(self, toks: list[Token], i: int) -> tuple[int, str] | None:
        """Signs that real pages print and a reader never says: the gender star, colon or
        gap ("Lehrer*innen" → "Lehrer-innen", spoken with a glottal stop), a footnote
        star ("Trump*"), a run of pluses as an end mark ("+++"), a slash between names
        ("Erlich/Roger-Vasselin", "(USA/Ski alpin)": a pause), a "+" after a name
        ("NASA+", "Disney+": "plus"), a dash glued to the first word ("-Aktualisiert"),
        and pictographs (emoji, arrows) that no table reads."""
        n = len(toks)
        text = toks[i].text
        before = toks[i - 1] if i > 0 else None
        after = toks[i + 1] if i + 1 < n else None
        word_before = before is not None and before.kind == WORD
        word_after = after is not None and after.kind == WORD
        if text in _GENDER_MARKS and word_before and word_after:
            assert after is not None
            if after.text in _GENDER_ENDINGS:
                return i + 2, "-" + after.text
        if text == "/" and word_before and i + 2 < n and toks[i + 1].text == "-":
            ending = toks[i + 2].text
            if ending in _GENDER_ENDINGS:
                return i + 3, "-" + ending  # "Lehrer/-innen"
        if (text == "<" and after is not None and after.kind == URL) or (
            text == ">" and before is not None and before.kind == URL
        ):
            return i + 1, ""  # "<presse@stadt.de>": brackets around an address
        if text == "*" and not (word_before and word_after):
            return i + 1, ""  # a footnote star
        if (
            text == "+"
            and before is not None
            and before.kind == NUM
            and after is not None
            and after.kind == NUM
            and _INT.fullmatch(after.text)
        ):
            # "0+1 Fehler" (shooting), "2+2": the sum's parts are plain numbers
            return i + 2, f" plus {_read_int_string(after.text)}"
        if text == "+":
            k = i
            while k < n and toks[k].text == "+":
                k += 1
            if k - i >= _PLUS_RUN and (k >= n or toks[k].kind == SP):
                return k, ""  # "+++ Eilmeldung +++"
            if word_before and (after is None or after.kind == SP or after.text in _CLOSERS):
                return i + 1, " plus"  # "NASA+ startet", "Disney+"
        if text == "/" and before is not None and before.text in "-‑" and word_after and i >= 2:
            return i + 1, " "  # "Ein-/Ausfahrt", "Vor-/Nachteile"
        if text == "/" and word_before and word_after:
            assert before is not None and after is not None
            if before.text[0].isupper() and after.text[0].isupper():
                both_codes = all(
                    w.isupper() and len(w) <= _SHORT_CAPS for w in (before.text, after.text)
                )
                return i + 1, " " if both_codes else ", "  # "CDU/CSU", "Israel/Frankreich"
            return i + 1, " "  # "und/oder"
        if text == "/" and before is not None and before.kind == SP and after is not None:
            if after.kind == SP and i >= 2 and toks[i - 2].kind == NUM:
                return i + 1, ""  # "12 / 15", "2023 / 24"
            if after.kind == SP:
                return i + 1, ","  # "Politik / Inland"
        if (
            text == "/"
            and before is not None
            and before.kind == NUM
            and word_after
            and after is not None
            and after.text[0].isupper()
        ):
            return i + 1, " "  # "Bündnis 90/Die Grünen"
        if text in _DASHES and i == 0 and word_after:
            return i + 1, ""  # "-Aktualisiert am …"
        if (
            len(text) == 1
            and text not in self.tables.symbols
            and unicodedata.category(text) in ("So", "Mn", "Cf")
        ):
            return i + 1, ""  # "➡️", "©", "™", a variation selector
        return None

    def _byline_code(self, toks: list[Token], i: int) -> tuple[int, str] | None:
        """An author's short code after a dateline's place name, with the space before it,
        not read: "Chemnitz (mr) – …" → "Chemnitz – …". ``i`` is the space. An agency
        from the acronyms table ("Berlin (dpa)") is read."""
        code = toks[i + 2]
        if (
            toks[i + 3].text != ")"
            or code.kind != WORD
            or len(code.text) > _BYLINE_MAX
            or not code.text.islower()
            or code.text in self.tables.acronyms
        ):
            return None
        end = i + 4
        k = self._next(toks, end - 1)
        if k < len(toks) and toks[k].text not in _BYLINE_AFTER:
            return None  # "Die Stadt (mr) plant": not a dateline
        # the place: capitalized words from the start of the text, joined by small words
        # ("Frankfurt am Main", "Halle an der Saale") or by "/", "-", "."
        first = True
        for tok in toks[:i]:
            if tok.kind == SP:
                continue
            if tok.kind == WORD:
                if tok.text[0].isupper():
                    if first and self._classes(tok.text) - _NOT_NOUN_CLASSES:
                        return None  # "Die Stadt (mr) – …" starts a sentence
                elif first or tok.text not in _PLACE_JOINERS:
                    return None
            elif first or tok.kind != SYM or tok.text not in "/-.":
                return None
            first = False
        return end, ""

    def _multi_symbol(self, toks: list[Token], i: int) -> tuple[int, str] | None:
        """A symbol written with several characters ("+/-"), from the symbols table."""
        for width in (3, 2):
            end = i + width
            if end > len(toks) or any(t.kind != SYM for t in toks[i:end]):
                continue
            key = "".join(t.text for t in toks[i:end])
            if key in self._multi_symbols:
                return end, self._multi_symbols[key]
        return None

    def _script_digits(self, toks: list[Token], i: int) -> tuple[int, str]:
        """Sub- and superscript digits: "CO₂" → "C O zwei", "10³" → "zehn hoch drei".

        Like a spelled acronym, a formula before a hyphenated noun reads as a separate
        word: "CO₂-Abgabe" → "C O zwei Abgabe".
        """
        text = toks[i].text
        spoken = _script_number(text)
        if i > 0 and toks[i - 1].kind == NUM and text[0] in _SUPERSCRIPTS:
            spoken = "hoch " + spoken
        if i + 2 < len(toks) and toks[i + 1].text in "-‑" and toks[i + 2].kind == WORD:
            return i + 2, spoken + " "
        return i + 1, spoken

    def _vulgar(self, run: _Run, i: int) -> tuple[int, str]:
        """ "¾ der Fläche" → "drei Viertel", "½ Prozent" → "ein halbes Prozent"."""
        toks = run.toks
        num, den = _VULGAR[toks[i].text]
        if den != 2:
            return i + 1, fraction(num, den)
        return self._half(run, i, i + 1)

    def _half(self, run: _Run, i: int, after: int) -> tuple[int, str]:
        """A half before a unit or noun, agreeing with it: "½ Liter" → "ein halber Liter";
        after an article only the adjective: "einen 1/2 Liter" → "einen halben Liter"."""
        toks = run.toks
        unit = self._unit_at(toks, after, self.tables.units)
        if unit is not None:
            gender, end, noun = unit[1].gender, unit[0], " " + unit[1].singular
        else:
            k = self._noun_index(toks, after - 1)
            if k < 0:
                return after, "ein halb"
            gender, end, noun = self.gender(toks[k].text), after, ""
        article, case, _ = self._context(run, i)
        if article != "none":
            return end, f"halb{ordinal_ending(article, case, gender)}{noun}"
        return end, f"{ein(case, gender)} halb{ordinal_ending('indef', case, gender)}{noun}"

    def _abbreviated_currency(self, run: _Run, i: int) -> tuple[int, str] | None:
        """A currency abbreviated with a period before an amount that is no day of a date:
        "Fr. 200.–", "Fr. 12.90", "Fr. 1'500" → Franken ("Fr. 12." stays Freitag)."""
        toks = run.toks
        n = len(toks)
        j = i + 3
        if j >= n or toks[i + 2].text != " " or toks[j].kind != NUM:
            return None
        amount = toks[j].text
        after = toks[j + 1].text if j + 1 < n else ""
        cents_mark = j + 2 < n and _NO_CENTS.fullmatch(after + toks[j + 2].text) is not None
        day = _INT.fullmatch(amount) is not None and int(amount) <= _MAX_DAY and after == "."
        dm = _DAY_MONTH.fullmatch(amount)
        if dm and 1 <= int(dm[2]) <= 12 and 1 <= int(dm[1]) <= _DAYS_IN_MONTH[int(dm[2])]:
            day = True  # "Fr. 24.11." is a date
        if day and not cents_mark:
            return None
        if _INT.fullmatch(amount) and int(amount) <= _MAX_DAY and not cents_mark:
            return None  # "Fr. 12 Uhr"?: too short to tell, keep the weekday reading
        return self._prefixed_money(run, j, self.tables.currencies[toks[i].text + "."])

    def _prefixed_money(self, run: _Run, j: int, currency: Unit) -> tuple[int, str] | None:
        """ "€80", "$120", "$ 1,5 Mrd.": currency first, read after the amount."""
        toks = run.toks
        text = toks[j].text
        m = _GROUPED.fullmatch(text) or _DECIMAL.fullmatch(text) or _POINT_CENTS.fullmatch(text)
        if m and m[1] and len(m[1]) < 28:
            value, frac = int(m[1].replace(".", "")), m[2]
        elif _INT.fullmatch(text) and len(text) < 28:
            value, frac = int(text), None
        else:
            return None
        end = j + 1
        if _POINT_CENTS.fullmatch(text) and _GROUPED.fullmatch(text):
            value, frac = int(text.split(".")[0]), text.split(".")[1]  # "CHF 20.50"
        scale = self._unit_at(toks, end, self.tables.scales)
        if scale is not None:
            end = scale[0]
        noun = (end, currency, "")
        return end, self._amount(run, j, value, frac, scale, noun)


_DATELINE_MARKS = frozenset(["-", "–", "—", ":"])
"""What ends a dateline's place ("Studen BE – …")."""
_CANTON_BEFORE = {"Kapo": "Kantonspolizei", "Kantonspolizei": "Kantonspolizei", "Kanton": "Kanton"}
"""Words after which a Swiss canton code is read as the canton's name, and how they are
read then ("Kapo" is the Swiss police's short name; elsewhere it stays as written)."""
_CAMEL = re.compile(
    r"([A-ZÄÖÜ][a-zäöüß]{3,})([A-ZÄÖÜ][a-zäöüß]{3,})|([A-ZÄÖÜ][a-zäöüß]{5,})([A-ZÄÖÜ][a-zäöüß]{2})"
)
"""Two words run together, each capitalized ("ClimateAction", "PlayStation", or two
blocks a page glued: "ZoonosenWie"): read as two words. Short first parts stay
("McDonald", "YouTube", "PayPal")."""
_INNER_I = re.compile(r"([A-ZÄÖÜ][a-zäöüß]{2,})(Innen|In)")
"""A noun with the capital-I gender form: "LehrerInnen" → "Lehrer-innen"."""


def _in_name(toks: list[Token], i: int) -> bool:
    """Whether the number at ``i`` is glued to the word before it ("F1", "A6", "C42") or
    joined to it by a hyphen ("Formel-1", "CoV-2"), so it belongs to a name or code."""
    if i >= 1 and toks[i - 1].kind == WORD:
        return True
    return (
        i >= 2
        and toks[i - 1].text in "-‑"
        and toks[i - 2].kind == WORD
        and (i + 1 >= len(toks) or toks[i + 1].text != ".")
    )


def _leading_zero(text: str) -> bool:
    return len(text) > 1 and text[0] == "0"


def _roman_value(text: str) -> int:
    total = 0
    prev = 0
    for char in reversed(text):
        value = _ROMAN_VALUES[char]
        total = total - value if value < prev else total + value
        prev = max(prev, value)
    return total


def _read_int_string(text: str) -> str:
    """A digit string on its own: leading zeros and very long numbers digit by digit."""
    if (text[0] == "0" and len(text) > 1) or len(text) > 27:
        return digits(text)
    value = int(text)
    return cardinal(value) if value <= MAX_SPELLED else digits(text)


def _count(value: int, singular: str, plural: str) -> str:
    """A count of a feminine unit: 1 → "eine Minute", 5 → "fünf Minuten"."""
    return f"eine {singular}" if value == 1 else f"{cardinal(value)} {plural}"


def _script_number(text: str) -> str:
    """Sub- or superscript digits as a number: "₂" → "zwei"."""
    plain = text.translate(_SCRIPT_TO_ASCII)
    return _read_int_string(plain) if plain.isascii() and plain.isdigit() else plain


def _inner_capitals(text: str) -> bool:
    """A lower-case initial then two or more capitals: "mRNA", "iOS" (not "iPhone")."""
    return sum(c.isupper() for c in text) >= 2
