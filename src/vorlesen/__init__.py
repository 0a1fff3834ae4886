"""vorlesen: news articles in, AI-read German audio out.

The pipeline in one call::

    from pathlib import Path
    from vorlesen import render_article

    rendition = render_article("artikel.html", Path("artikel.mp3"))

Every render goes through :func:`render` — a :class:`RenderRequest` (what to read, with
which engine, voice and lexicon) into a target (:class:`FileTarget`, :class:`MemoryTarget`);
:func:`render_article` is its file shortcut. Each stage is usable on its own:
:func:`load_document` (ingest), :func:`make_script` (speak), :func:`normalize` (German
text normalization).

The names below are imported on first use (PEP 562), so ``import vorlesen.synth.pool``
in a synthesis worker, or ``vorlesen --help``, does not load the whole pipeline (ingest
with trafilatura and lxml, mastering with scipy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vorlesen.lazy import lazy_attributes

if TYPE_CHECKING:
    from vorlesen.errors import VorlesenError
    from vorlesen.ingest import load as load_document
    from vorlesen.models import Block, Document, Rendition, Script, Segment, Timing, Utterance
    from vorlesen.pipeline import (
        FileTarget,
        MemoryTarget,
        RenderOptions,
        RenderRequest,
        make_article_script,
        render,
        render_article,
    )
    from vorlesen.speak.normalize import normalize
    from vorlesen.speak.script import make_script

__all__ = [
    "Block",
    "Document",
    "FileTarget",
    "MemoryTarget",
    "RenderOptions",
    "RenderRequest",
    "Rendition",
    "Script",
    "Segment",
    "Timing",
    "Utterance",
    "VorlesenError",
    "load_document",
    "make_article_script",
    "make_script",
    "normalize",
    "render",
    "render_article",
]
__version__ = "0.1.0"

_LAZY: dict[str, tuple[str, str]] = {
    "Block": ("vorlesen.models", "Block"),
    "Document": ("vorlesen.models", "Document"),
    "FileTarget": ("vorlesen.pipeline", "FileTarget"),
    "MemoryTarget": ("vorlesen.pipeline", "MemoryTarget"),
    "RenderOptions": ("vorlesen.pipeline", "RenderOptions"),
    "RenderRequest": ("vorlesen.pipeline", "RenderRequest"),
    "Rendition": ("vorlesen.models", "Rendition"),
    "Script": ("vorlesen.models", "Script"),
    "Segment": ("vorlesen.models", "Segment"),
    "Timing": ("vorlesen.models", "Timing"),
    "Utterance": ("vorlesen.models", "Utterance"),
    "VorlesenError": ("vorlesen.errors", "VorlesenError"),
    "load_document": ("vorlesen.ingest", "load"),
    "make_article_script": ("vorlesen.pipeline", "make_article_script"),
    "make_script": ("vorlesen.speak.script", "make_script"),
    "normalize": ("vorlesen.speak.normalize", "normalize"),
    "render": ("vorlesen.pipeline", "render"),
    "render_article": ("vorlesen.pipeline", "render_article"),
}
"""Public name → (module, attribute) it is imported from on first access."""


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
