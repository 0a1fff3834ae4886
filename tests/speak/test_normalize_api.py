"""The normalizer's public API: offsets, publisher tables, the stdin/stdout loop."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vorlesen.errors import UsageError
from vorlesen.models import NormalizedText
from vorlesen.speak.de import GermanNormalizer, normalize, normalize_text


def test_tokens_map_written_spans_to_speech() -> None:
    text = "Am 3. Oktober kamen 50.000 Menschen."
    result = normalize(text)
    assert isinstance(result, NormalizedText)
    assert result.written == text
    assert result.text == "Am dritten Oktober kamen fünfzigtausend Menschen."
    spans = {text[t.start : t.end]: t.spoken for t in result.tokens}
    assert spans["3. Oktober"] == "dritten Oktober"
    assert spans["50.000"] == "fünfzigtausend"
    assert spans["Menschen"] == "Menschen"


def test_untouched_text_maps_to_itself() -> None:
    text = "Guten Morgen, liebe Hörerinnen und Hörer!"
    result = normalize(text)
    assert result.text == text
    assert all(text[t.start : t.end] == t.spoken for t in result.tokens)


def test_normalize_text_matches_normalize() -> None:
    text = "Der ADAC meldet 12 km Stau auf der A 7."
    assert normalize_text(text) == normalize(text).text
    assert normalize_text(text) == "Der A D A C meldet zwölf Kilometer Stau auf der A sieben."


def test_publisher_extends_tables_with_dicts() -> None:
    plain = GermanNormalizer()
    assert plain.normalize_text("Die Gem. Wiesbach und der MDR") == (
        "Die Gem. Wiesbach und der M D R"
    )
    custom = GermanNormalizer(
        extra_abbreviations={"Gem.": "Gemeinde"},
        extra_acronyms={"MDR": "Em De Er", "HAFAS": "spell"},
        extra_nouns={"Wallbox": "f"},
    )
    assert custom.normalize_text("Die Gem. Wiesbach und der MDR") == (
        "Die Gemeinde Wiesbach und der Em De Er"
    )
    assert custom.normalize_text("Die HAFAS-Daten") == "Die H A F A S Daten"
    assert custom.normalize_text("Sie kaufte 1 Wallbox.") == "Sie kaufte eine Wallbox."


def test_publisher_extends_tables_with_a_folder(tmp_path: Path) -> None:
    (tmp_path / "abbreviations.tsv").write_text("Kreisverw.\tKreisverwaltung\tany\n")
    (tmp_path / "units.tsv").write_text("Ztr.\tZentner\tZentner\tm\n")
    (tmp_path / "acronyms.tsv").write_text("SWR\tword\tEss We Er\n")
    custom = GermanNormalizer(tmp_path)
    assert custom.normalize_text("Die Kreisverw. lieferte 3 Ztr. Salz an den SWR.") == (
        "Die Kreisverwaltung lieferte drei Zentner Salz an den Ess We Er."
    )


def test_abbreviation_listed_twice_has_two_readings(tmp_path: Path) -> None:
    # built in: "Fr." is "Freitag" before a number, "Frau" before a name
    assert normalize_text("Am Fr. 3. Mai") == "Am Freitag dritten Mai"
    assert normalize_text("Fr. Müller kam.") == "Frau Müller kam."
    # a publisher's row replaces every built-in reading of its key
    (tmp_path / "abbreviations.tsv").write_text("Fr.\tFreitag\tany\n")
    custom = GermanNormalizer(tmp_path)
    assert custom.normalize_text("Fr. Müller kam.") == "Freitag Müller kam."


def test_bad_tables_raise_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as missing:
        GermanNormalizer(tmp_path / "nope")
    assert missing.value.reason == "table_dir_missing"
    (tmp_path / "nouns.tsv").write_text("Wallbox\tx\n")
    with pytest.raises(UsageError) as malformed:
        GermanNormalizer(tmp_path)
    assert malformed.value.reason == "table_malformed"
    with pytest.raises(UsageError):
        GermanNormalizer(extra_acronyms={"X": ""}).normalize_text("X")


def test_module_main_prints_one_line_per_input_line() -> None:
    lines = ["Am 1. Mai um 9 Uhr.", "", "a\rb\x0bc\u2028d\x00e", "Der 2. Platz", "\xff"]
    stdin = "\n".join(lines).encode("utf-8") + b"\n" + b"\xff\xfe kaputt\n"
    proc = subprocess.run(
        [sys.executable, "-m", "vorlesen.speak.de"],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=True,
    )
    out = proc.stdout.decode("utf-8").split("\n")
    assert out[-1] == ""
    assert len(out) - 1 == 6
    assert out[0] == "Am ersten Mai um neun Uhr."
    assert out[3] == "Der zweite Platz"
