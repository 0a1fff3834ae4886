"""Mastering speed and memory: seconds per audio minute and peak RSS growth of ``master()``
(the one mastering path, ``streaming_master``, with its output collected into an array).

Builds synthetic speech-like programmes (3, 15 and 60 minutes at 22,050 Hz mono float32)
and masters each in a fresh child process, so one size's memory does not colour the next.
A programme is a sequence of "sentences" of 2–7 s: syllables (4–6 per second) of a
glottal-pulse carrier with a varying pitch, band-passed like a vocal tract, some unvoiced
(high-passed noise), a few hard plosive onsets, each sentence wrapped in engine-like lead
and trail silence and followed by a structural pause. That gives the crest factor and the
pause structure of read speech, which is what the mastering stage's cost depends on.

Printed per size: wall seconds of ``master()`` (best of ``--repeat``), seconds per audio
minute, peak RSS growth during ``master()`` in MiB and as a multiple of the float32
programme size, and the loudness and true peak reached. Targets (2-core machine):
≤ 0.12 s per audio minute and ≤ ~3× the programme size.
A benchmark prints figures; it asserts nothing.

    .venv/bin/python bench/master.py [--minutes 3 15 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.signal import butter, sosfilt

from vorlesen.audio.master import master
from vorlesen.models import Segment, Utterance

RATE = 22050


def sentence(rng: np.random.Generator, seconds: float) -> npt.NDArray[np.float32]:
    """One sentence of speech-like sound, peak around −3 dBFS like a neural voice."""
    n = round(seconds * RATE)
    t = np.arange(n, dtype=np.float64) / RATE
    # Pitch glides between 90 and 170 Hz; a pulse at every wrap of the phase.
    f0 = 130.0 + 40.0 * np.sin(2 * np.pi * rng.uniform(0.2, 0.6) * t + rng.uniform(0, 6.3))
    phase = np.cumsum(f0 / RATE)
    pulses = np.diff(np.floor(phase), prepend=0.0).astype(np.float32)
    tract = butter(2, [250, 3400], btype="bandpass", fs=RATE, output="sos")
    voiced = sosfilt(tract, pulses).astype(np.float32)
    voiced /= float(np.max(np.abs(voiced))) or 1.0
    hiss = butter(2, 2500, btype="highpass", fs=RATE, output="sos")
    unvoiced = sosfilt(hiss, rng.standard_normal(n).astype(np.float32)).astype(np.float32)
    unvoiced *= 0.15 / (float(np.max(np.abs(unvoiced))) or 1.0)

    envelope = np.zeros(n, dtype=np.float32)
    voicing = np.zeros(n, dtype=np.float32)
    pos = 0
    while pos < n:
        length = round(rng.uniform(0.12, 0.28) * RATE)
        end = min(n, pos + length)
        shape = np.hanning(end - pos).astype(np.float32) ** 0.5
        envelope[pos:end] = shape * rng.uniform(0.25, 1.0)
        voicing[pos:end] = 1.0 if rng.random() < 0.8 else 0.0
        if rng.random() < 0.08:  # a plosive onset: short, hard, full of high frequencies
            burst = min(end - pos, round(0.004 * RATE))
            envelope[pos : pos + burst] = 1.0
            voicing[pos : pos + burst] = 0.3
        pos = end + (round(rng.uniform(0.0, 0.12) * RATE) if rng.random() < 0.3 else 0)
    audio = envelope * (voicing * voiced + (1.0 - voicing) * unvoiced * 4.0)
    audio *= 0.7 / (float(np.max(np.abs(audio))) or 1.0)
    out: npt.NDArray[np.float32] = audio.astype(np.float32)
    return out


def programme(minutes: float, seed: int = 0) -> tuple[list[Segment], list[Utterance]]:
    """Segments and utterances adding up to about ``minutes`` of read speech."""
    rng = np.random.default_rng(seed)
    segments: list[Segment] = []
    utterances: list[Utterance] = []
    total = 0.0
    index = 0
    while total < minutes * 60.0:
        seconds = rng.uniform(2.0, 7.0)
        lead, trail = rng.uniform(0.0, 0.3), rng.uniform(0.0, 0.3)
        audio = np.concatenate(
            [
                np.zeros(round(lead * RATE), np.float32),
                sentence(rng, seconds),
                np.zeros(round(trail * RATE), np.float32),
            ]
        )
        pause = 0.8 if index % 5 == 4 else 0.3
        segments.append(Segment(index, audio, RATE))
        text = f"Satz {index}."
        utterances.append(
            Utterance(index, index // 5, "paragraph", text, text, 0, len(text), pause)
        )
        total += seconds + 0.1 + pause
        index += 1
    return segments, utterances


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def child(minutes: float, repeat: int) -> dict[str, float]:
    """Master one programme of ``minutes``; runs in its own process."""
    segments, utterances = programme(minutes)
    size = sum(s.audio.nbytes for s in segments)
    best = float("inf")
    growth = 0
    result = None
    for _ in range(repeat):
        result = None
        gc.collect()
        before = _rss_kib("VmRSS")
        # Writing 5 to clear_refs resets the peak-RSS mark (VmHWM) to the current RSS.
        Path("/proc/self/clear_refs").write_text("5")
        t0 = time.perf_counter()
        result = master(segments, utterances)
        best = min(best, time.perf_counter() - t0)
        growth = max(growth, (_rss_kib("VmHWM") - before) * 1024)
    assert result is not None
    return {
        "minutes": result.duration / 60.0,
        "seconds": best,
        "growth": growth,
        "size": size,
        "lufs": result.loudness_lufs,
        "dbtp": result.true_peak_db,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[3.0, 15.0, 60.0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.repeat)))
        return
    print(f"{'audio':>9} {'master()':>9} {'s/min':>7} {'peak RSS +':>11} {'× prog.':>8}  result")
    for minutes in args.minutes:
        repeat = args.repeat if minutes <= 15 else 1
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(minutes), "--repeat", str(repeat)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"{r['minutes']:7.1f} m {r['seconds']:8.3f}s {r['seconds'] / r['minutes']:7.3f}"
            f" {r['growth'] / 2**20:8.0f} MiB {r['growth'] / r['size']:7.1f}×"
            f"  {r['lufs']:.2f} LUFS, {r['dbtp']:.2f} dBTP"
        )


if __name__ == "__main__":
    main()
