"""Podcast artwork: what an article image may be, what it becomes, and the default cover."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from podcast_rules import check_artwork
from vorlesen.artwork import (
    EPISODE_COVER_SIZE,
    check_channel_artwork,
    default_cover,
    episode_cover,
)
from vorlesen.errors import UnsupportedContentError, UsageError


def _encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


@pytest.mark.parametrize(
    "image",
    [
        _encoded(Image.new("RGB", (1600, 900), "red"), "JPEG"),
        _encoded(Image.new("RGBA", (500, 800), (0, 0, 255, 128)), "PNG"),
        _encoded(Image.new("CMYK", (400, 400), (0, 50, 50, 0)), "JPEG"),
        _encoded(Image.new("RGB", (640, 480), "green"), "WEBP"),
        _encoded(
            Image.new("P", (300, 300)),
            "GIF",
            save_all=True,
            append_images=[Image.new("P", (300, 300), 1)],
        ),
    ],
    ids=["wide-jpeg", "transparent-png", "cmyk-jpeg", "webp", "animated-gif"],
)
def test_article_images_become_square_rgb_jpegs(image: bytes) -> None:
    cover = episode_cover(image)
    assert check_artwork(cover, "image/jpeg") == (EPISODE_COVER_SIZE, EPISODE_COVER_SIZE)
    decoded = Image.open(io.BytesIO(cover))
    assert decoded.mode == "RGB" and "progressive" not in decoded.info


def test_what_a_photo_carries_besides_pixels_is_dropped() -> None:
    """EXIF (camera, GPS position) does not travel into the feed; orientation is applied."""
    exif = Image.Exif()
    exif[0x010F] = "Kamera GmbH"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° to show upright
    photo = Image.new("RGB", (1200, 600), "red")
    photo.paste(Image.new("RGB", (600, 600), "blue"), (600, 0))  # blue on the right
    cover = Image.open(io.BytesIO(episode_cover(_encoded(photo, "JPEG", exif=exif))))
    assert not cover.getexif() and "exif" not in cover.info
    top = cover.getpixel((700, 50))  # after the rotation the blue half is at the bottom
    assert isinstance(top, tuple) and top[0] > 200 and top[2] < 60


def test_a_transparent_image_is_laid_on_white() -> None:
    clear = _encoded(Image.new("RGBA", (400, 400), (255, 0, 0, 0)), "PNG")
    pixel = Image.open(io.BytesIO(episode_cover(clear))).getpixel((700, 700))
    assert isinstance(pixel, tuple) and min(pixel) > 240


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    "data",
    [
        SVG,
        b"<!doctype html><title>404</title>",
        b"",
        _encoded(Image.new("RGB", (1000, 1000), "red"), "JPEG")[:2000],  # truncated
        _encoded(Image.new("RGB", (64, 64), "red"), "PNG"),  # an icon, not artwork
        _encoded(Image.new("1", (10_000, 10_000)), "PNG"),  # 100 megapixels in a few KB
        _encoded(Image.new("RGB", (500, 500)), "BMP"),  # a format not taken
        _encoded(Image.new("RGB", (500, 500)), "TIFF"),
    ],
    ids=["svg", "html", "empty", "truncated", "icon", "bomb", "bmp", "tiff"],
)
def test_what_is_not_an_article_image_is_refused(data: bytes) -> None:
    with pytest.raises(UnsupportedContentError) as info:
        episode_cover(data)
    assert info.value.reason == "bad_image"


def test_the_default_cover_is_square_large_and_depends_on_the_title() -> None:
    first = default_cover("Tagesblatt – Politik")
    assert check_artwork(first, "image/png") == (3000, 3000)
    assert default_cover("Tagesblatt – Politik") == first  # the same title, the same cover
    assert default_cover("Tagesblatt – Sport", size=1400) != first
    long_title = default_cover("Ein sehr langer Titel " * 12, size=1400)
    assert check_artwork(long_title, "image/png") == (1400, 1400)


@pytest.mark.parametrize(
    ("image", "words"),
    [
        (Image.new("RGB", (1400, 1500)), "not square"),
        (Image.new("RGB", (1000, 1000)), "1000×1000"),
        (Image.new("RGB", (3200, 3200)), "3200×3200"),
        (Image.new("CMYK", (1400, 1400)), "CMYK"),
    ],
)
def test_publisher_artwork_must_be_what_platforms_take(image: Image.Image, words: str) -> None:
    data = _encoded(image, "JPEG")
    with pytest.raises(UsageError, match=words) as info:
        check_channel_artwork(data, "cover.jpg")
    assert info.value.reason == "bad_feed_image"
    assert check_channel_artwork(_encoded(Image.new("RGB", (1400, 1400)), "PNG"), "c.png") == "png"
    assert check_channel_artwork(_encoded(Image.new("RGB", (3000, 3000)), "JPEG"), "c") == "jpg"
