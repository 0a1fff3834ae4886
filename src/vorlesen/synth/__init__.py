"""synth stage: utterances → audio segments, with Piper (neural) or espeak-ng (fallback).

``choose_engine`` picks an :class:`EngineSpec`; ``synthesize_all`` turns
:class:`SynthItem` s into :class:`~vorlesen.models.Segment` s, in order, through the
utterance cache and a pool of worker processes. Heavy engine modules (``piper``,
``espeak``) are imported only when an engine is opened.

The names below are imported on first use (PEP 562): a worker process imports
``vorlesen.synth.pool``, and that must not drag in voice lookup (httpx) or the settings
(pydantic-settings), which only the parent needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vorlesen.lazy import lazy_attributes

if TYPE_CHECKING:
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

_LAZY: dict[str, str] = {
    "CachedAudio": "vorlesen.synth.cache",
    "Engine": "vorlesen.synth.base",
    "EngineSpec": "vorlesen.synth.base",
    "SegmentCache": "vorlesen.synth.cache",
    "SynthItem": "vorlesen.synth.pool",
    "SynthStats": "vorlesen.synth.pool",
    "SynthStream": "vorlesen.synth.pool",
    "VoiceFiles": "vorlesen.synth.voices",
    "choose_engine": "vorlesen.synth.select",
    "resolve_voice": "vorlesen.synth.voices",
    "segment_key": "vorlesen.synth.cache",
    "synthesize_all": "vorlesen.synth.pool",
}
"""Public name → module it is imported from on first access."""


__getattr__, __dir__ = lazy_attributes(
    __name__, {name: (module, name) for name, module in _LAZY.items()}
)
