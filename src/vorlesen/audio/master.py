"""``master()``: the mastered programme as one array, for short programmes and tests.

Mastering itself — joining with uniform pauses, loudness to ``target_lufs``, true peak
under the ceiling — is :func:`~vorlesen.audio.stream.streaming_master`, the one path
renders take; :func:`master` runs it (through an unnamed temporary file) and collects
its output, so both give the same samples, timings and measurements. A long-read should
stream instead: the array here costs 4 bytes per sample.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from vorlesen.audio.stream import streaming_master
from vorlesen.models import AudioArray, Segment, Timing, Utterance

__all__ = ["Mastered", "master"]


@dataclass(frozen=True, slots=True)
class Mastered:
    """The finished programme: one mono float32 signal, where each utterance sits in it,
    and the loudness actually reached."""

    audio: AudioArray
    sample_rate: int
    timings: tuple[Timing, ...]
    loudness_lufs: float
    """Integrated loudness after mastering (for audio under 0.4 s: of the clip looped)."""
    true_peak_db: float
    """True peak after mastering, dBTP (4× oversampled)."""

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.audio) / self.sample_rate


def master(
    segments: Iterable[Segment],
    utterances: Sequence[Utterance],
    *,
    target_lufs: float = -16.0,
    true_peak_db: float = -1.0,
    edge_silence: float = 0.05,
) -> Mastered:
    """Join ``segments`` into one programme with uniform pauses, at the target loudness:
    :func:`~vorlesen.audio.stream.streaming_master`, collected into one array.

    Raises:
        AudioError: as :func:`~vorlesen.audio.stream.streaming_master` documents
            (``bad_target``, ``no_audio``, ``silent_audio``, ``segment_mismatch``,
            ``bad_samples``, ``spool_failed``).
    """
    with streaming_master(
        segments,
        utterances,
        target_lufs=target_lufs,
        true_peak_db=true_peak_db,
        edge_silence=edge_silence,
    ) as streamed:
        audio = np.empty(streamed.samples, dtype=np.float32)
        at = 0
        for chunk in streamed.chunks():
            audio[at : at + len(chunk)] = chunk
            at += len(chunk)
    return Mastered(
        audio=audio,
        sample_rate=streamed.sample_rate,
        timings=streamed.timings,
        loudness_lufs=streamed.loudness_lufs,
        true_peak_db=streamed.true_peak_db,
    )
