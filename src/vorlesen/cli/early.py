"""What a render starts before its command line is parsed.

Parsing ``vorlesen read``'s options (typer's option types) and loading the settings take
≈0.3 s; the synthesis workers' fork server can import what the workers need on another
core meanwhile. This module decides from the raw command line, cheaply (it imports
neither typer nor numpy), whether the command will synthesize, and starts the fork server.
"""

from __future__ import annotations

import contextlib
import os

__all__ = ["early_render_jobs", "env_jobs", "start_workers_early"]


def env_jobs() -> int:
    """``VORLESEN_JOBS`` as the settings will read it, or 0 (one per core) — a hint for
    starting the workers' fork server early; the render itself goes by the settings."""
    try:
        return max(0, int(os.environ.get("VORLESEN_JOBS", "0") or 0))
    except ValueError:
        return 0


def early_render_jobs(argv: list[str]) -> int | None:
    """The ``--jobs`` of a command line that is an audio render (``read`` without
    ``--text-only`` or ``--help``), read before the command line is parsed; ``None`` for
    any other command line, or one whose ``--jobs`` the parser will refuse."""
    if not argv or argv[0] != "read" or any(a in ("--text-only", "--help") for a in argv):
        return None
    for position, arg in enumerate(argv):
        if arg == "--jobs":
            value = argv[position + 1] if position + 1 < len(argv) else ""
        elif arg.startswith("--jobs="):
            value = arg.removeprefix("--jobs=")
        else:
            continue
        try:
            return max(0, int(value))
        except ValueError:
            return None
    return env_jobs()


def start_workers_early(argv: list[str]) -> None:
    """For ``vorlesen read`` into audio, start the synthesis workers' fork server now.

    Only a head start: ``read`` starts it anyway (nothing happens when it runs), so a
    failure here is left for the render to meet and report."""
    jobs = early_render_jobs(argv)
    if jobs is None:
        return
    from vorlesen.synth.forkserver import start_forkserver

    with contextlib.suppress(Exception):
        start_forkserver(jobs)
