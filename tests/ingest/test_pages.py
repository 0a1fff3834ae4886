"""Extraction from real-looking German news pages: what must be heard, in order, and what never.

Each ``tests/fixtures/pages/NAME.html`` has ``NAME.expected.txt``: lines that must be heard
(in reading order), then ``--- never``, then phrases that must not be heard at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vorlesen.ingest import from_bytes, from_html, load
from vorlesen.models import Document

PAGES = Path(__file__).parent.parent / "fixtures" / "pages"
EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "artikel.html"
# The demo article ships in examples/ (the `make demo` input); its expectations live here.
PAGE_NAMES = sorted(p.name.removesuffix(".expected.txt") for p in PAGES.glob("*.expected.txt"))


def _html(name: str) -> Path:
    return EXAMPLE if name == "artikel" else PAGES / f"{name}.html"


def _expectations(name: str) -> tuple[list[str], list[str]]:
    raw = (PAGES / f"{name}.expected.txt").read_text(encoding="utf-8")
    must_part, _, never_part = raw.partition("--- never")
    must = [line.strip() for line in must_part.splitlines() if line.strip()]
    never = [line.strip() for line in never_part.splitlines() if line.strip()]
    return must, never


def _assert_heard(doc: Document, must: list[str], never: list[str]) -> None:
    text = doc.text
    pos = 0
    for line in must:
        found = text.find(line, pos)
        assert found >= 0, (
            f"must-line missing or out of order: {line!r}\n"
            f"(searching from offset {pos}; extracted text:)\n{text}"
        )
        pos = found + len(line)
    lowered = text.lower()
    for phrase in never:
        assert phrase.lower() not in lowered, f"boilerplate read aloud: {phrase!r}\n{text}"


def test_there_are_at_least_six_fixture_pages() -> None:
    assert len(PAGE_NAMES) >= 7
    for name in PAGE_NAMES:
        assert (PAGES / f"{name}.expected.txt").is_file(), name


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_page_reads_article_in_order_and_drops_boilerplate(name: str) -> None:
    must, never = _expectations(name)
    assert must and never
    doc = from_html(_html(name).read_text(encoding="utf-8"))
    _assert_heard(doc, must, never)


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_page_through_load_passes_language_check(name: str) -> None:
    doc = load(str(_html(name)))
    assert doc.language == "de"
    assert doc.blocks[0].kind in ("kicker", "title")


def _kinds(doc: Document) -> list[str]:
    return [b.kind for b in doc.blocks]


def test_bahn_structure_and_metadata() -> None:
    doc = from_html(
        (PAGES / "bahn-sanierung.html").read_text(encoding="utf-8"), url="https://x.de/a"
    )
    assert _kinds(doc)[:4] == ["kicker", "title", "dateline", "teaser"]
    assert doc.blocks[0].text == "Generalsanierung"
    assert doc.blocks[2].text == "14.06.2025, 08:45 Uhr"
    assert doc.title == "Bahn sperrt Strecke Hamburg–Berlin für neun Monate"
    assert doc.site == "Nordkurier Online"
    assert doc.author == "Jana Köhler"
    assert doc.published == "2025-06-14T08:45:00+02:00"
    assert doc.url == "https://x.de/a"
    assert doc.language == "de"
    assert _kinds(doc)[4:] == ["paragraph"] * 5


def test_kicker_inside_h1_is_split_from_headline() -> None:
    doc = from_html((PAGES / "regional-stadtrat.html").read_text(encoding="utf-8"))
    assert doc.blocks[0].kind == "kicker"
    assert doc.blocks[0].text == "Finanzen in Bremerhaven"
    assert doc.blocks[1].kind == "title"
    assert doc.blocks[1].text == "Stadtrat beschließt Haushalt mit Rekordschulden"
    assert doc.site == "Weserkurier Lokal"  # from og:site_name; no JSON-LD here
    assert "heading" in _kinds(doc)


def test_liveblog_keeps_entry_headings_and_quote() -> None:
    doc = from_html((PAGES / "rundfunk-liveticker.html").read_text(encoding="utf-8"))
    kinds = _kinds(doc)
    assert kinds[:4] == ["kicker", "title", "dateline", "teaser"]
    assert kinds.count("heading") == 3
    assert "quote" in kinds
    assert doc.author == "Miriam Ostrowski, Felix Hahn"
    assert doc.site == "Nordfunk"


def test_magazine_blockquote_is_a_quote_block_and_paywall_is_dropped() -> None:
    doc = from_html((PAGES / "magazin-paywall.html").read_text(encoding="utf-8"))
    quotes = [b.text for b in doc.blocks if b.kind == "quote"]
    assert quotes and quotes[0].startswith("Viele Hausbesitzer warten einfach ab")
    assert doc.blocks[-1].text.startswith("Auch die Strompreise spielen eine Rolle.")


def test_divs_only_page_splits_br_paragraphs_and_keeps_place_marker() -> None:
    doc = from_html((PAGES / "divs-ohne-jsonld.html").read_text(encoding="utf-8"))
    paragraphs = [b.text for b in doc.blocks if b.kind == "paragraph"]
    assert len(paragraphs) == 4
    assert paragraphs[0].startswith("Gifhorn (kag) – Wer sich")
    assert [b.kind for b in doc.blocks if b.kind == "dateline"] == ["dateline"]
    assert doc.site == "Kreisanzeiger"  # from the <title> suffix; no metadata on this page


def test_speakable_selectors_choose_the_body_over_a_wordier_comment_column() -> None:
    doc = from_html((PAGES / "speakable-selektoren.html").read_text(encoding="utf-8"))
    assert _kinds(doc) == ["title", "dateline", "teaser", "paragraph", "paragraph", "paragraph"]
    assert doc.blocks[-1].text == "Erste Ergebnisse will das Team im Frühjahr vorstellen."


def test_speakable_wins_even_when_the_comment_box_has_no_telltale_title() -> None:
    html = (PAGES / "speakable-selektoren.html").read_text(encoding="utf-8")
    html = html.replace("Leserstimmen (3)", "Von unseren Lesern")
    doc = from_html(html)
    assert _kinds(doc)[3:] == ["paragraph"] * 3
    assert "Seebär" not in doc.text


def test_amp_page_uses_time_element_and_canonical_url() -> None:
    doc = from_html((PAGES / "amp-seite.html").read_text(encoding="utf-8"))
    dateline = next(b.text for b in doc.blocks if b.kind == "dateline")
    assert "08.07.2025, 14:10 Uhr" in dateline
    assert doc.url == "https://www.suedwest-echo.de/wirtschaft/tarifeinigung-einzelhandel-123.html"
    assert doc.blocks[3].kind == "teaser"


def test_offsets_point_into_document_text() -> None:
    doc = from_html(EXAMPLE.read_text(encoding="utf-8"))
    for block in doc.blocks:
        assert doc.text[block.start : block.end] == block.text


def test_example_article_reads_four_to_six_minutes() -> None:
    doc = load(str(EXAMPLE))
    words = len(doc.text.split())
    assert 600 <= words <= 900, words
    kinds = _kinds(doc)
    assert kinds[:4] == ["kicker", "title", "dateline", "teaser"]
    assert 6 <= kinds.count("paragraph") <= 10


def test_html_bytes_with_wrong_extension_are_sniffed_as_html() -> None:
    data = (PAGES / "bahn-sanierung.html").read_bytes()
    doc = from_bytes(data, filename="upload.txt", content_type="application/octet-stream")
    assert doc.headline == "Bahn sperrt Strecke Hamburg–Berlin für neun Monate"
    assert "Cookies" not in doc.text
