"""Podcast artwork: episode images re-encoded from whatever an article points at, the
publisher's channel artwork checked, and a default channel cover drawn from the feed title.

Apple Podcasts takes square JPEG or PNG artwork of 1400–3000 px in RGB; what an article's
``og:image`` points at is none of that for sure (a wide photo, a WebP, an SVG with script,
50 MB, an HTML error page). So an episode image is never referenced where it lies: it is
fetched once at render time (the SSRF-safe fetch, a size cap), decoded by Pillow from the
raster formats listed here only, bounded in pixels, cropped to a square, re-encoded as a
baseline JPEG and stored beside the revision's audio. Whatever fails leaves the episode
without its own image (the channel's artwork stands in); it never fails the render or
the feed.

Only this module imports Pillow.
"""

from __future__ import annotations

import hashlib
import io
import struct
import textwrap
import unicodedata
import warnings
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFont, ImageOps

from vorlesen.errors import UnsupportedContentError, UsageError

if TYPE_CHECKING:
    from vorlesen.config import Settings

__all__ = [
    "EPISODE_COVER_SIZE",
    "IMAGE_TYPES",
    "MAX_IMAGE_BYTES",
    "check_channel_artwork",
    "default_cover",
    "episode_cover",
    "fetch_episode_cover",
]

EPISODE_COVER_SIZE = 1400
"""Side of a re-encoded episode image: Apple's minimum for podcast artwork."""
DEFAULT_COVER_SIZE = 3000
"""Side of the generated channel cover: Apple's recommended (and largest) size."""
ARTWORK_MIN, ARTWORK_MAX = 1400, 3000
"""Apple Podcasts' bounds for square artwork, in pixels."""
MAX_IMAGE_BYTES = 10 * 1024 * 1024
"""Largest article image fetched; news photos are well under 2 MB."""
MAX_IMAGE_PIXELS = 40_000_000
"""Largest image decoded (a 40-megapixel photo); a decompression bomb's header claims more."""
MIN_IMAGE_SIDE = 200
"""Smaller images (icons, tracking pixels) are not blown up into episode artwork."""
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
"""What an article image may be served as (no SVG: it is a document that can script)."""
_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
"""The Pillow decoders tried; no other parser ever sees the bytes."""
_DECODE_ERRORS = (
    OSError,  # unidentified or truncated image (UnidentifiedImageError is one)
    ValueError,
    SyntaxError,  # some Pillow plugins report malformed headers so
    EOFError,
    struct.error,
    MemoryError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)
_COVER_COLOURS = ("#1d3557", "#264653", "#3d405b", "#2b2d42", "#463f3a", "#14213d")
"""Backgrounds of generated covers (white text on each passes WCAG AAA contrast)."""


def _bad(message: str) -> UnsupportedContentError:
    return UnsupportedContentError(message, reason="bad_image")


def _decode(data: bytes) -> Image.Image:
    """The first frame of a JPEG/PNG/WebP/GIF, fully decoded and upright; ``bad_image``
    for anything else, a truncated file or more than :data:`MAX_IMAGE_PIXELS`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=_FORMATS)
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise _bad(f"The image has {width}×{height} pixels, more than vorlesen decodes.")
            image.seek(0)
            image.load()
            upright = ImageOps.exif_transpose(image)
    except _DECODE_ERRORS as exc:
        raise _bad(
            f"The image cannot be read as JPEG, PNG, WebP or GIF ({type(exc).__name__})."
        ) from exc
    return upright


def _rgb(image: Image.Image) -> Image.Image:
    """RGB pixels; transparency is laid on white (a podcast app shows no alpha)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def episode_cover(data: bytes) -> bytes:
    """Square, 1400 px, baseline JPEG of an article image (centre crop).

    Raises :class:`UnsupportedContentError` (``bad_image``) for what is not a raster image
    of the accepted formats, a bomb, or a picture under :data:`MIN_IMAGE_SIDE` pixels.
    """
    image = _decode(data)
    if min(image.size) < MIN_IMAGE_SIDE:
        raise _bad(f"The image is {image.size[0]}×{image.size[1]} pixels, too small for artwork.")
    try:
        square = ImageOps.fit(
            _rgb(image), (EPISODE_COVER_SIZE, EPISODE_COVER_SIZE), Image.Resampling.LANCZOS
        )
        out = io.BytesIO()
        square.save(out, "JPEG", quality=85, optimize=True)
    except _DECODE_ERRORS as exc:
        raise _bad(f"The image cannot be converted ({type(exc).__name__}).") from exc
    return out.getvalue()


def fetch_episode_cover(url: str, settings: Settings) -> bytes:
    """Fetch an article image (SSRF-safe, at most :data:`MAX_IMAGE_BYTES`, image types
    only) and re-encode it with :func:`episode_cover`.

    Raises :class:`~vorlesen.errors.FetchError` or :class:`UnsupportedContentError`.
    """
    from vorlesen.ingest.fetch import fetch

    fetched = fetch(url, settings=settings, accept=IMAGE_TYPES, max_bytes=MAX_IMAGE_BYTES)
    return episode_cover(fetched.data)


def check_channel_artwork(data: bytes, name: str) -> str:
    """The file extension (``jpg``/``png``) of publisher artwork that podcast platforms
    accept as it is: JPEG or PNG, square, 1400–3000 px, RGB.

    Raises :class:`UsageError` (``bad_feed_image``) naming what is wrong, so an operator
    learns it at start and not from a platform's rejection mail.
    """

    def bad(problem: str) -> UsageError:
        return UsageError(
            f"VORLESEN_FEED_IMAGE {name!r} {problem}; podcast platforms want a square "
            f"JPEG or PNG of {ARTWORK_MIN}–{ARTWORK_MAX} px in RGB.",
            reason="bad_feed_image",
        )

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=("JPEG", "PNG"))
            image.verify()
    except _DECODE_ERRORS as exc:
        raise bad("is not a JPEG or PNG image") from exc
    width, height = image.size
    if width != height:
        raise bad(f"is {width}×{height} px, not square")
    if not ARTWORK_MIN <= width <= ARTWORK_MAX:
        raise bad(f"is {width}×{height} px")
    if image.mode not in ("RGB", "RGBA", "P", "L"):
        raise bad(f"uses the {image.mode} colour mode")
    return "jpg" if image.format == "JPEG" else "png"


_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",  # Debian, Ubuntu
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf",  # Fedora
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",  # Arch
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",  # Alpine
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/System/Library/Fonts/Supplemental/Arial Bold.ttf",  # macOS
)
"""Fonts with every German letter, where systems put them; the first found draws covers."""
_SPELLED_OUT = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "–": "-",
     "—": "-", "„": '"', "“": '"', "”": '"', "‚": "'", "‘": "'", "’": "'"}
)  # fmt: skip


@lru_cache(maxsize=1)
def _font_file() -> str | None:
    return next((path for path in _FONT_FILES if Path(path).is_file()), None)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _font_file()
    if path is not None:
        return ImageFont.truetype(path, size)
    # Pillow's bundled font (FreeType) draws ASCII only: see _drawable.
    return ImageFont.load_default(size=size)


def _drawable(title: str) -> str:
    """``title`` as the cover font can draw it: as it is with a system font; with Pillow's
    ASCII-only font, German letters spelled out (ü → ue) and other marks dropped."""
    if _font_file() is not None:
        return title
    spelled = unicodedata.normalize("NFKD", title.translate(_SPELLED_OUT))
    return spelled.encode("ascii", "ignore").decode("ascii")


def _fit_title(
    draw: ImageDraw.ImageDraw, title: str, width: int, height: int
) -> tuple[list[str], ImageFont.FreeTypeFont | ImageFont.ImageFont]:
    """The largest font size (and line breaks) at which ``title`` fits ``width``×``height``."""
    size = height // 3
    while True:
        font = _font(size)
        average = max(1.0, draw.textlength("abcdefghijklmnopqrstuvwxyz", font=font) / 26)
        lines = textwrap.wrap(title, width=max(1, int(width / average))) or [title]
        widest = max(draw.textlength(line, font=font) for line in lines)
        if (widest <= width and len(lines) * size * 1.2 <= height) or size <= 40:
            return lines, font
        size = int(size * 0.9)


def default_cover(title: str, size: int = DEFAULT_COVER_SIZE) -> bytes:
    """A square PNG cover: ``title`` in large white letters on a dark colour chosen by
    the title, a sound-wave mark, and the line "vorgelesen" (the AI reading)."""
    digest = hashlib.sha256(title.encode("utf-8")).digest()
    image = Image.new("RGB", (size, size), _COVER_COLOURS[digest[0] % len(_COVER_COLOURS)])
    draw = ImageDraw.Draw(image)
    margin = size // 10
    # A sound wave: bars whose heights follow the title's hash (another title, another wave).
    bars, bar_w = 13, size // 60
    base_y = size * 3 // 10
    for n in range(bars):
        h = size // 40 + digest[(n + 1) % len(digest)] * size // 2400
        x = margin + n * bar_w * 2
        draw.rectangle((x, base_y - h, x + bar_w, base_y + h), fill="white")
    lines, font = _fit_title(draw, _drawable(title), size - 2 * margin, size * 4 // 10)
    line_h = int(getattr(font, "size", size // 10) * 1.2)
    y = size * 45 // 100
    for line in lines:
        draw.text((margin, y), line, fill="white", font=font)
        y += line_h
    draw.text(
        (margin, size - margin - size // 20), "vorgelesen", fill="white", font=_font(size // 20)
    )
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
