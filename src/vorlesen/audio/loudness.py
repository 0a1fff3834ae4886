"""Loudness: integrated loudness after ITU-R BS.1770-4, as pyloudnorm measures it.

The signal is K-weighted (a +4 dB high shelf at 1.5 kHz, then a 38 Hz high-pass), squared
and averaged over 400 ms gating blocks at 75 % overlap; blocks under −70 LUFS (absolute
gate) and then those more than 10 LU under the loudness of the rest (relative gate) are
dropped, and the mean of what remains is the integrated loudness.

A block is the sum of four 100 ms hops, so :class:`LoudnessMeter` keeps one number per
hop: it is fed the programme piece by piece (the filter state carried from piece to
piece) and never holds the signal. Hop boundaries and the number of blocks use the same
floating-point expressions as pyloudnorm, so the meter agrees with it to ~1e-12 LU when
the weighted signal is squared in float64 and ~1e-9 LU in float32 (what mastering uses).
A pure gain scales every block power, so :func:`gated_loudness` gives the loudness after
a gain without filtering again.

The K-weighting runs in float64 through :class:`SosFilter`, numpy only (it equals
``scipy.signal.sosfilt`` to ~1e-12): importing ``scipy.signal`` would cost a render
≈0.6 s of CPU for this one filter.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from vorlesen.models import AudioArray

__all__ = [
    "GATE_BLOCK",
    "LoudnessMeter",
    "SosFilter",
    "gated_loudness",
    "k_weighting",
    "measure_loudness",
]


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


_BLOCK = 16
"""Samples per block of :class:`SosFilter`: one matrix product filters a block."""
_LEVEL = 8
"""Block-end states per group at each level of :class:`_Recurrence`."""
_PIECE = 1 << 14
"""Samples :class:`SosFilter` filters at a time: its matrix products (≈1000 × 20 × 16)
stay under the size at which OpenBLAS starts threads, which costs more CPU than it
saves here."""


def _powers(m: FloatArray, count: int) -> FloatArray:
    """``m⁰ … m^(count−1)``, shape ``(count, d, d)``."""
    out = np.empty((count, *m.shape))
    out[0] = np.eye(m.shape[0])
    for k in range(1, count):
        out[k] = m @ out[k - 1]
    return out


class _Recurrence:
    """The linear recurrence ``s[n] = m·s[n−1] + u[n]`` (states of dimension ``d``),
    solved for many ``n`` at once: per group of :data:`_LEVEL` steps one matrix product
    gives the response from a zero state, the group-end states follow the same kind of
    recurrence with ``m^L`` (solved by the next level, depth log_L n), and ``m^(k+1)``
    times the state before a group is added to its ``k``-th step."""

    def __init__(self, m: FloatArray) -> None:
        size, d = _LEVEL, m.shape[0]
        pw = _powers(m, size + 1)
        inside = np.zeros((size, d, size, d))
        for k in range(size):
            for i in range(k + 1):
                inside[k, :, i, :] = pw[k - i]
        self._m = m
        self._inside = inside.reshape(size * d, size * d).T.copy()
        self._carry = pw[1:].transpose(2, 0, 1).reshape(d, size * d).copy()
        self._step = pw[size]
        self._next: _Recurrence | None = None

    def solve(self, u: FloatArray, s0: FloatArray) -> FloatArray:
        """Every ``s[n]`` for inputs ``u`` of shape ``(n, d)`` from ``s[−1] = s0``."""
        n, d = u.shape
        size = _LEVEL
        if n <= size:
            out = np.empty((n, d))
            s = s0
            for k in range(n):
                s = self._m @ s + u[k]
                out[k] = s
            return out
        groups = -(-n // size)
        flat = np.zeros((groups, size * d))
        flat.reshape(-1)[: n * d] = u.reshape(-1)
        z: FloatArray = flat @ self._inside
        if self._next is None:
            self._next = _Recurrence(self._step)
        ends = self._next.solve(z[:, -d:], s0)
        z[0] += s0 @ self._carry
        z[1:] += ends[:-1] @ self._carry
        return z.reshape(groups * size, d)[:n]


class SosFilter:
    """A cascade of second-order sections (``scipy.signal.sosfilt``'s ``sos`` layout)
    that filters a signal fed piece by piece, pieces of any length, in float64.

    The cascade is one linear system with a state of two numbers per section (the
    transposed direct form II states, as ``sosfilt``'s ``zi``: :attr:`state` is that
    ``zi`` flattened). The signal is cut into blocks of :data:`_BLOCK` samples: a
    block's output is its input times the lower-triangular Toeplitz matrix of the impulse
    response plus the state before it times the matrix of the free responses, and its end
    state is its input times a small matrix plus ``A^L`` times the state before it — a
    recurrence over block ends that :class:`_Recurrence` solves. Exact up to rounding:
    equals ``sosfilt`` to ~1e-12 relative.
    """

    def __init__(self, sos: npt.ArrayLike) -> None:
        sections = np.asarray(sos, dtype=np.float64).reshape(-1, 6)
        d = 2 * len(sections)
        a = np.zeros((d, d))  # state update: s' = a·s + b·x, output y = c·s + dd·x
        b = np.zeros(d)
        c = np.zeros(d)
        dd = 1.0
        for i, (b0, b1, b2, a0, a1, a2) in enumerate(sections):
            b0, b1, b2, a1, a2 = b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0
            c_out = b0 * c  # y_i = b0·u + s[2i], u the section's input (c·s + dd·x)
            c_out[2 * i] += 1.0
            d_out = b0 * dd
            a[2 * i] = b1 * c - a1 * c_out
            a[2 * i, 2 * i + 1] += 1.0
            b[2 * i] = b1 * dd - a1 * d_out
            a[2 * i + 1] = b2 * c - a2 * c_out
            b[2 * i + 1] = b2 * dd - a2 * d_out
            c, dd = c_out, d_out
        size = _BLOCK
        pw = _powers(a, size + 1)
        pb = pw @ b  # A^m·B
        h = np.concatenate([[dd], pb[: size - 1] @ c])  # impulse response
        lag = np.arange(size)[None, :] - np.arange(size)[:, None]
        self._toeplitz = np.where(lag >= 0, h[np.clip(lag, 0, None)], 0.0)  # x·T: y
        self._free = np.stack([c @ pw[m] for m in range(size)], axis=1)  # s·F: y
        self._forward = np.concatenate([self._toeplitz, self._free])
        self._pw = pw
        self._pb = pb
        self._ends = pb[size - 1 :: -1].copy()  # x·E: end state from a zero state
        self._blocks = _Recurrence(pw[size])
        self._d = d
        self.state: FloatArray = np.zeros(d)

    def __call__(self, x: npt.ArrayLike) -> FloatArray:
        """The filtered next piece ``x`` (float64); the state carries to the next call."""
        x = np.asarray(x).reshape(-1)
        if len(x) <= _PIECE:
            return self._piece(x)
        out = np.empty(len(x))
        for begin in range(0, len(x), _PIECE):
            out[begin : begin + _PIECE] = self._piece(x[begin : begin + _PIECE])
        return out

    def _piece(self, x: npt.NDArray[np.generic]) -> FloatArray:
        n, size, d = len(x), _BLOCK, self._d
        groups, rest = divmod(n, size)
        result = np.empty(n)
        state = self.state
        if groups:
            rows = np.empty((groups, size + d))  # a block's input, then the state before it
            rows[:, :size] = x[: groups * size].reshape(groups, size)
            ends = self._blocks.solve(rows[:, :size] @ self._ends, state)
            rows[0, size:] = state
            rows[1:, size:] = ends[:-1]
            np.matmul(rows, self._forward, out=result[: groups * size].reshape(groups, size))
            state = ends[-1]
        if rest:
            tail = np.asarray(x[groups * size :], dtype=np.float64)
            result[groups * size :] = (
                tail @ self._toeplitz[:rest, :rest] + state @ self._free[:, :rest]
            )
            state = self._pw[rest] @ state + tail @ self._pb[rest - 1 :: -1]
        self.state = np.array(state, dtype=np.float64)
        return result


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
    The filter runs in float64; ``dtype`` is the precision the weighted signal is
    squared in: float32 for mastering, float64 for :func:`measure_loudness`.
    """

    def __init__(self, sample_rate: int, dtype: type[np.floating] = np.float32) -> None:
        self.sample_rate = sample_rate
        self._dtype = dtype
        self._filter = SosFilter(k_weighting(sample_rate, np.float64))
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
        weighted = self._filter(chunk).astype(self._dtype, copy=False)
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
