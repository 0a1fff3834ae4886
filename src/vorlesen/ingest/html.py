"""HTML article extraction: trafilatura's main-text detection plus our own structure.

trafilatura is good at finding *which* text is the article, but it flattens the structure
a listener needs (kicker, headline, dateline, teaser) and sometimes drops the first
paragraph. So we do the structure ourselves with lxml and use trafilatura as one vote:

1. Read metadata: JSON-LD ``NewsArticle`` (headline, alternativeHeadline, datePublished,
   publisher, author, inLanguage, ``speakable``), Open Graph, ``<html lang>``.
2. Find the header on the whole page: the headline ``<h1>``, a kicker above or inside it,
   a dateline (``<time>`` or a date line) and a teaser just below it.
3. Remove what is never read: structural tags (nav, aside, figure, footer …), ARIA roles,
   hidden elements, and elements whose class/id/data tokens say boilerplate (cookie, ad,
   related, share, audio, paywall …) — unless they hold the headline or speakable text, or
   most of the page's text.
4. Find the body container: speakable selectors, else ``itemprop=articleBody``, else the
   element collecting the most paragraph text (with its siblings that carry text too).
5. Walk it in document order into blocks and vote on each: trafilatura agrees, link
   density, sentence punctuation, length, known boilerplate phrases.

Editors may embed SSML elements in the article's HTML (``<sub alias=…>``, ``<phoneme>``,
``<say-as>``, ``<break>``, ``<lang>``, ``<emphasis>``, ``<prosody>``). The written text
stays what the page shows; each such element becomes a :class:`~vorlesen.models.Mark` over
its span of the block's text, read by ``ingest/ssml.py`` exactly as in an SSML document,
so the speak stage says the alias, the IPA, the spelled letters, or pauses.

Only this module imports trafilatura (STYLE.md 14).
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import lxml.etree
import lxml.html
import trafilatura
from lxml.html import HtmlElement

from vorlesen.errors import ExtractionError
from vorlesen.ingest.boilerplate import (
    BOILERPLATE_PAIRS,
    BOILERPLATE_ROLES,
    BOILERPLATE_TOKENS,
    BOX_TITLE,
    DATELINE_TOKENS,
    KICKER_TOKENS,
    TEASER_TOKENS,
    is_boilerplate_text,
    looks_like_dateline,
)
from vorlesen.ingest.language import normalize_language_tag
from vorlesen.ingest.ssml import is_fragment_element, read_fragment
from vorlesen.models import BLOCK_SEPARATOR, Block, BlockKind, Document, Mark

MarkedPart = tuple[BlockKind, str, tuple[Mark, ...]]
"""A block before offsets are known: kind, whitespace-collapsed text, marks into the text."""

MAX_MARKS_PER_BLOCK = 200
"""Most embedded-SSML marks honoured in one block; a page with more is hostile or broken,
and each mark costs the speak stage work. Further marks are dropped with a warning."""


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of a table literal."""
    return frozenset(text.split())


_DROP_TAGS = _words(
    "script style noscript template svg canvas iframe object embed video audio picture img "
    "map source track link meta button input select textarea option label dialog menu "
    "nav aside figure figcaption footer form"
)
"""Tags whose content is never part of what a listener hears."""

_KEEP_AMP = frozenset({"amp-fit-text", "amp-accordion"})

_BLOCK_TAGS = _words(
    "address article aside blockquote dd details div dl dt fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hgroup hr li main nav ol p pre section table ul tr td th "
    "tbody thead tfoot summary"
)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SKIP_IN_BODY = frozenset({"table", "pre", "hr"})
_SENTENCE_END = re.compile(r"[.!?:;…\"“”»«)\]'’]\s*$")
_CAMEL = re.compile(r"([a-zäöü])([A-ZÄÖÜ])")
_TOKEN_SPLIT = re.compile(r"[^a-z0-9äöüß]+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_ARTICLE_TYPES = frozenset(
    {
        "newsarticle",
        "article",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "blogposting",
        "liveblogposting",
        "socialmediaposting",
        "report",
    }
)

TRAFILATURA_MIN_CHARS = 200
"""Below this, trafilatura's output is too thin to vote against a block."""

BODY_MIN_CHARS = 25
"""A leaf shorter than this is not counted when locating the body container."""


@dataclass
class _Meta:
    """What the page says about itself (JSON-LD, Open Graph, ``<html lang>``)."""

    headline: str | None = None
    alternative_headline: str | None = None
    published: str | None = None
    site: str | None = None
    author: str | None = None
    language: str | None = None
    canonical: str | None = None
    speakable_css: list[str] = field(default_factory=list)
    speakable_xpath: list[str] = field(default_factory=list)


@dataclass
class _Header:
    """The headline area: elements found and the text each contributes."""

    kicker: str | None = None
    title: str | None = None
    dateline: str | None = None
    teaser: str | None = None
    published: str | None = None
    title_el: HtmlElement | None = None
    teaser_el: HtmlElement | None = None
    consumed: set[HtmlElement] = field(default_factory=set)


@dataclass
class _Candidate:
    """A body block before the vote."""

    kind: BlockKind
    text: str
    link_chars: int
    speakable: bool
    marks: tuple[Mark, ...] = ()
    """Embedded SSML over ``text``."""
    warnings: tuple[str, ...] = ()
    """What reading the embedded SSML had to say."""


def from_html(html: str, url: str | None = None) -> Document:
    """Extract the article of an HTML page into a :class:`Document`.

    Raises :class:`ExtractionError` with reason ``empty`` for a blank page and
    ``no_article`` when the page has no readable article text (an index page, a login wall).
    """
    if not html.strip():
        raise ExtractionError("The page is empty; there is nothing to read.", reason="empty")
    root = _parse(html)
    meta = _read_metadata(root)
    labels = _section_and_image(root, url or meta.canonical)
    speakable = _speakable_elements(root, meta)
    _strip_invisible(root)
    header = _find_header(root, meta)
    protected = _protected(root, header, speakable)
    _remove_boilerplate(root, protected, header)
    traf = _trafilatura_text(html, url)
    body, body_warnings = _body_blocks(root, header, speakable, traf)
    if not body and len(traf) >= TRAFILATURA_MIN_CHARS:
        body = _trafilatura_blocks(traf, header)
    if not body:
        raise ExtractionError(
            "No article text was found on this page (it may be an index page, a login or "
            "consent wall, or rendered by JavaScript).",
            reason="no_article",
        )
    parts: list[MarkedPart] = []
    warnings: list[str] = []
    if header.kicker:
        parts.append(("kicker", header.kicker, ()))
    if header.title:
        parts.append(_header_part("title", header.title, header.title_el, header, warnings))
    if header.dateline:
        parts.append(("dateline", header.dateline, ()))
    if header.teaser:
        parts.append(_header_part("teaser", header.teaser, header.teaser_el, header, warnings))
    parts.extend(body)
    warnings.extend(body_warnings)
    return build_document(
        parts,
        warnings=warnings,
        title=header.title or meta.headline,
        site=meta.site,
        url=url or meta.canonical,
        published=meta.published or header.published,
        author=meta.author,
        language=normalize_language_tag(meta.language),
        **labels,
    )


def _section_and_image(root: HtmlElement, url: str | None) -> dict[str, str | None]:
    """The page's ``article:section`` and ``og:image`` (made absolute against ``url``; only
    an http(s) URL is kept): a podcast feed per section, the episode's artwork."""
    image = _meta_content(root, "og:image:secure_url", "og:image", "twitter:image")
    if image is not None:
        image = urljoin(url or "", image)
        if not image.lower().startswith(("http://", "https://")):
            image = None
    return {"section": _meta_content(root, "article:section"), "image": image}


def body_blocks_from_fragment(html: str) -> list[tuple[BlockKind, str]]:
    """Blocks of an HTML fragment that is known to be article body (CMS ``body_html``).

    Boilerplate removal and phrase filters apply; container search and trafilatura do not,
    because the CMS already told us this is the body. Embedded SSML is read as its written
    text here; :func:`marked_blocks_from_fragment` keeps it as marks.
    """
    parts, _warnings = marked_blocks_from_fragment(html)
    return [(kind, text) for kind, text, _marks in parts]


def marked_blocks_from_fragment(html: str) -> tuple[list[MarkedPart], tuple[str, ...]]:
    """Blocks of an article-body HTML fragment with the marks of its embedded SSML.

    As :func:`body_blocks_from_fragment`, plus each block's marks and the warnings the
    embedded SSML raised (an unknown ``say-as`` type, a capped ``<break>``); build the
    document with :func:`build_document`.
    """
    if not html.strip():
        return [], ()
    root = _parse(f"<html><body><div>{html}</div></body></html>")
    _strip_invisible(root)
    header = _Header()
    _remove_boilerplate(root, set(), header)
    body = root.find("body")
    if body is None:
        return [], ()
    out: list[MarkedPart] = []
    warnings: list[str] = []
    for cand in _walk_blocks([body], set(), set()):
        if is_boilerplate_text(cand.text) or _link_density(cand) > 0.6:
            continue
        out.append((cand.kind, cand.text, cand.marks))
        warnings.extend(cand.warnings)
    return out, tuple(dict.fromkeys(warnings))


def build_document(
    parts: Iterable[MarkedPart],
    *,
    title: str | None = None,
    site: str | None = None,
    url: str | None = None,
    published: str | None = None,
    author: str | None = None,
    language: str | None = None,
    warnings: Iterable[str] = (),
    section: str | None = None,
    image: str | None = None,
) -> Document:
    """A :class:`Document` from ``(kind, text, marks)`` triples, computing offsets.

    Like :meth:`Document.build`, but keeps each block's marks (their offsets are into the
    block's text, so the text must already be whitespace-collapsed, as every text this
    module returns is); a text that is not collapsed is collapsed and loses its marks.
    """
    blocks: list[Block] = []
    offset = 0
    for kind, raw, marks in parts:
        text = " ".join(raw.split())
        if not text:
            continue
        if blocks:
            offset += len(BLOCK_SEPARATOR)
        blocks.append(Block(kind=kind, text=text, start=offset, marks=marks if text == raw else ()))
        offset += len(text)
    return Document(
        blocks=tuple(blocks),
        title=title,
        site=site,
        url=url,
        published=published,
        author=author,
        language=language or "de",
        warnings=tuple(dict.fromkeys(warnings)),
        section=section,
        image=image,
    )


def _has_fragment(el: HtmlElement) -> bool:
    return any(is_fragment_element(d.tag, d.get("alias")) for d in el.iterdescendants())


def _header_part(
    kind: BlockKind, text: str, el: HtmlElement | None, header: _Header, warnings: list[str]
) -> MarkedPart:
    """A header field with the marks of SSML embedded in its element."""
    if el is None or not _has_fragment(el) or (kind == "title" and header.kicker):
        return (kind, text, ())  # a kicker cut out of the headline leaves offsets unknown
    run = _Run()
    run.inline(el, set())
    cands = run.flush(kind, False, split=False)
    if not cands:
        return (kind, text, ())
    warnings.extend(cands[0].warnings)
    return (kind, cands[0].text, cands[0].marks)


# ── parsing and metadata ──────────────────────────────────────────────────────────────


_NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
"""Characters lxml refuses in text nodes (C0 controls, non-characters, lone surrogates):
never readable text, and left in they make moving a comment's tail raise ValueError."""


def _parse(html: str) -> HtmlElement:
    html = _NOT_XML_TEXT.sub("", _XML_DECL.sub("", html, count=1))
    try:
        root = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractionError("The page could not be parsed as HTML.", reason="no_article") from exc
    for bad in root.xpath("//comment() | //processing-instruction()"):
        parent = bad.getparent()
        if parent is not None:
            _remove_keep_tail(bad)
    return root


def _remove_keep_tail(el: Any) -> None:
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    prev = el.getprevious()
    if tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _jsonld_items(root: HtmlElement) -> Iterator[dict[str, Any]]:
    for script in root.xpath("//script[@type]"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        raw = script.text_content() or ""
        try:
            data = json.loads(raw, strict=False)
        except json.JSONDecodeError:
            continue
        stack: list[Any] = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(graph)
                main = item.get("mainEntity")
                if isinstance(main, dict | list):
                    stack.append(main)


def _types(item: dict[str, Any]) -> set[str]:
    raw = item.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {str(v).lower() for v in values if isinstance(v, str)}


def _names(value: Any) -> str | None:
    """A JSON-LD person/organization value (str, dict, list of either) as a name string."""
    values = value if isinstance(value, list) else [value]
    names: list[str] = []
    for v in values:
        if isinstance(v, str) and v.strip():
            names.append(v.strip())
        elif isinstance(v, dict):
            name = v.get("name")
            if isinstance(name, str) and name.strip():
                names.append(name.strip())
    return ", ".join(dict.fromkeys(names)) or None


def _str(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    if isinstance(value, dict):
        for key in ("name", "alternateName", "@value"):
            if isinstance(value.get(key), str):
                return _str(value[key])
    if isinstance(value, list) and value:
        return _str(value[0])
    return None


def _as_list(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str) and v.strip()]


def _meta_content(root: HtmlElement, *keys: str) -> str | None:
    for key in keys:
        for el in root.xpath(f"//meta[@property='{key}' or @name='{key}' or @itemprop='{key}']"):
            content = el.get("content")
            if content and content.strip():
                return " ".join(content.split())
    return None


def _read_metadata(root: HtmlElement) -> _Meta:
    meta = _Meta()
    for item in _jsonld_items(root):
        types = _types(item)
        if types & _ARTICLE_TYPES and meta.headline is None:
            meta.headline = _str(item.get("headline")) or _str(item.get("name"))
            meta.alternative_headline = _str(item.get("alternativeHeadline")) or _str(
                item.get("kicker")
            )
            meta.published = _str(item.get("datePublished"))
            meta.site = _names(item.get("publisher")) or meta.site
            meta.author = _names(item.get("author"))
            meta.language = _str(item.get("inLanguage")) or meta.language
        speakable = item.get("speakable")
        if isinstance(speakable, dict | list):
            for spec in speakable if isinstance(speakable, list) else [speakable]:
                if isinstance(spec, dict):
                    meta.speakable_css.extend(_as_list(spec.get("cssSelector")))
                    meta.speakable_xpath.extend(_as_list(spec.get("xpath")))
        if "organization" in types or "newsmediaorganization" in types:
            meta.site = meta.site or _str(item.get("name"))
    meta.headline = meta.headline or _meta_content(root, "og:title", "twitter:title")
    meta.published = meta.published or _meta_content(
        root, "article:published_time", "datePublished", "date", "pubdate"
    )
    meta.site = meta.site or _meta_content(root, "og:site_name", "application-name")
    meta.author = meta.author or _meta_content(root, "author", "article:author")
    html_lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    meta.language = (
        meta.language or html_lang or _meta_content(root, "language", "content-language")
    )
    if meta.language is None:
        for el in root.xpath("//meta[@http-equiv]"):
            if (el.get("http-equiv") or "").lower() == "content-language":
                meta.language = el.get("content")
    for link in root.xpath("//link[@rel='canonical'][@href]"):
        meta.canonical = link.get("href")
        break
    title = root.find(".//title")
    if title is not None and title.text_content().strip():
        pieces = re.split(r"\s+[|–—-]\s+", " ".join(title.text_content().split()))
        meta.headline = meta.headline or pieces[0]
        if meta.site is None and len(pieces) > 1 and len(pieces[-1]) <= 40:
            meta.site = pieces[-1]  # "Headline | Site" is the common <title> convention
    return meta


def _speakable_elements(root: HtmlElement, meta: _Meta) -> list[HtmlElement]:
    found: list[HtmlElement] = []
    for selector in meta.speakable_css:
        # cssselect raises SelectorError (a SyntaxError) or ExpressionError; a page's broken
        # selector must not break extraction.
        with contextlib.suppress(Exception):
            found.extend(root.cssselect(selector))
    for xpath in meta.speakable_xpath:
        with contextlib.suppress(lxml.etree.XPathError, TypeError):
            result = root.xpath(xpath)
            if isinstance(result, list):
                found.extend(r for r in result if isinstance(r, HtmlElement))
    return list(dict.fromkeys(found))


# ── element signals ──────────────────────────────────────────────────────────────────


def _tokens(el: HtmlElement) -> list[str]:
    """Lower-case words of class, id, itemprop and short data-* values, in order."""
    raw: list[str] = [el.get("class") or "", el.get("id") or "", el.get("itemprop") or ""]
    for name, value in el.attrib.items():
        if name.startswith("data-") and value and len(value) <= 40 and "/" not in value:
            raw.append(value)
    text = " ".join(raw)
    text = _CAMEL.sub(r"\1 \2", text).lower()
    return [t for t in _TOKEN_SPLIT.split(text) if t]


def _has_boilerplate_tokens(tokens: list[str]) -> bool:
    if any(t in BOILERPLATE_TOKENS for t in tokens):
        return True
    return any(pair in BOILERPLATE_PAIRS for pair in itertools.pairwise(tokens))


def _text(el: HtmlElement) -> str:
    return " ".join(el.text_content().split())


def _is_hidden(el: HtmlElement) -> bool:
    if el.get("hidden") is not None:
        return True
    if (el.get("aria-hidden") or "").lower() == "true":
        return True
    return bool(_HIDDEN_STYLE.search(el.get("style") or ""))


def _strip_invisible(root: HtmlElement) -> None:
    """Remove what no browser shows: scripts, styles, templates, hidden elements."""
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        invisible = tag in ("script", "style", "noscript", "template", "svg") or _is_hidden(el)
        if invisible and el.getparent() is not None:
            el.drop_tree()


def _ancestors(el: HtmlElement) -> Iterator[HtmlElement]:
    parent = el.getparent()
    while parent is not None:
        yield parent
        parent = parent.getparent()


def _protected(
    root: HtmlElement, header: _Header, speakable: Iterable[HtmlElement]
) -> set[HtmlElement]:
    keep: set[HtmlElement] = set()
    anchors = [*speakable, *root.xpath("//*[@itemprop='articleBody']")]
    if header.title_el is not None:
        anchors.append(header.title_el)
    for el in anchors:
        keep.add(el)
        keep.update(_ancestors(el))
    return keep


def _remove_boilerplate(root: HtmlElement, protected: set[HtmlElement], header: _Header) -> None:
    """Drop structural and token-marked boilerplate, keeping protected and dominant nodes."""
    body = root.find("body")
    total = len(_text(body)) if body is not None else 0
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None:
            continue
        if el in protected or el.tag in ("html", "body"):
            continue
        tag = el.tag.lower()
        drop = tag in _DROP_TAGS or (tag.startswith("amp-") and tag not in _KEEP_AMP)
        if not drop and tag == "header":
            drop = True  # headers without the headline: site headers, teaser card headers
        if not drop and (el.get("role") or "").lower() in BOILERPLATE_ROLES:
            drop = True
        if not drop and _has_boilerplate_tokens(_tokens(el)):
            # A wrapper with an unlucky token ("article--plus", "with-audio") holding most
            # of the page is the article, not a widget.
            drop = not (total and len(_text(el)) > 0.5 * total and tag not in _DROP_TAGS)
        if not drop:
            drop = _is_titled_box(el)
        if drop and el not in header.consumed:
            el.drop_tree()


def _is_titled_box(el: HtmlElement) -> bool:
    """A container whose first line is a box title ("Mehr zum Thema", "Kommentare (3)")."""
    children = [c for c in el if isinstance(c.tag, str)]
    if len(children) < 2 or (el.text or "").strip():
        return False
    first = _text(children[0])
    return len(first) <= 60 and bool(BOX_TITLE.match(first))


# ── header: kicker, headline, dateline, teaser ───────────────────────────────────────


def _similarity(a: str, b: str) -> float:
    wa = set(re.findall(r"\w+", a.lower()))
    wb = set(re.findall(r"\w+", b.lower()))
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


def _pick_title(root: HtmlElement, meta: _Meta) -> HtmlElement | None:
    h1s = [h for h in root.iter("h1") if _text(h)]
    if meta.headline and h1s:
        scored = max(h1s, key=lambda h: _similarity(_text(h), meta.headline or ""))
        if _similarity(_text(scored), meta.headline) >= 0.4:
            return scored
    for h in h1s:
        if any(a.tag in ("article", "main") for a in _ancestors(h)):
            return h
    if h1s:
        return h1s[0]
    for el in root.xpath("//*[@itemprop='headline']"):
        if isinstance(el, HtmlElement) and _text(el) and el.tag != "meta":
            return el
    for el in root.iter("h2", "div", "span", "p"):
        if "headline" in _tokens(el) and 3 <= len(_text(el)) <= 250:
            return el
    return None


def _inline_text_skipping(el: HtmlElement, skip: HtmlElement) -> str:
    parts: list[str] = []

    def rec(node: HtmlElement) -> None:
        if node is skip:
            return
        if node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str):
                rec(child)
            if child.tail:
                parts.append(child.tail)

    rec(el)
    return " ".join("".join(parts).split())


def _short_plain(el: HtmlElement, max_chars: int = 80) -> str | None:
    text = _text(el)
    if not text or len(text) > max_chars or el.findall(".//a"):
        return None
    if is_boilerplate_text(text) or _has_boilerplate_tokens(_tokens(el)):
        return None
    return text


def _find_kicker(title_el: HtmlElement, meta: _Meta, header: _Header) -> None:
    # Inside the headline: <h1><span class="kicker">…</span><span>…</span></h1>
    for child in title_el.iter():
        if child is title_el:
            continue
        if set(_tokens(child)) & KICKER_TOKENS and _text(child):
            header.kicker = _text(child)
            header.title = _inline_text_skipping(title_el, child).lstrip(":–—- ").strip()
            return
    order = {el: i for i, el in enumerate(title_el.getroottree().getroot().iter())}
    title_pos = order[title_el]
    scope = title_el
    for _ in range(3):
        parent = scope.getparent()
        if parent is None or parent.tag == "body":
            break
        scope = parent
        for el in scope.iter():
            if order.get(el, title_pos) >= title_pos or el in _ancestors(title_el):
                continue
            if set(_tokens(el)) & KICKER_TOKENS:
                text = _short_plain(el)
                if text:
                    header.kicker = text
                    header.consumed.add(el)
                    return
    prev = title_el.getprevious()
    if prev is not None and prev.tag in ("p", "span", "div", "strong", "h2", "h3", "h4", "h5"):
        text = _short_plain(prev, 60)
        if text and len(text.split()) <= 8 and not looks_like_dateline(text):
            header.kicker = text
            header.consumed.add(prev)
            return
    alt = meta.alternative_headline
    if alt and len(alt.split()) <= 8 and _similarity(alt, header.title or "") < 0.6:
        header.kicker = alt


def _link_chars(el: HtmlElement) -> int:
    return sum(len(_text(a)) for a in el.iter("a"))


def _is_bold_paragraph(el: HtmlElement) -> bool:
    if el.tag != "p" or (el.text or "").strip():
        return False
    children = [c for c in el if isinstance(c.tag, str)]
    if len(children) != 1 or children[0].tag not in ("strong", "b"):
        return False
    return not (children[0].tail or "").strip() and len(_text(el)) >= 60


def _dateline_of_time(el: HtmlElement) -> str | None:
    text = _text(el)
    if not text:
        return None
    parent = el.getparent()
    if parent is not None:
        ptext = _text(parent)
        if len(ptext) <= 90 and looks_like_dateline(ptext) and not parent.findall(".//a"):
            return ptext
        if len(ptext) > 90 and parent.tag == "p":
            return None  # a date inside running text is not a dateline
    return text


def _find_header(root: HtmlElement, meta: _Meta) -> _Header:
    header = _Header()
    title_el = _pick_title(root, meta)
    if title_el is None:
        header.title = meta.headline
        return header
    header.title_el = title_el
    header.title = _text(title_el)
    header.consumed.add(title_el)
    _find_kicker(title_el, meta, header)
    if header.kicker and header.title and _similarity(header.kicker, header.title) > 0.8:
        header.kicker = None

    elements = list(root.iter())
    start = elements.index(title_el)
    inside_title = set(title_el.iter())
    taken: set[HtmlElement] = set()
    seen_paragraph = False

    def used(el: HtmlElement) -> bool:
        return el in taken or any(a in taken for a in _ancestors(el))

    # A date above the headline, in the same header area.
    scope = title_el.getparent()
    if scope is not None and scope.tag not in ("body", "main", "article"):
        for el in scope.iter("time"):
            if elements.index(el) < start:
                text = _dateline_of_time(el)
                if text:
                    header.dateline, header.published = text, el.get("datetime")
                    header.consumed.add(el)
                    taken.add(el)
                    break

    for el in elements[start + 1 : start + 400]:
        if not isinstance(el.tag, str) or el in inside_title or used(el):
            continue
        text = _text(el)
        if not text:
            continue
        tokens = set(_tokens(el))
        boiler = _has_boilerplate_tokens(list(tokens)) or is_boilerplate_text(text)
        if header.dateline is None and not boiler:
            dateline: str | None = None
            if el.tag == "time":
                dateline = _dateline_of_time(el)
            elif (tokens & DATELINE_TOKENS or not _has_block_child(el)) and looks_like_dateline(
                text
            ):
                dateline = text
            if dateline and len(el.findall(".//a")) == 0:
                header.dateline = dateline
                header.published = el.get("datetime") or next(
                    (t.get("datetime") for t in el.iter("time") if t.get("datetime")), None
                )
                header.consumed.add(el)
                taken.add(el)
                continue
        long_para = el.tag == "p" or (not _has_block_child(el) and el.tag in ("div", "section"))
        if header.teaser is None and not boiler and len(text) >= 40:
            density = _link_chars(el) / max(len(text), 1)
            is_teaser = bool(tokens & TEASER_TOKENS) or el.get("itemprop") == "description"
            if not is_teaser and not seen_paragraph:
                is_teaser = _is_bold_paragraph(el)
            if is_teaser and density < 0.3:
                header.teaser = text
                header.teaser_el = el
                header.consumed.add(el)
                taken.add(el)
                continue
        if long_para and len(text) >= 40 and not boiler:
            seen_paragraph = True
        if long_para and len(text) - _link_chars(el) >= 150:
            break
    return header


# ── body ─────────────────────────────────────────────────────────────────────────────


def _has_block_child(el: HtmlElement) -> bool:
    return any(isinstance(d.tag, str) and d.tag in _BLOCK_TAGS for d in el.iterdescendants())


def _paragraph_score(root: HtmlElement) -> dict[HtmlElement, float]:
    """Readability-style: each text leaf credits its parent, half to grandparent, …"""
    scores: dict[HtmlElement, float] = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in _HEADINGS:
            continue
        if el.tag == "p" or (
            el.tag in ("div", "section", "li", "td", "span") and not _has_block_child(el)
        ):
            text = _text(el)
            n = len(text) - _link_chars(el)
            if n < BODY_MIN_CHARS or n < 0.5 * len(text):
                continue
            credit = float(n)
            if _SENTENCE_END.search(text) or "." in text:
                credit *= 1.0
            else:
                credit *= 0.5
            node: HtmlElement | None = el.getparent()
            for weight in (1.0, 0.5, 1 / 3):
                if node is None:
                    break
                scores[node] = scores.get(node, 0.0) + credit * weight
                node = node.getparent()
    return scores


def _common_ancestor(elements: list[HtmlElement]) -> HtmlElement | None:
    if not elements:
        return None
    paths = [[el, *_ancestors(el)][::-1] for el in elements]
    common: HtmlElement | None = None
    for level in zip(*paths, strict=False):
        if all(x is level[0] for x in level):
            common = level[0]
        else:
            break
    return common


def _body_roots(
    root: HtmlElement, header: _Header, speakable: list[HtmlElement]
) -> list[HtmlElement]:
    attached = [
        el for el in speakable if el not in header.consumed and root in _ancestors(el) and _text(el)
    ]
    if attached:
        if len(attached) == 1:
            return attached
        common = _common_ancestor(attached)
        if common is not None:
            return [common]
    for el in root.xpath("//*[@itemprop='articleBody']"):
        if isinstance(el, HtmlElement) and len(_text(el)) >= 100:
            return [el]
    scores = _paragraph_score(root)
    if not scores:
        return []
    best = max(scores, key=lambda e: scores[e])
    parent = best.getparent()
    if parent is None:
        return [best]
    best_tokens = set(_tokens(best))
    roots: list[HtmlElement] = []
    for sib in parent:
        if not isinstance(sib.tag, str):
            continue
        if sib is best:
            roots.append(sib)
            continue
        own = _sibling_text_score(sib)
        same_class = bool(best_tokens) and set(_tokens(sib)) == best_tokens
        if own >= max(0.2 * scores[best], 100) or (same_class and own > 0):
            roots.append(sib)
    return roots


def _sibling_text_score(el: HtmlElement) -> float:
    text = _text(el)
    return float(len(text) - _link_chars(el)) if text else 0.0


_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
_WORD = re.compile(r"\S+")


class _Run:
    """Inline text gathered until the next block element; ``<br><br>`` splits paragraphs.

    Embedded SSML elements are read by ``ingest/ssml.py`` into their text and marks; the
    run remembers where in its raw text each one's text starts, and :meth:`flush` moves
    the marks onto the whitespace-collapsed block text.
    """

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.link_chars = 0
        self.fragments: list[tuple[int, tuple[Mark, ...]]] = []
        """Raw offset of each embedded SSML element's text, with its marks."""
        self.warnings: list[str] = []

    def _append(self, value: str) -> None:
        self.parts.append(value)
        self.length += len(value)

    def text(self, value: str | None, in_link: bool = False) -> None:
        if value:
            self._append(value)
            if in_link:
                self.link_chars += len(value.strip())

    def inline(self, el: HtmlElement, skip: set[HtmlElement], in_link: bool = False) -> None:
        if el in skip:
            return
        if el.tag == "br":
            self._append("\n")
            return
        link = in_link or el.tag == "a"
        if is_fragment_element(el.tag, el.get("alias")):
            self.fragment(el, link)
            return
        self.text(el.text, link)
        for child in el:
            if isinstance(child.tag, str):
                self.inline(child, skip, link)
            self.text(child.tail, link)

    def fragment(self, el: HtmlElement, in_link: bool) -> None:
        """An embedded SSML element: its text as ``from_ssml`` reads it, and its marks."""
        text, marks, warnings = read_fragment(el)
        written = el.text_content()
        boundary = el.tag == "break"  # a pause separates words, as in SSML
        if boundary or written[:1].isspace():
            self._append(" ")
        self.fragments.append((self.length, marks))
        self.text(text, in_link)
        if boundary or written[-1:].isspace():
            self._append(" ")
        self.warnings.extend(warnings)

    def flush(self, kind: BlockKind, speakable: bool, *, split: bool = True) -> list[_Candidate]:
        raw = "".join(self.parts)
        fragments, warnings = self.fragments, tuple(dict.fromkeys(self.warnings))
        self.parts, self.length, self.fragments, self.warnings = [], 0, [], []
        links, self.link_chars = self.link_chars, 0
        bounds: list[tuple[int, int]] = []
        pos = 0
        if split:
            for sep in _PARAGRAPH_BREAK.finditer(raw):
                bounds.append((pos, sep.start()))
                pos = sep.end()
        bounds.append((pos, len(raw)))
        pieces: list[tuple[str, list[Mark]]] = []
        next_fragment = 0  # fragments are in raw order: one pass over them, not one per piece
        for lo, hi in bounds:
            here: list[tuple[int, tuple[Mark, ...]]] = []
            while next_fragment < len(fragments) and fragments[next_fragment][0] <= hi:
                if fragments[next_fragment][0] >= lo:
                    here.append(fragments[next_fragment])
                next_fragment += 1
            words = [(m.start(), m.end()) for m in _WORD.finditer(raw, lo, hi)]  # absolute
            if not words:
                continue
            text = " ".join(raw[a:b] for a, b in words)
            starts = [a for a, _b in words]
            collapsed_starts = list(itertools.accumulate((b - a + 1 for a, b in words), initial=0))
            marks: list[Mark] = []
            for at, fragment_marks in here:
                if len(marks) > MAX_MARKS_PER_BLOCK:
                    break  # the rest are dropped below; mapping them would only cost time
                shift = _collapsed(words, starts, collapsed_starts, at)
                marks.extend(_shift(fragment_marks, shift))
            pieces.append((text, marks))
        share = links // max(len(pieces), 1)
        out: list[_Candidate] = []
        for text, marks in pieces:
            if len(marks) > MAX_MARKS_PER_BLOCK:
                warnings = (
                    *warnings,
                    f"a paragraph embeds more than {MAX_MARKS_PER_BLOCK} SSML elements; "
                    "the rest are read as written",
                )
                marks = marks[:MAX_MARKS_PER_BLOCK]
            cand = _Candidate(kind, text, min(share, len(text)), speakable, tuple(marks))
            out.append(cand)
        if out:
            out[0].warnings = warnings
        return out


def _collapsed(
    words: list[tuple[int, int]], starts: list[int], collapsed_starts: list[int], at: int
) -> int:
    """Offset in the collapsed text (``words`` joined by single spaces) of raw offset ``at``.

    Inside a word it maps to the same character; in whitespace, to the end of the word
    before (where a collapsed text has its single space), or 0 before the first word.
    ``starts`` are the words' raw starts, ``collapsed_starts`` their starts in the text.
    """
    i = bisect.bisect_right(starts, at) - 1
    if i < 0:
        return 0
    start = collapsed_starts[i]
    a, b = words[i]
    return start + min(at, b) - a


def _shift(marks: tuple[Mark, ...], by: int) -> list[Mark]:
    return [
        Mark(m.kind, m.start + by, m.end + by, m.value, m.detail, m.time, m.rate) for m in marks
    ]


def _walk_blocks(
    roots: list[HtmlElement], skip: set[HtmlElement], speakable: set[HtmlElement]
) -> list[_Candidate]:
    out: list[_Candidate] = []

    def is_speakable(el: HtmlElement) -> bool:
        return el in speakable or any(a in speakable for a in _ancestors(el))

    def emit(el: HtmlElement, kind: BlockKind) -> None:
        run = _Run()
        run.inline(el, skip)
        out.extend(run.flush(kind, is_speakable(el)))

    def walk(el: HtmlElement) -> None:
        if el in skip or not isinstance(el.tag, str):
            return
        tag = el.tag.lower()
        if tag in _SKIP_IN_BODY:
            return
        if tag in _HEADINGS:
            emit(el, "heading")
            return
        if tag == "blockquote":
            run = _Run()
            run.inline(el, skip)
            out.extend(run.flush("quote", is_speakable(el), split=False))
            return
        if not _has_block_child(el):
            emit(el, "paragraph")
            return
        run = _Run()
        run.text(el.text)
        for child in el:
            if not isinstance(child.tag, str):
                run.text(child.tail)
                continue
            if child in skip or child.tag in _BLOCK_TAGS or _has_block_child(child):
                out.extend(run.flush("paragraph", is_speakable(el)))
                walk(child)
            else:
                run.inline(child, skip)
            run.text(child.tail)
        out.extend(run.flush("paragraph", is_speakable(el)))

    for root in roots:
        walk(root)
    return out


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _link_density(cand: _Candidate) -> float:
    return cand.link_chars / max(len(cand.text), 1)


def _keep(cand: _Candidate, traf_norm: str) -> bool:
    """Vote on one body block; see the module docstring for the signals."""
    text = cand.text
    if is_boilerplate_text(text):
        return False
    score = 1.0
    if cand.speakable:
        score += 3.0
    if len(traf_norm) >= TRAFILATURA_MIN_CHARS:
        key = _norm(text)[:60]
        score += 1.0 if key and key in traf_norm else -1.0
    density = _link_density(cand)
    if density > 0.6:
        score -= 2.0
    elif density > 0.3:
        score -= 1.0
    if cand.kind == "heading":
        score += 0.5  # headings carry no final full stop; kept only before text, see below
    else:
        score += 0.5 if _SENTENCE_END.search(text) else -0.5
    if len(text) >= 150:
        score += 1.0
    elif len(text) < 30:
        score -= 0.5
    return score >= 0.5


def _body_blocks(
    root: HtmlElement, header: _Header, speakable: list[HtmlElement], traf: str
) -> tuple[list[MarkedPart], list[str]]:
    roots = _body_roots(root, header, speakable)
    cands = _walk_blocks(roots, header.consumed, set(speakable))
    traf_norm = _norm(traf)
    seen = {_norm(t) for t in (header.kicker, header.title, header.dateline, header.teaser) if t}
    kept: list[_Candidate] = []
    for cand in cands:
        key = _norm(cand.text)
        if not key or key in seen or not _keep(cand, traf_norm):
            continue
        seen.add(key)
        kept.append(cand)
    # A heading not followed by text is a box title ("Mehr zum Thema", "Meistgelesen").
    kept = [
        cand
        for i, cand in enumerate(kept)
        if cand.kind != "heading"
        or (i + 1 < len(kept) and kept[i + 1].kind in ("paragraph", "quote"))
    ]
    if not any(cand.kind in ("paragraph", "quote") for cand in kept):
        return [], []
    out: list[MarkedPart] = [(cand.kind, cand.text, cand.marks) for cand in kept]
    return out, [w for cand in kept for w in cand.warnings]


def _trafilatura_text(html: str, url: str | None) -> str:
    """trafilatura's main text, or "" when it finds none (it returns None for that)."""
    try:
        text = trafilatura.extract(
            html,
            url=url,
            include_comments=False,
            include_tables=False,
            include_images=False,
            output_format="txt",
            deduplicate=False,
        )
    except Exception:
        return ""
    return text or ""


def _trafilatura_blocks(traf: str, header: _Header) -> list[MarkedPart]:
    """Fallback body when our structure recovery found nothing readable."""
    seen = {_norm(t) for t in (header.kicker, header.title, header.dateline, header.teaser) if t}
    out: list[MarkedPart] = []
    for line in traf.splitlines():
        text = " ".join(line.split()).lstrip("- ").strip()
        if not text or _norm(text) in seen or is_boilerplate_text(text):
            continue
        if len(text) < 30 or not _SENTENCE_END.search(text):
            continue  # without link information, only prose-like lines are trusted
        seen.add(_norm(text))
        out.append(("paragraph", text, ()))
    return out
