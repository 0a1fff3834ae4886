"""The audio stage: segments → mastered programme → tagged files and timings.

``streaming_master`` joins the segments with uniform pauses and levels the programme
through a spool file (the one mastering path; ``master`` collects its output into an
array for short clips and tests; a render passes its encoders in so that mastering and
encoding run while synthesis goes on), and ``Encoders`` / ``encode_stream`` feed all
encoders at once chunk by chunk; ``encode`` writes MP3/Opus/WAV with tags and chapters,
``timings_json``/``webvtt`` write the sidecars, ``chapters_from`` derives the chapter
list from the timings. The building blocks have a module each: ``join`` (segments →
programme, timings), ``loudness`` (BS.1770 meter), ``peaks`` (true peak), ``limiter``
and ``spool`` (the temporary sample file).
"""

from __future__ import annotations

from vorlesen.audio.chapters import chapters_from
from vorlesen.audio.encode import AudioFormat, encode, encode_stream
from vorlesen.audio.loudness import measure_loudness
from vorlesen.audio.master import Mastered, master
from vorlesen.audio.peaks import measure_true_peak
from vorlesen.audio.stream import StreamedMaster, streaming_master
from vorlesen.audio.tags import AudioTags, Chapter
from vorlesen.audio.timings import timings_json, webvtt

__all__ = [
    "AudioFormat",
    "AudioTags",
    "Chapter",
    "Mastered",
    "StreamedMaster",
    "chapters_from",
    "encode",
    "encode_stream",
    "master",
    "measure_loudness",
    "measure_true_peak",
    "streaming_master",
    "timings_json",
    "webvtt",
]
