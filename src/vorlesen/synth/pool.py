"""Synthesizing many utterances: cache first, then a pool of worker processes, in order.

Utterances are independent, so a render is embarrassingly parallel: each worker process
opens ONE engine (one ONNX session with one intra-op thread) and synthesizes whole
utterances. The parent hands them out in order, keeps only a few in flight (memory stays
flat for a 60-minute text), and yields each :class:`~vorlesen.models.Segment` as soon as
it and all before it are ready. Cache hits never go to a worker.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import threading
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from vorlesen import errors
from vorlesen.closing import Closing
from vorlesen.errors import EngineError, VorlesenError
from vorlesen.models import AudioArray, Segment, WordTime
from vorlesen.synth.base import Engine, EngineSpec
from vorlesen.synth.cache import SegmentCache, segment_key
from vorlesen.synth.forkserver import context

__all__ = [
    "SynthItem",
    "SynthStats",
    "SynthStream",
    "WarmPool",
    "synthesize_all",
]

_AHEAD_PER_WORKER = 4
"""How far past the next utterance to yield work may run: results that finish out of order
wait in memory, at most ``workers * _AHEAD_PER_WORKER`` of them (flat memory)."""
_QUEUED_PER_WORKER = 3
"""Tasks a worker holds at once: the one it works on and the next two, already in its
pipe, so it goes on while the caller is busy with a segment (joining, mastering and
encoding it) instead of idling until the parent hands it more."""
_QUEUED_MAX_CHARS = 500
"""A task is queued behind another only if its text (and phonemes) are this short, nearly
any sentence: two such messages waiting take under 4.5 KB even in UTF-8, less than the
emptiest pipe buffer (8 KB on macOS), so the parent's send never blocks and cannot
deadlock against a worker sending its result."""
_JOIN_TIMEOUT = 5.0
"""Seconds to wait for a terminated worker before killing it."""


@dataclass(frozen=True, slots=True)
class SynthItem:
    """One utterance to synthesize; ``phonemes`` (IPA) win over ``text`` when set."""

    index: int
    text: str
    phonemes: str | None = None
    speed: float = 1.0
    """Rate factor for this utterance alone (SSML ``prosody``), multiplied into the spec's."""
    timed: bool = True
    """Whether the engine times the words (off: audio only, cached apart)."""


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


class SynthStream(Iterator[Segment], Closing):
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


# -- worker side ----------------------------------------------------------------------
#
# We run our own processes with one pipe each instead of ProcessPoolExecutor: on Python
# 3.11 a worker killed mid-task can leave the executor's management thread hanging
# (result() and shutdown() never return), which we saw in tests. Here the parent waits
# on each worker's pipe *and* its process sentinel, so a death is noticed at once.

_ErrorInfo = tuple[str, str, str]
"""(error class name in vorlesen.errors, reason, message) — exceptions with keyword-only
``reason`` do not survive pickling intact, so errors cross the process boundary as data."""

_Task = tuple[int, str, str | None, float, bool]
"""(position, text, phonemes, speed, timed) sent to a worker; ``None`` tells it to exit."""
_Result = tuple[int, int, AudioArray | None, int, tuple[WordTime, ...], _ErrorInfo | None]
"""(position, worker pid, audio, sample rate, word times, error) sent back."""


def _error_info(exc: BaseException) -> _ErrorInfo:
    if isinstance(exc, VorlesenError):
        return (type(exc).__name__, exc.reason, exc.message)
    return ("EngineError", "engine_failed", f"Synthesis failed in a worker ({exc!r}).")


def _worker_main(conn: Connection, spec: EngineSpec) -> None:
    """Worker process: open ONE engine, then synthesize tasks from ``conn`` until told to stop.

    Ctrl-C is ignored here: the parent gets it and terminates the workers.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    pid = os.getpid()
    engine: Engine | None = None
    error: _ErrorInfo | None = None
    try:
        engine = spec.open()
    except Exception as exc:  # reported with the first task; the parent raises it
        error = _error_info(exc)
    while True:
        try:
            task: _Task | None = conn.recv()
        except (EOFError, OSError):  # parent went away
            return
        if task is None:
            return
        position, text, phonemes, speed, timed = task
        result: _Result
        if engine is None:
            result = (position, pid, None, 0, (), error)
        else:
            try:
                audio, words = _speak(engine, text, phonemes, speed, timed)
                result = (position, pid, audio, engine.sample_rate, words, None)
            except Exception as exc:
                result = (position, pid, None, 0, (), _error_info(exc))
        conn.send(result)


def _speak(
    engine: Engine, text: str, phonemes: str | None, speed: float = 1.0, timed: bool = True
) -> tuple[AudioArray, tuple[WordTime, ...]]:
    """Audio and word times of one item (a phoneme item has no written words to time)."""
    if phonemes is not None:
        if speed == 1.0:  # engines written before per-item speed keep working
            return engine.synthesize_phonemes(phonemes), ()
        return engine.synthesize_phonemes(phonemes, speed=speed), ()
    if not timed:
        return engine.synthesize(text, speed=speed), ()
    return engine.synthesize_timed(text, speed=speed)


def _raise(info: _ErrorInfo) -> None:
    name, reason, message = info
    cls = getattr(errors, name, EngineError)
    if not (isinstance(cls, type) and issubclass(cls, VorlesenError)):
        cls = EngineError
    raise cls(message, reason=reason)


# -- parent side ----------------------------------------------------------------------


def _crashed(cause: str) -> EngineError:
    return EngineError(
        f"A synthesis worker process died unexpectedly ({cause}); this is usually too little "
        "memory or a crash in the engine. Try again with fewer jobs (--jobs 1).",
        reason="worker_crashed",
    )


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, ctx: Any, spec: EngineSpec) -> None:
        parent_end, child_end = ctx.Pipe(duplex=True)
        self.conn: Connection = parent_end
        self.process: BaseProcess = ctx.Process(
            target=_worker_main, args=(child_end, spec), daemon=True, name="vorlesen-synth"
        )
        self.process.start()
        child_end.close()
        self.tasks: deque[int] = deque()
        """Positions of the tasks it holds, in the order it returns them."""

    def stop(self, *, abort: bool) -> None:
        """Ask it to exit (or terminate it on abort), then reap it — no zombies."""
        proc = self.process
        if not abort and proc.is_alive():
            with contextlib.suppress(OSError):  # it may be exiting already
                self.conn.send(None)
            proc.join(_JOIN_TIMEOUT)
        if proc.is_alive():
            proc.terminate()
            proc.join(_JOIN_TIMEOUT)
        if proc.is_alive():
            proc.kill()
            proc.join(_JOIN_TIMEOUT)
        self.conn.close()


class WarmPool(Closing):
    """Worker processes started before the script they will speak exists, so that loading
    the voice (≈1.5 s per render) overlaps ingest and normalization.

    Pass it to :func:`synthesize_all`, which takes the workers it needs for the same spec.
    ``jobs`` as in :func:`synthesize_all`; with one job no process is started (synthesis
    runs in the caller's process).

    By default the pool serves one render: workers nobody took are stopped as soon as that
    is known, and leaving the ``with`` block stops the rest. With ``keep=True`` it serves
    a render worker's whole life: workers go back into the pool after a render that went
    well (a failed or cancelled one stops them) and :meth:`start` tops it up for the next
    spec, so the next render does not load the voice again. Kept workers idle for
    ``idle_s`` seconds are stopped (their memory freed) and started again when needed.
    Safe to share between threads rendering at once; it holds at most ``jobs`` workers.
    """

    def __init__(
        self,
        spec: EngineSpec | None = None,
        *,
        jobs: int = 0,
        keep: bool = False,
        idle_s: float | None = None,
    ) -> None:
        if jobs < 0:
            raise errors.UsageError(f"jobs must be 0 or more, not {jobs}.", reason="bad_jobs")
        self.spec = spec
        self.keep = keep
        self.idle_s = idle_s
        self._wanted = jobs or os.cpu_count() or 1
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._idle_timer: threading.Timer | None = None
        self._closed = False
        if spec is not None:
            self.start(spec)

    def start(self, spec: EngineSpec) -> None:
        """Have ``jobs`` workers for ``spec`` running: start the missing ones (workers for
        another spec, or dead ones, are stopped). A closed pool starts nothing: the render
        then starts its own workers, as without a pool."""
        if self._wanted <= 1:
            return
        with self._lock:
            if self._closed:
                return
            self._cancel_idle()
            stale = self._retarget(spec)
            stale += [w for w in self._workers if not w.process.is_alive()]
            self._workers = [w for w in self._workers if w not in stale]
            missing = self._wanted - len(self._workers)
        _stop_all(stale, abort=True)
        started = _start_workers(spec, missing)
        with self._lock:
            if self._closed or spec != self.spec:  # closed or retargeted meanwhile
                stale = started
            else:
                # Another thread may have topped the pool up meanwhile: never above jobs.
                room = max(0, self._wanted - len(self._workers))
                self._workers += started[:room]
                stale = started[room:]
                self._arm_idle()  # idle until a render takes them
        _stop_all(stale, abort=True)

    def available(self, spec: EngineSpec) -> int:
        """How many started workers there are for ``spec`` (0 for another spec)."""
        with self._lock:
            return len(self._workers) if spec == self.spec else 0

    def take(self, spec: EngineSpec, count: int) -> list[_Worker]:
        """Up to ``count`` started workers for ``spec`` (none for another spec). Without
        ``keep`` the others are stopped, as no later render can use them."""
        with self._lock:
            self._cancel_idle()
            alive = [w for w in self._workers if w.process.is_alive()]
            stale = [w for w in self._workers if w not in alive]
            taken = alive[:count] if spec == self.spec else []
            rest = [w for w in alive if w not in taken]
            if self.keep:
                self._workers = rest
                self._arm_idle()  # the ones left wait for a later render
            else:
                stale += rest
                self._workers = []
        try:
            _stop_all(stale, abort=True)
        except BaseException:  # Ctrl-C while stopping the rest: the taken ones go too
            _stop_all(taken, abort=True)
            raise
        return taken

    def give_back(self, spec: EngineSpec, workers: list[_Worker]) -> None:
        """Workers a render used without fault: kept for the next render (``keep``), else
        asked to exit."""
        stale = workers
        if self.keep:
            with self._lock:
                if not self._closed:
                    stale = self._retarget(spec)
                    room = max(0, self._wanted - len(self._workers))
                    self._workers += workers[:room]
                    stale += workers[room:]
                    self._arm_idle()
        _stop_all(stale, abort=False)

    def release(self) -> None:
        """The render needs no worker (all cached, or one utterance): without ``keep`` the
        started ones are stopped now; kept ones wait for the next render (or ``idle_s``)."""
        if not self.keep:
            self.close()
            return
        with self._lock:
            self._arm_idle()

    def close(self) -> None:
        """Stop every worker (and, with ``keep``, accept no more)."""
        with self._lock:
            self._closed = self._closed or self.keep
            self._cancel_idle()
            workers, self._workers = self._workers, []
        _stop_all(workers, abort=True)

    def _retarget(self, spec: EngineSpec) -> list[_Worker]:
        """Under the lock: make ``spec`` the pool's; returns workers of the old spec."""
        if spec == self.spec:
            return []
        self.spec = spec
        stale, self._workers = self._workers, []
        return stale

    def _arm_idle(self) -> None:
        """Under the lock: stop the kept workers after ``idle_s`` without a render."""
        self._cancel_idle()
        if self.idle_s is None or not self._workers:
            return
        timer = threading.Timer(self.idle_s, self._idle_expired)
        timer.daemon = True
        self._idle_timer = timer
        timer.start()

    def _cancel_idle(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _idle_expired(self) -> None:
        with self._lock:
            if self._idle_timer is not threading.current_thread():
                return  # a render came in meanwhile
            self._idle_timer = None
            workers, self._workers = self._workers, []
        _stop_all(workers, abort=False)


def _stop_all(workers: list[_Worker], *, abort: bool) -> None:
    for worker in workers:
        worker.stop(abort=abort)


def _start_workers(spec: EngineSpec, count: int) -> list[_Worker]:
    """``count`` worker processes for ``spec``, one single-threaded engine each; if one
    fails to start, the ones already started are stopped."""
    ctx = context()
    worker_spec = dataclasses.replace(spec, threads=1)
    started: list[_Worker] = []
    try:
        for _ in range(count):
            started.append(_Worker(ctx, worker_spec))
    except BaseException:
        _stop_all(started, abort=True)
        raise
    return started


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
                yield Segment(item.index, hit.audio, hit.sample_rate, cached=True, words=hit.words)
                continue
        if engine is None:
            engine = spec.open()
        audio, words = _speak(engine, item.text, item.phonemes, item.speed, item.timed)
        if cache is not None and key is not None:
            cache.put(key, audio, engine.sample_rate, words)
        stats.synthesized += 1
        stats.worker_pids.add(os.getpid())
        yield Segment(item.index, audio, engine.sample_rate, words=words)


def _pooled(
    items: Sequence[SynthItem],
    keys: list[str | None],
    hits: set[int],
    spec: EngineSpec,
    workers: int,
    cache: SegmentCache | None,
    stats: SynthStats,
    warm: WarmPool | None,
) -> Generator[Segment, None, None]:
    """Hand utterances to ``workers`` processes in order (started ones from ``warm`` first);
    yield results in order.

    Each worker holds at most three tasks, the queued ones only when short (so at most two
    small messages wait in a pipe and the parent's send cannot block against a worker's); work
    runs at most ``workers * _AHEAD_PER_WORKER`` positions ahead of the next segment to
    yield.
    """
    pool: list[_Worker] = warm.take(spec, workers) if warm is not None else []
    finished = False
    try:
        pool += _start_workers(spec, workers - len(pool))
        stats.workers = workers
        yield from _drain(pool, items, keys, hits, workers * _AHEAD_PER_WORKER, cache, stats)
        finished = True
    finally:
        if finished and warm is not None:
            warm.give_back(spec, pool)  # every worker is idle: none holds a task
        else:
            _stop_all(pool, abort=not finished)


def _drain(
    pool: list[_Worker],
    items: Sequence[SynthItem],
    keys: list[str | None],
    hits: set[int],
    ahead: int,
    cache: SegmentCache | None,
    stats: SynthStats,
) -> Generator[Segment, None, None]:
    """The dispatch loop: serve hits and finished work at the head, keep workers busy."""
    done: dict[int, tuple[AudioArray, int, int, tuple[WordTime, ...]]] = {}
    """Finished, possibly out of order: position → (audio, rate, pid, word times)."""
    todo = deque(i for i in range(len(items)) if i not in hits)
    """Positions to synthesize, in order."""

    def dispatch(head: int) -> None:
        """Hand the next positions to synthesize, within the window, to the workers: first
        one to each idle worker, then more, queued behind the one it works on."""
        for depth in range(_QUEUED_PER_WORKER):
            for worker in pool:
                if len(worker.tasks) != depth:
                    continue
                if not todo or todo[0] >= head + ahead:
                    return
                item = items[todo[0]]
                if depth and len(item.text) + len(item.phonemes or "") > _QUEUED_MAX_CHARS:
                    continue  # a long text waits for an idle worker (no send that blocks)
                position = todo.popleft()
                try:
                    worker.conn.send((position, item.text, item.phonemes, item.speed, item.timed))
                except OSError as exc:
                    raise _crashed(f"its pipe closed: {exc}") from exc
                worker.tasks.append(position)
                stats.dispatched += 1

    head = 0
    while head < len(items):
        if head in hits:
            key = keys[head]
            assert cache is not None and key is not None
            hit = cache.get(key)
            if hit is not None:
                stats.cached += 1
                head += 1
                yield Segment(
                    items[head - 1].index,
                    hit.audio,
                    hit.sample_rate,
                    cached=True,
                    words=hit.words,
                )
                continue
            # The entry vanished since we looked (pruned by another process): synthesize.
            hits.discard(head)
            todo.appendleft(head)
        if head in done:
            audio, rate, pid, words = done.pop(head)
            key = keys[head]
            if cache is not None and key is not None:
                cache.put(key, audio, rate, words)
            stats.synthesized += 1
            stats.worker_pids.add(pid)
            head += 1
            yield Segment(items[head - 1].index, audio, rate, words=words)
            continue
        dispatch(head)
        busy = [w for w in pool if w.tasks]
        assert busy, "the head is neither cached, done nor running"
        ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
        for worker in busy:
            if worker.conn not in ready:
                continue
            try:
                position, pid, audio, rate, words, error = worker.conn.recv()
            except (EOFError, OSError) as exc:
                worker.process.join(_JOIN_TIMEOUT)
                raise _crashed(f"exit code {worker.process.exitcode}") from exc
            if position != worker.tasks.popleft():  # a worker answers in order
                raise _crashed("it answered out of order")
            if error is not None:
                _raise(error)
            assert audio is not None
            done[position] = (audio, rate, pid, words)
        dispatch(head)  # keep workers going while the caller consumes what is done
        for worker in busy:
            if worker.tasks and worker.process.sentinel in ready:
                worker.process.join(_JOIN_TIMEOUT)
                raise _crashed(f"exit code {worker.process.exitcode}")


def _item_spec_key(spec_key: str, item: SynthItem) -> str:
    """The spec key with the item's own speed folded in (unchanged at speed 1.0, so audio
    cached before per-item speeds existed is still found); untimed audio is kept apart, so
    a timed render never takes an entry without word times."""
    key = spec_key if item.timed else f"{spec_key}|untimed"
    if item.speed == 1.0:
        return key
    return f"{key}|speed={round(item.speed, 6)}"


def _check_speeds(items: Sequence[SynthItem], spec: EngineSpec) -> None:
    for item in items:
        total = item.speed * spec.speed
        if not 0.1 <= total <= 10.0:
            raise errors.UsageError(
                f"Utterance {item.index} would be spoken at {total:g} times the normal rate; "
                "the rate must stay between 0.1 and 10.",
                reason="bad_speed",
            )


def synthesize_all(
    items: Sequence[SynthItem],
    spec: EngineSpec,
    *,
    jobs: int = 0,
    cache: SegmentCache | None = None,
    warm: WarmPool | None = None,
) -> SynthStream:
    """Synthesize ``items`` with ``spec``; yields segments in order, each when ready.

    ``jobs=0`` means one worker process per core; ``jobs=1`` (or a single utterance to
    synthesize) runs in this process with no pool. Cache hits come back with
    ``cached=True`` and are never sent to a worker; new audio is stored in ``cache``.
    The returned stream has ``.stats``; closing it (or Ctrl-C) terminates the workers.
    Workers already started in ``warm`` (:class:`WarmPool`) are used first, even for a
    single utterance.
    A worker that dies raises :class:`EngineError` with reason ``worker_crashed``.

    Workers start with ``forkserver`` (``spawn`` where unavailable), which re-imports the
    main module: a script calling this must keep its top level under
    ``if __name__ == "__main__":`` (console scripts, pytest and uvicorn already do).
    """
    if jobs < 0:
        raise errors.UsageError(f"jobs must be 0 or more, not {jobs}.", reason="bad_jobs")
    _check_speeds(items, spec)
    wanted = jobs or os.cpu_count() or 1
    stats = SynthStats()
    keys: list[str | None] = [None] * len(items)
    hits: set[int] = set()
    if cache is not None:
        spec_key = spec.cache_key()
        keys = [segment_key(_item_spec_key(spec_key, i), i.text, i.phonemes) for i in items]
        hits = {n for n, key in enumerate(keys) if key is not None and key in cache}
    workers = min(wanted, len(items) - len(hits))
    started = warm.available(spec) if warm is not None else 0
    if workers < 1 or (workers == 1 and not started):
        if warm is not None:  # all cached, or no worker for this spec: free them now
            warm.release()
        return SynthStream(_in_process(items, keys, spec, cache, stats), stats)
    return SynthStream(_pooled(items, keys, hits, spec, workers, cache, stats, warm), stats)
