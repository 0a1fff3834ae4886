"""The data tables behind the German normalizer, loaded from ``data/*.tsv``.

Every language fact the normalizer uses (abbreviations, units, currencies, months,
acronyms, law codes, noun genders, function words) is a row in a TSV file, so a publisher
extends the rules by adding rows, not code: pass a folder with files of the same names,
or dictionaries, to :class:`~vorlesen.speak.de.normalizer.GermanNormalizer`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from vorlesen.errors import UsageError
from vorlesen.speak.de.numbers import Article, Case, Gender
from vorlesen.speak.de.tokens import tokenize

DATA_DIR = Path(__file__).with_name("data")
"""Where the built-in tables live."""

_GENDERS = ("m", "f", "n")


@dataclass(frozen=True, slots=True)
class Abbreviation:
    """An abbreviation and when it applies (``any``, ``num`` before a number, ``day``
    before a part of the day or after a word that takes a weekday, ``name``)."""

    spoken: str
    when: str = "any"


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit, scale word or currency read after (or before) a number."""

    singular: str
    plural: str
    gender: Gender
    subunit: str = ""
    """What two decimals count ("Cent"): "1,79 €" → "ein Euro neunundsiebzig",
    "1,85 m" → "ein Meter fünfundachtzig", "0,45 €" → "fünfundvierzig Cent"."""


@dataclass(frozen=True, slots=True)
class Acronym:
    """How an acronym is read: as a ``word`` or ``spell``-ed, and its spoken text."""

    how: str
    spoken: str


@dataclass(frozen=True, slots=True)
class WordContext:
    """A class of the word before a number and the article and case it gives the number;
    ``rule`` names a condition the normalizer checks (see ``word_contexts.tsv``)."""

    word_class: str
    article: Article
    case: Case
    rule: str = ""


_ARTICLES: tuple[Article, ...] = ("def", "indef", "none")
_CASES: tuple[Case, ...] = ("nom", "acc", "dat", "gen")
_CONTEXT_RULES = ("", "der", "amount", "object")


@dataclass(slots=True)
class Tables:
    """All tables, keyed by written form."""

    abbreviations: dict[str, Abbreviation] = field(default_factory=dict)
    abbreviation_alternatives: dict[str, list[Abbreviation]] = field(default_factory=dict)
    """Further readings of an abbreviation listed again with another condition ("Fr.":
    "Freitag" before a number, "Frau" before a name); tried in file order."""
    units: dict[str, Unit] = field(default_factory=dict)
    scales: dict[str, Unit] = field(default_factory=dict)
    currencies: dict[str, Unit] = field(default_factory=dict)
    months: dict[str, int] = field(default_factory=dict)
    acronyms: dict[str, Acronym] = field(default_factory=dict)
    law_codes: dict[str, str] = field(default_factory=dict)
    nouns: dict[str, Gender] = field(default_factory=dict)
    """Lowercased noun → gender."""
    ordinal_nouns: set[str] = field(default_factory=set)
    """Lowercased nouns often counted by an ordinal ("Platz", "Liga")."""
    noun_suffixes: dict[str, Gender] = field(default_factory=dict)
    function_words: dict[str, frozenset[str]] = field(default_factory=dict)
    female_names: set[str] = field(default_factory=set)
    ruler_names: set[str] = field(default_factory=set)
    """Male rulers' and popes' names: a Roman numeral after one is regnal even without
    its period ("Ludwig II baute"); so it is after a name in ``female_names``."""
    symbols: dict[str, str] = field(default_factory=dict)
    nation_codes: dict[str, str] = field(default_factory=dict)
    """Sport nation codes read as the country in "(GER)" after an athlete."""
    cantons: dict[str, str] = field(default_factory=dict)
    """Swiss canton codes read as the canton after "Kapo" or "Kanton" ("Kapo BE")."""
    names: dict[str, str] = field(default_factory=dict)
    """Names written with digits, read as a whole ("1Password" → "One Password")."""
    word_contexts: list[WordContext] = field(default_factory=list)
    """The classes of the word before a number that set its article and case, in order."""
    max_unit_tokens: int = 1
    """Longest unit in tokens ("km/h" is three), bounding the look-ahead."""


def _rows(path: Path, columns: int) -> Iterator[list[str]]:
    """Yield the cells of each data row, padded to ``columns``; "# " starts a comment."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"Cannot read the normalizer table {path}: {exc.strerror or exc}.",
            reason="table_unreadable",
        ) from exc
    for number, line in enumerate(text.splitlines(), 1):
        # a comment is "#" then a space; "#<TAB>Hashtag" is the row for the "#" sign
        if not line.strip() or line == "#" or line.startswith("# "):
            continue
        cells = [c.strip() for c in line.split("\t")]
        if not cells[0]:
            raise UsageError(
                f"{path.name}:{number}: the first column is empty.", reason="table_malformed"
            )
        cells += [""] * (columns - len(cells))
        yield cells[:columns]


def _gender(value: str, where: str) -> Gender:
    if value not in _GENDERS:
        raise UsageError(
            f"{where}: gender must be m, f or n, not {value!r}.", reason="table_malformed"
        )
    return cast(Gender, value)


def _unit_rows(path: Path, with_subunit: bool) -> dict[str, Unit]:
    table: dict[str, Unit] = {}
    for cells in _rows(path, 5):
        written, singular, plural, gender, subunit = cells
        table[written] = Unit(
            singular=singular or written,
            plural=plural or singular or written,
            gender=_gender(gender or "m", f"{path.name} {written}"),
            subunit=subunit if with_subunit else "",
        )
    return table


def _word_contexts(path: Path) -> list[WordContext]:
    out: list[WordContext] = []
    for word_class, article, case, rule in _rows(path, 4):
        found_article = next((a for a in _ARTICLES if a == article), None)
        found_case = next((c for c in _CASES if c == case), None)
        if found_article is None or found_case is None or rule not in _CONTEXT_RULES:
            raise UsageError(
                f"{path.name} {word_class}: article must be one of {', '.join(_ARTICLES)}, "
                f"case one of {', '.join(_CASES)}, rule empty or {', '.join(_CONTEXT_RULES[1:])}.",
                reason="table_malformed",
            )
        out.append(WordContext(word_class, found_article, found_case, rule))
    return out


def load_dir(tables: Tables, folder: Path) -> None:
    """Merge every known table file found in ``folder`` into ``tables`` (rows override)."""
    path = folder / "word_contexts.tsv"
    if path.exists():  # a publisher's file replaces the whole order
        tables.word_contexts = _word_contexts(path)
    path = folder / "abbreviations.tsv"
    if path.exists():
        readings: dict[str, list[Abbreviation]] = {}
        for written, spoken, when in _rows(path, 3):
            when = when or "any"
            if when not in ("any", "num", "day", "name", "suffix"):
                raise UsageError(
                    f"abbreviations.tsv {written}: 'when' must be any, num, day, name or suffix.",
                    reason="table_malformed",
                )
            readings.setdefault(written.replace(" ", ""), []).append(Abbreviation(spoken, when))
        for key, entries in readings.items():
            # a row in a later folder replaces every built-in reading of its key
            tables.abbreviations[key] = entries[0]
            if len(entries) > 1:
                tables.abbreviation_alternatives[key] = entries[1:]
            else:
                tables.abbreviation_alternatives.pop(key, None)
    for name, target, sub in (
        ("units.tsv", tables.units, True),
        ("scales.tsv", tables.scales, False),
        ("currencies.tsv", tables.currencies, True),
    ):
        path = folder / name
        if path.exists():
            target.update(_unit_rows(path, sub))
    path = folder / "months.tsv"
    if path.exists():
        for written, number, *_ in _rows(path, 2):
            if not number.isdigit() or not 1 <= int(number) <= 12:
                raise UsageError(
                    f"months.tsv {written}: the month number must be 1–12.",
                    reason="table_malformed",
                )
            tables.months[written] = int(number)
    path = folder / "acronyms.tsv"
    if path.exists():
        for written, how, spoken in _rows(path, 3):
            add_acronym(tables, written, how or "spell", spoken)
    path = folder / "law_codes.tsv"
    if path.exists():
        for written, spoken, *_ in _rows(path, 2):
            tables.law_codes[written] = spoken or written
    path = folder / "nouns.tsv"
    if path.exists():
        for noun, gender, flags in _rows(path, 3):
            key = noun.lower()
            tables.nouns[key] = _gender(gender or "m", f"nouns.tsv {noun}")
            if "o" in flags:
                tables.ordinal_nouns.add(key)
    path = folder / "noun_suffixes.tsv"
    if path.exists():
        for suffix, gender, *_ in _rows(path, 2):
            tables.noun_suffixes[suffix.lower()] = _gender(gender, f"noun_suffixes.tsv {suffix}")
    path = folder / "function_words.tsv"
    if path.exists():
        for word, classes, *_ in _rows(path, 2):
            # a word listed twice has the classes of both rows ("später": other, accnext)
            found = frozenset(c for c in classes.split(",") if c)
            tables.function_words[word] = tables.function_words.get(word, frozenset()) | found
    path = folder / "female_names.tsv"
    if path.exists():
        for (name,) in _rows(path, 1):
            tables.female_names.add(name)
    path = folder / "ruler_names.tsv"
    if path.exists():
        for (name,) in _rows(path, 1):
            tables.ruler_names.add(name)
    path = folder / "symbols.tsv"
    if path.exists():
        for written, spoken, *_ in _rows(path, 2):
            tables.symbols[written] = spoken
    word_tables: tuple[tuple[str, dict[str, str]], ...] = (
        ("nation_codes.tsv", tables.nation_codes),
        ("names.tsv", tables.names),
        ("cantons.tsv", tables.cantons),
    )
    for name, table in word_tables:
        path = folder / name
        if path.exists():
            for written, spoken, *_ in _rows(path, 2):
                table[written] = spoken or written


def add_acronym(tables: Tables, written: str, how: str, spoken: str = "") -> None:
    """Add one acronym; ``spell`` without a spoken form spells the capitals."""
    if how not in ("word", "spell"):
        raise UsageError(
            f"Acronym {written!r}: 'how' must be word or spell, not {how!r}.",
            reason="table_malformed",
        )
    if not spoken:
        spoken = " ".join(written) if how == "spell" else written.capitalize()
    tables.acronyms[written] = Acronym(how, spoken)


def add_abbreviations(tables: Tables, extra: Mapping[str, str]) -> None:
    """Add abbreviations given as ``{written: spoken}`` (they always apply)."""
    for written, spoken in extra.items():
        key = written.replace(" ", "")
        tables.abbreviations[key] = Abbreviation(spoken, "any")
        tables.abbreviation_alternatives.pop(key, None)


def finish(tables: Tables) -> None:
    """Compute derived values after all rows are in."""
    longest = 1
    for written in (*tables.units, *tables.currencies, *tables.scales):
        # count pieces as the tokenizer cuts them: "m²" is two, "km/h" three
        longest = max(longest, len(tokenize(written)))
    tables.max_unit_tokens = longest


def load_tables(data_dir: Path | None = None) -> Tables:
    """The built-in tables, with rows from ``data_dir`` (same file names) merged on top."""
    tables = Tables()
    load_dir(tables, DATA_DIR)
    if data_dir is not None:
        if not data_dir.is_dir():
            raise UsageError(
                f"The normalizer data folder {data_dir} does not exist.",
                reason="table_dir_missing",
            )
        load_dir(tables, data_dir)
    finish(tables)
    return tables
