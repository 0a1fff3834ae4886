"""vorlesen: news articles in, AI-read German audio out."""

from vorlesen.errors import VorlesenError
from vorlesen.models import Block, Document, Rendition, Script, Segment, Utterance

__all__ = ["Block", "Document", "Rendition", "Script", "Segment", "Utterance", "VorlesenError"]
__version__ = "0.1.0"
