"""MP3 files: LAME's constant-bit-rate frames behind a LAME "Info" tag.

LAME comes from ``lameenc`` (its own build of LAME 3.100: ≈ 3.5 × faster here than the
libmp3lame bundled with PyAV, same library, same settings). ``lameenc`` writes bare
frames, so this module writes the first frame itself, as the ``lame`` command and
FFmpeg's muxer do: an "Info" frame (the Xing header of a constant-bit-rate file) with
the frame and byte counts and a seek table, and the LAME extension with the encoder
delay and padding, from which gapless decoders (FFmpeg, browsers, podcast players) cut
the encoder's lead-in and tail: the decoded file has exactly the samples written.

Only this module imports ``lameenc``.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

import lameenc
import numpy as np

from vorlesen.errors import AudioError
from vorlesen.models import AudioArray

__all__ = ["Mp3Writer", "crc16"]

QUALITY = 3
"""LAME's algorithm quality (0 best … 9 fastest); 3 is LAME's own default."""
_ENCODER_DELAY = 576
"""Samples LAME puts before the signal (``lame_get_encoder_delay``, no resampling)."""
_ENCODER = b"LAME3.100"
"""The LAME tag's encoder string; decoders honour the delay fields after "LAME"."""

# Layer III by version id (header bits 19–20; 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5): sample
# rates by index, bit rates (kbit/s) by index, samples per frame, side-information bytes
# for one channel.
_MPEG1_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MPEG2_KBPS = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_MPEG = {
    3: ((44100, 48000, 32000), _MPEG1_KBPS, 1152, 17),
    2: ((22050, 24000, 16000), _MPEG2_KBPS, 576, 9),
    0: ((11025, 12000, 8000), _MPEG2_KBPS, 576, 9),
}


class Mp3Writer:
    """One mono MP3 file at ``sample_rate``, ``bit_rate`` bit/s CBR, fed float chunks.

    Raises:
        AudioError: ``encode_failed`` when MP3 has no mode for the rate and bit rate, or
            LAME fails.
    """

    def __init__(self, path: Path, sample_rate: int, bit_rate: int) -> None:
        self._path = Path(path)
        self._version, self._rate_index, self._bit_index = _mode(sample_rate, bit_rate)
        self._spf = _MPEG[self._version][2]
        self._frame_bytes = _frame_size(self._version, sample_rate, bit_rate // 1000)
        """Bytes of a frame without the padding slot (the Info frame is one)."""
        self._encoder = lameenc.Encoder()
        try:
            self._encoder.set_channels(1)
            self._encoder.set_in_sample_rate(sample_rate)
            self._encoder.set_out_sample_rate(sample_rate)
            self._encoder.set_bit_rate(bit_rate // 1000)
            self._encoder.set_quality(QUALITY)
        except RuntimeError as exc:
            raise self._failed(exc) from exc
        self._file: BinaryIO = self._path.open("w+b")
        self._file.write(bytes(self._frame_bytes))  # the Info frame's place, written at the end
        self.samples = 0

    def write(self, samples: AudioArray) -> None:
        """Encode float samples in [-1, 1]."""
        pcm = np.round(samples * np.float32(32767.0)).astype("<i2")
        try:
            self._file.write(self._encoder.encode(pcm.tobytes()))
        except RuntimeError as exc:
            raise self._failed(exc) from exc
        self.samples += len(pcm)

    def finish(self) -> None:
        """Flush LAME, write the Info frame in front and close the file."""
        try:
            self._file.write(self._encoder.flush())
        except RuntimeError as exc:
            raise self._failed(exc) from exc
        self._file.seek(self._frame_bytes)
        audio = self._file.read()
        offsets = self._frame_offsets(audio)
        self._file.seek(0)
        self._file.write(self._info_frame(audio, offsets))
        self.close()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def _frame_offsets(self, audio: bytes) -> list[int]:
        """Where each frame of ``audio`` starts; every frame must be of this file's mode."""
        offsets, pos = [], 0
        while pos < len(audio):
            header = audio[pos : pos + 4]
            if len(header) < 4 or header[0] != 0xFF or (header[1] & 0xE0) != 0xE0:
                raise self._failed(f"no frame header at byte {self._frame_bytes + pos}")
            version, layer = (header[1] >> 3) & 3, (header[1] >> 1) & 3
            bit_index, rate_index = header[2] >> 4, (header[2] >> 2) & 3
            if (version, layer, bit_index, rate_index) != (
                self._version,
                1,
                self._bit_index,
                self._rate_index,
            ):
                raise self._failed(f"a frame of another mode at byte {self._frame_bytes + pos}")
            offsets.append(pos)
            pos += self._frame_bytes + (header[2] >> 1 & 1)  # the padding slot
        if pos != len(audio):
            raise self._failed("the last frame is cut short")
        return offsets

    def _info_frame(self, audio: bytes, offsets: list[int]) -> bytes:
        """The Info frame: Xing fields (frames, bytes, seek table, quality), LAME tag."""
        frames = len(offsets)
        total = self._frame_bytes + len(audio)
        padding = frames * self._spf - _ENCODER_DELAY - self.samples
        if not 0 <= padding < 4096:
            raise self._failed(f"{frames} frames cannot hold {self.samples} samples")
        # Seek table: where in the frames (in 256ths) each percent of the duration starts.
        toc = bytes(min(255, offsets[frames * i // 100] * 256 // len(audio)) for i in range(100))
        header = bytes(audio[:2]) + bytes([audio[2] & ~0x02, audio[3]])  # no padding slot
        side_info = bytes(_MPEG[self._version][3])
        xing = b"Info" + struct.pack(">III", 0x0F, frames, total) + toc + struct.pack(">I", 0)
        lame = (
            _ENCODER
            + bytes([0x01, 0])  # tag revision 0 + constant bit rate; low-pass not stated
            + bytes(4 + 2 + 2)  # peak and replay gains: not stated
            + bytes([0, min(255, self._bit_rate_kbps)])  # flags, ATH; the bit rate
            + (_ENCODER_DELAY << 12 | padding).to_bytes(3, "big")
            + bytes([0, 0, 0, 0])  # misc, MP3 gain, preset, surround
            + struct.pack(">IH", total, crc16(audio))  # music length and CRC
        )
        frame = bytearray(header + side_info + xing + lame)
        frame += struct.pack(">H", crc16(bytes(frame)))  # the tag's CRC: all bytes before it
        if len(frame) > self._frame_bytes:  # not at 64 kbit/s: ≥ 192 bytes, ≤ 177 needed
            raise self._failed("the Info frame does not fit")
        return bytes(frame) + bytes(self._frame_bytes - len(frame))

    @property
    def _bit_rate_kbps(self) -> int:
        return _MPEG[self._version][1][self._bit_index]

    def _failed(self, why: object) -> AudioError:
        return AudioError(
            f"Encoding {self._path.name} as MP3 failed: {why}", reason="encode_failed"
        )


def _mode(sample_rate: int, bit_rate: int) -> tuple[int, int, int]:
    """(version id, sample-rate index, bit-rate index) of a Layer III stream."""
    for version, (rates, bit_rates, _spf, _side) in _MPEG.items():
        if sample_rate in rates and bit_rate % 1000 == 0 and bit_rate // 1000 in bit_rates[1:]:
            return version, rates.index(sample_rate), bit_rates.index(bit_rate // 1000)
    raise AudioError(
        f"MP3 has no mode for {sample_rate} Hz at {bit_rate // 1000} kbit/s "
        "(rates: 8000–48000 Hz in MPEG's steps).",
        reason="encode_failed",
    )


def _frame_size(version: int, sample_rate: int, kbps: int) -> int:
    """Bytes of one Layer III frame without its padding slot."""
    return _MPEG[version][2] // 8 * kbps * 1000 // sample_rate


# ── CRC-16 (ARC: polynomial 0x8005 reflected, initial 0), as the LAME tag uses ───────────


def _crc_table() -> np.ndarray[tuple[int], np.dtype[np.uint16]]:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ 0xA001, table >> 1)
    return table.astype(np.uint16)


_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    """CRC-16/ARC of ``data``, computed over many stretches at once: leading zero bytes do
    not change a CRC that starts at 0, so ``data`` is zero-padded in front, cut into equal
    rows whose CRCs are taken column by column, and the rows' CRCs are joined in order by
    moving each earlier result past one row of zeros (a linear map on 16 bits)."""
    n = len(data)
    if n == 0:
        return 0
    rows = min(4096, max(1, n // 64))
    width = -(-n // rows)
    block = np.zeros(rows * width, dtype=np.uint16)
    block[rows * width - n :] = np.frombuffer(data, dtype=np.uint8)
    grid = block.reshape(rows, width)
    crc = np.zeros(rows, dtype=np.uint16)
    for column in grid.T:
        crc = (crc >> 8) ^ _TABLE[(crc ^ column) & 0xFF]
    # How each bit of a CRC moves over `width` zero bytes, as tables for its two bytes.
    bits = np.array([1 << b for b in range(16)], dtype=np.uint16)
    for _ in range(width):
        bits = (bits >> 8) ^ _TABLE[bits & 0xFF]
    low = [_fold(bits[:8], v) for v in range(256)]
    high = [_fold(bits[8:], v) for v in range(256)]
    total = 0
    for row in crc.tolist():
        total = low[total & 0xFF] ^ high[total >> 8] ^ row
    return total


def _fold(images: np.ndarray[tuple[int], np.dtype[np.uint16]], value: int) -> int:
    """XOR of the ``images`` of the bits set in ``value``."""
    out = 0
    for bit, image in enumerate(images.tolist()):
        if value >> bit & 1:
            out ^= image
    return out
