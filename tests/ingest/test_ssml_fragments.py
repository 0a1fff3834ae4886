"""SSML fragments embedded in an ordinary article's HTML become marks the speak stage honours.

Pages and CMS bodies are read through the real extraction (lxml + trafilatura) and the real
speak stage; the assertions are on the script a ``--text-only`` run would print.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vorlesen.ingest.html import (
    MAX_MARKS_PER_BLOCK,
    body_blocks_from_fragment,
    build_document,
    from_html,
    marked_blocks_from_fragment,
)
from vorlesen.ingest.ssml import from_ssml
from vorlesen.models import Document, Script
from vorlesen.speak.script import Pauses, make_script

PAUSES = Pauses()

FILLER = (
    "Die Entscheidung war seit Wochen erwartet worden und sorgt nun für Diskussionen in "
    "Berlin, wo die Koalition über die Folgen für den Haushalt des kommenden Jahres berät."
)


def _page(
    body: str, teaser: str = "Ein Urteil mit Folgen für viele Mieterinnen und Mieter."
) -> str:
    return f"""<!DOCTYPE html>
<html lang="de"><head><title>Urteil zu Mieten | Testzeitung</title></head>
<body>
<nav><a href="/">Startseite</a> <a href="/politik">Politik</a></nav>
<main><article>
<h1>Urteil zu Mieten</h1>
<p class="article-teaser"><strong>{teaser}</strong></p>
<div class="article-body">
{body}
<p>{FILLER}</p>
<p>{FILLER} Weitere Einzelheiten sollen in der kommenden Woche bekannt werden.</p>
</div>
</article></main>
<footer>Impressum · Datenschutz</footer>
</body></html>"""


def _script(doc: Document) -> Script:
    return make_script(doc)


def _utterance_with(script: Script, written: str) -> str:
    for u in script.utterances:
        if written in u.written:
            return u.spoken
    raise AssertionError(
        f"no utterance reads {written!r}: {[u.written for u in script.utterances]}"
    )


def _cms_doc(body_html: str) -> Document:
    parts, warnings = marked_blocks_from_fragment(body_html)
    return build_document([("title", "Urteil zu Mieten", ()), *parts], warnings=warnings)


# ── each fragment kind on a web page ─────────────────────────────────────────────────


def test_sub_on_a_page_is_spoken_as_its_alias_and_written_as_shown() -> None:
    doc = from_html(
        _page('<p>Der <sub alias="Bundesgerichtshof">BGH</sub> hat am Dienstag entschieden.</p>')
    )
    block = next(b for b in doc.blocks if "BGH" in b.text)
    assert block.text == "Der BGH hat am Dienstag entschieden."
    [mark] = block.marks
    assert (mark.kind, block.text[mark.start : mark.end], mark.value) == (
        "sub",
        "BGH",
        "Bundesgerichtshof",
    )
    spoken = _utterance_with(_script(doc), "BGH")
    assert spoken == "Der Bundesgerichtshof hat am Dienstag entschieden."


def test_phoneme_on_a_page_reaches_the_engine_as_an_ipa_block() -> None:
    doc = from_html(
        _page('<p>In <phoneme alphabet="ipa" ph="ˈkiːjɪf">Kyjiw</phoneme> gab es Alarm.</p>')
    )
    assert _utterance_with(_script(doc), "Kyjiw") == "In [[ˈkiːjɪf]] gab es Alarm."


def test_say_as_characters_on_a_page_is_spelled() -> None:
    doc = from_html(_page('<p>Die <say-as interpret-as="characters">ARD</say-as> sendet live.</p>'))
    assert _utterance_with(_script(doc), "ARD") == "Die A R D sendet live."


def test_lang_on_a_page_is_phonemized_in_english() -> None:
    doc = from_html(
        _page('<p>Das berichtet die <lang xml:lang="en">Financial Times</lang> am Montag.</p>')
    )
    spoken = _utterance_with(_script(doc), "Financial")
    assert spoken.startswith("Das berichtet die [[") and spoken.endswith("]] am Montag.")
    assert "taɪmz" in spoken.replace("ˈ", "")


def test_break_on_a_page_splits_with_the_given_pause() -> None:
    doc = from_html(
        _page('<p>Und dann kam die Nachricht<break time="700ms"/>das Urteil steht fest.</p>')
    )
    block = next(b for b in doc.blocks if "Nachricht" in b.text)
    assert block.text == "Und dann kam die Nachricht das Urteil steht fest."
    script = _script(doc)
    spoken = [u.spoken for u in script.utterances]
    at = spoken.index("Und dann kam die Nachricht")
    assert spoken[at + 1] == "das Urteil steht fest."
    assert script.utterances[at].pause_after == pytest.approx(0.7)


def test_prosody_and_emphasis_in_a_blockquote() -> None:
    doc = from_html(
        _page(
            '<blockquote><emphasis>Das</emphasis> ist <prosody rate="slow">ein guter Tag'
            "</prosody> für uns alle.</blockquote>"
        )
    )
    block = next(b for b in doc.blocks if b.kind == "quote")
    assert block.text == "Das ist ein guter Tag für uns alle."
    assert {m.kind for m in block.marks} == {"emphasis", "prosody"}
    script = _script(doc)
    rates = {u.spoken: u.rate for u in script.utterances if u.block == doc.blocks.index(block)}
    assert rates == {"Das ist": 1.0, "ein guter Tag": 0.8, "für uns alle.": 1.0}


def test_fragments_in_teaser_and_heading_get_marks() -> None:
    body = (
        '<h2>Was die <say-as interpret-as="characters">EZB</say-as> sagt</h2>'
        f"<p>{FILLER} Die Notenbank äußerte sich zurückhaltend zu den Zinsen.</p>"
    )
    teaser = 'Der <sub alias="Bundesgerichtshof">BGH</sub> stärkt die Rechte der Mieter deutlich.'
    doc = from_html(_page(body, teaser=teaser))
    kinds = {b.kind: b for b in doc.blocks}
    assert kinds["teaser"].text == "Der BGH stärkt die Rechte der Mieter deutlich."
    assert [m.kind for m in kinds["teaser"].marks] == ["sub"]
    script = _script(doc)
    assert (
        _utterance_with(script, "stärkt")
        == "Der Bundesgerichtshof stärkt die Rechte der Mieter deutlich."
    )
    assert _utterance_with(script, "EZB") == "Was die E Z B sagt"


def test_marks_match_what_an_ssml_document_gives() -> None:
    inner = (
        'Der <sub alias="Bundesgerichtshof">BGH</sub> und die '
        '<say-as interpret-as="characters">ARD</say-as>,  '
        '<emphasis level="strong">sehr <prosody rate="fast">schnell</prosody></emphasis> '
        'in <phoneme alphabet="ipa" ph="ˈkiːjɪf">Kyjiw</phoneme>.'
    )
    ssml = from_ssml(f"<speak>{inner}</speak>").blocks[0]
    [(kind, text, marks)], _ = marked_blocks_from_fragment(f"<p>{inner}</p>")
    assert (kind, text) == ("paragraph", ssml.text)
    assert sorted(marks, key=repr) == sorted(ssml.marks, key=repr)


def test_offsets_survive_line_breaks_and_paragraph_splits() -> None:
    parts, _ = marked_blocks_from_fragment(
        '<div>Erster   Absatz mit\n  <sub alias="Weltgesundheitsorganisation">WHO</sub>.'
        '<br><br>Zweiter mit <say-as interpret-as="characters">ZDF</say-as>-Beitrag.</div>'
    )
    texts = [(text, [(m.kind, text[m.start : m.end]) for m in marks]) for _k, text, marks in parts]
    assert texts == [
        ("Erster Absatz mit WHO.", [("sub", "WHO")]),
        ("Zweiter mit ZDF-Beitrag.", [("say-as", "ZDF")]),
    ]


# ── CMS body_html ─────────────────────────────────────────────────────────────────────


def test_cms_body_with_every_fragment_kind() -> None:
    doc = _cms_doc(
        '<p>Der <sub alias="Bundesgerichtshof">BGH</sub> tagte in '
        '<phoneme alphabet="ipa" ph="ˈkiːjɪf">Kyjiw</phoneme>.<break time="1.5s"/>'
        'Die <say-as interpret-as="characters">ARD</say-as> zitierte die '
        '<lang xml:lang="en">Financial Times</lang>.</p>'
        '<div class="ad-container">Anzeige</div>'
    )
    assert doc.text.endswith("Der BGH tagte in Kyjiw. Die ARD zitierte die Financial Times.")
    script = _script(doc)
    spoken = [u.spoken for u in script.utterances]
    assert spoken[1] == "Der Bundesgerichtshof tagte in [[ˈkiːjɪf]]."
    assert script.utterances[1].pause_after == pytest.approx(1.5)
    assert spoken[2].startswith("Die A R D zitierte die [[") and spoken[2].endswith("]].")
    assert "Anzeige" not in doc.text


def test_body_blocks_from_fragment_keeps_its_plain_shape() -> None:
    blocks = body_blocks_from_fragment('<p>Die <sub alias="Europäische Union">EU</sub> plant.</p>')
    assert blocks == [("paragraph", "Die EU plant.")]


# ── unknown tags, HTML look-alikes, limits, warnings ────────────────────────────────


def test_html_subscript_and_unknown_tags_keep_todays_behaviour() -> None:
    parts, warnings = marked_blocks_from_fragment(
        "<p>CO<sub>2</sub> und <foo-bar>Unbekanntes</foo-bar> bleiben Text.</p>"
    )
    assert parts == [("paragraph", "CO2 und Unbekanntes bleiben Text.", ())]
    assert warnings == ()


def test_unsupported_say_as_reads_as_written_with_a_warning() -> None:
    doc = _cms_doc('<p>Am <say-as interpret-as="vxml:currency">12 EUR</say-as> gezahlt.</p>')
    assert doc.blocks[1].marks == ()
    assert any("vxml:currency" in w for w in doc.warnings)


def test_long_break_is_capped_with_a_warning() -> None:
    doc = _cms_doc('<p>Eins.<break time="1000000s"/> Zwei.</p>')
    [mark] = doc.blocks[1].marks
    assert mark.time == 10.0
    assert any("capped" in w for w in doc.warnings)


def test_marks_per_block_are_capped() -> None:
    many = " ".join(f'<sub alias="Eintrag {n}">E{n}</sub>' for n in range(MAX_MARKS_PER_BLOCK + 50))
    parts, warnings = marked_blocks_from_fragment(f"<p>{many}.</p>")
    [(_kind, text, marks)] = parts
    assert len(marks) == MAX_MARKS_PER_BLOCK
    assert text.startswith("E0 E1 E2") and marks[-1].value == f"Eintrag {MAX_MARKS_PER_BLOCK - 1}"
    assert any("SSML elements" in w for w in warnings)


def test_entities_in_attributes_are_not_expanded_beyond_html() -> None:
    # HTML parsing knows only the fixed HTML entities; no declaration can add more.
    parts, _ = marked_blocks_from_fragment('<p>Die <sub alias="&amp;lol9;">X</sub> steht hier.</p>')
    [(_kind, _text, (mark,))] = parts
    assert mark.value == "&lol9;"


def test_cms_json_body_fragments_reach_the_script_end_to_end(tmp_path: Path) -> None:
    article = {
        "title": "Urteil in Karlsruhe",
        "body_html": (
            '<p>Der <sub alias="Bundesgerichtshof">BGH</sub> hat am Dienstag entschieden.'
            '<break time="1s"/>Die Klägerin war aus <phoneme alphabet="ipa" ph="ˈkiːjɪf">'
            "Kyjiw</phoneme> angereist und hatte lange auf dieses Urteil gewartet.</p>"
        ),
        "language": "de",
    }
    path = tmp_path / "urteil.json"
    path.write_text(json.dumps(article), encoding="utf-8")
    result = subprocess.run(
        [str(Path(sys.executable).with_name("vorlesen")), "read", str(path), "--text-only"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [
        "Der BGH hat am Dienstag entschieden.",
        "Der Bundesgerichtshof hat am Dienstag entschieden.",
    ] in rows
    assert any("[[ˈkiːjɪf]]" in spoken for _, spoken in rows)
