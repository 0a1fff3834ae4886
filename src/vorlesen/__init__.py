"""vorlesen: news articles in, AI-read German audio out.

The pipeline in one call::

    from pathlib import Path
    from vorlesen import render_article

    rendition = render_article("artikel.html", Path("artikel.mp3"))

Each stage is usable on its own: :func:`load_document` (ingest), :func:`make_script`
(speak), :func:`normalize` (German text normalization).
"""

from vorlesen.errors import VorlesenError
from vorlesen.ingest import load as load_document
from vorlesen.models import Block, Document, Rendition, Script, Segment, Timing, Utterance
from vorlesen.pipeline import RenderOptions, make_article_script, render_article
from vorlesen.speak.normalize import normalize
from vorlesen.speak.script import make_script

__all__ = [
    "Block",
    "Document",
    "RenderOptions",
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
    "render_article",
]
__version__ = "0.1.0"
