"""True peak: the sample peak of the 4× oversampled signal (ITU-R BS.1770-4 Annex 2).

The oversampling filter is scipy's ``resample_poly(x, 4, 1)`` (81 taps: each output
reaches 10 input samples; :func:`interpolator_taps` designs it with numpy, as scipy
does). Oversampling a whole programme is slow and, for speech, nearly always wasted:
:class:`PeakMap` cuts the signal into blocks of :data:`BLOCK` samples and bounds the
oversampled envelope of each block cheaply and rigorously (from its sample peak and
peak second difference), then oversamples only the blocks whose bound can matter —
exactly as accurate as oversampling everything. The signal is read through a
:class:`SampleSource`, so it may be an array (:class:`ArraySource`) or a spool file on
disk (:class:`~vorlesen.audio.spool.Spool`).
"""

from __future__ import annotations

import math
from functools import cache
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from vorlesen.models import AudioArray

__all__ = [
    "BLOCK",
    "ArraySource",
    "PeakMap",
    "SampleSource",
    "exact_envelope",
    "interpolator_taps",
    "measure_true_peak",
    "to_db",
]

FloatArray = npt.NDArray[np.float64]

BLOCK = 256
"""Samples per true-peak block (11.6 ms at 22,050 Hz): small enough that quiet stretches
are skipped, large enough that per-block bookkeeping stays negligible."""
_OVERSAMPLE = 4
"""True-peak oversampling factor (BS.1770-4 Annex 2 asks for at least 4× at 48 kHz)."""
_REACH = 10
"""resample_poly(x, 4, 1) uses a 81-tap filter: each output reaches 10 input samples."""
_BATCH = 1024
"""Blocks oversampled per batch (~1 MB of float32 temporaries)."""
_SLACK = 1e-4
"""Relative headroom on the block bound, far above float32 rounding of the computation."""
_CHUNK = 1 << 18
"""Samples per chunk when scanning, so temporaries stay small."""


def measure_true_peak(audio: npt.NDArray[np.floating], sample_rate: int) -> float:
    """True peak of ``audio`` in dBTP: the sample peak after 4× polyphase oversampling.

    Only the blocks whose bound can reach the running maximum are oversampled (see
    :class:`PeakMap`), so the result equals the whole-signal computation.
    ``sample_rate`` is accepted for symmetry with
    :func:`~vorlesen.audio.loudness.measure_loudness`; the oversampling factor is fixed.
    Silence gives ``-inf``.
    """
    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    return to_db(PeakMap(x).true_peak() if len(x) else 0.0)


def to_db(value: float) -> float:
    """A linear amplitude in dB (``-inf`` for zero)."""
    return 20.0 * math.log10(value) if value > 0 else -math.inf


class SampleSource(Protocol):
    """Read access to a mono float32 signal that need not be in memory (an array, or the
    spool file of a streaming render): what the true-peak map and limiter need."""

    def __len__(self) -> int: ...

    def read(self, lo: int, hi: int) -> AudioArray:
        """Samples ``[lo, hi)`` (``0 ≤ lo ≤ hi ≤ len``) as a new array the caller may
        modify."""
        ...

    def rows(self, blocks: npt.NDArray[np.int64], ctx: int) -> AudioArray:
        """Per block ``b`` of ``blocks``, samples ``[b·B − ctx, (b+1)·B + ctx)`` with
        ``B = BLOCK``, zeros outside the signal: shape ``(len(blocks), B + 2·ctx)``."""
        ...


class ArraySource:
    """A :class:`SampleSource` over an in-memory array."""

    def __init__(self, x: AudioArray) -> None:
        self.x = x

    def __len__(self) -> int:
        return len(self.x)

    def read(self, lo: int, hi: int) -> AudioArray:
        return self.x[lo:hi].copy()  # callers scale what they read in place

    def rows(self, blocks: npt.NDArray[np.int64], ctx: int) -> AudioArray:
        n = len(self.x)
        index = blocks[:, None] * BLOCK + np.arange(-ctx, BLOCK + ctx)
        valid = (index >= 0) & (index < n)
        rows: AudioArray = np.where(
            valid, self.x[np.clip(index, 0, max(0, n - 1))], np.float32(0.0)
        ).astype(np.float32, copy=False)
        return rows


class PeakMap:
    """Where the 4× oversampled peak of a signal can be high, and what it is there.

    The signal is cut into blocks of :data:`BLOCK` samples. Per block a cheap, rigorous
    upper bound of the true-peak envelope (from the sample peak and the peak second
    difference of the block and its neighbours) decides whether the block needs
    oversampling at all; exact envelope maxima are computed for the blocks that do, in
    batches, and kept (the limiter asks for the same blocks each round, at another gain).
    """

    def __init__(self, x: AudioArray | SampleSource) -> None:
        self.x: SampleSource = ArraySource(x) if isinstance(x, np.ndarray) else x
        self.blocks = 0
        self.floor = 0.0
        """A lower bound of the true peak: the largest sample, through phase 0."""
        self._samples = -1
        self._m0 = np.zeros(0, dtype=np.float32)
        self._m2 = np.zeros(0, dtype=np.float32)
        self._bound = np.zeros(0, dtype=np.float64)
        self._exact = np.zeros(0, dtype=np.float64)
        self.extend()

    @property
    def bound(self) -> FloatArray:
        """Upper bound of the envelope per block."""
        return self._bound[: self.blocks]

    @property
    def exact_max(self) -> FloatArray:
        """Exact envelope maximum per block, where computed (NaN elsewhere)."""
        return self._exact[: self.blocks]

    def extend(self) -> None:
        """Map the samples appended to the signal since the map was built or last extended
        (a spool still being written): the map then equals one built over the whole
        signal as it is now. The old last blocks are measured again (their neighbours and
        their envelope's context were zeros before); the rest is kept."""
        n = len(self.x)
        if n == self._samples:
            return
        self._samples = n
        blocks = -(-n // BLOCK)
        first = max(0, self.blocks - 2)  # the old last block and the one its Δ² reached
        if blocks > len(self._m0):  # grow geometrically: extending costs O(new samples)
            size = max(blocks, 2 * len(self._m0))
            self._m0, self._m2 = _grown(self._m0, size), _grown(self._m2, size)
            self._bound, self._exact = _grown(self._bound, size), _grown(self._exact, size)
        m0, m2 = _block_extremes(self.x, first)
        self._m0[first:blocks], self._m2[first:blocks] = m0, m2
        lo = max(0, first - 1)  # a bound takes its neighbours' extremes
        ctx = max(0, lo - 1)
        m0n = _with_neighbours(self._m0[ctx:blocks])[lo - ctx :]
        m2n = _with_neighbours(self._m2[ctx:blocks])[lo - ctx :]
        _, phase0, lin, curv = _oversampling_phases()
        bound = np.maximum(phase0 * m0n, m0n)
        for p in range(1, 4):
            np.maximum(bound, lin[p] * m0n + curv[p] * m2n, out=bound)
        self._bound[lo:blocks] = bound * (1.0 + _SLACK)
        self._exact[first:blocks] = np.nan
        self.floor = max(self.floor, float(np.max(m0, initial=0.0)) * max(1.0, phase0))
        self.blocks = blocks

    def maxima(self, blocks: npt.NDArray[np.int64]) -> FloatArray:
        """Exact envelope maximum of each of ``blocks``."""
        exact = self.exact_max
        missing = np.unique(blocks[np.isnan(exact[blocks])])
        for begin in range(0, len(missing), _BATCH):
            part = missing[begin : begin + _BATCH]
            exact[part] = exact_envelope(self.x, part).max(axis=1)
        return exact[blocks]

    def true_peak(self) -> float:
        """The exact maximum of the envelope: blocks in falling order of their bound,
        oversampled batch by batch until no remaining bound can beat the maximum found."""
        best = self.floor
        order = np.argsort(-self.bound, kind="stable")
        order = order[self.bound[order] > best]
        for begin in range(0, len(order), _BATCH):
            part = order[begin : begin + _BATCH]
            part = part[self.bound[part] > best]
            if len(part) == 0:
                break
            best = max(best, float(np.max(self.maxima(part))))
        return best


def exact_envelope(x: SampleSource, blocks: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
    """Per sample of ``blocks``, the largest absolute value of the 4× oversampled signal
    in ``[n, n+1)`` (phase 0 is the sample itself, times the filter's centre tap): shape
    ``(len(blocks), BLOCK)``."""
    kernels, phase0, _, _ = _oversampling_phases()
    ctx = _REACH + 1
    rows = x.rows(blocks, ctx)
    env = np.abs(rows[:, ctx:-ctx]) * np.float32(max(1.0, phase0))
    for kernel in kernels:
        phase = _convolve_rows(rows, kernel, ctx)
        np.maximum(env, np.abs(phase, out=phase), out=env)
    return env


def _convolve_rows(
    rows: npt.NDArray[np.float32], kernel: npt.NDArray[np.float32], ctx: int
) -> npt.NDArray[np.float32]:
    """``rows`` convolved with the odd-length, centred ``kernel`` along each row, for the
    samples ``ctx`` (≥ the kernel's half length) from either end: one multiply-add of a
    shifted view per tap (numpy; ``scipy.ndimage`` costs ≈0.4 s of import per render)."""
    width, half = rows.shape[1] - 2 * ctx, len(kernel) // 2
    out = np.zeros((rows.shape[0], width), dtype=np.float32)
    for j, tap in enumerate(kernel.tolist()):
        start = ctx + half - j
        out += np.float32(tap) * rows[:, start : start + width]
    return out


def interpolator_taps() -> FloatArray:
    """The filter ``scipy.signal.resample_poly(x, 4, 1)`` interpolates with:
    ``4 · firwin(81, 1/4, window=("kaiser", 5.0))`` (half length ``10 · 4``), designed
    the way scipy designs it — a windowed sinc scaled to unit DC gain — without
    importing ``scipy.signal`` (≈0.6 s)."""
    half = _REACH * _OVERSAMPLE
    cutoff = 1.0 / _OVERSAMPLE
    m = np.arange(2 * half + 1, dtype=np.float64) - float(half)
    h: FloatArray = cutoff * np.sinc(cutoff * m) * np.kaiser(2 * half + 1, 5.0)
    h /= np.sum(h)
    result: FloatArray = h * _OVERSAMPLE
    return result


@cache
def _oversampling_phases() -> tuple[npt.NDArray[np.float32], float, FloatArray, FloatArray]:
    """The 4× interpolator of ``resample_poly(x, 4, 1)`` split into its phases, and the
    constants of the bound :class:`PeakMap` uses to skip blocks.

    Returns ``(kernels, centre, lin, curv)``: ``kernels[p - 1]`` is the 21-tap kernel
    giving output phase ``p`` (1–3) by convolution; phase 0 is ``centre · x[n]``. Each
    phase is split as ``h_p = r_p + (1 − z⁻¹)² q_p`` with ``r_p`` two taps on the
    neighbouring samples (matching ``h_p``'s sum and first moment) — the linear
    interpolation — so ``|y_p[n]| ≤ lin[p]·max|x| + curv[p]·max|Δ²x|`` over the ±11
    samples around ``n``. For speech, whose energy sits far below Nyquist, ``Δ²x`` is
    small and the bound is within a fraction of a dB of the sample peak.

    Computed on first use, then cached.
    """
    reach = _REACH
    h = interpolator_taps()
    half = (len(h) - 1) // 2
    delays = np.arange(-reach, reach + 1)
    # resample_poly's output 4·n + p is Σ_k x[k]·h[half + 4·(n − k) + p].
    index = half + _OVERSAMPLE * delays[None, :] + np.arange(_OVERSAMPLE)[:, None]
    inside = (index >= 0) & (index < len(h))
    taps = np.where(inside, h[np.clip(index, 0, len(h) - 1)], 0.0)
    lin = np.empty(4)
    curv = np.empty(4)
    for p in range(4):
        total, moment = float(taps[p].sum()), float((delays * taps[p]).sum())
        rest = taps[p].copy()
        rest[reach] -= total + moment  # weight on x[n]
        rest[reach - 1] -= -moment  # weight on x[n + 1]
        lin[p] = abs(total + moment) + abs(moment)
        q = np.cumsum(np.cumsum(rest))
        curv[p] = float(np.abs(q).sum())
    return taps[1:].astype(np.float32), float(abs(taps[0][reach])), lin, curv


def _block_extremes(
    x: SampleSource, first_block: int = 0
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Per block from ``first_block`` on: the largest ``|x|`` and the largest
    ``|x[n−1] − 2x[n] + x[n+1]|`` (zeros outside the signal, as the oversampling filter
    sees it). Chunked: the temporaries stay small for a long programme."""
    n = len(x)
    blocks = max(0, -(-n // BLOCK) - first_block)
    m0 = np.zeros(blocks, dtype=np.float32)
    m2 = np.zeros(blocks, dtype=np.float32)
    chunk = BLOCK * (_CHUNK // BLOCK)
    for begin in range(first_block * BLOCK, n, chunk):
        stop = min(n, begin + chunk)
        width = -(-(stop - begin) // BLOCK) * BLOCK
        buf = np.zeros(width + 2, dtype=np.float32)
        lo, hi = max(0, begin - 1), min(n, stop + 1)
        buf[lo - begin + 1 : hi - begin + 1] = x.read(lo, hi)  # buf[i] is sample begin − 1 + i
        body = buf[1 : width + 1]
        d2 = buf[2:] + buf[:-2]
        d2 -= 2.0 * body
        first = begin // BLOCK - first_block
        count = width // BLOCK
        m0[first : first + count] = np.abs(body).reshape(count, BLOCK).max(axis=1)
        m2[first : first + count] = np.abs(d2).reshape(count, BLOCK).max(axis=1)
    return m0, m2


_Values = TypeVar("_Values", bound=np.generic)


def _grown(values: npt.NDArray[_Values], size: int) -> npt.NDArray[_Values]:
    """``values`` in a new zero-filled array of ``size`` elements."""
    out = np.zeros(size, dtype=values.dtype)
    out[: len(values)] = values
    return out


def _with_neighbours(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Per block, the maximum over itself and both neighbours (the filter reaches ±11
    samples, less than a block)."""
    out = values.copy()
    np.maximum(out[1:], values[:-1], out=out[1:])
    np.maximum(out[:-1], values[1:], out=out[:-1])
    return out
