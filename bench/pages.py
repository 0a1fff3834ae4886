"""Article extraction on real pages: ours beside trafilatura, scored by snippets.

Every page named in the snippets file is read the way ``vorlesen read --text-only`` reads it
(in this process: :func:`vorlesen.pipeline.make_article_script`, the written column of its
utterances joined by spaces) and by ``trafilatura.extract(html, favor_precision=True)``. A
page is clean when every must-have snippet (``with``) is in the text and no must-not-have
snippet (``without``) is. Snippets are compared case-insensitively, whitespace collapsed.

    python bench/pages.py tests/fixtures/pages/extra tests/fixtures/pages/extra/expectations.json

The snippets file maps a page's file name to ``{"with": [...], "without": [...]}``, so both
our fixtures' ``expectations.json`` and the dev set's ``snippets.json``
(``../shared/eval/real``) work. Other keys (``title``, ``source``, ``url`` …) are ignored,
except ``lead``: snippets of the standfirst (the lead paragraph under the headline), counted
on their own line and not part of "clean". Options: ``--show`` lists the snippets each side
missed or leaked under its page line, ``--quiet`` prints the totals only, ``--no-anchor``
skips trafilatura, ``--no-timing`` skips the timing.

It also times ``read --text-only`` on the largest page of the set (target: under 1 s for a
page of 200 KB or more): in this process, warm (best of three), and as a fresh ``vorlesen``
process, as a user runs it (best of two; the smallest page beside it shows the start-up).
A benchmark prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vorlesen.errors import VorlesenError
from vorlesen.pipeline import RenderOptions, make_article_script

_SPACE = re.compile(r"\s+")
_NAME = 34


def norm(text: str) -> str:
    """Lower-cased, whitespace collapsed: how snippets and texts are compared."""
    return _SPACE.sub(" ", text).strip().lower()


@dataclass(frozen=True)
class Case:
    name: str
    with_: tuple[str, ...]
    without: tuple[str, ...]
    lead: tuple[str, ...] = ()


@dataclass
class Score:
    found: int
    leaked: int
    missed_snippets: list[str]
    leaked_snippets: list[str]
    error: str = ""
    lead_found: int = 0
    missed_lead: list[str] = field(default_factory=list)

    def clean(self, case: Case) -> bool:
        return self.found == len(case.with_) and self.leaked == 0 and not self.error


@dataclass
class Totals:
    found: int = 0
    wanted: int = 0
    leaked: int = 0
    unwanted: int = 0
    clean: int = 0
    pages: int = 0
    lead_found: int = 0
    lead_wanted: int = 0
    seconds: float = 0.0
    dirty: list[str] = field(default_factory=list)

    def add(self, case: Case, score: Score, seconds: float) -> None:
        self.found += score.found
        self.wanted += len(case.with_)
        self.leaked += score.leaked
        self.unwanted += len(case.without)
        self.pages += 1
        self.seconds += seconds
        self.lead_found += score.lead_found
        self.lead_wanted += len(case.lead)
        if score.clean(case):
            self.clean += 1
        else:
            self.dirty.append(case.name)

    def line(self) -> str:
        def pct(a: int, b: int) -> str:
            return f"{100 * a / b:.1f} %" if b else "– %"

        lead = (
            f"; standfirst found {self.lead_found}/{self.lead_wanted}" if self.lead_wanted else ""
        )
        return (
            f"found {self.found}/{self.wanted} ({pct(self.found, self.wanted)}), "
            f"leaked {self.leaked}/{self.unwanted} ({pct(self.leaked, self.unwanted)}), "
            f"pages clean {self.clean}/{self.pages} ({pct(self.clean, self.pages)}){lead}; "
            f"{self.seconds:.1f} s"
        )


def load_cases(path: Path) -> list[Case]:
    raw: Any = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        sys.exit(f"{path}: expected an object mapping page names to snippets")
    cases = []
    for name, entry in sorted(raw.items()):
        if not isinstance(entry, dict) or "with" not in entry:
            continue
        cases.append(
            Case(
                name=name,
                with_=tuple(str(s) for s in entry.get("with", [])),
                without=tuple(str(s) for s in entry.get("without", [])),
                lead=tuple(str(s) for s in entry.get("lead", [])),
            )
        )
    return cases


def score(text: str, case: Case, error: str = "") -> Score:
    t = norm(text)
    missed = [s for s in case.with_ if norm(s) not in t]
    leaked = [s for s in case.without if norm(s) in t]
    missed_lead = [s for s in case.lead if norm(s) not in t]
    return Score(
        len(case.with_) - len(missed),
        len(leaked),
        missed,
        leaked,
        error,
        len(case.lead) - len(missed_lead),
        missed_lead,
    )


_OPTIONS = RenderOptions()


def ours(page: Path) -> tuple[str, str]:
    """What ``vorlesen read --text-only PAGE`` would read (the written column), and an error."""
    try:
        script = make_article_script(str(page), options=_OPTIONS)
    except VorlesenError as exc:
        return "", f"{type(exc).__name__}: {exc}"[:120]
    return " ".join(u.written for u in script.utterances), ""


def anchor(page: Path) -> tuple[str, str]:
    """trafilatura's text of the page, extracted with ``favor_precision=True``."""
    import trafilatura

    try:
        text = trafilatura.extract(page.read_bytes(), favor_precision=True)
    except Exception as exc:  # a benchmark reports a crash of the reference; it goes on
        return "", f"{type(exc).__name__}: {exc}"[:120]
    return text or "", ""


def describe(side: str, case: Case, s: Score) -> str:
    text = f"{side}: with {s.found}/{len(case.with_)} leaked {s.leaked}/{len(case.without)}"
    if s.error:
        return f"{text} {s.error}"
    return f"{text} clean" if s.clean(case) else text


def timed(fn: Any, page: Path) -> tuple[str, str, float]:
    started = time.perf_counter()
    text, error = fn(page)
    return text, error, time.perf_counter() - started


def fresh_run(page: Path) -> tuple[float, str]:
    """Wall time of ``vorlesen read --text-only PAGE`` in a new process, and an error."""
    exe = Path(sys.executable).with_name("vorlesen")
    cmd = [str(exe)] if exe.exists() else [shutil.which("vorlesen") or "vorlesen"]
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [*cmd, "read", "--text-only", str(page)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return time.perf_counter() - started, str(exc)
    error = "" if proc.returncode == 0 else f"exit {proc.returncode}"
    return time.perf_counter() - started, error


def time_largest(pages: list[Path]) -> None:
    """Time the largest page in process and as a fresh process (best of two each time);
    the smallest page's fresh process beside it shows how much of that is start-up."""
    if not pages:
        return
    page = max(pages, key=lambda p: p.stat().st_size)
    small = min(pages, key=lambda p: p.stat().st_size)
    size = page.stat().st_size / 1024
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        ours(page)
        runs.append(time.perf_counter() - started)
    note = "" if size >= 200 else " (no page of 200 KB or more in this set)"
    print(f"\ntiming: {page.name}, {size:.0f} KB{note}")
    print(f"  in process, warm: {min(runs):.3f} s (best of 3)")
    for label, target in (("largest", page), ("smallest", small)):
        results = [fresh_run(target) for _ in range(2)]
        wall = min(seconds for seconds, _ in results)
        error = next((e for _, e in results if e), "")
        kb = target.stat().st_size / 1024
        verdict = "under" if wall < 1 else "OVER"
        print(
            f"  vorlesen read --text-only {target.name} ({label}, {kb:.0f} KB), fresh process: "
            f"{wall:.3f} s, best of 2 ({verdict} 1 s{', ' + error if error else ''})"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("pages", type=Path, help="directory holding the pages")
    ap.add_argument("snippets", type=Path, help="expectations.json or snippets.json")
    ap.add_argument("--show", action="store_true", help="list missed and leaked snippets")
    ap.add_argument("--quiet", action="store_true", help="print the totals only")
    ap.add_argument("--no-anchor", action="store_true", help="skip trafilatura")
    ap.add_argument("--no-timing", action="store_true", help="skip timing the largest page")
    args = ap.parse_args()

    cases = load_cases(args.snippets)
    sides: dict[str, Any] = {"ours": ours}
    if not args.no_anchor:
        sides["trafilatura"] = anchor
    totals = {side: Totals() for side in sides}
    present: list[Path] = []
    for case in cases:
        page = args.pages / case.name
        if not page.is_file():
            print(f"{case.name[:_NAME].ljust(_NAME)}  missing page")
            continue
        present.append(page)
        row = [case.name[:_NAME].ljust(_NAME)]
        shown: list[str] = []
        for side, fn in sides.items():
            text, error, seconds = timed(fn, page)
            s = score(text, case, error)
            totals[side].add(case, s, seconds)
            row.append(describe(side, case, s).ljust(38))
            shown += [f"    {side} missed: {snip[:100]}" for snip in s.missed_snippets]
            shown += [f"    {side} leaked: {snip[:100]}" for snip in s.leaked_snippets]
            shown += [f"    {side} missed standfirst: {snip[:100]}" for snip in s.missed_lead]
        if not args.quiet:
            print("  ".join(row).rstrip())
            if args.show and shown:
                print("\n".join(shown))
    print()
    for side, total in totals.items():
        print(f"{side}: {total.line()}")
    if "trafilatura" in totals:
        better = [n for n in totals["ours"].dirty if n not in totals["trafilatura"].dirty]
        if better:
            print(f"trafilatura clean where ours is not: {', '.join(better)}")
    if not args.no_timing:
        time_largest(present)
    return 0


if __name__ == "__main__":
    sys.exit(main())
