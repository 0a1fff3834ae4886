"""Golden table for German sentence segmentation."""

from __future__ import annotations

from pathlib import Path

import pytest

from vorlesen.speak.segment import split_sentences

FIXTURE = Path(__file__).parent.parent / "fixtures" / "segmentation.tsv"


def _cases() -> list[tuple[str, list[str]]]:
    cases = []
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, expected = line.split("\t")
        cases.append((text, expected.split(" | ")))
    return cases


@pytest.mark.parametrize(("text", "expected"), _cases(), ids=lambda v: str(v)[:40])
def test_segmentation_golden(text: str, expected: list[str]) -> None:
    got = [text[a:b] for a, b in split_sentences(text)]
    assert got == expected, f"\n  text: {text}\n  got:  {got}\n  want: {expected}"


def test_spans_are_offsets_into_the_input() -> None:
    text = "  Erster Satz.   Zweiter Satz!  "
    spans = split_sentences(text)
    assert spans == [(2, 14), (17, 30)]
    assert [text[a:b] for a, b in spans] == ["Erster Satz.", "Zweiter Satz!"]


def test_empty_and_whitespace() -> None:
    assert split_sentences("") == []
    assert split_sentences("   \n ") == []


def test_long_input_without_terminators_is_one_sentence() -> None:
    text = "wort " * 100_000
    assert split_sentences(text) == [(0, len(text) - 1)]
