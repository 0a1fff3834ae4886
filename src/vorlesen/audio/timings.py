"""Where each sentence sits in the audio, for players: a JSON sidecar and WebVTT captions.

The JSON lets the web player highlight the sentence and the word being read
(``char_start``/``char_end`` point into the extracted article text); WebVTT gives any
``<track>`` element captions, one cue per sentence, with a timestamp tag where each later
word begins (karaoke-style players show the words as they are spoken).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

from vorlesen.errors import AudioError
from vorlesen.models import Timing, WordTiming

__all__ = ["TIMINGS_VERSION", "timings_json", "vtt_timestamp", "webvtt"]

TIMINGS_VERSION = 1
"""Schema version of the timings JSON; bump when a field changes meaning."""


def _seconds(value: float) -> float:
    """Seconds rounded to milliseconds (finer is noise at 10 ms analysis frames)."""
    if not math.isfinite(value):
        raise AudioError(f"A timing of {value} seconds is not a number.", reason="bad_timing")
    return round(value, 3)


def timings_json(timings: Sequence[Timing], *, meta: Mapping[str, object]) -> str:
    """The timings sidecar as a JSON document.

    Shape: ``{"version": 1, **meta, "utterances": [{"index", "start", "end", "written",
    "spoken", "paragraph", "kind", "char_start", "char_end", "words": [{"written",
    "spoken", "start", "end", "char_start", "char_end"}, …]}, …]}``; a word is a written
    token of the article ("1. August") with the spoken words that read it ("ersten
    August"); ``words`` is left out when the engine gave no word times. ``meta`` carries
    title, duration, engine, voice, language and the audio file name. ``version`` and
    ``utterances`` cannot be overridden by ``meta``. Seconds are rounded to ms.

    Raises:
        AudioError: ``bad_timing`` when a value is NaN/inf or not JSON-serializable.
    """
    doc: dict[str, object] = {"version": TIMINGS_VERSION}
    doc.update((k, v) for k, v in meta.items() if k not in ("version", "utterances"))
    doc["utterances"] = [_utterance(t) for t in timings]
    try:
        return json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise AudioError(
            f"The timings cannot be written as JSON: {exc}.", reason="bad_timing"
        ) from exc


def _utterance(t: Timing) -> dict[str, object]:
    entry: dict[str, object] = {
        "index": t.index,
        "start": _seconds(t.start),
        "end": _seconds(t.end),
        "written": t.written,
        "spoken": t.spoken,
        "paragraph": t.paragraph,
        "kind": t.kind,
        "char_start": t.char_start,
        "char_end": t.char_end,
    }
    if t.words:
        entry["words"] = [_word(w) for w in t.words]
    return entry


def _word(w: WordTiming) -> dict[str, object]:
    return {
        "written": w.written,
        "spoken": w.spoken,
        "start": _seconds(w.start),
        "end": _seconds(w.end),
        "char_start": w.char_start,
        "char_end": w.char_end,
    }


def vtt_timestamp(seconds: float) -> str:
    """``HH:MM:SS.mmm`` as WebVTT wants it (hours always present, for simple parsers)."""
    ms = max(0, round(_seconds(seconds) * 1000))
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _cue_text(text: str) -> str:
    """Cue payload: one line, with ``&``, ``<`` and ``>`` escaped (so ``-->`` cannot occur
    and nothing reads as a cue tag), per the WebVTT spec's escapes."""
    line = " ".join(text.split())
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cue_with_words(t: Timing, start: float, end: float) -> str:
    """The written text with a ``<HH:MM:SS.mmm>`` timestamp tag before each word that
    starts strictly inside the cue (the spec wants them increasing, after the cue start
    and before its end)."""
    text = " ".join(t.written.split())
    if text != t.written:  # offsets would not fit the collapsed text: no tags
        return _cue_text(t.written)
    out: list[str] = []
    pos = 0
    last = start
    for w in t.words:
        at = w.char_start - t.char_start
        stamp = _seconds(w.start)
        if not pos <= at < len(text) or not last < stamp < end:
            continue
        out.append(_cue_text(text[pos:at]) + (" " if text[pos:at].endswith(" ") else ""))
        out.append(f"<{vtt_timestamp(stamp)}>")
        pos, last = at, stamp
    out.append(_cue_text(text[pos:]))
    return "".join(out)


def webvtt(timings: Sequence[Timing]) -> str:
    """A WebVTT file with one cue per utterance, the written text as cue text.

    Cue identifiers are the utterance indices. A zero-length cue (a silent utterance) is
    given one millisecond, since a cue must end after it starts. Where word times are
    known, each later word is preceded by a timestamp tag.
    """
    lines = ["WEBVTT", ""]
    for t in timings:
        start = _seconds(t.start)
        end = max(_seconds(t.end), start + 0.001)
        lines.append(str(t.index))
        lines.append(f"{vtt_timestamp(start)} --> {vtt_timestamp(end)}")
        lines.append((_cue_with_words(t, start, end) if t.words else _cue_text(t.written)) or "…")
        lines.append("")
    return "\n".join(lines)
