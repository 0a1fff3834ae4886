"""Golden tables for the German normalizer: the shared dev set and our own cases.

``tn_de_news.tsv`` holds news sentences written as a newsreader would read them before
the normalizer saw them (its first run scored 94.1 %); it guards the rules against
overfitting the dev set.

Comparison uses the scorer's canonical form (lowercase; punctuation and dashes become
spaces; whitespace collapsed), so a case checks spoken words, not typography.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vorlesen.speak.de import normalize_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DEV = FIXTURES / "tn_de_dev.tsv"
EXTRA = FIXTURES / "tn_de_extra.tsv"
NEWS = FIXTURES / "tn_de_news.tsv"
REAL = FIXTURES / "tn_real.tsv"
"""Sentences from 39 real news pages (issue 11's dev set): r-* were read wrongly once."""
ERRORS = FIXTURES / "tn_real_errors.tsv"
"""The spoken faults an editor found on those pages, with the right reading."""
RULES = FIXTURES / "tn_de_real_rules.tsv"
"""Invented sentences for each rule class the real pages showed, so the rules generalize."""

_PUNCT = re.compile(r"[.,;:!?\"'„“”‚‘’«»()\[\]{}…]")
_DASHES = re.compile(r"[-‐‑‒–—/]")


def canon(text: str) -> str:
    """The scorer's canonical form (``score_tn.py``)."""
    text = _DASHES.sub(" ", text.lower())
    text = _PUNCT.sub(" ", text)
    return " ".join(text.split())


def load(path: Path) -> list[tuple[str, str, str, list[str]]]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cid, category, written, spoken = line.split("\t")
        cases.append((cid, category, written, [s.strip() for s in spoken.split("||")]))
    return cases


CASES = load(DEV) + load(EXTRA) + load(NEWS) + load(REAL) + load(ERRORS) + load(RULES)


def test_case_files_are_well_formed() -> None:
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert len(load(EXTRA)) >= 250
    assert len(load(NEWS)) >= 250
    assert all(c[0].startswith("n") for c in load(NEWS))
    assert len(load(REAL)) == 64
    assert all(c[0].startswith("e") for c in load(ERRORS))
    assert len(load(RULES)) >= 150
    assert all(c[0].startswith("q") for c in load(RULES))


@pytest.mark.parametrize(
    ("written", "wanted"), [pytest.param(c[2], c[3], id=f"{c[0]}-{c[1]}") for c in CASES]
)
def test_golden(written: str, wanted: list[str]) -> None:
    got = normalize_text(written)
    if canon(got) not in {canon(w) for w in wanted}:
        pytest.fail(f"\n  written: {written}\n  got:     {got}\n  want:    {wanted[0]}")


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        # the canonical form hides hyphens and spaces; the spoken text itself must not
        ("In den 90er-Jahren wuchs die Stadt.", "In den neunziger Jahren wuchs die Stadt."),
        ("Die CO₂-Abgabe steigt.", "Die C O zwei Abgabe steigt."),
        ("Der Bus fährt mit H₂.", "Der Bus fährt mit H zwei."),
        ("Der 100-m-Lauf", "Der hundert-Meter-Lauf"),
        ("Es fielen 30 l/m² Regen.", "Es fielen dreißig Liter pro Quadratmeter Regen."),
        ("Generation 50+", "Generation fünfzig plus"),
    ],
)
def test_exact_spacing(written: str, spoken: str) -> None:
    assert normalize_text(written) == spoken
