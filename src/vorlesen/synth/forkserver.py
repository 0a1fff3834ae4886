"""The process synthesis workers are forked from, and starting it early.

Workers start with ``forkserver`` where the platform has it (no fork of a parent that may
run threads), else with ``spawn``. The fork server imports :mod:`vorlesen.synth.preload`
once — the workers' loop and the installed engines' modules (numpy, ONNX Runtime,
piper-tts, espeak-ng) — so every worker forked from it starts with them loaded and only
has to open its voice.

This module imports neither numpy nor an engine, so a command can start the fork server
before it has imported (or even parsed) anything else.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os

__all__ = ["PRELOAD", "context", "start_forkserver"]

PRELOAD = "vorlesen.synth.preload"
"""The module the fork server imports before it forks its first worker."""


def context() -> multiprocessing.context.BaseContext:
    """The workers' start method: forkserver where available, else spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    # Only takes effect when the fork server starts (once per process). "__main__" too,
    # or every worker would import the caller's main module again after the fork.
    ctx.set_forkserver_preload(["__main__", PRELOAD])
    return ctx


def start_forkserver(jobs: int = 0) -> None:
    """Start the process the workers are forked from now, if a render with ``jobs`` (as in
    :func:`~vorlesen.synth.pool.synthesize_all`: 0 is one per core) will have workers: it
    imports what they need on another core while the caller is still importing and reading
    its input. Optional; without it the first pool starts it."""
    if (jobs or os.cpu_count() or 1) <= 1:
        return
    if isinstance(context(), multiprocessing.context.ForkServerContext):
        from multiprocessing import forkserver

        forkserver.ensure_running()
