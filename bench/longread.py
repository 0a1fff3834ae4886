"""Memory of a 60-minute long-read: peak RSS while rendering it with espeak-ng.

Writes a German text of about ``--minutes`` minutes of speech (distinct sentences, so the
utterance cache cannot shortcut anything), then renders it through
:func:`vorlesen.render_article` in a child process (espeak-ng, offline, a fresh cache, the
default worker pool). While the child runs, this process samples the resident memory of
the child and every process below it (the forkserver and the synthesis workers) from
``/proc`` every 50 ms and prints the peak of the sum (PSS: shared pages counted once;
the RSS sum, which counts them once per process, is printed beside it). It also prints
``ru_maxrss`` of the render process (exact, not sampled). Target: the whole render stays
under 500 MB. A benchmark prints figures; it asserts nothing.

    .venv/bin/python bench/longread.py [--minutes 60] [--jobs 0] [--format mp3[,opus]]

With ``--json PATH`` it also writes the figures as one JSON object (``make robustness``
reads it for the summary table).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SENTENCES = (
    "Der Stadtrat hat am Dienstag über den Haushalt für das Jahr {n} beraten.",
    "Die Verwaltung rechnet mit Einnahmen von {n},5 Millionen Euro.",
    "Mehrere Fraktionen kritisierten die geplanten Kürzungen bei den Schwimmbädern.",
    "Der Bürgermeister verteidigte den Entwurf als notwendig und ausgewogen.",
    "Eine endgültige Entscheidung soll in der Sitzung am {d}. März fallen.",
    "Nach Angaben der Polizei wurden bei dem Unfall auf der B {d} zwei Menschen verletzt.",
    "Die Bahn kündigte an, die Strecke bis zum Herbst für {d} Millionen Euro zu sanieren.",
    "Im vergangenen Jahr besuchten rund {n} Menschen das Stadtmuseum.",
)
SECONDS_PER_SENTENCE = 4.6
"""espeak-ng's German voice at default speed, pauses included (measured: calibrates
``--minutes``; the printed audio duration is what was really rendered)."""

CHILD = """
import sys, resource
from pathlib import Path
from vorlesen.audio.encode import AudioTags
from vorlesen.config import get_settings
from vorlesen.pipeline import RenderOptions, make_article_script, render_article, render_audio
from vorlesen.synth.select import choose_engine

if __name__ == "__main__":
    src, out, fmts, jobs = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    if "," not in fmts:
        options = RenderOptions(format=fmts, engine="espeak", jobs=jobs)
        duration = render_article(src, out, options=options).duration
    else:  # what the service does: one render into several formats at once
        settings = get_settings()
        spec, _ = choose_engine("espeak", None, speed=1.0, settings=settings)
        script = make_article_script(src, voice=spec.voice, settings=settings)
        tags = AudioTags("Longread", None, None, "de", spec.engine, spec.voice, None)
        outputs = {fmt: out.with_suffix("." + fmt) for fmt in fmts.split(",")}
        duration = render_audio(script, spec, outputs, tags=tags, jobs=jobs or settings.jobs,
                                cache=None, settings=settings).duration
    self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"RESULT {duration:.1f} {self_peak}", flush=True)
"""


def make_text(minutes: float) -> str:
    """A headline and paragraphs of distinct sentences, about ``minutes`` long spoken."""
    count = max(1, round(minutes * 60 / SECONDS_PER_SENTENCE))
    sentences = [
        SENTENCES[i % len(SENTENCES)].format(n=1000 + i, d=1 + i % 28) for i in range(count)
    ]
    paragraphs = [" ".join(sentences[i : i + 6]) for i in range(0, count, 6)]
    return "Langer Bericht zum Haushalt der Stadt\n\n" + "\n\n".join(paragraphs) + "\n"


def _tree(root: int) -> list[int]:
    """``root`` and all its descendants, from ``/proc/*/stat``."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += parents.get(pid, [])
    return out


def _memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB; PSS splits pages shared between processes
    (the forkserver's workers share their imported libraries), so a sum of PSS is what
    the process tree really occupies, while a sum of RSS counts shared pages repeatedly."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--jobs", type=int, default=0, help="synthesis workers (0: per core)")
    parser.add_argument(
        "--format",
        default="mp3",
        help="mp3, opus or wav; several comma-separated (mp3,opus: as the service renders)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--report",
        type=Path,
        help="append a summary row (tests/robustness/summary.py format) to this file",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vorlesen-longread-") as tmp:
        work = Path(tmp)
        source = work / "longread.txt"
        source.write_text(make_text(args.minutes), encoding="utf-8")
        formats = args.format.split(",")
        if not formats or any(f not in ("mp3", "opus", "wav") for f in formats):
            raise SystemExit(f"unknown format in {args.format!r}")
        out = work / f"longread.{formats[0]}"
        env = dict(os.environ, VORLESEN_CACHE_DIR=str(work / "cache"), VORLESEN_OFFLINE="1")
        cmd = [sys.executable, "-c", CHILD, str(source), str(out), args.format, str(args.jobs)]
        started = time.monotonic()
        child = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
        peak_kb, peak_pss_kb, peak_procs = 0, 0, 0
        while child.poll() is None:
            pids = _tree(child.pid)
            sizes = [_memory_kb(p) for p in pids]
            rss, pss = sum(r for r, _ in sizes), sum(p for _, p in sizes)
            if pss > peak_pss_kb:
                peak_pss_kb, peak_procs = pss, len(pids)
            peak_kb = max(peak_kb, rss)
            time.sleep(0.05)
        wall = time.monotonic() - started
        stdout = child.stdout.read() if child.stdout else ""
        if child.returncode != 0:
            raise SystemExit(f"the render failed (exit {child.returncode})")
        result = next(line for line in stdout.splitlines() if line.startswith("RESULT"))
        _tag, duration, self_kb = result.split()
        size = sum(out.with_suffix("." + f).stat().st_size for f in formats)
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    figures = {
        "audio_minutes": round(float(duration) / 60, 1),
        "wall_s": round(wall, 1),
        "peak_pss_tree_mb": round(peak_pss_kb / 1024, 1),
        "peak_rss_tree_mb": round(peak_kb / 1024, 1),
        "peak_rss_tree_processes": peak_procs,
        "peak_rss_render_process_mb": round(int(self_kb) / 1024, 1),
        "peak_rss_largest_child_mb": round(children_kb / 1024, 1),
        "output_mb": round(size / 1e6, 1),
        "target_mb": 500,
    }
    print(
        f"long-read: {figures['audio_minutes']} min of audio ({args.format}, "
        f"{figures['output_mb']} MB) rendered in {figures['wall_s']} s"
    )
    print(
        f"peak memory, render process + {peak_procs - 1} helpers (sampled every 50 ms): "
        f"{figures['peak_pss_tree_mb']} MB PSS (target < 500 MB); "
        f"sum of RSS {figures['peak_rss_tree_mb']} MB counts shared pages once per process"
    )
    print(
        f"peak RSS of the render process alone (ru_maxrss): "
        f"{figures['peak_rss_render_process_mb']} MB"
    )
    if args.json:
        args.json.write_text(json.dumps(figures) + "\n", encoding="utf-8")
    if args.report:
        under = figures["peak_pss_tree_mb"] < figures["target_mb"]
        row = {
            "group": "load",
            "item": f"{figures['audio_minutes']:.0f}-minute long-read, memory",
            "tried": 1,
            "refused": 0,
            "survived": int(under),
            "lost": 0,
            "note": (
                f"peak {figures['peak_pss_tree_mb']:.0f} MB PSS for {peak_procs} processes "
                f"(target < 500 MB), render process {figures['peak_rss_render_process_mb']:.0f}"
                f" MB, rendered in {figures['wall_s']:.0f} s"
            ),
        }
        with args.report.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
