"""Hostile XML in SSML and PLS is refused fast — directly, through the API and the newsroom.

``tests/ssml/test_attacks.py`` and ``tests/lexicon/test_formats.py`` already prove billion
laughs, XXE and external DTDs for the parsers; this adds quadratic blowup, parameter
entities, XInclude, entity tricks in attributes and encodings, and the same attacks
arriving over HTTP: the SSML body of ``PUT /api/articles/{id}`` and the newsroom's PLS
import form.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from support import billion_laughs
from vorlesen.errors import MarkupError
from vorlesen.ingest.ssml import from_ssml
from vorlesen.lexicon import parse_pls
from vorlesen.service.container import Service

from .conftest import HOSTILE_AUTH, HOSTILE_TOKEN, report_refusals

"""Seconds a refusal may take: the point is "refused before anything expands"."""

TRIED: dict[str, int] = {}
REFUSED: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def _report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report_refusals(request.config, TRIED, REFUSED)


def _count(item: str, refused: bool) -> None:
    TRIED[item] = TRIED.get(item, 0) + 1
    REFUSED[item] = REFUSED.get(item, 0) + int(refused)


_BLOB = "x" * 50_000
_PLS_OPEN = '<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon">'
_AMP = "&a;" * 50_000
_QUADRATIC = '<!DOCTYPE {root} [<!ENTITY a "' + _BLOB + '">]>{body}'

SSML_ATTACKS = {
    "billion laughs": billion_laughs("speak", "<speak>&lol9;</speak>", indent=""),
    "quadratic blowup": _QUADRATIC.format(root="speak", body=f"<speak>{_AMP}</speak>"),
    "xxe file": '<!DOCTYPE speak [<!ENTITY x SYSTEM "file:///etc/passwd">]><speak>&x;</speak>',
    "xxe http": '<!DOCTYPE speak [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]><speak>&x;</speak>',
    "external dtd": '<!DOCTYPE speak SYSTEM "http://127.0.0.1:9/evil.dtd"><speak>a</speak>',
    "public dtd": '<!DOCTYPE speak PUBLIC "-//X//Y" "file:///etc/passwd"><speak>a</speak>',
    "parameter entity": (
        '<!DOCTYPE speak [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><speak>a</speak>'
    ),
    "parameter entity oob": (
        '<!DOCTYPE speak [<!ENTITY % d SYSTEM "http://127.0.0.1:9/e.dtd"> %d; %all;]>'
        "<speak>&send;</speak>"
    ),
    "entity in attribute": (
        '<!DOCTYPE speak [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<speak><sub alias="&x;">a</sub></speak>'
    ),
    "lowercase doctype": '<!doctype speak [<!entity x "y">]><speak>&x;</speak>',
    "doctype after comment": '<!-- c --><!DOCTYPE speak [<!ENTITY x "y">]><speak>&x;</speak>',
    "utf-16 doctype": "<!DOCTYPE speak [<!ENTITY x 'y'>]><speak>&x;</speak>",
    "undeclared entity": "<speak>&xxe;</speak>",
}

PLS_ATTACKS = {
    "billion laughs": billion_laughs(
        "lexicon",
        _PLS_OPEN + "<lexeme><grapheme>a</grapheme><alias>&lol9;</alias></lexeme></lexicon>",
        indent="",
    ),
    "quadratic blowup": _QUADRATIC.format(
        root="lexicon",
        body=_PLS_OPEN + f"<lexeme><grapheme>a</grapheme><alias>{_AMP}</alias></lexeme></lexicon>",
    ),
    "xxe": '<!DOCTYPE lexicon [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    + _PLS_OPEN
    + "<lexeme><grapheme>a</grapheme><alias>&x;</alias></lexeme></lexicon>",
    "external dtd": '<!DOCTYPE lexicon SYSTEM "http://127.0.0.1:9/pls.dtd">'
    + _PLS_OPEN
    + "</lexicon>",
    "parameter entity": '<!DOCTYPE lexicon [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>'
    + _PLS_OPEN
    + "</lexicon>",
    "entity in attribute": '<!DOCTYPE lexicon [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    + '<lexicon version="1.0" alphabet="&x;"/>',
    "undeclared entity": _PLS_OPEN
    + "<lexeme><grapheme>a</grapheme><alias>&xxe;</alias></lexeme></lexicon>",
}


@pytest.mark.parametrize("name", sorted(SSML_ATTACKS))
def test_ssml_attacks_are_refused_fast(name: str) -> None:
    text = SSML_ATTACKS[name]
    with pytest.raises(MarkupError) as info:
        from_ssml(text)
    assert "root:" not in info.value.message
    _count("xml: ssml attacks", True)


def test_utf16_encoded_ssml_attack_is_refused() -> None:
    """The DOCTYPE check must not be dodged by another encoding of the same bytes."""
    from vorlesen import ingest

    data = SSML_ATTACKS["utf-16 doctype"].encode("utf-16")
    with pytest.raises(MarkupError):
        ingest.from_bytes(data, filename="a.ssml")
    _count("xml: ssml attacks", True)


@pytest.mark.parametrize("name", sorted(PLS_ATTACKS))
def test_pls_attacks_are_refused_fast(name: str) -> None:
    with pytest.raises(MarkupError) as info:
        parse_pls(PLS_ATTACKS[name].encode("utf-8"))
    assert "root:" not in info.value.message
    _count("xml: pls attacks", True)


def test_xinclude_is_not_processed() -> None:
    """XInclude is only an unknown element: its file is never read, in SSML or PLS."""
    ssml = (
        '<speak xmlns:xi="http://www.w3.org/2001/XInclude">Hallo '
        '<xi:include href="file:///etc/passwd" parse="text"/> Welt</speak>'
    )
    doc = from_ssml(ssml)
    assert "root" not in doc.text and doc.text.startswith("Hallo")
    pls = (
        _PLS_OPEN.replace(">", ' xmlns:xi="http://www.w3.org/2001/XInclude">', 1)
        + '<xi:include href="file:///etc/passwd" parse="text"/>'
        + "<lexeme><grapheme>a</grapheme><alias>b</alias></lexeme></lexicon>"
    )
    entries = parse_pls(pls.encode())
    assert [(e.grapheme, e.value) for e in entries] == [("a", "b")]
    _count("xml: ssml attacks", True)
    _count("xml: pls attacks", True)


# -- over HTTP -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SSML_ATTACKS))
def test_api_refuses_hostile_ssml_bodies(
    name: str, hostile_client: TestClient, hostile_service: Service
) -> None:
    """``PUT /api/articles/{id}`` with hostile SSML is a 4xx problem at once, and nothing is
    stored or queued."""
    r = hostile_client.put(
        "/api/articles/angriff", json={"ssml": SSML_ATTACKS[name]}, headers=HOSTILE_AUTH
    )
    assert 400 <= r.status_code < 500, (name, r.status_code, r.text[:200])
    assert r.json()["reason"].startswith(("ssml_", "too_large")), r.json()
    assert "root:" not in r.text
    assert hostile_client.get("/api/articles/angriff").status_code == 404
    assert hostile_service.queue.pending() == 0
    _count("xml: through the API", True)


def _editor(client: TestClient) -> None:
    r = client.post("/admin/login", data={"token": HOSTILE_TOKEN}, follow_redirects=False)
    assert r.status_code == 303, r.text


@pytest.mark.parametrize("name", sorted(PLS_ATTACKS))
def test_newsroom_refuses_hostile_pls_imports(
    name: str, hostile_client: TestClient, hostile_service: Service
) -> None:
    """The newsroom's PLS import answers 422 with the error (413 when over the request
    body limit), fast, and saves nothing."""
    _editor(hostile_client)
    r = hostile_client.post(
        "/admin/lexicon/import",
        files={"file": ("angriff.pls", PLS_ATTACKS[name].encode(), "application/pls+xml")},
    )
    assert r.status_code in (413, 422), (name, r.status_code)  # 413: over the body limit
    assert "root:" not in r.text
    assert hostile_service.store.lexicon_entries() == []
    _count("xml: through the newsroom", True)


def test_newsroom_refuses_oversized_pls(hostile_client: TestClient) -> None:
    _editor(hostile_client)
    big = (_PLS_OPEN + " " * (6 * 1024 * 1024) + "</lexicon>").encode()
    r = hostile_client.post("/admin/lexicon/import", files={"file": ("big.pls", big, "text/xml")})
    assert r.status_code in (413, 422)
    _count("xml: through the newsroom", True)
