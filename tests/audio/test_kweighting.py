"""The numpy K-weighting filter, oversampling taps and filters equal scipy's; a render
never imports scipy (≈1 s of CPU), nor PyAV unless it writes Opus."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from scipy.ndimage import convolve1d, minimum_filter1d
from scipy.signal import firwin, resample_poly, sosfilt

from vorlesen.audio.limiter import _window_minima
from vorlesen.audio.loudness import SosFilter, k_weighting
from vorlesen.audio.peaks import _convolve_rows, _oversampling_phases, interpolator_taps

RATES = [22050, 24000, 44100, 48000]


def signals(kit: Any, sr: int) -> dict[str, npt.NDArray[np.float64]]:
    rng = np.random.default_rng(sr)
    speech = kit.noise_burst(3.0, lead=0.3, trail=0.4, amp=0.4, sr=sr, seed=5)
    return {
        "noise": rng.standard_normal(2 * sr + 7),
        "speech": np.asarray(speech, dtype=np.float64),
        "offset": 0.3 + 0.01 * rng.standard_normal(sr + 3),  # DC: the high-pass's slow tail
    }


def relative_error(got: npt.NDArray[np.float64], want: npt.NDArray[np.float64]) -> float:
    return float(np.max(np.abs(got - want)) / np.max(np.abs(want)))


@pytest.mark.parametrize("sr", RATES)
def test_filter_equals_sosfilt_whole_and_in_pieces(kit: Any, sr: int) -> None:
    sos = k_weighting(sr, np.float64)
    rng = np.random.default_rng(7)
    for name, x in signals(kit, sr).items():
        want, zf = sosfilt(sos, x, zi=np.zeros((2, 2)))
        whole = SosFilter(sos)
        assert relative_error(whole(x), want) < 1e-9, name
        assert np.max(np.abs(whole.state - zf.reshape(-1))) < 1e-9 * np.max(np.abs(want))
        pieces = SosFilter(sos)
        out, at = [], 0
        while at < len(x):
            # single samples, ragged tails of a block, and pieces longer than the filter's
            step = int(rng.choice([1, 2, 15, 17, int(rng.integers(1, 20000))]))
            out.append(pieces(x[at : at + step]))
            at += step
        assert relative_error(np.concatenate(out), want) < 1e-9, name


def test_filter_takes_float32_and_any_length() -> None:
    sos = k_weighting(22050, np.float64)
    x = np.random.default_rng(2).standard_normal(40_003).astype(np.float32)
    f = SosFilter(sos)
    assert f(x[:0]).shape == (0,) and not np.any(f.state)
    got = f(x)
    assert got.dtype == np.float64
    assert relative_error(got, sosfilt(sos, x.astype(np.float64))) < 1e-9


def test_filter_of_any_sections_equals_sosfilt() -> None:
    from scipy.signal import butter

    sos = butter(6, [200, 3000], btype="bandpass", fs=16000, output="sos")
    x = np.random.default_rng(3).standard_normal(50_001)
    f = SosFilter(sos)
    got = np.concatenate([f(x[:1]), f(x[1:31]), f(x[31:])])
    assert relative_error(got, sosfilt(sos, x)) < 1e-9


def test_interpolator_taps_equal_scipys() -> None:
    taps = interpolator_taps()
    assert np.max(np.abs(taps - 4 * firwin(81, 0.25, window=("kaiser", 5.0)))) < 1e-15
    impulse = np.zeros(40)
    impulse[20] = 1.0
    response = resample_poly(impulse, 4, 1)
    kernels, centre, _, _ = _oversampling_phases()
    assert centre == pytest.approx(response[80], abs=1e-15)
    for p in range(1, 4):
        want = [response[4 * (20 + d) + p] for d in range(-10, 11)]
        assert np.max(np.abs(kernels[p - 1] - np.float32(want))) == 0.0


@pytest.mark.parametrize("rows", [1, 7, 300])
def test_row_convolution_equals_scipys(rows: int) -> None:
    kernels, _, _, _ = _oversampling_phases()
    x = np.random.default_rng(rows).standard_normal((rows, 256 + 22)).astype(np.float32)
    for kernel in kernels:
        want = convolve1d(x, kernel, axis=1, mode="constant")[:, 11:-11]
        got = _convolve_rows(x, kernel, 11)
        assert got.shape == want.shape
        assert np.max(np.abs(got - want)) < 1e-5  # float32 sums of 21 terms


@pytest.mark.parametrize(("count", "size"), [(1, 1), (1000, 7), (2560, 300), (299, 300)])
def test_window_minima_equal_scipys_minimum_filter(count: int, size: int) -> None:
    values = np.random.default_rng(count).random(count + size - 1).astype(np.float32)
    values[count // 2] = -1.0  # one deep dip: every window that holds it must show it
    want = minimum_filter1d(values, size=size, origin=-(size // 2))  # window [k, k + size)
    got = _window_minima(values, size, count)
    assert np.array_equal(got, want[:count])


def test_a_render_does_not_import_scipy(tmp_path: Path) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from vorlesen.audio.encode import AudioTags
        from vorlesen.config import Settings
        from vorlesen.models import Document
        from vorlesen.pipeline import render_audio
        from vorlesen.speak.script import make_script
        from vorlesen.synth.select import choose_engine

        tmp = Path({str(tmp_path)!r})
        settings = Settings(cache_dir=tmp / "cache", offline=True, engine="espeak", jobs=1)
        spec, _ = choose_engine("espeak", None, speed=1.0, settings=settings)
        text = "Der Stadtrat hat am Dienstag über den Haushalt beraten. " * 3
        doc = Document.build([("title", "Haushalt"), ("paragraph", text)])
        script = make_script(doc, voice=spec.voice)
        tags = AudioTags(
            title="Haushalt", site=None, date=None, language="de",
            engine=spec.engine, voice=spec.voice, url=None,
        )
        outputs = {{"mp3": tmp / "a.mp3", "wav": tmp / "a.wav"}}
        render_audio(script, spec, outputs, tags=tags, jobs=1, cache=None, settings=settings)
        assert (tmp / "a.mp3").stat().st_size > 0
        print("scipy" in sys.modules, "av" in sys.modules)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]  # nor PyAV, for MP3 and WAV
