"""The utterance cache: synthesized audio on disk, keyed by voice settings and spoken text.

An edited article re-synthesizes only the utterances whose text (or phonemes) changed;
everything else comes from here. Entries are small binary files — a header (magic,
sample rate, word count), each word's start and end (float32 seconds), then float32
little-endian samples — written to a temp file and moved into place with ``os.replace``,
so a reader never sees half an entry. Entries of the older format (no word times) read as
misses, so they are synthesized again once, now with their words.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vorlesen.models import AudioArray, WordTime

__all__ = ["CachedAudio", "SegmentCache", "segment_key"]

_MAGIC = b"VLA2"
_HEADER = struct.Struct("<4sII")
"""Magic bytes, sample rate and number of word times (uint32 each)."""


def segment_key(spec_key: str, text: str, phonemes: str | None = None) -> str:
    """Cache key of one utterance: sha256 over the engine spec key and what is spoken.

    ``phonemes`` win over ``text`` when given, because they are what the engine speaks.
    """
    kind, spoken = ("phonemes", phonemes) if phonemes is not None else ("text", text)
    blob = "\x1f".join((spec_key, kind, spoken))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class CachedAudio:
    """Audio read back from the cache."""

    audio: AudioArray
    sample_rate: int
    words: tuple[WordTime, ...] = ()
    """When each spoken word is heard (empty: the engine gave no times)."""


class SegmentCache:
    """Directory of cached utterance audio, two-level fan-out by key prefix."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        if len(key) < 8 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"not a cache key: {key!r}")
        return self.directory / key[:2] / f"{key}.f32"

    def __contains__(self, key: str) -> bool:
        return self._path(key).is_file()

    def get(self, key: str) -> CachedAudio | None:
        """The cached audio for ``key``, or ``None`` on a miss (a miss is not a failure).

        An unreadable or truncated entry counts as a miss and is removed.
        """
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        if len(raw) < _HEADER.size:
            path.unlink(missing_ok=True)
            return None
        magic, rate, count = _HEADER.unpack_from(raw)
        body = _HEADER.size + 8 * count
        if magic != _MAGIC or rate <= 0 or len(raw) < body or (len(raw) - body) % 4:
            path.unlink(missing_ok=True)
            return None
        edges = np.frombuffer(raw, dtype="<f4", count=2 * count, offset=_HEADER.size)
        words = tuple(WordTime(float(edges[2 * n]), float(edges[2 * n + 1])) for n in range(count))
        audio = np.frombuffer(raw, dtype="<f4", offset=body).astype(np.float32)
        return CachedAudio(audio=audio, sample_rate=int(rate), words=words)

    def put(
        self,
        key: str,
        audio: AudioArray,
        sample_rate: int,
        words: tuple[WordTime, ...] = (),
    ) -> None:
        """Store ``audio`` and its word times under ``key`` atomically (temp file +
        ``os.replace``)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        edges = np.array([t for w in words for t in (w.start, w.end)], dtype="<f4")
        payload = (
            _HEADER.pack(_MAGIC, sample_rate, len(words))
            + edges.tobytes()
            + np.asarray(audio, dtype="<f4").tobytes()
        )
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".f32")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def __repr__(self) -> str:
        return f"SegmentCache({str(self.directory)!r})"
