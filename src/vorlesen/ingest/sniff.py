"""Recognise what a byte string is and decode it to text.

Dispatch must not trust a file extension or a ``Content-Type`` alone: an API client may
upload HTML as ``application/octet-stream`` and a ``.txt`` file may hold a whole web page.
So the content decides first (binary magic, SSML root, JSON object, HTML tags), then the
extension and the declared type, then weak content hints (Markdown headings).
"""

from __future__ import annotations

import codecs
import re
from typing import Literal

from vorlesen.errors import ExtractionError, UnsupportedContentError

Format = Literal["html", "text", "markdown", "json", "ssml"]
"""The input formats ingest knows how to read."""

# (magic prefix, what it is). Checked against the first bytes only.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive (or an office document)"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"ID3", "an MP3 audio file"),
    (b"\xff\xfb", "an MP3 audio file"),
    (b"\xff\xf3", "an MP3 audio file"),
    (b"\xff\xf2", "an MP3 audio file"),
    (b"OggS", "an Ogg audio file"),
    (b"fLaC", "a FLAC audio file"),
    (b"\x1aE\xdf\xa3", "a Matroska/WebM video"),
    (b"%!PS", "a PostScript document"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_BLOCKED_TYPES = re.compile(
    r"^(application/pdf|image/|audio/|video/|application/(zip|gzip|x-tar|x-7z|vnd\.))", re.I
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)

# Leading comments are matched possessively ("*+"): a plain "*" let "<!---->" * 30 + "x"
# try every way of grouping the comments before failing, exponential time (ReDoS).
_HTML_START = re.compile(
    r"^\s*(<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*+<(!doctype\s+html|html|head|body)\b", re.I | re.S
)
"""An HTML page, also served as XHTML with an XML declaration before it."""
_HTML_TAG = re.compile(
    r"<(p|div|article|section|main|h[1-6]|span|a|br|ul|li|table|meta|title|blockquote)\b[^>]*>",
    re.I,
)
_SSML_START = re.compile(
    r"^\s*(<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*+(<!DOCTYPE[^>]*>\s*)?<speak\b", re.I | re.S
)
_XML_START = re.compile(r"^\s*<\?xml\b", re.I)
_MD_HEADING = re.compile(r"^#{1,6}[ \t]+\S", re.M)
_MD_SETEXT = re.compile(r"^\S.*\n(=+|-+)[ \t]*$", re.M)
# Neither part may run over a bracket that could start another link: with "[^\]]+" and
# "[^)]+", inputs like "[[[[…" or "[a]([a](…" made every "[" rescan to the end (quadratic).
# One level of parentheses in the target is allowed (Wikipedia URLs).
_MD_LINK = re.compile(r"\[[^\[\]\n]+\]\((?:[^()\s]|\([^()\s]*\))+\)")

_EXTENSIONS: dict[str, Format] = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".shtml": "html",
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".json": "json",
    ".ssml": "ssml",
}

_CONTENT_TYPES: dict[str, Format] = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "application/json": "json",
    "application/ld+json": "json",
    "application/ssml+xml": "ssml",
}


def check_not_binary(data: bytes, content_type: str | None = None) -> None:
    """Refuse PDFs, images, audio, archives and other binary data before decoding.

    Text never contains NUL bytes unless it is UTF-16/32, which we only accept with a BOM.
    """
    head = data[:16]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise UnsupportedContentError(
                f"The input is {what}, not an article; vorlesen reads HTML, text, "
                "Markdown and CMS JSON.",
                reason="binary_content",
            )
    if head[4:8] == b"ftyp" or (head.startswith(b"RIFF") and head[8:12] in (b"WAVE", b"WEBP")):
        raise UnsupportedContentError(
            "The input is an audio, video or image file, not an article.",
            reason="binary_content",
        )
    if content_type and _BLOCKED_TYPES.match(content_type.strip()):
        raise UnsupportedContentError(
            f"Content of type {content_type.split(';')[0].strip()} cannot be read aloud; "
            "vorlesen reads HTML, text, Markdown and CMS JSON.",
            reason="unsupported_content_type",
        )
    if any(data.startswith(bom) for bom, _ in _BOMS):
        return
    if b"\x00" in data[:65536]:
        raise UnsupportedContentError(
            "The input contains NUL bytes, so it is binary data, not an article text.",
            reason="binary_content",
        )


def _lookup(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(data: bytes, content_type: str | None = None) -> str:
    """Bytes to text: BOM, then UTF-8, then the declared charset, then cp1252.

    UTF-8 goes before the declared charset because mislabelled pages (``charset=iso-8859-1``
    on UTF-8 bytes) are common and UTF-8 almost never decodes by accident. cp1252 is the last
    resort because it is what German "Latin-1" text nearly always really is; its five
    undefined bytes become U+FFFD rather than failing.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared: list[str] = []
    if content_type:
        m = _HEADER_CHARSET.search(content_type)
        if m:
            declared.append(m.group(1))
    head = data[:4096]
    for pattern in (_XML_ENCODING, _META_CHARSET):
        m2 = pattern.search(head)
        if m2:
            declared.append(m2.group(1).decode("ascii", "replace"))
    for name in declared:
        codec = _lookup(name)
        if codec is None or codec == "utf-8":
            continue
        if codec in ("latin-1", "iso8859-1", "ascii"):
            codec = "cp1252"  # browsers treat these labels as windows-1252 (WHATWG)
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode("cp1252", errors="replace")


def sniff_format(
    text: str, *, filename: str | None = None, content_type: str | None = None
) -> Format:
    """Decide how to read ``text``: content first, then extension, then declared type."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise ExtractionError("The input is empty; there is nothing to read.", reason="empty")
    if _SSML_START.match(stripped):
        return "ssml"
    if stripped.startswith("{"):
        return "json"
    if _HTML_START.match(stripped):
        return "html"
    if _XML_START.match(stripped):
        raise UnsupportedContentError(
            "The input is an XML document that is neither HTML nor SSML.",
            reason="unsupported_xml",
        )
    ext = _extension(filename)
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    if content_type:
        mime = content_type.split(";")[0].strip().lower()
        if mime in _CONTENT_TYPES and _CONTENT_TYPES[mime] != "text":
            return _CONTENT_TYPES[mime]
    if len(_HTML_TAG.findall(stripped[:20000])) >= 2:
        return "html"
    if _MD_HEADING.search(stripped) or _MD_SETEXT.search(stripped) or _MD_LINK.search(stripped):
        return "markdown"
    return "text"


def _extension(filename: str | None) -> str:
    if not filename:
        return ""
    name = filename.rsplit("/", 1)[-1].split("?", 1)[0].lower()
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""
