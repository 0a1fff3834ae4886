"""The on-disk utterance cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vorlesen.synth.base import EngineSpec
from vorlesen.synth.cache import SegmentCache, segment_key


def test_roundtrip_and_miss(tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path / "c")
    key = segment_key("spec", "Hallo Welt.")
    assert cache.get(key) is None and key not in cache
    audio = np.linspace(-1, 1, 1001, dtype=np.float32)
    cache.put(key, audio, 22050)
    hit = cache.get(key)
    assert hit is not None and key in cache
    assert hit.sample_rate == 22050 and hit.audio.dtype == np.float32
    np.testing.assert_array_equal(hit.audio, audio)
    assert [p.name for p in (tmp_path / "c").rglob("*") if p.is_file()] == [f"{key}.f32"]


def test_truncated_entry_is_a_miss(tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path)
    key = segment_key("spec", "x")
    cache.put(key, np.zeros(10, dtype=np.float32), 16000)
    path = next(p for p in tmp_path.rglob("*.f32"))
    path.write_bytes(path.read_bytes()[:-3])
    assert cache.get(key) is None
    assert not path.exists()


def test_keys_change_with_what_changes_the_sound(joe_model: Path, joe_config: Path) -> None:
    base = EngineSpec("piper", "joe", joe_model, joe_config)
    faster = EngineSpec("piper", "joe", joe_model, joe_config, speed=1.25)
    threads = EngineSpec("piper", "joe", joe_model, joe_config, threads=4)
    espeak = EngineSpec("espeak", "de")
    assert base.cache_key() == EngineSpec("piper", "joe", joe_model, joe_config).cache_key()
    assert base.cache_key() == threads.cache_key()  # threads do not change the audio
    assert len({base.cache_key(), faster.cache_key(), espeak.cache_key()}) == 3
    k = base.cache_key()
    assert segment_key(k, "a") != segment_key(k, "b")
    assert segment_key(k, "a") != segment_key(k, "a", "ə")
    assert segment_key(k, "a", "ə") == segment_key(k, "b", "ə")  # phonemes are what is spoken


def test_word_times_are_kept_with_the_audio(tmp_path: Path) -> None:
    from vorlesen.models import WordTime

    cache = SegmentCache(tmp_path)
    key = segment_key("spec", "Hallo Welt")
    words = (WordTime(0.05, 0.4), WordTime(0.45, 0.9))
    cache.put(key, np.ones(100, dtype=np.float32) / 2, 22050, words)
    hit = cache.get(key)
    assert hit is not None and len(hit.audio) == 100 and hit.sample_rate == 22050
    assert [(round(w.start, 6), round(w.end, 6)) for w in hit.words] == [(0.05, 0.4), (0.45, 0.9)]


def test_an_entry_of_the_old_format_is_a_miss(tmp_path: Path) -> None:
    """Entries from before word times are synthesized again (now with their words)."""
    import struct

    cache = SegmentCache(tmp_path)
    key = segment_key("spec", "alt")
    path = tmp_path / key[:2] / f"{key}.f32"
    path.parent.mkdir(parents=True)
    path.write_bytes(struct.pack("<4sI", b"VLA1", 22050) + np.zeros(8, "<f4").tobytes())
    assert cache.get(key) is None
