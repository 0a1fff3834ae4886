"""Hostile XML is refused quickly, before anything is expanded or fetched."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from support import billion_laughs
from vorlesen import ingest
from vorlesen.config import Settings
from vorlesen.errors import InputError, MarkupError
from vorlesen.ingest.ssml import MAX_DEPTH, from_ssml

BOUND = 5.0
"""Generous wall-clock bound in seconds: the point is "refused, not expanded"."""

BILLION_LAUGHS = billion_laughs(
    "speak",
    "<speak>&lol9;</speak>\n",
)

XXE = """<?xml version="1.0"?>
<!DOCTYPE speak [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<speak>Hallo &xxe;</speak>
"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE speak SYSTEM "http://127.0.0.1:9/evil.dtd">
<speak>Hallo</speak>
"""

PARAMETER_ENTITY = """<!DOCTYPE speak [<!ENTITY % ext SYSTEM "file:///etc/passwd"> %ext;]>
<speak>Hallo</speak>"""


def refused(text: str) -> MarkupError:
    started = time.monotonic()
    with pytest.raises(MarkupError) as info:
        from_ssml(text)
    assert time.monotonic() - started < BOUND
    return info.value


@pytest.mark.parametrize("text", [BILLION_LAUGHS, XXE, EXTERNAL_DTD, PARAMETER_ENTITY])
def test_dtds_and_entities_are_refused(text: str) -> None:
    error = refused(text)
    assert error.reason == "ssml_doctype"
    assert "root:" not in error.message  # nothing of /etc/passwd leaks into the message


def test_undeclared_entity_is_malformed_not_expanded() -> None:
    assert refused("<speak>Hallo &xxe;</speak>").reason == "ssml_malformed"


def test_a_100_mb_document_is_refused_before_parsing() -> None:
    text = "<speak>" + "Bla " * (25 * 1024 * 1024) + "</speak>"
    error = refused(text)
    assert error.reason == "too_large"
    assert "bytes" in error.message


def test_size_limit_counts_bytes_not_characters() -> None:
    with pytest.raises(MarkupError):
        from_ssml("<speak>" + "ä" * 60 + "</speak>", max_bytes=100)
    assert from_ssml("<speak>" + "ä" * 40 + "</speak>", max_bytes=100).text == "ä" * 40


def test_deep_nesting_is_refused() -> None:
    depth = MAX_DEPTH + 5
    error = refused("<speak>" + "<emphasis>" * depth + "x" + "</emphasis>" * depth + "</speak>")
    assert error.reason == "ssml_too_deep"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<speak>Hallo", "ssml_malformed"),
        ("<speak><p>Hallo</s></speak>", "ssml_malformed"),
        ("<html>Hallo</html>", "not_ssml"),
    ],
)
def test_malformed_documents_are_markup_errors(text: str, reason: str) -> None:
    assert refused(text).reason == reason


@pytest.mark.parametrize("text", [BILLION_LAUGHS, XXE, EXTERNAL_DTD])
def test_the_ingest_layer_refuses_hostile_ssml_files(tmp_path: Path, text: str) -> None:
    path = tmp_path / "angriff.ssml"
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(InputError):
        ingest.load(str(path), settings=Settings(offline=True))
    assert time.monotonic() - started < BOUND


def test_the_ingest_layer_reads_ssml_and_keeps_marks(tmp_path: Path) -> None:
    path = tmp_path / "meldung.ssml"
    path.write_text(
        '<speak xml:lang="de">Die Bundesregierung hat heute in Berlin beschlossen, '
        'die Förderung <break time="1s"/> auszuweiten.</speak>',
        encoding="utf-8",
    )
    doc = ingest.load(str(path), settings=Settings(offline=True))
    assert doc.blocks[0].marks[0].kind == "break"
    assert doc.language == "de"
