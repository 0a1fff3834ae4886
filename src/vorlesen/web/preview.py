"""Hear a pronunciation fix before saving it: one word or phrase, synthesized with it.

The newsroom's **Preview** button calls this. It runs the same stages as a real render —
lexicon, speak, synth, master, encode — on a one-line document, so what the editor hears
is what listeners will hear, with the engine and voice the service renders with.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from vorlesen.config import Settings
from vorlesen.errors import InputError
from vorlesen.lexicon import LexEntry, Lexicon
from vorlesen.models import Document
from vorlesen.pipeline import document_tags, render_audio
from vorlesen.speak.script import make_script
from vorlesen.synth.select import choose_engine

__all__ = ["MAX_PREVIEW_CHARS", "preview_wav"]

MAX_PREVIEW_CHARS = 300
"""Longest text previewed: a word or a sentence around it, not an article (it blocks a
request while it is synthesized)."""


def preview_wav(
    text: str,
    entries: list[LexEntry],
    *,
    settings: Settings,
    voice: str | None = None,
) -> bytes:
    """WAV bytes of ``text`` read with the built-in lexicon extended by ``entries``.

    ``entries`` are the publisher's entries plus the one being edited (last, so it wins).

    Raises:
        InputError: ``preview_empty`` / ``preview_too_long`` for unusable text;
        EngineError: when the engine cannot speak.
    """
    text = " ".join(text.split())
    if not text:
        raise InputError("There is nothing to preview; enter a word.", reason="preview_empty")
    if len(text) > MAX_PREVIEW_CHARS:
        raise InputError(
            f"A preview may be at most {MAX_PREVIEW_CHARS} characters long.",
            reason="preview_too_long",
        )
    spec, _warnings = choose_engine(settings.engine, voice, speed=1.0, settings=settings)
    lexicon = Lexicon.builtin().extended(entries)
    document = Document.build([("paragraph", text)])
    script = make_script(document, lexicon=lexicon, voice=spec.voice)
    tags = document_tags(document, spec, fallback_title=text)
    with tempfile.TemporaryDirectory(prefix="vorlesen-preview-") as tmp:
        out = Path(tmp) / "preview.wav"
        # One process, no cache: a preview is a few syllables, and an edited entry must be
        # heard as it is now.
        render_audio(script, spec, {"wav": out}, tags=tags, jobs=1, cache=None, settings=settings)
        return out.read_bytes()
