"""The audio stage: segments → mastered programme → tagged files and timings.

``master`` joins and levels the audio, ``encode`` writes MP3/Opus/WAV with tags and
chapters, ``timings_json``/``webvtt`` write the sidecars, ``chapters_from`` derives the
chapter list from the timings.
"""

from __future__ import annotations

from vorlesen.audio.chapters import chapters_from
from vorlesen.audio.encode import AudioFormat, encode
from vorlesen.audio.master import Mastered, master, measure_loudness, measure_true_peak
from vorlesen.audio.tags import AudioTags, Chapter
from vorlesen.audio.timings import timings_json, webvtt

__all__ = [
    "AudioFormat",
    "AudioTags",
    "Chapter",
    "Mastered",
    "chapters_from",
    "encode",
    "master",
    "measure_loudness",
    "measure_true_peak",
    "timings_json",
    "webvtt",
]
