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
import functools
import itertools
import json
import operator
import re
from collections.abc import Callable, Iterable, Iterator
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
    CAPTION_TOKENS,
    CREDIT,
    DATE_PATTERN,
    DATELINE_TOKENS,
    KICKER_TOKENS,
    NAVIGATION_TOKENS,
    READING_TIME,
    TEASER_TOKENS,
    TRAILING_CREDIT,
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

_STRUCTURAL_DROP_TAGS = _words("nav aside footer form")
"""Dropped tags that some sites (mis)use as the article's own container: kept when they
hold most of the page's text, like a wrapper with an unlucky class token."""

_INLINE_TAGS = _words(
    "a span strong b em i u abbr mark small sub sup time cite q dfn var kbd code bdi bdo"
)
"""Inline elements: inside running text their class tokens ("tag", "superTag") say how
they look, not that they are boilerplate."""

_TEXT_TAGS = _words("p h1 h2 h3 h4 h5 h6 li blockquote")
"""Elements that hold text themselves: an anchor id such as "nav_schredder" on a
subheading makes it a jump target, not navigation."""

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

SPEAKABLE_BODY_MIN_CHARS = 100
"""Speakable selectors that match less text than this (a headline, a teaser) do not
declare the body; the body is then found as on any page."""

TEASER_AS_BODY_CHARS = 120
"""A page whose only prose is a teaser this long is read (as its body), not refused."""

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
    source: HtmlElement | None = None
    """The element whose text this block is (a container for text between its blocks)."""
    table: bool = False
    """Made from a data table (read row by row, or announced): kept without a vote."""
    stamp: bool = False
    """A live ticker's entry time on its own line, read with the entry after it."""


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
    page_body = root.find("body")
    page_chars = len(_text(page_body if page_body is not None else root))
    header = _find_header(root, meta)
    protected = _protected(root, header, speakable)
    _remove_boilerplate(root, protected, header, page_chars if page_body is not None else 0)
    traf = _trafilatura_text(html, url)
    body, body_warnings = _body_blocks(root, header, speakable, traf)
    fallback = not body
    if not body and len(traf) >= TRAFILATURA_MIN_CHARS:
        body = _trafilatura_blocks(traf, header, _norm(_text(root)))
    if not body and header.teaser and len(header.teaser) >= TEASER_AS_BODY_CHARS:
        # A one-paragraph agency item or a video page: its only text sits where a teaser
        # would. Read it as the body rather than refuse the page.
        body = [("paragraph", header.teaser, ())]
        header.teaser = header.teaser_el = None
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
    warnings.extend(_doubts(parts, page_chars, fallback))
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


DOUBTFUL_CHARS = 500
"""An article this short …"""
DOUBTFUL_SHARE = 0.1
"""… on a page with ten times its text is flagged: the body may not have been found."""
DOUBTFUL_SHORT_LINES = 0.5
"""A body with more than this share of short lines (no sentence end) reads like a list of
links, a gallery or a table, not an article."""


def _doubts(parts: list[MarkedPart], page_chars: int, fallback: bool) -> list[str]:
    """Why an editor should look at this extraction before it goes on air (the API shows
    these in the article's ``warnings``, ``read`` prints them)."""
    out: list[str] = []
    chars = sum(len(text) for _kind, text, _marks in parts)
    if fallback:
        out.append(
            "doubtful extraction: the page has no recognisable article body; what is read was "
            "recovered from its lead or from trafilatura's text"
        )
    elif chars < DOUBTFUL_CHARS and chars < DOUBTFUL_SHARE * page_chars:
        out.append(
            f"doubtful extraction: only {chars} of the page's {page_chars} characters were "
            "taken as the article"
        )
    paragraphs = [text for kind, text, _marks in parts if kind == "paragraph"]
    short = [t for t in paragraphs if len(t) < 60 and not _SENTENCE_END.search(t)]
    if len(paragraphs) >= 6 and len(short) > DOUBTFUL_SHORT_LINES * len(paragraphs):
        out.append(
            f"doubtful extraction: {len(short)} of {len(paragraphs)} paragraphs are short "
            "lines without a sentence end (a list of links, a gallery or a table?)"
        )
    return out


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


_INVISIBLE_CHARS = re.compile(r"\u00ad|\u200b|&shy;|&#173;|&#x0*ad;|&#8203;|&#x200b;", re.I)
"""Soft hyphens and zero-width spaces: hyphenation hints a listener must never hear as
word breaks ("Paläs­ti­nenser")."""


def _parse(html: str) -> HtmlElement:
    html = _NOT_XML_TEXT.sub("", _XML_DECL.sub("", html, count=1))
    html = _INVISIBLE_CHARS.sub("", html)
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


def _remove_boilerplate(
    root: HtmlElement, protected: set[HtmlElement], header: _Header, total: int | None = None
) -> None:
    """Drop structural and token-marked boilerplate, keeping protected and dominant nodes.

    ``total`` is the page's text length when the caller has it already."""
    if total is None:
        body = root.find("body")
        total = len(_text(body)) if body is not None else 0
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None:
            continue
        if el in protected or el.tag in ("html", "body"):
            continue
        tag = el.tag.lower()
        drop = tag in _DROP_TAGS or (tag.startswith("amp-") and tag not in _KEEP_AMP)
        structural = drop and tag in _STRUCTURAL_DROP_TAGS
        if not drop and tag == "header":
            drop = structural = True  # site headers, teaser card headers
        if not drop and (el.get("role") or "").lower() in BOILERPLATE_ROLES:
            drop = True
        tokens = _tokens(el)
        if tag in _TEXT_TAGS:
            tokens = [t for t in tokens if t not in NAVIGATION_TOKENS]  # "nav_schredder" ids
        if not drop and _has_boilerplate_tokens(tokens):
            drop = structural = True
        if structural and total and len(_text(el)) > 0.5 * total:
            # A wrapper with an unlucky token ("article--plus", "with-audio") or an <aside>
            # holding most of the page is the article, not a widget.
            drop = False
        if not drop:
            drop = _is_titled_box(el)
        if drop and tag in _INLINE_TAGS and _in_running_text(el):
            drop = False  # a link or a styled word inside a sentence is part of the sentence
        if drop and el not in header.consumed:
            el.drop_tree()


def _in_running_text(el: HtmlElement) -> bool:
    """True when ``el`` sits inside a sentence: its parent has text of its own around it."""
    parent = el.getparent()
    if parent is None:
        return False
    if (parent.text or "").strip() or (el.tail or "").strip():
        return True
    return any((c.tail or "").strip() for c in parent if c is not el)


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


_SEPARATORS = frozenset({">", "›", "»", "/", "|", "•", "·", "→"})
_HIDDEN_TOKENS = frozenset({"sronly", "visually", "screen", "offscreen", "invisible"})


def _is_card_heading(heading: HtmlElement) -> bool:
    """A heading of a teaser card: classed "teaser" or inside a link."""
    return "teaser" in _tokens(heading) or any(a.tag == "a" for a in _ancestors(heading))


def _is_page_chrome(heading: HtmlElement) -> bool:
    """True for a heading that is not the visible headline: one in a breadcrumb trail
    ("RTL > news > …"), the navigation or a screen-reader-only SEO copy."""
    tokens = set(_tokens(heading))
    if tokens & _HIDDEN_TOKENS or {"sr", "only"} <= tokens:
        return True
    for el in [heading, *_ancestors(heading)][:6]:
        tokens = set(_tokens(el))
        if tokens & {"breadcrumb", "breadcrumbs", "crumbs", "crumb"} or el.tag == "nav":
            return True
        if (el.get("role") or "").lower() == "navigation":
            return True
    parent = heading.getparent()
    if parent is not None:
        siblings = [_text(c) for c in parent if c is not heading and isinstance(c.tag, str)]
        if any(s in _SEPARATORS for s in siblings):
            return True
    return False


def _is_headline_h2(h: HtmlElement) -> bool:
    """An <h2> (or its spans) classed as the headline, inside an article, not in a box."""
    tokens = set(_tokens(h)).union(*(_tokens(c) for c in h if isinstance(c.tag, str)))
    if not _text(h) or not tokens & {"headline", "title"}:
        return False
    if tokens & {"section", "teaser", "more", "related"}:
        return False
    for a in _ancestors(h):  # inside an article, and in no box within it
        if a.tag in ("article", "main"):
            return True
        if _has_boilerplate_tokens(_tokens(a)):
            return False
    return False


def _pick_title(root: HtmlElement, meta: _Meta) -> HtmlElement | None:
    """The visible headline: an <h1> that is not page chrome, else the article's headline
    <h2>, else an element classed "headline", else a breadcrumb's last crumb."""
    all_h1s = [h for h in root.iter("h1") if _text(h)]
    h1s = [h for h in all_h1s if not _is_page_chrome(h) and not _is_card_heading(h)]
    headline = meta.headline or ""
    crumb_is_headline = any(_similarity(_text(h), headline) >= 0.8 for h in all_h1s)
    if crumb_is_headline and not any(_similarity(_text(h), headline) >= 0.4 for h in h1s):
        h1s = []  # the headline is a crumb; the other <h1>s are teaser cards
    if not h1s:
        # Some sites put a breadcrumb or the site name in <h1> and write the headline as a
        # "headline"/"title" <h2> inside the article, or as the <h2> saying what the page's
        # metadata (or the crumb) says.
        h1s = [h for h in root.iter("h2") if _is_headline_h2(h)][:1]
    if not h1s:
        names = [t for t in (meta.headline, *(_text(h) for h in all_h1s)) if t]

        def likeness(h: HtmlElement) -> float:
            if _is_card_heading(h) or any(a.tag == "li" for a in _ancestors(h)):
                return 0.0
            best = max((_similarity(_text(h), name) for name in names), default=0.0)
            in_article = any(a.tag in ("article", "main") for a in _ancestors(h))
            return best if best >= 0.8 or (in_article and best >= 0.4) else 0.0

        scored_h2 = [(likeness(h), i, h) for i, h in enumerate(root.iter("h2"))]
        scored_h2 = [t for t in scored_h2 if t[0] > 0]
        if scored_h2:
            h1s = [max(scored_h2, key=lambda t: (t[0], -t[1]))[2]]
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
    if meta.headline:  # the last crumb of a trail may be the headline itself
        for h in all_h1s:
            if _similarity(_text(h), meta.headline) >= 0.8:
                return h
    return all_h1s[0] if all_h1s else None


def _gather_text(
    el: HtmlElement, *, skip: Callable[[HtmlElement], bool] | None = None, spaced: bool = False
) -> str:
    """The whitespace-collapsed text of ``el``, leaving out the descendants ``skip`` names;
    with ``spaced``, a space where block elements and ``<br>`` meet, where the page shows
    separate lines ("Christoph von Eichhorn</div><div>Aktualisiert: …")."""
    parts: list[str] = []

    def rec(node: HtmlElement) -> None:
        if node is not el and skip is not None and skip(node):
            return
        block = spaced and (node.tag in _BLOCK_TAGS or node.tag == "br")
        parts.append(" " if block else "")
        parts.append(node.text or "")
        for child in node:
            if isinstance(child.tag, str):
                rec(child)
            parts.append(child.tail or "")
        parts.append(" " if block else "")

    rec(el)
    return " ".join("".join(parts).split())


def _short_plain(el: HtmlElement, max_chars: int = 80) -> str | None:
    text = _text(el)
    children = [
        c
        for c in el
        if isinstance(c.tag, str)
        and c.tag not in _DROP_TAGS
        and _text(c)
        and not _has_boilerplate_tokens(_tokens(c))
        and not is_boilerplate_text(_text(c))
    ]
    if len(children) == 1 and not (el.text or "").strip():
        text = _text(children[0])
    elif len(children) >= 2 and not (el.text or "").strip():
        # "<div><strong>KOMMENTAR</strong><span>Wahl in Petersberg</span></div>": two lines
        text = ". ".join(_text(c).rstrip(".:") for c in children)
    if not text or len(text) > max_chars or el.findall(".//a"):
        return None
    if is_boilerplate_text(text) or _has_boilerplate_tokens(_tokens(el)):
        return None
    return text


def _find_kicker(title_el: HtmlElement, meta: _Meta, header: _Header) -> None:
    # A headline written as two lines, <h1><span>Kicker</span><span>Headline</span></h1>:
    # the first, shorter line is the kicker, whatever the classes call it.
    lines = [c for c in title_el if isinstance(c.tag, str) and _text(c)]
    loose = (title_el.text or "").strip() or any((c.tail or "").strip() for c in title_el)
    if len(lines) == 2 and not loose and all(c.tag in ("span", "div", "strong") for c in lines):
        first, second = (_text(c) for c in lines)
        if len(first) < len(second) and len(first.split()) <= 8:
            header.kicker = first.rstrip(":–—- ").strip()
            header.title = second
            return
    # Inside the headline: <h1><span class="kicker">…</span><span>…</span></h1>
    for child in title_el.iter():
        if child is title_el:
            continue
        if set(_tokens(child)) & KICKER_TOKENS and _text(child):
            header.kicker = _text(child)
            rest = _gather_text(title_el, skip=functools.partial(operator.is_, child))
            header.title = rest.lstrip(":–—- ").strip()
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


_DATELINE_KEYWORD = re.compile(
    # No \b before: an author's name may be glued on ("EichhornAktualisiert: …").
    r"(\bstand|Stand|Aktualisiert|aktualisiert|Veröffentlicht|veröffentlicht|Erstellt|"
    r"erstellt|Zuletzt|zuletzt|Geändert|geändert)\b"
)
_DATELINE_FILLER = re.compile(
    r"\b(stand|aktualisiert|veröffentlicht|erstellt|zuletzt|geändert|am|um|uhr|vom|von|"
    r"\d+\s*(min\.?|minuten)\s*(lesezeit|lesedauer))\b|[^\w\s]",
    re.I,
)
"""Words that belong to a dateline around its date ("Stand: … Uhr", "Aktualisiert am")."""


def _is_subtitle(el: HtmlElement, title_el: HtmlElement) -> bool:
    """A sentence in an <h2>/<h3> right under the headline: the teaser, not a section."""
    if el.tag not in ("h2", "h3") or el.getprevious() is not title_el:
        return False
    text = _text(el)
    return len(text) >= 60 and bool(_SENTENCE_END.search(text) or ". " in text)


def _is_caption(node: HtmlElement) -> bool:
    return node.tag in ("figure", "figcaption", "picture", "img") or bool(
        set(_tokens(node)) & CAPTION_TOKENS
    )


def _clean_dateline(text: str) -> str:
    """A dateline without its reading-time label, an author's name before it or a kicker
    and headline after it, and dangling separators:
    "Christoph von Eichhorn Aktualisiert: 11.04.2020, 10:27" → "Aktualisiert: 11.04.2020, 10:27",
    "15. Mai 2019, 05:28 Uhr Deutschlandtakt Flixbus attackiert Bahn" → "15. Mai 2019, 05:28 Uhr".
    """
    text = READING_TIME.sub("", text)
    dates = list(DATE_PATTERN.finditer(text))
    if dates:
        start, end = dates[0].start(), dates[-1].end()
        keyword = _DATELINE_KEYWORD.search(text, 0, start)
        if keyword is not None:
            start = keyword.start()
        if len(text[:start].split()) >= 3:
            text, end = text[start:], end - start
        after = text[end:]
        if len(_DATELINE_FILLER.sub(" ", after).split()) > 3:
            text = text[:end]
    return text.strip(" •|·–-,/")


def _dateline_of_time(el: HtmlElement) -> str | None:
    text = _text(el)
    if not text:
        return None
    parent = el.getparent()
    if parent is not None:
        ptext = _text(parent)
        rest = ptext.replace(text, " ", 1)
        wordy = len(_DATELINE_FILLER.sub(" ", rest).split()) > 3  # a kicker or headline
        if (
            len(ptext) <= 90
            and not wordy
            and looks_like_dateline(ptext)
            and not parent.findall(".//a")
        ):
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
                    header.dateline, header.published = _clean_dateline(text), el.get("datetime")
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
                dateline = _gather_text(el, spaced=True)
            if dateline and len(el.findall(".//a")) == 0:
                header.dateline = _clean_dateline(dateline) or dateline
                header.published = el.get("datetime") or next(
                    (t.get("datetime") for t in el.iter("time") if t.get("datetime")), None
                )
                header.consumed.add(el)
                taken.add(el)
                continue
        long_para = el.tag == "p" or (not _has_block_child(el) and el.tag in ("div", "section"))
        # A class that says "teaser" outweighs utility classes such as "caption-s5".
        named = bool(tokens & TEASER_TOKENS) and not is_boilerplate_text(text)
        if header.teaser is None and (named or not boiler) and len(text) >= 40:
            density = _link_chars(el) / max(len(text), 1)
            is_teaser = named or el.get("itemprop") == "description"
            if not is_teaser and not seen_paragraph:
                is_teaser = _is_bold_paragraph(el) or _is_subtitle(el, title_el)
            if is_teaser and density < 0.3:
                # the teaser without the image captions and credits nested in it
                text = _gather_text(el, skip=_is_caption) or text
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
) -> tuple[list[HtmlElement], bool]:
    """The containers of the article body, and whether the page declared them speakable."""
    attached = [
        el
        for el in speakable
        if el not in header.consumed
        and el.tag not in _HEADINGS
        and root in _ancestors(el)
        and _text(el)
    ]
    if sum(len(_text(el)) for el in attached) >= SPEAKABLE_BODY_MIN_CHARS:
        if len(attached) == 1:
            return attached, True
        common = _common_ancestor(attached)
        if common is not None:
            return [common], True
    for el in root.xpath("//*[@itemprop='articleBody']"):
        if isinstance(el, HtmlElement) and len(_text(el)) >= 100:
            return [el], False
    scores = _paragraph_score(root)
    if not scores:
        return [], False
    best = max(scores, key=lambda e: scores[e])
    parent = best.getparent()
    if parent is None:
        return [best], False
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
    return roots, False


def _sibling_text_score(el: HtmlElement) -> float:
    text = _text(el)
    return float(len(text) - _link_chars(el)) if text else 0.0


_BR = "\u2028"
"""What a ``<br>`` leaves in a run's raw text (a LINE SEPARATOR: whitespace to every
later step, but told apart from the page source's own line breaks)."""
_PARAGRAPH_BREAK = re.compile(r"[\n\u2028][ \t\r\f\v\n\u2028]*[\n\u2028]|\u2028")


def _is_line_heading(line: str) -> bool:
    """A line that ends at a single ``<br>`` and reads as a subheading: short, with words,
    no closing punctuation ("Claudia muss jetzt liefern<br>Der Text geht weiter …")."""
    return 8 <= len(line) <= 100 and len(line.split()) >= 2 and not _SENTENCE_END.search(line)


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
            self._append(_BR)
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
                line = raw[max(raw.rfind(_BR, pos, sep.start()), pos) : sep.start()].strip()
                if sep.group().strip(" \t") == _BR and not _is_line_heading(line):
                    continue
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

    def add(el: HtmlElement, cands: list[_Candidate]) -> None:
        # Blocks inside a link are a teaser card ("<a><div>Rubrik</div><div>Titel</div></a>"):
        # all their text is link text, however the walk split it.
        linked = el.tag == "a" or any(a.tag == "a" for a in _ancestors(el))
        for cand in cands:
            cand.source = el
            if linked:
                cand.link_chars = len(cand.text)
        out.extend(cands)

    def emit(el: HtmlElement, kind: BlockKind) -> None:
        run = _Run()
        run.inline(el, skip)
        add(el, run.flush(kind, is_speakable(el)))

    def walk(el: HtmlElement) -> None:
        if el in skip or not isinstance(el.tag, str):
            return
        tag = el.tag.lower()
        if tag == "table":
            rows = _table_rows(el)
            if rows is not None:  # a data table: read small ones, announce large ones
                for text in _table_speech(el, rows):
                    add(el, [_Candidate("paragraph", text, 0, is_speakable(el), table=True)])
                return
        elif tag in _SKIP_IN_BODY:
            return
        if tag in _HEADINGS:
            emit(el, "heading")
            return
        if tag == "blockquote":
            run = _Run()
            run.inline(el, skip)
            add(el, run.flush("quote", is_speakable(el), split=False))
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
                add(el, run.flush("paragraph", is_speakable(el)))
                walk(child)
            else:
                run.inline(child, skip)
            run.text(child.tail)
        add(el, run.flush("paragraph", is_speakable(el)))

    for root in roots:
        walk(root)
    return out


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _link_density(cand: _Candidate) -> float:
    return cand.link_chars / max(len(cand.text), 1)


TABLE_READ_ROWS = 8
"""A data table with at most this many rows (and ``TABLE_READ_COLUMNS`` columns) is read
row by row; a larger one is announced, so the listener knows the article has it."""
TABLE_READ_COLUMNS = 4


def _table_rows(table: HtmlElement) -> list[list[tuple[str, bool]]] | None:
    """The cells (text, is-header) of a data table by row, or None for a layout table
    (cells holding paragraphs or other tables: the page is laid out with it)."""
    if table.find(".//table") is not None or table.find(".//p") is not None:
        return None
    rows: list[list[tuple[str, bool]]] = []
    for tr in table.iter("tr"):
        cells = [(_text(c), c.tag == "th") for c in tr if c.tag in ("td", "th")]
        if any(text for text, _head in cells):
            rows.append(cells)
    if len(rows) < 2 or max(len(r) for r in rows) < 2:
        return None
    return rows


def _table_speech(table: HtmlElement, rows: list[list[tuple[str, bool]]]) -> list[str]:
    """What a listener hears of a data table: its rows as sentences ("Partei: CDU, Stimmen:
    31 Prozent."), or for a large one what it holds."""
    caption_el = table.find("caption")
    caption = _text(caption_el) if caption_el is not None else ""
    header: list[str] = []
    if all(head for _text_, head in rows[0]) or table.find("thead") is not None:
        header = [text for text, _head in rows[0]]
        rows = rows[1:]
    columns = max((len(r) for r in rows), default=0)
    if not rows or len(rows) > TABLE_READ_ROWS or columns > TABLE_READ_COLUMNS:
        about = f" „{caption}“" if caption else ""
        what = f" mit den Spalten {', '.join(h for h in header if h)}" if any(header) else ""
        return [
            f"Der Artikel enthält hier eine Tabelle{about}{what} ({len(rows)} Zeilen); "
            "sie wird nicht vorgelesen."
        ]
    out = [f"Tabelle: {caption}."] if caption else []
    for row in rows:
        cells = [text for text, _head in row]
        if header and len(header) == len(cells):
            parts = [f"{h}: {c}" if h else c for h, c in zip(header, cells, strict=True) if c]
        else:
            parts = [c for c in cells if c]
        out.append(", ".join(parts).rstrip(".") + ".")
    return out


def _keep(cand: _Candidate, traf_norm: str) -> bool:
    """Vote on one body block; see the module docstring for the signals."""
    text = cand.text
    if cand.table:
        return True
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
    """The body: the blocks of our container, united with what trafilatura also found.

    A page often splits its article over several containers (a lead box, text modules
    between ads, a second column); the container with the most prose is only one of them.
    So the whole page is walked, and a block outside our container is kept when
    trafilatura found it too and it passes the same vote: never less than trafilatura.
    Text a publisher declared speakable is read alone, as declared.
    """
    roots, declared = _body_roots(root, header, speakable)
    traf_norm = _norm(traf)
    unite = not declared and len(traf_norm) >= TRAFILATURA_MIN_CHARS
    page = root.find("body")
    if unite and page is not None:
        members = {el for r in roots for el in r.iter()}
        cands = _walk_blocks([page], header.consumed, set(speakable))
        order = {el: i for i, el in enumerate(root.iter())}
        title_at = order.get(header.title_el, -1) if header.title_el is not None else -1
    else:
        members = set()
        cands = _walk_blocks(roots, header.consumed, set(speakable))
        order, title_at = {}, -1
    seen = {_norm(t) for t in (header.kicker, header.title, header.dateline, header.teaser) if t}
    heads = _norm(f"{header.kicker or ''} {header.title or ''}")
    kept: list[_Candidate] = []
    for cand in cands:
        key = _norm(cand.text)
        if not key or key in seen:
            continue
        if cand.kind == "heading" and len(key) >= 4 and key in heads:
            continue  # the kicker or headline repeated above the body
        if _ENTRY_TIME.match(cand.text) and not cand.marks:
            cand.stamp = True
            kept.append(cand)
            continue
        if unite and cand.source not in members:
            above_title = cand.source is not None and order.get(cand.source, 0) < title_at
            if key[:60] not in traf_norm or above_title:
                continue
        if not _keep(cand, traf_norm):
            continue
        seen.add(key)
        kept.append(cand)
    kept = _tidy_body(kept)
    if not any(cand.kind in ("paragraph", "quote") for cand in kept):
        return [], []
    out: list[MarkedPart] = [(cand.kind, cand.text, cand.marks) for cand in kept]
    return out, [w for cand in kept for w in cand.warnings]


_LINK_ARROW = re.compile(r"\s*\([^()]{0,80}(>>>|»|→|➡\ufe0f?)\s*\)")
"""A parenthesized link with an arrow: "(Das passiert noch beim SK Rapid >>>)"."""


_NEW_WINDOW = re.compile(
    r"\s*\((öffnet|opens)\s+(sich\s+)?(in|im)\s+(einem\s+|a\s+)?(neuen|new)\s+"
    r"(fenster|tab|window)\)",
    re.I,
)
"""A screen-reader label left in a link: "(öffnet im neuen Fenster)"."""


_END_MARK = re.compile(r"\s*(\+\+\+|\*\*\*|###|■|□|◼)\s*$")
"""An end-of-article mark: "… bleibt spannend. (Christian P. Stadtfeld) +++"."""

_TRAILING_AUTHOR = re.compile(
    r"(?<=[.!?\"“”»])\s*\((?:[A-ZÄÖÜ][\w.-]*\s+){1,3}[A-ZÄÖÜ][\w-]+\)\s*$"
)
"""The author's name in parentheses after the last sentence: "(Christian P. Stadtfeld)"."""


def _is_label(text: str) -> bool:
    """A one- or two-word label without punctuation ("News", "Mehr Sport")."""
    return len(text) <= 25 and len(text.split()) <= 2 and not _SENTENCE_END.search(text)


_ENTRY_TIME = re.compile(
    r"^(\d{1,2}\.\d{1,2}\.(\d{2,4})?,?\s*)?\d{1,2}[:.]\d{2}(\s*Uhr)?$|"
    r"^(vor\s+\d+\s+(Minuten?|Stunden?)|gestern,?\s+\d{1,2}[:.]\d{2}(\s*Uhr)?)$",
    re.I,
)
"""A live ticker's entry stamp on its own line: "09:05 Uhr", "04.06. 09:05", "vor 5 Minuten"."""


def _stamp_entries(cands: list[_Candidate]) -> list[_Candidate]:
    """A live ticker's entry times are read with their entries ("09:05 Uhr: Pegel fällt …"),
    not dropped as short lines: the time goes in front of the block that follows it. A
    single stamp is no ticker (a date line the header missed): it goes."""
    stamps = [c for c in cands if c.stamp]
    out: list[_Candidate] = []
    pending: str | None = None
    for cand in cands:
        if cand.stamp:
            pending = cand.text if len(stamps) >= 2 else None
            continue
        if pending is not None and not cand.marks:
            cand.text = f"{pending}: {cand.text}"
        pending = None
        out.append(cand)
    return out


def _is_box_title(cand: _Candidate) -> bool:
    """A heading (not a full sentence) or a lead-in ending with a colon."""
    text = cand.text
    return (cand.kind == "heading" and not text.endswith(".")) or text.endswith(":")


def _is_tail_junk(cand: _Candidate) -> bool:
    """A block that may close a page but never an article: a lead-in to a removed link
    ("… zum Nachlesen:"), a bare name or label ("Stefan Wasmer", "Thema:"), a credit."""
    text = cand.text
    if text.endswith(":") or CREDIT.match(text):
        return True
    return cand.kind != "quote" and len(text) < 40 and not _SENTENCE_END.search(text)


def _tidy_body(kept: list[_Candidate]) -> list[_Candidate]:
    """Remove what only shows as junk once the body is known: credits, a tail of labels,
    lead-ins and box titles, headings with no text after them, arrow links."""
    kept = _stamp_entries([c for c in kept if not CREDIT.match(c.text)])
    while kept and kept[0].kind == "paragraph" and _is_label(kept[0].text):
        kept.pop(0)  # a section label above the body ("News", "Politik")
    while True:
        # A heading not followed by text is a box title ("Mehr zum Thema", "Meistgelesen");
        # a lead-in ending with a colon before a heading or the end introduced a removed box.
        n = len(kept)
        kept = [
            cand
            for i, cand in enumerate(kept)
            if not (
                (
                    (cand.kind == "heading" and not cand.text.endswith("."))
                    or cand.text.endswith(":")
                )
                and (i + 1 == n or kept[i + 1].kind == "heading")
            )
        ]
        while kept and _is_tail_junk(kept[-1]):
            kept.pop()
        if len(kept) == n:
            break
    for cand in kept:
        if not cand.marks:
            cand.text = _NEW_WINDOW.sub("", _LINK_ARROW.sub("", cand.text))
    if kept and not kept[-1].marks:
        last = kept[-1]
        stripped = TRAILING_CREDIT.sub("", _END_MARK.sub("", last.text))
        stripped = _TRAILING_AUTHOR.sub("", stripped)
        if len(stripped) >= 20:
            last.text = stripped
    return kept


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
            favor_precision=True,
        )
    except Exception:
        return ""
    return text or ""


def _trafilatura_blocks(traf: str, header: _Header, cleaned: str) -> list[MarkedPart]:
    """Fallback body when our structure recovery found nothing readable.

    Only lines still on the page after boilerplate removal (``cleaned``, normalized) are
    taken: trafilatura also returns consent dialogs and login forms on some pages.
    """
    seen = {_norm(t) for t in (header.kicker, header.title, header.dateline, header.teaser) if t}
    out: list[MarkedPart] = []
    for line in traf.splitlines():
        text = " ".join(line.split()).lstrip("- ").strip()
        if not text or _norm(text) in seen or is_boilerplate_text(text):
            continue
        if len(text) < 30 or not _SENTENCE_END.search(text):
            continue  # without link information, only prose-like lines are trusted
        if _norm(text)[:60] not in cleaned:
            continue
        seen.add(_norm(text))
        out.append(("paragraph", text, ()))
    return out
