"""Plain text, Markdown, CMS JSON, SSML hook, sniffing, decoding and bad input."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from vorlesen.config import Settings
from vorlesen.errors import (
    ExtractionError,
    InputError,
    UnsupportedContentError,
)
from vorlesen.ingest import from_bytes, from_cms_json, from_markdown, from_text, load
from vorlesen.ingest.sniff import sniff_format
from vorlesen.speak.script import make_script

BODY = (
    "Die Stadt hat am Montag beschlossen, die Brücke über den Fluss zu sanieren. "
    "Die Arbeiten sollen im Herbst beginnen und etwa zwei Jahre dauern, sagte der Bürgermeister."
)


def test_plain_text_title_dateline_paragraphs() -> None:
    text = (
        f"Brücke wird saniert\n\n14.06.2025, 08:45 Uhr\n\n{BODY}\n\n"
        "Zweiter Absatz mit\numbrochener Zeile."
    )
    doc = from_text(text)
    assert [b.kind for b in doc.blocks] == ["title", "dateline", "paragraph", "paragraph"]
    assert doc.blocks[3].text == "Zweiter Absatz mit umbrochener Zeile."
    assert doc.title == "Brücke wird saniert"


def test_plain_text_written_one_line_per_block() -> None:
    """An export or a copied page: no blank lines, no wrap width. Each line is a block; a
    line without a full stop does not run into the next; kicker and headline on top."""
    text = (
        "Einzelhandel\n"
        "Tarifeinigung im Einzelhandel: 5,3 Prozent mehr Lohn\n"
        "08.07.2025, 14:10 Uhr\n"
        "Nach monatelangen Verhandlungen haben sich Arbeitgeber und Gewerkschaft im "
        "Einzelhandel auf einen neuen Tarifvertrag geeinigt.\n"
        "Zum 1. September steigen die Entgelte zunächst um 3,0 Prozent\n"
        "Die Gewerkschaft sprach von einem „tragfähigen Kompromiss“.\n"
    )
    doc = from_text(text)
    kinds = [b.kind for b in doc.blocks]
    assert kinds == ["kicker", "title", "dateline", "paragraph", "paragraph", "paragraph"]
    assert doc.title == "Tarifeinigung im Einzelhandel: 5,3 Prozent mehr Lohn"
    assert doc.blocks[4].text == "Zum 1. September steigen die Entgelte zunächst um 3,0 Prozent"


def test_plain_text_without_title_line() -> None:
    doc = from_text(BODY)
    assert [b.kind for b in doc.blocks] == ["paragraph"]


def test_markdown_blocks() -> None:
    md = (
        "# Brücke wird saniert\n\n14.06.2025\n\n**Die Stadt investiert zwölf Millionen Euro in die "
        "alte Brücke.**\n\n" + BODY + "\n\n## Umleitung\n\n> „Das wird eng“, sagte er.\n\n"
        "- Punkt mit [Link](https://example.org)\n\n```\ncode wird nicht gelesen\n```\n\n"
        "![Bild](x.png)\n"
    )
    doc = from_markdown(md)
    assert [b.kind for b in doc.blocks] == [
        "title",
        "dateline",
        "teaser",
        "paragraph",
        "heading",
        "quote",
        "paragraph",
    ]
    assert doc.blocks[-1].text == "Punkt mit Link"
    assert "code wird" not in doc.text


def test_markdown_tables_are_not_read() -> None:
    """A pipe table is skipped like an HTML table: no pipes or dash rows reach speech."""
    md = (
        f"# Brücke wird saniert\n\n{BODY}\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "Vorher:\n| Jahr | Kosten |\n|:--|--:|\n| 2024 | 3 Mio. |\n\n"
        "> | im | Zitat |\n> |---|---|\n> | x | y |\n\nDanach geht es weiter.\n"
    )
    doc = from_markdown(md)
    assert [b.text for b in doc.blocks] == [
        "Brücke wird saniert",
        BODY,
        "Vorher:",
        "Danach geht es weiter.",
    ]
    assert "|" not in doc.text and "---" not in doc.text
    spoken = " ".join(u.spoken for u in make_script(doc).utterances)
    assert "|" not in spoken and "eins" not in spoken


def test_markdown_front_matter() -> None:
    md = "---\ntitle: Brücke wird saniert\nkicker: Verkehr\nauthor: A. Autor\n---\n\n" + BODY
    doc = from_markdown(md)
    assert [b.kind for b in doc.blocks] == ["kicker", "title", "paragraph"]
    assert doc.author == "A. Autor"


def test_cms_json_with_body_html() -> None:
    obj = {
        "title": "Brücke wird saniert",
        "kicker": "Verkehr",
        "teaser": "Die Stadt investiert zwölf Millionen Euro.",
        "body_html": f"<p>{BODY}</p><div class='ad'>Anzeige</div><h2>Umleitung</h2>"
        "<p>Autos fahren über die Ringstraße.</p>"
        "<figure><figcaption>Foto: dpa</figcaption></figure>",
        "published": "2025-06-14T08:45:00+02:00",
        "language": "de-DE",
        "site": "Stadtblatt",
        "author": ["A. Autor", "B. Autorin"],
    }
    doc = from_cms_json(obj)
    assert [b.kind for b in doc.blocks] == [
        "kicker",
        "title",
        "teaser",
        "paragraph",
        "heading",
        "paragraph",
    ]
    assert "Anzeige" not in doc.text and "Foto" not in doc.text
    assert (doc.site, doc.published, doc.language) == (
        "Stadtblatt",
        "2025-06-14T08:45:00+02:00",
        "de",
    )
    assert doc.author == "A. Autor, B. Autorin"


def test_cms_json_body_text_through_from_bytes() -> None:
    data = json.dumps({"title": "Brücke wird saniert", "body_text": BODY + "\n\n" + BODY}).encode()
    doc = from_bytes(data, filename="article.json")
    assert [b.kind for b in doc.blocks] == ["title", "paragraph", "paragraph"]


def test_cms_json_errors() -> None:
    with pytest.raises(InputError) as info:
        from_cms_json({"title": 3, "body_text": BODY})
    assert info.value.reason == "bad_cms_json"
    with pytest.raises(ExtractionError) as info2:
        from_cms_json({"title": "Nur ein Titel"})
    assert info2.value.reason == "empty"
    with pytest.raises(UnsupportedContentError) as info3:
        from_bytes(b'{"title": "kaputt", ', filename="a.json")
    assert info3.value.reason == "bad_json"


def test_ssml_is_sniffed_and_read() -> None:
    data = (
        b'<?xml version="1.0"?>\n<speak version="1.1" xml:lang="de-DE">'
        b"<p>Hallo Welt, wie geht es?</p></speak>"
    )
    doc = from_bytes(data)
    assert doc.text == "Hallo Welt, wie geht es?"


@pytest.mark.parametrize(
    ("text", "filename", "content_type", "expected"),
    [
        ("<!doctype html><html><body><p>x</p></body></html>", "a.txt", None, "html"),
        ("<p>Eins</p><p>Zwei</p>", None, None, "html"),
        ('{"title": "x"}', "a.md", None, "json"),
        ("<speak>Hallo</speak>", "a.html", None, "ssml"),
        ("# Titel\n\nText", None, None, "markdown"),
        ("Titel\n=====\n\nText", None, None, "markdown"),
        ("# Titel\n\nText", "a.txt", None, "text"),
        ("Nur Text.", "a.md", None, "markdown"),
        ("Nur Text.", None, "text/markdown; charset=utf-8", "markdown"),
        ("Nur Text.", None, None, "text"),
    ],
)
def test_sniff_format(
    text: str, filename: str | None, content_type: str | None, expected: str
) -> None:
    assert sniff_format(text, filename=filename, content_type=content_type) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\xff\xd8\xff\xe0\x00\x10JFIF",
        b"GIF89a\x01\x00\x01\x00",
        b"PK\x03\x04\x14\x00\x00\x00",
        b"ID3\x04\x00\x00\x00\x00\x00",
        b"\xff\xfb\x90\x64\x00",
        b"Ganz normaler Text\x00 mit NUL-Byte",
    ],
)
def test_binary_content_is_refused(data: bytes) -> None:
    with pytest.raises(UnsupportedContentError) as info:
        from_bytes(data)
    assert info.value.reason == "binary_content"


def test_pdf_content_type_is_refused() -> None:
    with pytest.raises(UnsupportedContentError) as info:
        from_bytes(BODY.encode(), content_type="application/pdf")
    assert info.value.reason == "unsupported_content_type"


@pytest.mark.parametrize("data", [b"", b"   \n\t  \n", "\ufeff  ".encode()])
def test_empty_input(data: bytes) -> None:
    with pytest.raises(ExtractionError) as info:
        from_bytes(data, filename="a.txt")
    assert info.value.reason == "empty"


def test_empty_html_page() -> None:
    with pytest.raises(ExtractionError) as info:
        from_bytes(b"<html><body>   </body></html>")
    assert info.value.reason in ("empty", "no_article")


def test_page_without_article() -> None:
    html = (
        "<html><head><title>Startseite</title></head><body><nav><a href='/a'>Politik</a></nav>"
        "<ul>"
        + "".join(
            f"<li><a href='/{i}'>Schlagzeile Nummer {i} des Tages</a></li>" for i in range(20)
        )
        + "</ul><footer>Impressum</footer></body></html>"
    )
    with pytest.raises(ExtractionError) as info:
        from_bytes(html.encode())
    assert info.value.reason == "no_article"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load(str(tmp_path / "gibt-es-nicht.html"))
    assert info.value.reason == "not_found"
    assert "gibt-es-nicht.html" in str(info.value)


def test_too_large_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "gross.txt"
    path.write_bytes(b"a" * 2048)
    with pytest.raises(UnsupportedContentError) as info:
        load(str(path), settings=Settings(max_input_bytes=1024))
    assert info.value.reason == "too_large"


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load(str(tmp_path))
    assert info.value.reason == "not_a_file"


def test_cp1252_text_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "alt.txt"
    path.write_bytes(f"Überschrift für „Größe“\n\n{BODY}".encode("cp1252"))
    doc = load(str(path))
    assert doc.blocks[0].text == "Überschrift für „Größe“"


def test_meta_charset_is_honoured() -> None:
    html = (
        '<html><head><meta charset="iso-8859-15"><title>x</title></head><body><article>'
        f"<h1>Preis: 5 €</h1><p>{BODY} Öl kostet mehr.</p></article></body></html>"
    )
    doc = from_bytes(html.encode("iso-8859-15"))
    assert doc.blocks[0].text == "Preis: 5 €"
    assert "Öl kostet mehr." in doc.text


def test_utf16_with_bom() -> None:
    data = ("\ufeff" + f"Titel der Meldung\n\n{BODY}").encode("utf-16-le")
    doc = from_bytes(data, filename="a.txt")
    assert doc.blocks[0].text == "Titel der Meldung"


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(InputError) as info:
        load("ftp://example.org/artikel.html")
    assert info.value.reason == "scheme_not_allowed"


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    data = f"Titel der Meldung\n\n{BODY}".encode()
    fake_stdin = io.TextIOWrapper(io.BytesIO(data))
    monkeypatch.setattr(sys, "stdin", fake_stdin)
    doc = load("-")
    assert [b.kind for b in doc.blocks] == ["title", "paragraph"]


def test_url_is_kept_on_the_document() -> None:
    doc = from_bytes(f"Titel der Meldung\n\n{BODY}".encode(), url="https://example.org/a.txt")
    assert doc.url == "https://example.org/a.txt"
