"""What a CMS sends beside the page: its header parts replace extraction's, in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from vorlesen.config import Settings
from vorlesen.jobs.render import document_from_payload

PAGE = (Path(__file__).parent.parent / "fixtures" / "pages" / "bahn-sanierung.html").read_text(
    "utf-8"
)


def _kinds(payload: dict[str, str]) -> list[tuple[str, str]]:
    doc = document_from_payload({"html": PAGE, **payload}, Settings(offline=True))
    return [(b.kind, b.text[:20]) for b in doc.blocks][:5]


def test_page_alone() -> None:
    assert [k for k, _ in _kinds({})] == ["kicker", "title", "dateline", "teaser", "paragraph"]


@pytest.mark.parametrize("kind", ["kicker", "title", "teaser"])
def test_a_given_part_replaces_the_pages_in_its_place(kind: str) -> None:
    got = _kinds({kind: "Vom CMS"})
    assert [k for k, _ in got] == ["kicker", "title", "dateline", "teaser", "paragraph"]
    assert dict(got)[kind] == "Vom CMS"


def test_a_part_the_page_lacks_goes_where_an_article_has_it() -> None:
    text = "Bahn sperrt Strecke\n\nDie Bahn saniert die Strecke ab August. Pendler brauchen Geduld."
    doc = document_from_payload(
        {"text": text, "teaser": "Der Vorspann.", "kicker": "Verkehr"}, Settings(offline=True)
    )
    assert [(b.kind, b.text) for b in doc.blocks][:3] == [
        ("kicker", "Verkehr"),
        ("title", "Bahn sperrt Strecke"),
        ("teaser", "Der Vorspann."),
    ]
