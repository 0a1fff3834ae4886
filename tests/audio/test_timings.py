"""Timings JSON, WebVTT captions and chapters derived from timings."""

from __future__ import annotations

import html
import json
import math
import re

import pytest

import vorlesen.audio
from vorlesen.audio import Chapter, chapters_from, timings_json, webvtt
from vorlesen.errors import AudioError
from vorlesen.models import BlockKind, Timing


def timing(
    index: int,
    start: float,
    end: float,
    written: str = "Ein Satz.",
    kind: BlockKind = "paragraph",
    paragraph: int = 0,
) -> Timing:
    return Timing(
        index=index,
        start=start,
        end=end,
        written=written,
        spoken=written.lower(),
        paragraph=paragraph,
        kind=kind,
        char_start=index * 10,
        char_end=index * 10 + len(written),
    )


ARTICLE = [
    timing(0, 0.05, 1.2, "Bahn saniert Riedbahn", "title", 0),
    timing(1, 1.95, 2.5, "Frankfurt, 15. Juli", "dateline", 1),
    timing(2, 3.0, 5.0, "Die Strecke ist gesperrt.", "teaser", 2),
    timing(3, 5.8, 7.1, "Was Pendler wissen müssen", "heading", 3),
    timing(4, 7.8, 9.9, "Züge fallen aus.", "paragraph", 4),
    timing(5, 10.2, 12.0, "Busse fahren.", "paragraph", 4),
    timing(6, 12.8, 13.5, "Wie es weitergeht", "heading", 5),
    timing(7, 14.1, 16.0, "Im Dezember ist Schluss.", "paragraph", 6),
]


# ── JSON ─────────────────────────────────────────────────────────────────────────────────


def test_timings_json_shape_and_rounding() -> None:
    meta = {"title": "Bahn", "duration": 16.4, "engine": "piper", "voice": "v", "audio": "a.mp3"}
    doc = json.loads(timings_json([timing(0, 0.0504999, 1.23456, "Größe & <b>")], meta=meta))
    assert doc["version"] == 1
    for key, value in meta.items():
        assert doc[key] == value
    (utt,) = doc["utterances"]
    assert utt == {
        "index": 0,
        "start": 0.05,
        "end": 1.235,
        "written": "Größe & <b>",
        "spoken": "größe & <b>",
        "paragraph": 0,
        "kind": "paragraph",
        "char_start": 0,
        "char_end": 11,
    }


def test_meta_cannot_override_version_or_utterances() -> None:
    doc = json.loads(timings_json(ARTICLE, meta={"version": 99, "utterances": []}))
    assert doc["version"] == 1
    assert len(doc["utterances"]) == len(ARTICLE)
    keys = list(doc)
    assert keys[0] == "version"
    assert keys[-1] == "utterances"


def test_non_finite_timing_is_an_audio_error() -> None:
    with pytest.raises(AudioError) as info:
        timings_json([timing(0, 0.0, math.nan)], meta={})
    assert info.value.reason == "bad_timing"
    with pytest.raises(AudioError):
        timings_json([], meta={"duration": math.inf})


# ── WebVTT ───────────────────────────────────────────────────────────────────────────────

_TS = r"(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})"
_TIMING_LINE = re.compile(rf"^{_TS} --> {_TS}$")


def _seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def parse_webvtt(text: str) -> list[tuple[str, float, float, str]]:
    """A strict little WebVTT reader: header, blank-line-separated cues, each with an
    optional identifier, a timing line, and payload lines without '-->' or raw '<'/'&'.
    Returns (id, start, end, unescaped text) per cue; fails on anything malformed."""
    assert "\r" not in text
    assert text.endswith("\n")
    blocks = text[:-1].split("\n\n")
    assert blocks[0] == "WEBVTT"
    cues = []
    for block in blocks[1:]:
        if not block.strip():
            continue
        lines = block.split("\n")
        ident = ""
        if not _TIMING_LINE.match(lines[0]):
            ident = lines.pop(0)
            assert "-->" not in ident
        match = _TIMING_LINE.match(lines[0])
        assert match, lines[0]
        g = match.groups()
        start, end = _seconds(*g[:4]), _seconds(*g[4:])
        assert end > start
        payload = lines[1:]
        assert payload and all(payload)
        for line in payload:
            assert "-->" not in line
            assert "<" not in line
            assert re.fullmatch(r"([^&]|&(amp|lt|gt|nbsp|lrm|rlm);)*", line), line
        cues.append((ident, start, end, html.unescape("\n".join(payload))))
    return cues


def test_webvtt_has_one_cue_per_utterance_in_order() -> None:
    cues = parse_webvtt(webvtt(ARTICLE))
    assert [c[0] for c in cues] == [str(t.index) for t in ARTICLE]
    assert [c[3] for c in cues] == [t.written for t in ARTICLE]
    for cue, t in zip(cues, ARTICLE, strict=True):
        assert cue[1] == pytest.approx(t.start, abs=0.0005)
        assert cue[2] == pytest.approx(t.end, abs=0.0005)
    starts = [c[1] for c in cues]
    assert starts == sorted(starts)


def test_webvtt_escapes_arrows_tags_and_ampersands() -> None:
    nasty = "A --> B <i>kursiv</i> & C\nneue Zeile"
    text = webvtt([timing(0, 0.0, 1.0, nasty)])
    (cue,) = parse_webvtt(text)
    assert cue[3] == "A --> B <i>kursiv</i> & C neue Zeile"
    assert "A --&gt; B &lt;i&gt;kursiv&lt;/i&gt; &amp; C neue Zeile" in text


def test_webvtt_hours_and_zero_length_cues() -> None:
    text = webvtt([timing(0, 3725.5, 3725.5, "Stille")])
    assert "01:02:05.500 --> 01:02:05.501" in text
    (cue,) = parse_webvtt(text)
    assert cue[2] > cue[1]


def test_empty_webvtt_is_valid() -> None:
    assert parse_webvtt(webvtt([])) == []


# ── chapters ─────────────────────────────────────────────────────────────────────────────


def test_chapters_follow_headings() -> None:
    chapters = chapters_from(ARTICLE, duration=16.5)
    assert chapters == [
        Chapter("Bahn saniert Riedbahn", 0.0, 5.8),
        Chapter("Was Pendler wissen müssen", 5.8, 12.8),
        Chapter("Wie es weitergeht", 12.8, 16.5),
    ]


def test_without_headings_intro_and_body() -> None:
    flat = [t for t in ARTICLE if t.kind != "heading"]
    chapters = chapters_from(flat)
    assert [c.title for c in chapters] == ["Bahn saniert Riedbahn", "Artikel"]
    assert chapters[0].start == 0.0
    assert chapters[1].start == 7.8
    assert chapters[0].end == chapters[1].start
    assert chapters[1].end == 16.0


def test_without_headline_the_intro_is_einleitung() -> None:
    no_title = [t for t in ARTICLE if t.kind not in ("title", "heading")]
    assert [c.title for c in chapters_from(no_title)] == ["Einleitung", "Artikel"]


def test_only_paragraphs_make_one_chapter() -> None:
    body = [timing(0, 0.05, 1.0), timing(1, 1.5, 2.0)]
    assert chapters_from(body) == [Chapter("Artikel", 0.0, 2.0)]
    assert chapters_from([]) == []


def test_multi_utterance_heading_is_one_chapter() -> None:
    timings = [
        timing(0, 0.05, 1.0, "Titel", "title", 0),
        timing(1, 1.5, 2.0, "Teil eins.", "heading", 1),
        timing(2, 2.2, 2.8, "Teil zwei.", "heading", 1),
        timing(3, 3.5, 4.0, "Text.", "paragraph", 2),
    ]
    assert [c.title for c in chapters_from(timings)] == ["Titel", "Teil eins."]


def test_public_api_is_documented() -> None:
    for name in vorlesen.audio.__all__:
        obj = getattr(vorlesen.audio, name)
        if name == "AudioFormat":  # a Literal alias: documented in its module, has no __doc__
            continue
        assert obj.__doc__, name
