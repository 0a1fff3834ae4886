"""Real test signals for the audio stage: band-limited noise bursts with known edges.

No engine is involved: a burst of 300–3400 Hz noise behaves like speech for loudness,
peak and silence detection, and its start/end are known to the sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyloudnorm
import pytest
from scipy.signal import butter, resample_poly, sosfilt

from vorlesen.models import Segment, Utterance

SR = 22050


@dataclass(frozen=True)
class Burst:
    """A segment whose speech part is ``[lead, lead + length)`` seconds."""

    segment: Segment
    lead: float
    length: float


def noise_burst(
    length: float,
    *,
    lead: float = 0.0,
    trail: float = 0.0,
    amp: float = 0.5,
    sr: int = SR,
    seed: int = 0,
) -> npt.NDArray[np.float32]:
    """Band-limited noise, peak ``amp``, between ``lead`` and ``trail`` seconds of silence."""
    rng = np.random.default_rng(seed)
    n = round(length * sr)
    sos = butter(4, [300, 3400], btype="bandpass", fs=sr, output="sos")
    x = sosfilt(sos, rng.standard_normal(n + 4096))[4096:]  # skip the filter's onset
    x = x / np.max(np.abs(x)) * amp
    return np.concatenate([np.zeros(round(lead * sr)), x, np.zeros(round(trail * sr))]).astype(
        np.float32
    )


def plosive_burst(length: float, *, sr: int = SR) -> npt.NDArray[np.float32]:
    """Speech-like noise with a full-scale 'plosive' click every 250 ms.

    The clicks make the crest factor (true peak over loudness) ~20 dB, above speech's,
    so bringing it to −16 LUFS pushes peaks several dB over −1 dBTP; a static gain cut
    would then miss the loudness target by as much. Only a limiter satisfies both.
    """
    x = noise_burst(length, amp=0.12, sr=sr, seed=3).astype(np.float64)
    click = noise_burst(0.003, amp=1.0, sr=sr, seed=4).astype(np.float64)
    for begin in range(round(0.1 * sr), len(x) - len(click), round(0.25 * sr)):
        x[begin : begin + len(click)] = click
    return x.astype(np.float32)


def utterance(
    index: int, *, pause: float = 0.3, block: int = 0, kind: str = "paragraph"
) -> Utterance:
    written = f"Satz {index + 1} mit 3 Wörtern."
    return Utterance(
        index=index,
        block=block,
        kind=kind,  # type: ignore[arg-type]
        written=written,
        spoken=f"Satz {index + 1} mit drei Wörtern.",
        start=index * 40,
        end=index * 40 + len(written),
        pause_after=pause,
    )


def loudness(audio: npt.NDArray[np.floating], sr: int) -> float:
    """Integrated loudness measured independently of the code under test."""
    return float(pyloudnorm.Meter(sr).integrated_loudness(np.asarray(audio, dtype=np.float64)))


def true_peak(audio: npt.NDArray[np.floating]) -> float:
    """dBTP by 4× oversampling (the whole signal at once; test signals are short)."""
    up = resample_poly(np.asarray(audio, dtype=np.float64), 4, 1)
    return 20 * math.log10(float(np.max(np.abs(up))))


class Kit:
    """The signal helpers, handed to tests as the ``kit`` fixture (importlib import mode
    does not let test modules import ``conftest``)."""

    SR = SR
    Burst = Burst
    noise_burst = staticmethod(noise_burst)
    plosive_burst = staticmethod(plosive_burst)
    utterance = staticmethod(utterance)
    loudness = staticmethod(loudness)
    true_peak = staticmethod(true_peak)


@pytest.fixture
def kit() -> type[Kit]:
    """Signal generators and independent meters."""
    return Kit


@pytest.fixture
def bursts() -> list[Burst]:
    """Four segments with different engine-made lead/trail silences and lengths."""
    specs = [(0.20, 1.00, 0.30), (0.01, 0.60, 0.50), (0.35, 1.40, 0.02), (0.00, 0.80, 0.00)]
    return [
        Burst(Segment(i, noise_burst(length, lead=lead, trail=trail, seed=i), SR), lead, length)
        for i, (lead, length, trail) in enumerate(specs)
    ]
