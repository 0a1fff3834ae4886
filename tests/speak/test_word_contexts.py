"""The case a number takes after a word is data (word_contexts.tsv), not an if-ladder."""

from __future__ import annotations

from pathlib import Path

import pytest

from vorlesen.errors import UsageError
from vorlesen.speak.de.normalizer import GermanNormalizer
from vorlesen.speak.de.tables import DATA_DIR, load_tables


def test_the_built_in_order_reads_articles_prepositions_and_verbs() -> None:
    tables = load_tables()
    order = [c.word_class for c in tables.word_contexts]
    assert order[:3] == ["def_dat", "def_acc", "def_gen"] and order[-1] == "verb_obj"
    normalize = GermanNormalizer().normalize_text
    assert normalize("mit der 1. Mannschaft") == "mit der ersten Mannschaft"
    assert normalize("der Sieger der 3. Etappe") == "der Sieger der dritten Etappe"
    assert normalize("Das dauert noch 1 Monat.") == "Das dauert noch einen Monat."


def test_a_publishers_table_changes_the_reading(tmp_path: Path) -> None:
    # Without the dative row, "am 1. August" falls back to the nominative.
    rows = (DATA_DIR / "word_contexts.tsv").read_text(encoding="utf-8").splitlines()
    kept = [r for r in rows if not r.startswith("def_dat")]
    (tmp_path / "word_contexts.tsv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    normalize = GermanNormalizer(tmp_path).normalize_text
    assert normalize("am 1. August") != GermanNormalizer().normalize_text("am 1. August")


def test_a_malformed_row_is_refused_with_its_reason(tmp_path: Path) -> None:
    (tmp_path / "word_contexts.tsv").write_text("def_dat\tdef\tvocative\n", encoding="utf-8")
    with pytest.raises(UsageError) as info:
        load_tables(tmp_path)
    assert info.value.reason == "table_malformed"
