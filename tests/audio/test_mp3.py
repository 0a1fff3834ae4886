"""MP3 files as LAME writes them here: the decoded file holds exactly the samples written,
in place, and the Info frame in front says what the lame command would say."""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from vorlesen.audio.mp3 import Mp3Writer, crc16
from vorlesen.errors import AudioError


def crc16_bitwise(data: bytes) -> int:
    """CRC-16/ARC one bit at a time, straight from its definition."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def speechlike(rate: int, seconds: float) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Tone bursts with gaps and a click: any shift of the decoded signal shows."""
    t = np.arange(int(rate * seconds)) / rate
    envelope = (np.sin(2 * np.pi * 1.3 * t) > 0.2).astype(np.float64)
    tone = 0.4 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 1375 * t)
    audio = tone * envelope
    audio[len(audio) // 3] = 0.9
    return audio.astype(np.float32)


def write(path: Path, audio: np.ndarray[Any, Any], rate: int, chunk: int = 5000) -> None:
    writer = Mp3Writer(path, rate, 64_000)
    for start in range(0, len(audio), chunk):
        writer.write(audio[start : start + chunk])
    writer.finish()


def decode(path: Path) -> tuple[np.ndarray[Any, Any], float]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.duration is not None and stream.time_base is not None
        duration = float(stream.duration * stream.time_base)
        samples = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(stream)])
    return samples, duration


def test_crc16_is_crc16_arc() -> None:
    assert crc16(b"123456789") == 0xBB3D  # the catalogue's check value
    assert crc16(b"") == 0
    for size in (1, 2, 63, 64, 190, 4097, 300_001):
        data = os.urandom(size)
        assert crc16(data) == crc16_bitwise(data), size


@pytest.mark.parametrize("rate", [22050, 16000, 24000, 44100, 8000])
def test_decoded_file_has_exactly_the_samples_written_in_place(tmp_path: Path, rate: int) -> None:
    audio = speechlike(rate, 3.7)
    path = tmp_path / "a.mp3"
    write(path, audio, rate)
    decoded, duration = decode(path)
    assert len(decoded) == len(audio)  # encoder delay and padding cut by the decoder
    assert duration == pytest.approx(len(audio) / rate, abs=1e-6)
    # In place: the decoded signal lines up with the input, not a frame or a delay later.
    n = len(audio) - 2000
    lags = [float(np.dot(audio[:n], decoded[k : k + n])) for k in range(0, 1200)]
    assert int(np.argmax(lags)) == 0
    error = decoded - audio
    assert 10 * np.log10(np.sum(audio**2) / np.sum(error**2)) > 15  # a faithful copy


def test_info_frame_counts_the_file_and_carries_the_lame_tag(tmp_path: Path) -> None:
    rate, audio = 22050, speechlike(22050, 2.0)
    path = tmp_path / "a.mp3"
    write(path, audio, rate)
    data = path.read_bytes()
    header, info = data[:4], data[4 + 9 :]  # MPEG-2 mono: 9 bytes of side information
    assert header[0] == 0xFF and header[1] >> 5 == 0b111 and not header[2] & 0x02
    assert info[:4] == b"Info"  # constant bit rate
    flags, frames, total = struct.unpack(">III", info[4:16])
    assert flags == 0x0F
    assert total == len(data)
    frame_size = 72 * 64_000 // rate  # 208 bytes, no padding slot in the Info frame
    # Every frame after the Info frame, counted by walking the headers.
    pos, counted = frame_size, 0
    while pos < len(data):
        assert data[pos] == 0xFF and data[pos + 1] >> 5 == 0b111
        pos += frame_size + (data[pos + 2] >> 1 & 1)
        counted += 1
    assert pos == len(data) and counted == frames
    toc = info[16:116]
    assert toc[0] == 0 and list(toc) == sorted(toc)
    lame = info[120:156]
    assert lame[:9] == b"LAME3.100"
    delay_padding = int.from_bytes(lame[21:24], "big")
    delay, padding = delay_padding >> 12, delay_padding & 0xFFF
    assert delay == 576
    assert frames * 576 == delay + len(audio) + padding
    music_length, music_crc, tag_crc = struct.unpack(">IHH", lame[28:36])
    assert music_length == len(data)
    assert music_crc == crc16_bitwise(data[frame_size:])
    assert tag_crc == crc16_bitwise(data[: 4 + 9 + 120 + 34])


def test_a_rate_mp3_does_not_have_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AudioError) as info:
        Mp3Writer(tmp_path / "a.mp3", 7000, 64_000)
    assert info.value.reason == "encode_failed"
    assert "7000 Hz" in str(info.value)
    assert not (tmp_path / "a.mp3").exists()
