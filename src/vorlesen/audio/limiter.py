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

__all__ = ["limited_chunks"]

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
    multiple of :data:`~vorlesen.audio.peaks.BLOCK`); ``peaks`` maps ``source``.

    The limiter's gain at sample ``n`` depends on the required gain in
    ``[n − hold − attack, n + attack]`` only, so each chunk computes the curve over itself
    plus that reach (rounded up to blocks) on each side and keeps its own part. Exact
    envelopes are computed only for blocks whose bound, gained, crosses the ceiling.
    """
    attack = max(1, round(_ATTACK * sample_rate))
    hold = max(0, round(_HOLD * sample_rate))
    n = len(source)
    reach = -(-(hold + attack + 1) // BLOCK) + 1
    over = gain * peaks.bound > ceiling
    per_chunk = chunk // BLOCK
    for first in range(0, peaks.blocks, per_chunk):
        last = min(peaks.blocks, first + per_chunk)
        lo, hi = first * BLOCK, min(n, last * BLOCK)
        out = source.read(lo, hi)
        out *= np.float32(gain)
        w_first, w_last = max(0, first - reach), min(peaks.blocks, last + reach)
        candidates = np.flatnonzero(over[w_first:w_last]) + w_first
        if len(candidates):
            hits = candidates[gain * peaks.maxima(candidates) > ceiling]
            if len(hits):
                need = np.ones((w_last - w_first) * BLOCK, dtype=np.float32)
                envelope = exact_envelope(source, hits)
                np.maximum(envelope, np.float32(1e-12), out=envelope)
                required = np.minimum(np.float32(1.0), np.float32(ceiling / gain) / envelope)
                need.reshape(-1, BLOCK)[hits - w_first] = required
                w_lo = w_first * BLOCK
                need[max(0, n - w_lo) :] = 1.0  # past the end of the signal
                curve = _gain_curve(need, attack, hold)
                out *= curve[lo - w_lo : hi - w_lo]
        yield out


def _gain_curve(required: npt.NDArray[np.float32], attack: int, hold: int) -> AudioArray:
    """``held[n] = min(required[n − hold … n + attack − 1])`` (ones outside), then
    ``gain[n] = mean(held[n − attack + 1 … n])``, with ``held[0]`` before the start so a
    peak right at the start is caught too."""
    from scipy.ndimage import minimum_filter1d

    size = hold + attack
    ones = np.ones(max(hold, attack), dtype=np.float32)
    padded = np.concatenate([ones[:hold], required, ones[:attack]])
    windowed = minimum_filter1d(padded, size=size, mode="constant", cval=1.0)
    held = windowed[size // 2 : size // 2 + len(required)]
    lead_in = np.full(attack - 1, held[0] if len(held) else 1.0)
    csum = np.concatenate([[0.0], np.cumsum(np.concatenate([lead_in, held]), dtype=np.float64)])
    curve: AudioArray = ((csum[attack:] - csum[:-attack]) / attack).astype(np.float32)
    return curve[: len(required)]
