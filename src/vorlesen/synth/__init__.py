"""synth stage: utterances → audio segments, with Piper (neural) or espeak-ng (fallback).

``choose_engine`` picks an :class:`EngineSpec`; ``synthesize_all`` turns
:class:`SynthItem` s into :class:`~vorlesen.models.Segment` s, in order, through the
utterance cache and a pool of worker processes. Heavy engine modules (``piper``,
``espeak``) are imported only when an engine is opened.
"""

from vorlesen.synth.base import Engine, EngineSpec
from vorlesen.synth.cache import CachedAudio, SegmentCache, segment_key
from vorlesen.synth.pool import SynthItem, SynthStats, SynthStream, synthesize_all
from vorlesen.synth.select import choose_engine
from vorlesen.synth.voices import VoiceFiles, resolve_voice

__all__ = [
    "CachedAudio",
    "Engine",
    "EngineSpec",
    "SegmentCache",
    "SynthItem",
    "SynthStats",
    "SynthStream",
    "VoiceFiles",
    "choose_engine",
    "resolve_voice",
    "segment_key",
    "synthesize_all",
]
