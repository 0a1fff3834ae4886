"""Throughput of the German normalizer on one core, in KB of article text per second.

The corpus is built from the golden test cases (dev set + our extra cases), joined into
paragraphs the way an article reads. Prints figures; asserts nothing. If
``nemo_text_processing`` is importable, its accuracy and speed on the dev set are printed
alongside (optional).

    .venv/bin/python bench/normalize.py [--repeat N]
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from vorlesen.speak.de import GermanNormalizer

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
_PUNCT = re.compile(r"[.,;:!?\"'„“”‚‘’«»()\[\]{}…]")
_DASHES = re.compile(r"[-‐‑‒–—/]")


def canon(text: str) -> str:
    text = _DASHES.sub(" ", text.lower())
    text = _PUNCT.sub(" ", text)
    return " ".join(text.split())


def cases(path: Path) -> list[tuple[str, list[str]]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            _, _, written, spoken = line.split("\t")
            out.append((written, [s.strip() for s in spoken.split("||")]))
    return out


def corpus() -> list[str]:
    """Paragraphs of about eight sentences each, from all test cases."""
    sentences = [w for w, _ in cases(FIXTURES / "tn_de_dev.tsv")]
    sentences += [w for w, _ in cases(FIXTURES / "tn_de_extra.tsv")]
    return [" ".join(sentences[i : i + 8]) for i in range(0, len(sentences), 8)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="passes over the corpus")
    args = parser.parse_args()

    t0 = time.perf_counter()
    normalizer = GermanNormalizer()
    load_s = time.perf_counter() - t0
    paragraphs = corpus()
    size_kb = sum(len(p.encode("utf-8")) for p in paragraphs) / 1024
    for p in paragraphs:  # warm caches once, as a long-running worker would be
        normalizer.normalize(p)
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        for p in paragraphs:
            normalizer.normalize(p)
    wall = time.perf_counter() - t0
    print(f"tables loaded in {load_s * 1000:.1f} ms")
    print(f"corpus: {len(paragraphs)} paragraphs, {size_kb:.1f} KB, {args.repeat} passes")
    print(f"vorlesen: {size_kb * args.repeat / wall:.0f} KB/s on one core")

    dev = cases(FIXTURES / "tn_de_dev.tsv")
    t0 = time.perf_counter()
    good = sum(canon(normalizer.normalize_text(w)) in {canon(a) for a in alts} for w, alts in dev)
    wall = time.perf_counter() - t0
    print(f"vorlesen dev accuracy: {100 * good / len(dev):.1f}% in {wall * 1000:.0f} ms")

    try:
        from nemo_text_processing.text_normalization.normalize import Normalizer
    except ImportError:
        print("nemo_text_processing: not installed (optional comparison skipped)")
        return
    nemo = Normalizer(input_case="cased", lang="de")
    t0 = time.perf_counter()
    good = sum(
        canon(nemo.normalize(w, punct_post_process=True)) in {canon(a) for a in alts}
        for w, alts in dev
    )
    wall = time.perf_counter() - t0
    print(f"nemo dev accuracy: {100 * good / len(dev):.1f}% in {wall * 1000:.0f} ms")


if __name__ == "__main__":
    main()
