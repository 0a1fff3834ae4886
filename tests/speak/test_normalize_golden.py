"""Golden tables for the German normalizer: the shared dev set and our own cases.

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

ACCURACY_FLOOR = 0.97
"""Share of the dev set read exactly right. Raise freely; lowering needs a comment why."""

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


CASES = load(DEV) + load(EXTRA)


def test_case_files_are_well_formed() -> None:
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert len(load(EXTRA)) >= 250


@pytest.mark.parametrize(
    ("written", "wanted"), [pytest.param(c[2], c[3], id=f"{c[0]}-{c[1]}") for c in CASES]
)
def test_golden(written: str, wanted: list[str]) -> None:
    got = normalize_text(written)
    if canon(got) not in {canon(w) for w in wanted}:
        pytest.fail(f"\n  written: {written}\n  got:     {got}\n  want:    {wanted[0]}")


def test_dev_accuracy_floor() -> None:
    cases = load(DEV)
    good = sum(
        canon(normalize_text(written)) in {canon(w) for w in wanted}
        for _, _, written, wanted in cases
    )
    accuracy = good / len(cases)
    assert accuracy >= ACCURACY_FLOOR, f"dev accuracy {accuracy:.1%} < {ACCURACY_FLOOR:.0%}"
