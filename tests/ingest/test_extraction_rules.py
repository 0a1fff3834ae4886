"""The extraction rules learnt from real pages, each on a page written here.

The real pages (``test_real_pages.py``) show that the rules work where they were found;
these invented pages show that each rule is general: other words, other class names, other
layouts of the same kind.
"""

from __future__ import annotations

import pytest

from vorlesen.errors import ExtractionError
from vorlesen.ingest import from_html
from vorlesen.ingest.sniff import sniff_format

PARA = (
    "Die Stadtverwaltung hat am Montag einen neuen Plan für den Nahverkehr vorgestellt, der "
    "mehr Busse in den Abendstunden und einen dichteren Takt auf den Hauptlinien vorsieht."
)
PARA2 = (
    "Kritiker bemängeln, dass die Finanzierung noch nicht gesichert sei und die Kosten für "
    "die zusätzlichen Fahrer deutlich höher ausfallen könnten als bisher angenommen wurde."
)
PARA3 = (
    "Der Verkehrsausschuss will im Herbst über die Details beraten; bis dahin sollen die "
    "Fahrgastverbände ihre Vorschläge einreichen und die Verwaltung ein Gutachten vorlegen."
)


def page(body: str, head: str = "<title>Neuer Nahverkehrsplan | Stadtbote</title>") -> str:
    return f"<!DOCTYPE html><html lang='de'><head>{head}</head><body>{body}</body></html>"


def heard(html: str) -> str:
    return " ".join(b.text for b in from_html(html).blocks)


def kinds(html: str) -> list[tuple[str, str]]:
    return [(b.kind, b.text) for b in from_html(html).blocks]


def test_an_article_split_over_several_containers_is_read_whole() -> None:
    html = page(
        "<main><h1>Neuer Nahverkehrsplan</h1>"
        f"<div class='modul-a'><div class='inner'><p>{PARA}</p></div></div>"
        "<div class='anzeige-slot'></div>"
        f"<section class='modul-b'><div><div><p>{PARA2}</p><p>{PARA3}</p>"
        f"<p>{PARA.replace('Montag', 'Dienstag')}</p></div></div></section></main>"
    )
    text = heard(html)
    assert PARA in text and PARA2 in text and PARA3 in text


def test_links_inside_a_sentence_stay_in_the_sentence_whatever_their_class() -> None:
    html = page(
        "<article><h1>Trainer wechselt</h1>"
        "<p>Der Trainer kehrt zum <a class='tag-link' href='/x'>FC Beispielstadt</a> zurück, "
        "wie der <span class='related-name'>Vereinssprecher</span> am Abend mitteilte.</p>"
        f"<p>{PARA}</p><p>{PARA2}</p></article>"
    )
    assert "kehrt zum FC Beispielstadt zurück, wie der Vereinssprecher am Abend" in heard(html)


def test_a_breadcrumb_h1_gives_way_to_the_visible_headline_and_its_kicker() -> None:
    html = page(
        "<div class='crumbs'><span>Start</span><span>›</span><span>Lokales</span><span>›</span>"
        "<h1>Nahverkehrsplan vorgestellt</h1></div>"
        "<article><h2 class='article-title'><span>Mehr Busse am Abend</span>"
        "<span>Stadt legt neuen Nahverkehrsplan vor</span></h2>"
        f"<p>{PARA}</p><p>{PARA2}</p><p>{PARA3}</p></article>"
    )
    blocks = kinds(html)
    assert blocks[0] == ("kicker", "Mehr Busse am Abend")
    assert blocks[1] == ("title", "Stadt legt neuen Nahverkehrsplan vor")
    assert "Nahverkehrsplan vorgestellt" not in heard(html)


def test_a_sentence_in_an_h2_right_under_the_headline_is_the_teaser() -> None:
    teaser = "Mehr Busse, dichterer Takt: Die Stadt will den Nahverkehr bis 2026 ausbauen."
    html = page(f"<article><h1>Neuer Plan</h1><h2>{teaser}</h2><p>{PARA}</p><p>{PARA2}</p>")
    assert ("teaser", teaser) in kinds(html)


def test_a_caption_inside_the_lead_box_is_not_read_with_the_teaser() -> None:
    html = page(
        "<article><h1>Neuer Plan</h1><div class='lead-box'>"
        "<figure><img src='a.jpg'><span class='image-caption'>Ein Bus am Marktplatz.</span>"
        "<span class='credit'>Foto: Archiv</span></figure>"
        "<p>Die Stadt will den Nahverkehr ausbauen und den Takt auf allen Linien verdichten.</p>"
        f"</div><p>{PARA}</p><p>{PARA2}</p></article>"
    )
    text = heard(html)
    assert "Ein Bus am Marktplatz" not in text and "Foto: Archiv" not in text
    assert "den Takt auf allen Linien verdichten" in text


@pytest.mark.parametrize(
    "junk",
    [
        "(ab/dpa)",
        "(epd)",
        "(xy)",
        "Von: abc/AFP",
        "Der Bürgermeister am Bahnhof. © Stadtbote / MAX MUSTER",
        "[Alle Entwicklungen zum Thema finden Sie in unserem Liveblog.]",
        "Den vollständigen Bericht gibt es hier zum Download: ➡️ PDF",
        "stadtbote.de ist Teil des regionalen Zeitungsnetzwerks",
        "Über dieses Thema berichtete das Radio am Montag um 18 Uhr.",
        "Wie hat Ihnen dieser Artikel gefallen?",
        "Fehler gefunden? Jetzt melden.",
        "Unabhängiger Journalismus braucht Ihre Unterstützung",
    ],
)
def test_credits_captions_and_appeals_are_never_read(junk: str) -> None:
    html = page(f"<article><h1>Neuer Plan</h1><p>{PARA}</p><p>{junk}</p><p>{PARA2}</p></article>")
    text = heard(html)
    assert junk not in text and PARA2 in text


def test_embedded_posts_and_teaser_cards_are_not_read() -> None:
    html = page(
        "<article><h1>Neuer Plan</h1>"
        f"<p>{PARA}</p>"
        "<blockquote class='social-embed'><p>Endlich mehr Busse! pic.twitter.com/abc</p>"
        "— Anna (@anna_b) May 3, 2024</blockquote>"
        "<a href='/anderer-artikel' class='card'><div>Lokales</div>"
        "<div>Neue Radwege im Süden der Stadt geplant</div></a>"
        f"<p>{PARA2}</p><p>{PARA3}</p></article>"
    )
    text = heard(html)
    assert "pic.twitter.com" not in text and "@anna_b" not in text
    assert "Neue Radwege" not in text
    assert PARA3 in text


def test_a_trailing_lead_in_label_and_author_name_are_dropped() -> None:
    html = page(
        "<article><h1>Neuer Plan</h1>"
        f"<p>{PARA}</p><p>{PARA2}</p><p>{PARA3} (Erika Mustermann) +++</p>"
        "<p>Hier gibt es den Plan zum Nachlesen:</p><p>Max Muster</p>"
        "<h3>Mehr aus der Region</h3></article>"
    )
    text = heard(html)
    assert text.endswith("ein Gutachten vorlegen.")


def test_comment_legal_text_is_dropped_however_long() -> None:
    legal = (
        "Die Kommentare der Leserinnen und Leser geben nicht notwendigerweise die Meinung der "
        "Redaktion wieder. Der Stadtbote behält sich vor, Kommentare ohne Angabe von Gründen "
        "zu löschen, und zwar insbesondere dann, wenn sie gegen die Regeln verstoßen. " * 2
    )
    html = page(f"<article><h1>Neuer Plan</h1><p>{PARA}</p><p>{PARA2}</p><p>{legal}</p>")
    assert "geben nicht notwendigerweise" not in heard(html)


def test_a_dateline_is_not_glued_to_the_kicker_and_loses_its_reading_time() -> None:
    html = page(
        "<article><h1>Stadt legt Nahverkehrsplan vor</h1>"
        "<div class='meta'><time datetime='2024-05-03T14:10'>3. Mai 2024, 14:10 Uhr</time> "
        "<strong>Nahverkehr</strong> Stadt legt Plan vor</div>"
        f"<p>{PARA}</p><p>{PARA2}</p></article>"
    )
    assert ("dateline", "3. Mai 2024, 14:10 Uhr") in kinds(html)
    html = page(
        "<article><h1>Stadt legt Nahverkehrsplan vor</h1>"
        "<p class='date'>03.05.2024, 14:10 Uhr • 4 Min. Lesezeit</p>"
        f"<p>{PARA}</p><p>{PARA2}</p></article>"
    )
    assert ("dateline", "03.05.2024, 14:10 Uhr") in kinds(html)


def test_a_kicker_written_as_two_labels_is_read_as_two_lines() -> None:
    html = page(
        "<article><div><strong>ANALYSE</strong><span>Verkehrswende</span></div>"
        f"<h1>Stadt legt Nahverkehrsplan vor</h1><p>{PARA}</p><p>{PARA2}</p></article>"
    )
    assert kinds(html)[0] == ("kicker", "ANALYSE. Verkehrswende")


def test_soft_hyphens_are_never_read() -> None:
    html = page(
        "<article><h1>Nah&shy;verkehrs&shy;plan</h1>"
        f"<p>Die Ver\u00adwaltung plant. {PARA}</p><p>{PARA2}</p></article>"
    )
    text = heard(html)
    assert "Nahverkehrsplan" in text and "Verwaltung plant" in text and "\u00ad" not in text


def test_a_one_paragraph_agency_item_is_read_and_flagged() -> None:
    item = (
        "Berlin (dpa) - Der Bundestag hat am Donnerstag ein neues Gesetz zum Nahverkehr "
        "beschlossen. Es soll im kommenden Jahr in Kraft treten und die Länder entlasten."
    )
    html = page(
        "<nav><a href='/'>Start</a> <a href='/p'>Politik</a></nav>"
        f"<section><h1>Bundestag beschließt Nahverkehrsgesetz</h1><div class='intro'>"
        f"<p>{item}</p></div></section><footer>Impressum</footer>"
    )
    document = from_html(html)
    assert item in " ".join(b.text for b in document.blocks)
    assert any(w.startswith("doubtful extraction") for w in document.warnings)


def test_an_article_is_not_flagged() -> None:
    html = page(f"<article><h1>Neuer Plan</h1><p>{PARA}</p><p>{PARA2}</p><p>{PARA3}</p>")
    assert from_html(html).warnings == ()


def test_a_page_of_links_is_still_refused() -> None:
    links = "".join(
        f"<li><a href='/a{i}'>Meldung Nummer {i} aus der Region</a></li>" for i in range(30)
    )
    with pytest.raises(ExtractionError) as info:
        from_html(page(f"<main><h1>Lokales</h1><ul>{links}</ul></main>"))
    assert info.value.reason == "no_article"


def test_xhtml_with_an_xml_declaration_is_read_as_html() -> None:
    xhtml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" lang="de"><head><title>Plan</title></head>'
        f"<body><h1>Neuer Plan</h1><p>{PARA}</p><p>{PARA2}</p></body></html>"
    )
    assert sniff_format(xhtml) == "html"
    assert PARA2 in heard(xhtml)


def test_a_live_tickers_entry_times_are_read_with_their_entries() -> None:
    entries = "".join(
        f"<div class='entry'><div class='stamp'>{t}</div><h3>{head}</h3><p>{text}</p></div>"
        for t, head, text in (
            ("14:30 Uhr", "Busse fahren wieder", PARA),
            ("13:05", "Sperrung der Innenstadt wieder aufgehoben", PARA2),
        )
    )
    html = page(
        "<article><h1>Liveblog Verkehr</h1><p class='date'>Stand: 3. Mai 2024, 14:35 Uhr</p>"
        f"{entries}</article>"
    )
    text = heard(html)
    assert "14:30 Uhr: Busse fahren wieder" in text
    assert "13:05: Sperrung der Innenstadt wieder aufgehoben" in text


def test_a_small_data_table_is_read_row_by_row() -> None:
    table = (
        "<table><caption>Ergebnis der Wahl</caption><thead><tr><th>Partei</th><th>Anteil</th>"
        "</tr></thead><tbody><tr><td>Grüne</td><td>31 Prozent</td></tr>"
        "<tr><td>SPD</td><td>24 Prozent</td></tr></tbody></table>"
    )
    html = page(f"<article><h1>Neuer Plan</h1><p>{PARA}</p>{table}<p>{PARA2}</p></article>")
    blocks = [text for _kind, text in kinds(html)]
    assert "Tabelle: Ergebnis der Wahl." in blocks
    assert "Partei: Grüne, Anteil: 31 Prozent." in blocks
    assert blocks.index("Partei: SPD, Anteil: 24 Prozent.") < blocks.index(PARA2)


def test_a_large_data_table_is_announced_not_dropped() -> None:
    rows = "".join(f"<tr><td>Linie {i}</td><td>{i * 3} Min.</td></tr>" for i in range(1, 30))
    table = f"<table><tr><th>Linie</th><th>Takt</th></tr>{rows}</table>"
    html = page(f"<article><h1>Neuer Plan</h1><p>{PARA}</p>{table}<p>{PARA2}</p></article>")
    text = heard(html)
    assert "eine Tabelle mit den Spalten Linie, Takt (29 Zeilen); sie wird nicht vorgelesen" in text
    assert "Linie 17" not in text


def test_a_layout_table_is_read_as_the_text_it_holds() -> None:
    html = page(
        f"<table><tr><td><h1>Neuer Plan</h1><p>{PARA}</p><p>{PARA2}</p></td>"
        "<td><p>Anzeige</p></td></tr></table>"
    )
    text = heard(html)
    assert PARA in text and "Tabelle" not in text
