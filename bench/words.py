"""Word timing accuracy: the engines' word starts against a forced alignment.

For every sentence, each spoken word is synthesized alone with the same voice (noise off);
the words' audio, joined, is aligned to the sentence's audio by dynamic time warping over
MFCCs (a template forced alignment that knows nothing of the engine's durations), and the
frame where each word's template begins gives its start in the sentence. The engine's own
word starts (Piper: the voice graph's alignment output; espeak-ng: its word events) are
compared with these, and the error printed as median and 95th percentile in ms.

espeak-ng's word events are its own synthesizer's bookkeeping, so its row shows how close
the forced alignment itself comes to exact times (the yardstick's own error); the joe row
is Piper's alignment output measured with that yardstick. A benchmark asserts nothing.

    .venv/bin/python bench/words.py
"""

from __future__ import annotations

import numpy as np
from render import SENTENCES, voice_path  # a sibling script: bench/ is on sys.path when run
from scipy.fft import dct

from vorlesen.audio.join import speech_bounds
from vorlesen.config import Settings
from vorlesen.synth.espeak import EspeakEngine
from vorlesen.synth.optimize import optimized_model
from vorlesen.synth.piper import PiperEngine
from vorlesen.words import spoken_words

GERMAN = [
    "Die Brücke ist vierhundertzwanzig Meter lang und hat fünfundachtzig Millionen Euro gekostet.",
    "Bürgermeisterin Anja Kowalczyk sprach von einem großen Tag für die Region.",
    "Täglich sollen rund zwanzigtausend Autos über die Brücke fahren.",
    "Die Bauarbeiten hatten sich um ein Jahr verzögert.",
    "Grund waren Probleme mit dem Untergrund am östlichen Ufer.",
    "Der Stadtrat stimmte am Dienstag mit großer Mehrheit für den neuen Radweg.",
    "Am ersten August beginnen die Arbeiten entlang der Mainzer Straße.",
    "Die Strecke soll im Frühjahr fertig sein, sagte die Verkehrsdezernentin.",
]

HOP_S = 0.010
WINDOW_S = 0.025
MELS = 40
CEPSTRA = 13


def _mel_filters(rate: int, n_fft: int) -> np.ndarray:
    def mel(f: np.ndarray) -> np.ndarray:
        return 2595 * np.log10(1 + f / 700)

    def hz(m: np.ndarray) -> np.ndarray:
        return 700 * (10 ** (m / 2595) - 1)

    edges = hz(np.linspace(mel(np.array(60.0)), mel(np.array(rate / 2 * 0.9)), MELS + 2))
    bins = np.fft.rfftfreq(n_fft, 1 / rate)
    filters = np.zeros((MELS, len(bins)))
    for k in range(MELS):
        lo, mid, hi = edges[k], edges[k + 1], edges[k + 2]
        rising = (bins - lo) / (mid - lo)
        falling = (hi - bins) / (hi - mid)
        filters[k] = np.clip(np.minimum(rising, falling), 0, None)
    return filters


def mfcc(audio: np.ndarray, rate: int) -> np.ndarray:
    """MFCCs per 10 ms frame, mean-normalized (frames × CEPSTRA)."""
    hop, win = round(HOP_S * rate), round(WINDOW_S * rate)
    n_fft = 1 << (win - 1).bit_length()
    padded = np.concatenate([audio, np.zeros(win, dtype=audio.dtype)])
    count = max(1, (len(audio)) // hop)
    frames = np.stack([padded[i * hop : i * hop + win] for i in range(count)])
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(win), n_fft)) ** 2
    logmel = np.log(spectrum @ _mel_filters(rate, n_fft).T + 1e-8)
    ceps = dct(logmel, type=2, axis=1, norm="ortho")[:, :CEPSTRA]
    return ceps - ceps.mean(axis=0)


def dtw_path(a: np.ndarray, b: np.ndarray) -> list[tuple[int, int]]:
    """The cheapest monotone alignment of frames ``a`` (sentence) and ``b`` (templates)."""
    cost = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
    n, m = cost.shape
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    for i in range(1, n + 1):
        row, prev = acc[i], acc[i - 1]
        c = cost[i - 1]
        for j in range(1, m + 1):
            row[j] = c[j - 1] + min(prev[j - 1], prev[j], row[j - 1])
    path = []
    i, j = n, m
    while i > 0 and j > 0:
        path.append((i - 1, j - 1))
        step = int(np.argmin([acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1]]))
        i, j = (i - 1, j - 1) if step == 0 else (i - 1, j) if step == 1 else (i, j - 1)
    return path[::-1]


def forced_starts(sentence: np.ndarray, templates: list[np.ndarray], rate: int) -> list[float]:
    """Word starts (s) in ``sentence`` from DTW against the words' own audio, joined."""
    lo, hi = speech_bounds(sentence, rate)
    feats = mfcc(sentence[lo:hi], rate)
    firsts, joined = [], []
    frames = 0
    for t in templates:
        a, b = speech_bounds(t, rate)
        piece = t[a:b] if b > a else t
        firsts.append(frames)
        joined.append(piece)
        frames += max(1, len(piece) // round(HOP_S * rate))
    ref = mfcc(np.concatenate(joined), rate)
    path = dtw_path(feats, ref)
    starts = []
    for first in firsts:
        i = next((i for i, j in path if j >= first), path[-1][0])
        starts.append(lo / rate + i * HOP_S)
    return starts


def errors(engine: PiperEngine | EspeakEngine, sentences: list[str]) -> list[float]:
    """|engine start − forced-alignment start| in ms for every word but each first (the
    sentence's first word starts with the sound either way)."""
    out: list[float] = []
    for text in sentences:
        audio, times = engine.synthesize_timed(text)
        words = [text[a:b] for a, b in spoken_words(text)]
        templates = [engine.synthesize(w) for w in words]
        ref = forced_starts(audio, templates, engine.sample_rate)
        for got, want in zip(times[1:], ref[1:], strict=True):
            out.append(abs(got.start - want) * 1000)
    return out


def report(label: str, values: list[float]) -> None:
    print(
        f"{label:<36}: {len(values):3d} words  median {np.median(values):5.0f} ms  "
        f"p95 {np.percentile(values, 95):5.0f} ms"
    )


def main() -> None:
    model = voice_path()
    config = model.with_name(model.name + ".json")
    session = optimized_model(model, config, Settings())
    joe = PiperEngine(model, config, session_model=session, noise_scale=0.0, noise_w_scale=0.0)
    report("espeak-ng de, word events", errors(EspeakEngine("de"), GERMAN))
    report("espeak-ng en-us, word events", errors(EspeakEngine("en-us"), SENTENCES))
    report("Piper en_US-joe-medium, alignment", errors(joe, SENTENCES))


if __name__ == "__main__":
    main()
