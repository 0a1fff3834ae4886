"""W3C Pronunciation Lexicon Specification (PLS 1.0) import and export.

What PLS cannot say is carried in a vorlesen namespace (PLS allows foreign attributes),
so a vorlesen lexicon round-trips losslessly::

    <lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon"
             xmlns:v="urn:vorlesen:lexicon:1" alphabet="ipa" xml:lang="de-DE">
      <lexeme><grapheme>Pjöngjang</grapheme><alias>Pjöng-jang</alias></lexeme>
      <lexeme v:case="sensitive" v:voice="de_DE-thorsten-medium">
        <grapheme>Selenskyj</grapheme><phoneme>zɛlˈɛnskɪj</phoneme></lexeme>
      <lexeme v:lang="en"><grapheme>Financial Times</grapheme>
        <alias>Financial Times</alias></lexeme>
    </lexicon>

A language entry also writes its grapheme as ``<alias>`` so other PLS readers (Azure,
Polly) get a valid, harmless lexeme. Files from other tools are read too: a lexeme with
several graphemes gives one entry per grapheme; its first pronunciation is used.

Parsing is defensive: the size is checked before parsing, and DTDs, entity declarations
and external references are refused (billion laughs, XXE) through ``defusedxml``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

import defusedxml  # ships no type information
import defusedxml.ElementTree as DefusedET

from vorlesen.errors import MarkupError, VorlesenError
from vorlesen.lexicon.entries import LexEntry, make_entry

__all__ = ["MAX_PLS_BYTES", "PLS_NS", "VORLESEN_NS", "dump_pls", "parse_pls"]

PLS_NS = "http://www.w3.org/2005/01/pronunciation-lexicon"
VORLESEN_NS = "urn:vorlesen:lexicon:1"

MAX_PLS_BYTES = 10 * 1024 * 1024
"""Largest PLS document read: ~50,000 lexemes, far above any newsroom's list, and small
enough that parsing stays well under a second."""

_IPA_ALPHABETS = frozenset({"ipa"})


def _local(tag: str) -> tuple[str, str]:
    """(namespace, local name) of an ElementTree tag."""
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _is_pls(elem: ET.Element, name: str) -> bool:
    ns, local = _local(str(elem.tag))
    return local == name and ns in (PLS_NS, "")


def _parse_xml(data: bytes, source: str) -> ET.Element:
    """Parse untrusted XML, refusing DTDs, entities and external references."""
    if len(data) > MAX_PLS_BYTES:
        raise MarkupError(
            f"{source} is {len(data):,} bytes; a lexicon may be at most {MAX_PLS_BYTES:,}.",
            reason="xml_too_large",
        )
    try:
        root: ET.Element = DefusedET.fromstring(data, forbid_dtd=True)
        return root
    except defusedxml.DTDForbidden as exc:
        dtd = exc
    except ET.ParseError as exc:
        raise MarkupError(
            f"{source} is not well-formed XML: {exc}.", reason="xml_malformed"
        ) from exc
    # A DTD was refused; parse again without that rule only to name the danger precisely.
    try:
        DefusedET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden) as exc:
        raise MarkupError(
            f"{source} declares XML entities, which lexicons may not use "
            "(entity expansion and external files are a known attack).",
            reason="xml_entities_forbidden",
        ) from exc
    except ET.ParseError as exc:
        raise MarkupError(
            f"{source} is not well-formed XML: {exc}.", reason="xml_malformed"
        ) from exc
    if dtd.sysid or dtd.pubid:
        raise MarkupError(
            f"{source} refers to an external DTD ({dtd.sysid or dtd.pubid}); "
            "lexicons may not load external files.",
            reason="xml_external_forbidden",
        )
    raise MarkupError(
        f"{source} has a DTD, which lexicons may not use.", reason="xml_dtd_forbidden"
    )


def parse_pls(data: bytes, *, source: str = "lexicon") -> list[LexEntry]:
    """Entries of a PLS 1.0 document, in document order."""
    root = _parse_xml(data, source)
    if not _is_pls(root, "lexicon"):
        raise MarkupError(
            f"{source} is not a PLS lexicon (root element {_local(str(root.tag))[1]!r}).",
            reason="pls_invalid",
        )
    alphabet = root.get("alphabet", "ipa")
    entries: list[LexEntry] = []
    for number, lexeme in enumerate((e for e in root if _is_pls(e, "lexeme")), start=1):
        where = f"{source}, lexeme {number}"
        graphemes = [g.text or "" for g in lexeme if _is_pls(g, "grapheme")]
        pron = next((e for e in lexeme if _is_pls(e, "alias") or _is_pls(e, "phoneme")), None)
        if not graphemes or pron is None:
            raise MarkupError(
                f"{where} needs a <grapheme> and an <alias> or <phoneme>.", reason="pls_invalid"
            )
        lang = lexeme.get(f"{{{VORLESEN_NS}}}lang")
        if lang is not None:
            kind, value = "lang", lang
        elif _is_pls(pron, "alias"):
            kind, value = "alias", pron.text or ""
        else:
            pron_alphabet = pron.get("alphabet", alphabet)
            if pron_alphabet.casefold() not in _IPA_ALPHABETS:
                raise MarkupError(
                    f"{where} uses the phonetic alphabet {pron_alphabet!r}; only IPA is read.",
                    reason="pls_alphabet_unsupported",
                )
            kind, value = "ipa", pron.text or ""
        case = lexeme.get(f"{{{VORLESEN_NS}}}case", "insensitive")
        voice = lexeme.get(f"{{{VORLESEN_NS}}}voice")
        for grapheme in graphemes:
            try:
                entries.append(
                    make_entry(
                        grapheme, kind, value, case_sensitive=case == "sensitive", voice=voice
                    )
                )
            except VorlesenError as exc:
                raise MarkupError(f"{where}: {exc.message}", reason=exc.reason) from exc
    return entries


def dump_pls(entries: Iterable[LexEntry], *, lang: str = "de-DE") -> bytes:
    """A PLS 1.0 document (UTF-8) that :func:`parse_pls` reads back to the same entries.

    Tags and prefixes are written literally (``xmlns`` attributes set by hand) rather
    than through ElementTree's global namespace registry, which other modules share.
    """
    root = ET.Element(
        "lexicon",
        {
            "version": "1.0",
            "xmlns": PLS_NS,
            "xmlns:v": VORLESEN_NS,
            "alphabet": "ipa",
            "xml:lang": lang,
        },
    )
    root.text = "\n  "
    for entry in entries:
        attrs: dict[str, str] = {}
        if entry.case_sensitive:
            attrs["v:case"] = "sensitive"
        if entry.voice is not None:
            attrs["v:voice"] = entry.voice
        if entry.kind == "lang":
            attrs["v:lang"] = entry.value
        lexeme = ET.SubElement(root, "lexeme", attrs)
        ET.SubElement(lexeme, "grapheme").text = entry.grapheme
        if entry.kind == "ipa":
            ET.SubElement(lexeme, "phoneme", {"alphabet": "ipa"}).text = entry.value
        else:
            alias = entry.grapheme if entry.kind == "lang" else entry.value
            ET.SubElement(lexeme, "alias").text = alias
        lexeme.tail = "\n  "
    if len(root):
        root[-1].tail = "\n"
    else:
        root.text = None
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body + b"\n"
