"""The look-ahead peak limiter: ``gain · signal`` with its true peak held under a ceiling.

The gain each sample needs is ``min(1, ceiling / envelope)``, where the envelope is the
4× oversampled peak around it (:mod:`vorlesen.audio.peaks`). A sliding minimum of that
which looks ``attack`` (5 ms) ahead and holds ``hold`` (30 ms) back, followed by an
``attack``-long moving average, gives a smooth curve that ramps down *before* each peak
and never exceeds the needed gain at the peak. The curve differs from 1 only within
``hold + attack`` samples of a sample over the ceiling, so :func:`limited_chunks` reads
the signal chunk by chunk and computes the curve over each chunk plus that reach on
either side: the same curve as over the whole signal, with temporaries the size of a
chunk.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from vorlesen.audio.peaks import BLOCK, PeakMap, SampleSource, exact_envelope
from vorlesen.models import AudioArray

__all__ = ["limited_blocks", "limited_chunks", "reach_blocks"]

_ATTACK = 0.005
"""Look-ahead / attack of the limiter, seconds: short enough to catch a plosive cleanly."""
_HOLD = 0.030
"""How long gain reduction is held after a peak, so the release does not flutter."""


def limited_chunks(
    source: SampleSource,
    peaks: PeakMap,
    gain: float,
    ceiling: float,
    sample_rate: int,
    chunk: int,
) -> Iterator[AudioArray]:
    """``gain · source`` through the limiter, in fresh chunks of ``chunk`` samples (a
    multiple of :data:`~vorlesen.audio.peaks.BLOCK`); ``peaks`` maps ``source``."""
    per_chunk = chunk // BLOCK
    for first in range(0, peaks.blocks, per_chunk):
        yield limited_blocks(
            source, peaks, gain, ceiling, sample_rate, first, min(peaks.blocks, first + per_chunk)
        )


def reach_blocks(sample_rate: int) -> int:
    """How many blocks past a stretch the limiter looks (either side) to limit it: the
    samples a stretch needs beyond its end are ``(reach_blocks + 1) · BLOCK`` (one more
    block for the envelope's and the peak bound's context)."""
    attack = max(1, round(_ATTACK * sample_rate))
    hold = max(0, round(_HOLD * sample_rate))
    return -(-(hold + attack + 1) // BLOCK) + 1


def limited_blocks(
    source: SampleSource,
    peaks: PeakMap,
    gain: float,
    ceiling: float,
    sample_rate: int,
    first: int,
    last: int,
) -> AudioArray:
    """``gain · source`` through the limiter over blocks ``[first, last)``, as a fresh
    array; ``peaks`` maps ``source`` at least :func:`reach_blocks` + 1 blocks past ``last``
    (or to its end), so a programme still being written can be limited as it grows.

    The limiter's gain at sample ``n`` depends on the required gain in
    ``[n − hold − attack, n + attack]`` only, so the curve is computed around each group
    of blocks over the ceiling, that reach (rounded up to blocks) on either side: the same
    curve as over the whole signal, with small temporaries. Exact envelopes are computed
    only for blocks whose bound, gained, crosses the ceiling.
    """
    attack = max(1, round(_ATTACK * sample_rate))
    hold = max(0, round(_HOLD * sample_rate))
    n = len(source)
    reach = reach_blocks(sample_rate)
    lo, hi = first * BLOCK, min(n, last * BLOCK)
    out = source.read(lo, hi)
    out *= np.float32(gain)
    w_first, w_last = max(0, first - reach), min(peaks.blocks, last + reach)
    candidates = np.flatnonzero(gain * peaks.bound[w_first:w_last] > ceiling) + w_first
    if len(candidates) == 0:
        return out
    hits = candidates[gain * peaks.maxima(candidates) > ceiling]
    if len(hits) == 0:
        return out
    envelope = exact_envelope(source, hits)
    np.maximum(envelope, np.float32(1e-12), out=envelope)
    required = np.minimum(np.float32(1.0), np.float32(ceiling / gain) / envelope)
    # A hit moves the curve within hold + attack samples (under ``reach`` blocks) only,
    # so hits further apart than that are limited each over its own short stretch.
    breaks = np.flatnonzero(np.diff(hits) > 2 * reach) + 1
    for group, need_group in zip(np.split(hits, breaks), np.split(required, breaks), strict=True):
        s_first = max(w_first, int(group[0]) - reach)
        s_last = min(w_last, int(group[-1]) + reach + 1)
        s_lo = s_first * BLOCK
        a, b = max(lo, s_lo), min(hi, s_last * BLOCK)
        if a >= b:
            continue  # the stretch this group moves lies outside these blocks
        need = np.ones((s_last - s_first) * BLOCK, dtype=np.float32)
        need.reshape(-1, BLOCK)[group - s_first] = need_group
        need[max(0, n - s_lo) :] = 1.0  # past the end of the signal
        curve = _gain_curve(need, attack, hold)
        out[a - lo : b - lo] *= curve[a - s_lo : b - s_lo]
    return out


def _gain_curve(required: npt.NDArray[np.float32], attack: int, hold: int) -> AudioArray:
    """``held[n] = min(required[n − hold … n + attack − 1])`` (ones outside), then
    ``gain[n] = mean(held[n − attack + 1 … n])``, with ``held[0]`` before the start so a
    peak right at the start is caught too."""
    size = hold + attack
    ones = np.ones(max(hold, attack), dtype=np.float32)
    padded = np.concatenate([ones[:hold], required, ones[:attack]])
    held = _window_minima(padded, size, len(required))
    lead_in = np.full(attack - 1, held[0] if len(held) else 1.0)
    csum = np.concatenate([[0.0], np.cumsum(np.concatenate([lead_in, held]), dtype=np.float64)])
    curve: AudioArray = ((csum[attack:] - csum[:-attack]) / attack).astype(np.float32)
    return curve[: len(required)]


def _window_minima(values: npt.NDArray[np.float32], size: int, count: int) -> AudioArray:
    """``min(values[k : k + size])`` for ``k < count`` (``count + size − 1 ≤ len(values)``),
    van Herk/Gil-Werman: running minima forward and backward within blocks of ``size``
    give any window's minimum from two lookups — a few passes whatever ``size`` is."""
    blocks = -(-len(values) // size)
    padded = np.full(blocks * size, np.inf, dtype=np.float32)
    padded[: len(values)] = values
    grid = padded.reshape(blocks, size)
    forward = np.minimum.accumulate(grid, axis=1).reshape(-1)
    backward = np.minimum.accumulate(grid[:, ::-1], axis=1)[:, ::-1].reshape(-1)
    minima: AudioArray = np.minimum(backward[:count], forward[size - 1 : size - 1 + count])
    return minima
