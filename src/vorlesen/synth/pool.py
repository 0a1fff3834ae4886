"""Synthesizing many utterances: cache first, then a pool of worker processes, in order.

Utterances are independent, so a render is embarrassingly parallel: each worker process
opens ONE engine (one ONNX session with one intra-op thread) and synthesizes whole
utterances. The parent hands them out in order, keeps only a few in flight (memory stays
flat for a 60-minute text), and yields each :class:`~vorlesen.models.Segment` as soon as
it and all before it are ready. Cache hits never go to a worker.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from vorlesen import errors
from vorlesen.errors import EngineError, VorlesenError
from vorlesen.models import AudioArray, Segment
from vorlesen.synth.base import Engine, EngineSpec
from vorlesen.synth.cache import SegmentCache, segment_key

__all__ = ["SynthItem", "SynthStats", "SynthStream", "synthesize_all"]

_IN_FLIGHT_PER_WORKER = 2
"""Utterances queued per worker: one running, one ready to start — no idle gaps, flat memory."""
_JOIN_TIMEOUT = 5.0
"""Seconds to wait for a terminated worker before killing it."""


@dataclass(frozen=True, slots=True)
class SynthItem:
    """One utterance to synthesize; ``phonemes`` (IPA) win over ``text`` when set."""

    index: int
    text: str
    phonemes: str | None = None


@dataclass(slots=True)
class SynthStats:
    """What a run did; filled in while segments are yielded."""

    synthesized: int = 0
    """Utterances synthesized by an engine."""
    cached: int = 0
    """Utterances served from the cache."""
    dispatched: int = 0
    """Utterances handed to worker processes so far (bounded by the in-flight window)."""
    workers: int = 0
    """Worker processes started (0: synthesized in this process)."""
    worker_pids: set[int] = field(default_factory=set)
    """Process ids that synthesized at least one utterance."""


class SynthStream(Iterator[Segment]):
    """The segments of a run, in order, plus :attr:`stats`; ``close()`` stops the workers."""

    def __init__(self, gen: Generator[Segment, None, None], stats: SynthStats) -> None:
        self._gen = gen
        self.stats = stats

    def __iter__(self) -> SynthStream:
        return self

    def __next__(self) -> Segment:
        return next(self._gen)

    def close(self) -> None:
        """Stop early: pending work is cancelled and worker processes are terminated."""
        self._gen.close()

    def __enter__(self) -> SynthStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# -- worker side ----------------------------------------------------------------------

_WORKER: dict[str, Any] = {}
"""The engine of this worker process (or the error that prevented opening it)."""

_ErrorInfo = tuple[str, str, str]
"""(error class name in vorlesen.errors, reason, message) — exceptions with keyword-only
``reason`` do not survive pickling intact, so errors cross the process boundary as data."""


def _error_info(exc: BaseException) -> _ErrorInfo:
    if isinstance(exc, VorlesenError):
        return (type(exc).__name__, exc.reason, exc.message)
    return ("EngineError", "engine_failed", f"Synthesis failed in a worker ({exc!r}).")


def _init_worker(spec: EngineSpec) -> None:
    """Worker initializer: ignore Ctrl-C (the parent stops us) and open one engine."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _WORKER["engine"] = spec.open()
    except Exception as exc:  # reported with the first task; the parent raises it
        _WORKER["error"] = _error_info(exc)


def _work(text: str, phonemes: str | None) -> tuple[int, AudioArray | None, int, _ErrorInfo | None]:
    """Synthesize one utterance in a worker: (pid, audio, sample rate, error)."""
    pid = os.getpid()
    if "error" in _WORKER:
        return pid, None, 0, _WORKER["error"]
    engine: Engine = _WORKER["engine"]
    try:
        audio = _speak(engine, text, phonemes)
    except Exception as exc:
        return pid, None, 0, _error_info(exc)
    return pid, audio, engine.sample_rate, None


def _speak(engine: Engine, text: str, phonemes: str | None) -> AudioArray:
    if phonemes is not None:
        return engine.synthesize_phonemes(phonemes)
    return engine.synthesize(text)


def _raise(info: _ErrorInfo) -> None:
    name, reason, message = info
    cls = getattr(errors, name, EngineError)
    if not (isinstance(cls, type) and issubclass(cls, VorlesenError)):
        cls = EngineError
    raise cls(message, reason=reason)


# -- parent side ----------------------------------------------------------------------


def _context() -> multiprocessing.context.BaseContext:
    """forkserver where available (no fork of a threaded parent), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _stop(executor: ProcessPoolExecutor, pending: deque[Any], *, abort: bool) -> None:
    """Shut the pool down; on abort, terminate workers now and reap them (no zombies)."""
    if not abort:
        executor.shutdown(wait=True)
        return
    for entry in pending:
        if entry[2] is not None:
            entry[2].cancel()
    # Python 3.11 has no public way to stop running workers (3.14 adds terminate_workers),
    # so reach for the executor's process table.
    processes = list(getattr(executor, "_processes", {}).values())
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(_JOIN_TIMEOUT)
        if proc.is_alive():
            proc.kill()
            proc.join(_JOIN_TIMEOUT)
    executor.shutdown(wait=True, cancel_futures=True)


def _in_process(
    items: Sequence[SynthItem],
    keys: list[str | None],
    spec: EngineSpec,
    cache: SegmentCache | None,
    stats: SynthStats,
) -> Generator[Segment, None, None]:
    engine: Engine | None = None
    for item, key in zip(items, keys, strict=True):
        if cache is not None and key is not None:
            hit = cache.get(key)
            if hit is not None:
                stats.cached += 1
                yield Segment(item.index, hit.audio, hit.sample_rate, cached=True)
                continue
        if engine is None:
            engine = spec.open()
        audio = _speak(engine, item.text, item.phonemes)
        if cache is not None and key is not None:
            cache.put(key, audio, engine.sample_rate)
        stats.synthesized += 1
        stats.worker_pids.add(os.getpid())
        yield Segment(item.index, audio, engine.sample_rate)


def _pooled(
    items: Sequence[SynthItem],
    keys: list[str | None],
    spec: EngineSpec,
    workers: int,
    cache: SegmentCache | None,
    stats: SynthStats,
) -> Generator[Segment, None, None]:
    worker_spec = dataclasses.replace(spec, threads=1)
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_context(),
        initializer=_init_worker,
        initargs=(worker_spec,),
    )
    stats.workers = workers
    window = workers * _IN_FLIGHT_PER_WORKER
    pending: deque[tuple[SynthItem, str | None, Future[Any] | None]] = deque()
    source = iter(zip(items, keys, strict=True))
    abort = True
    try:
        yield from _drain(executor, pending, source, window, cache, stats)
        abort = False
    except BrokenProcessPool as exc:
        raise EngineError(
            "A synthesis worker process died unexpectedly (out of memory or a crash in the "
            "engine); try again with fewer jobs (--jobs 1).",
            reason="worker_crashed",
        ) from exc
    finally:
        _stop(executor, pending, abort=abort)


def _drain(
    executor: ProcessPoolExecutor,
    pending: deque[tuple[SynthItem, str | None, Future[Any] | None]],
    source: Iterator[tuple[SynthItem, str | None]],
    window: int,
    cache: SegmentCache | None,
    stats: SynthStats,
) -> Generator[Segment, None, None]:
    """Keep ``window`` utterances in flight and yield results in order as they complete."""
    while True:
        while len(pending) < window:
            nxt = next(source, None)
            if nxt is None:
                break
            item, key = nxt
            if cache is not None and key is not None and key in cache:
                pending.append((item, key, None))
            else:
                pending.append((item, key, executor.submit(_work, item.text, item.phonemes)))
                stats.dispatched += 1
        if not pending:
            return
        item, key, future = pending[0]
        if future is None:
            assert cache is not None and key is not None
            hit = cache.get(key)
            if hit is not None:
                pending.popleft()
                stats.cached += 1
                yield Segment(item.index, hit.audio, hit.sample_rate, cached=True)
                continue
            # The entry vanished since we looked (another process pruned it): synthesize.
            future = executor.submit(_work, item.text, item.phonemes)
            stats.dispatched += 1
            pending[0] = (item, key, future)
        pid, audio, rate, error = future.result()
        pending.popleft()
        if error is not None:
            _raise(error)
        assert audio is not None
        if cache is not None and key is not None:
            cache.put(key, audio, rate)
        stats.synthesized += 1
        stats.worker_pids.add(pid)
        yield Segment(item.index, audio, rate)


def synthesize_all(
    items: Sequence[SynthItem],
    spec: EngineSpec,
    *,
    jobs: int = 0,
    cache: SegmentCache | None = None,
) -> SynthStream:
    """Synthesize ``items`` with ``spec``; yields segments in order, each when ready.

    ``jobs=0`` means one worker process per core; ``jobs=1`` (or a single utterance to
    synthesize) runs in this process with no pool. Cache hits come back with
    ``cached=True`` and are never sent to a worker; new audio is stored in ``cache``.
    The returned stream has ``.stats``; closing it (or Ctrl-C) terminates the workers.
    A worker that dies raises :class:`EngineError` with reason ``worker_crashed``.

    Workers start with ``forkserver`` (``spawn`` where unavailable), which re-imports the
    main module: a script calling this must keep its top level under
    ``if __name__ == "__main__":`` (console scripts, pytest and uvicorn already do).
    """
    if jobs < 0:
        raise errors.UsageError(f"jobs must be 0 or more, not {jobs}.", reason="bad_jobs")
    wanted = jobs or os.cpu_count() or 1
    stats = SynthStats()
    if cache is not None:
        spec_key = spec.cache_key()
        keys: list[str | None] = [segment_key(spec_key, i.text, i.phonemes) for i in items]
        misses = sum(1 for k in keys if k is None or k not in cache)
    else:
        keys = [None] * len(items)
        misses = len(items)
    workers = min(wanted, misses)
    if workers <= 1:
        return SynthStream(_in_process(items, keys, spec, cache, stats), stats)
    return SynthStream(_pooled(items, keys, spec, workers, cache, stats), stats)
