"""Real German news pages nobody here wrote: what must be heard and what never.

``fixtures/pages/real`` holds the 39 dev pages an editor went through (their faults are in
``expectations.json`` beside them); ``fixtures/pages/extra`` holds 36 more from another
project's test data. Each page is read as ``vorlesen read --text-only`` reads it, and every
snippet is compared case-insensitively with whitespace collapsed (as ``bench/pages.py``
scores them side by side with trafilatura).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from vorlesen import ingest

PAGES = Path(__file__).parent.parent / "fixtures" / "pages"

KNOWN_LEAKS = {
    "extra/20min.html": "a reader poll and a community prompt inside the article body",
    "extra/sz.html": "an in-article subscription teaser with obfuscated classes",
    "extra/taz.html": "a donation appeal written as ordinary paragraphs after the article",
    "extra/zdf.html": "a live-blog pointer and its teaser box with obfuscated classes",
}
"""Pages still not clean, each with why: strict xfails, so a fix is noticed."""


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _words(text: str) -> str:
    """Only the words: a kicker and its headline are read as two lines, not with a colon."""
    return " ".join(re.findall(r"\w+", text.lower()))


def _cases() -> list[object]:
    out: list[object] = []
    for folder in ("real", "extra"):
        expectations = json.loads((PAGES / folder / "expectations.json").read_text("utf-8"))
        for name, case in sorted(expectations.items()):
            if name.startswith("_"):
                continue
            key = f"{folder}/{name}"
            marks = []
            if key in KNOWN_LEAKS:
                marks.append(pytest.mark.xfail(reason=KNOWN_LEAKS[key], strict=True))
            out.append(pytest.param(key, case, id=key, marks=marks))
    return out


@pytest.mark.parametrize(("page", "case"), _cases())
def test_real_page_reads_the_article_and_nothing_else(page: str, case: dict[str, object]) -> None:
    document = ingest.load(str(PAGES / page))
    heard = _norm(" ".join(block.text for block in document.blocks))
    missed = [s for s in case["with"] if _norm(str(s)) not in heard]  # type: ignore[attr-defined]
    leaked = [s for s in case["without"] if _norm(str(s)) in heard]  # type: ignore[attr-defined]
    assert not missed and not leaked, f"missed {missed}, leaked {leaked}"
    title = case.get("title")
    if title:  # the visible headline (with its kicker where the page writes one before it)
        head = " ".join(b.text for b in document.blocks if b.kind in ("kicker", "title"))
        assert _words(str(title)) in _words(head), head
