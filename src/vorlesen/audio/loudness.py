"""Loudness: integrated loudness after ITU-R BS.1770-4, as pyloudnorm measures it.

The signal is K-weighted (a +4 dB high shelf at 1.5 kHz, then a 38 Hz high-pass), squared
and averaged over 400 ms gating blocks at 75 % overlap; blocks under −70 LUFS (absolute
gate) and then those more than 10 LU under the loudness of the rest (relative gate) are
dropped, and the mean of what remains is the integrated loudness.

A block is the sum of four 100 ms hops, so :class:`LoudnessMeter` keeps one number per
hop: it is fed the programme piece by piece (the filter state carried from piece to
piece) and never holds the signal. Hop boundaries and the number of blocks use the same
floating-point expressions as pyloudnorm, so the meter agrees with it to ~1e-9 LU in
float64 and ~1e-5 LU in float32 (what mastering uses: twice as fast). A pure gain scales
every block power, so :func:`gated_loudness` gives the loudness after a gain without
filtering again.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from vorlesen.models import AudioArray

__all__ = [
    "GATE_BLOCK",
    "LoudnessMeter",
    "gated_loudness",
    "k_weighting",
    "load_filters",
    "measure_loudness",
]


def load_filters() -> None:
    """Import the signal library mastering uses (scipy: ≈0.8 s) now — a render calls this
    while its synthesis workers load the voice, so the first segment does not wait for it
    (and the workers do not wait for the parent)."""
    import scipy.ndimage
    import scipy.signal  # noqa: F401


FloatArray = npt.NDArray[np.float64]

GATE_BLOCK = 0.4
"""BS.1770 gating block, seconds; shorter audio cannot be measured as it is."""
_GATE_OVERLAP = 0.75
"""Overlap of consecutive gating blocks (a 100 ms hop)."""
_ABS_GATE = -70.0
"""Absolute gate, LUFS."""
_REL_GATE = -10.0
"""Relative gate, LU below the absolute-gated loudness."""
_CHUNK = 1 << 18
"""Samples per piece when :func:`measure_loudness` feeds a whole array to the meter."""


def measure_loudness(audio: npt.NDArray[np.floating], sample_rate: int) -> float:
    """Integrated loudness (LUFS, ITU-R BS.1770-4 gated) of mono ``audio``.

    Same K-weighting, 400 ms blocks at 75 % overlap and −70 LUFS / −10 LU gates as
    pyloudnorm's ``Meter.integrated_loudness``, computed in float64 (agrees to ~1e-9 LU).
    Audio shorter than the 400 ms gating block is measured looped to that length, which
    approximates the loudness of the clip itself. Silence gives ``-inf``.
    """
    x = np.asarray(audio).reshape(-1)
    if len(x) == 0 or not np.any(x):
        return -math.inf
    need = math.ceil(GATE_BLOCK * sample_rate) + 1
    if len(x) < need:
        x = np.tile(x, math.ceil(need / len(x)))
    meter = LoudnessMeter(sample_rate, np.float64)
    for begin in range(0, len(x), _CHUNK):
        meter.add(x[begin : begin + _CHUNK])
    return meter.loudness()


def k_weighting(sample_rate: int, dtype: type[np.floating]) -> npt.NDArray[np.floating]:
    """The BS.1770 K-weighting as second-order sections: the pre-filter (a +4 dB high
    shelf at 1.5 kHz) then the RLB high-pass at 38 Hz, designed for any rate with the
    Audio-EQ-Cookbook formulas exactly as pyloudnorm designs them."""
    # High shelf: G = 4 dB, Q = 1/√2, fc = 1500 Hz.
    a_ = 10.0 ** (4.0 / 40.0)
    w0 = 2.0 * math.pi * 1500.0 / sample_rate
    alpha = math.sin(w0) / (2.0 * (1.0 / math.sqrt(2.0)))
    cos, root = math.cos(w0), 2.0 * math.sqrt(a_) * alpha
    shelf_b = [
        a_ * ((a_ + 1) + (a_ - 1) * cos + root),
        -2 * a_ * ((a_ - 1) + (a_ + 1) * cos),
        a_ * ((a_ + 1) + (a_ - 1) * cos - root),
    ]
    shelf_a = [(a_ + 1) - (a_ - 1) * cos + root, 2 * ((a_ - 1) - (a_ + 1) * cos)]
    shelf_a.append((a_ + 1) - (a_ - 1) * cos - root)
    # High pass: Q = 0.5, fc = 38 Hz.
    w0 = 2.0 * math.pi * 38.0 / sample_rate
    alpha = math.sin(w0) / (2.0 * 0.5)
    cos = math.cos(w0)
    hp_b = [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2]
    hp_a = [1 + alpha, -2 * cos, 1 - alpha]
    sos = np.array(
        [
            [*(v / shelf_a[0] for v in shelf_b), *(v / shelf_a[0] for v in shelf_a)],
            [*(v / hp_a[0] for v in hp_b), *(v / hp_a[0] for v in hp_a)],
        ]
    )
    return sos.astype(dtype)


def gated_loudness(powers: FloatArray, gain: float = 1.0) -> float:
    """Integrated loudness from block mean squares, after a linear ``gain``: the absolute
    (−70 LUFS) then relative (−10 LU) gates of BS.1770-4, as pyloudnorm applies them
    (``≥`` for the first absolute gate, ``>`` for both in the final selection). A pure
    gain scales every block power, so loudness after a gain needs no re-filtering."""
    z = powers * (gain * gain)
    with np.errstate(divide="ignore"):
        block_lufs = -0.691 + 10.0 * np.log10(z)
    above = z[block_lufs >= _ABS_GATE]
    if len(above) == 0:
        return -math.inf
    relative = -0.691 + 10.0 * math.log10(float(np.mean(above))) + _REL_GATE
    kept = z[(block_lufs > relative) & (block_lufs > _ABS_GATE)]
    mean = float(np.mean(kept)) if len(kept) else 0.0
    return -0.691 + 10.0 * math.log10(mean) if mean > 0 else -math.inf


class LoudnessMeter:
    """BS.1770-4 integrated loudness of a signal fed piece by piece.

    The K-weighting filter runs over each piece with its state carried over, and the
    squared output is summed per 100 ms hop (hop ``j`` starts at sample
    ``int(0.4·(j·0.25)·rate)``, pyloudnorm's expression), so :meth:`powers` gives the
    400 ms gating-block powers of the whole signal from a few numbers per second.
    ``dtype`` is the filtering precision: float32 for mastering, float64 for
    :func:`measure_loudness`.
    """

    def __init__(self, sample_rate: int, dtype: type[np.floating] = np.float32) -> None:
        self.sample_rate = sample_rate
        self._dtype = dtype
        self._sos = k_weighting(sample_rate, dtype)
        self._state = np.zeros((self._sos.shape[0], 2), dtype=dtype)
        self._hops: list[float] = []
        self._acc = 0.0
        self._pos = 0
        self._next = self._bound(1)

    def _bound(self, hop: int) -> int:
        return int(GATE_BLOCK * (hop * (1.0 - _GATE_OVERLAP)) * self.sample_rate)

    @property
    def samples(self) -> int:
        """Samples measured so far."""
        return self._pos

    def add(self, chunk: AudioArray | npt.NDArray[np.floating]) -> None:
        """Measure the next ``chunk`` of the signal."""
        if len(chunk) == 0:
            return
        from scipy.signal import sosfilt  # scipy loads on first use: importing it costs ~0.8 s

        weighted, self._state = sosfilt(
            self._sos, np.asarray(chunk, dtype=self._dtype), zi=self._state
        )
        np.square(weighted, out=weighted)
        lo, hi = self._pos, self._pos + len(chunk)
        offset = 0
        while self._next <= hi:
            cut = self._next - lo
            self._acc += float(np.sum(weighted[offset:cut], dtype=np.float64))
            self._hops.append(self._acc)
            self._acc = 0.0
            offset = cut
            self._next = self._bound(len(self._hops) + 1)
        self._acc += float(np.sum(weighted[offset:], dtype=np.float64))
        self._pos = hi

    def powers(self) -> FloatArray:
        """Mean square per 400 ms gating block (75 % overlap) of everything measured."""
        step = 1.0 - _GATE_OVERLAP
        seconds = self._pos / self.sample_rate
        n_blocks = int(np.round((seconds - GATE_BLOCK) / (GATE_BLOCK * step))) + 1
        if n_blocks < 1:
            return np.zeros(0)
        hop_energy = np.zeros(max(n_blocks + 3, len(self._hops) + 1))
        hop_energy[: len(self._hops)] = self._hops
        hop_energy[len(self._hops)] = self._acc
        blocks = hop_energy[:n_blocks] + hop_energy[1 : n_blocks + 1]
        blocks += hop_energy[2 : n_blocks + 2] + hop_energy[3 : n_blocks + 3]
        result: FloatArray = blocks / (GATE_BLOCK * self.sample_rate)
        return result

    def loudness(self, gain: float = 1.0) -> float:
        """Integrated loudness (LUFS) after a linear ``gain``."""
        return gated_loudness(self.powers(), gain)
