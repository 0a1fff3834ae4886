"""synthesize_all: order, streaming, real worker processes, the cache, crash and stop."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from vorlesen.errors import EngineError, UsageError, VoiceError
from vorlesen.synth import pool
from vorlesen.synth.base import EngineSpec
from vorlesen.synth.cache import SegmentCache
from vorlesen.synth.pool import SynthItem, WarmPool, synthesize_all

TEXTS = [
    "One.",
    "The second sentence is a little longer than the first.",
    "Three.",
    "Four is short.",
    "Five comes next, with a comma.",
    "Six.",
]
ITEMS = [SynthItem(index=i, text=t) for i, t in enumerate(TEXTS)]
ESPEAK = EngineSpec(engine="espeak", voice="de")


def _gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_pool_matches_in_process_and_uses_two_processes(joe_spec: EngineSpec) -> None:
    local = list(synthesize_all(ITEMS, joe_spec, jobs=1))
    stream = synthesize_all(ITEMS, joe_spec, jobs=2)
    pooled = list(stream)
    assert [s.index for s in pooled] == list(range(len(ITEMS)))
    assert [len(s.audio) for s in pooled] == [len(s.audio) for s in local]
    assert all(not s.cached and s.sample_rate == 22050 for s in pooled)
    assert stream.stats.synthesized == stream.stats.dispatched == len(ITEMS)
    assert stream.stats.workers == 2
    assert len(stream.stats.worker_pids) == 2
    assert os.getpid() not in stream.stats.worker_pids
    assert all(_gone(pid) for pid in stream.stats.worker_pids)


def test_cache_hits_skip_synthesis(tmp_path: Path, joe_spec: EngineSpec) -> None:
    cache = SegmentCache(tmp_path / "utterances")
    first = synthesize_all(ITEMS[:4], joe_spec, jobs=2, cache=cache)
    fresh = list(first)
    assert first.stats.synthesized == 4 and first.stats.cached == 0
    # An edited article: one new sentence among cached ones.
    edited = [*ITEMS[:2], SynthItem(2, "A brand new third sentence."), ITEMS[3]]
    second = synthesize_all(edited, joe_spec, jobs=2, cache=cache)
    again = list(second)
    assert [s.cached for s in again] == [True, True, False, True]
    assert second.stats.synthesized == 1 and second.stats.cached == 3
    assert second.stats.workers == 0  # one miss: no pool is started for it
    assert [len(s.audio) for s in again[:2]] == [len(s.audio) for s in fresh[:2]]
    third = synthesize_all(edited, joe_spec, jobs=2, cache=cache)
    assert all(s.cached for s in third) and third.stats.synthesized == 0


def test_phoneme_items(joe_spec: EngineSpec) -> None:
    items = [SynthItem(0, "ignored", phonemes="həlˈoʊ"), SynthItem(1, "Hello.")]
    segments = list(synthesize_all(items, joe_spec, jobs=2))
    assert [s.index for s in segments] == [0, 1]
    assert all(0.2 < s.duration < 2.0 for s in segments)


def test_streams_before_the_end() -> None:
    items = [SynthItem(i, f"Satz Nummer {i}.") for i in range(40)]
    stream = synthesize_all(items, ESPEAK, jobs=2)
    first = next(stream)
    assert first.index == 0
    # Only a bounded window (per worker) was handed out, not all 40 utterances.
    assert stream.stats.synthesized == 1
    assert 2 <= stream.stats.dispatched <= 2 * pool._AHEAD_PER_WORKER + 1
    pids = set(stream.stats.worker_pids)
    stream.close()
    assert all(_gone(pid) for pid in pids)


def test_close_terminates_workers() -> None:
    items = [SynthItem(i, "Ein etwas längerer Satz, der etwas dauert. " * 3) for i in range(30)]
    stream = synthesize_all(items, ESPEAK, jobs=2)
    next(stream)
    next(stream)
    pids = set(stream.stats.worker_pids)
    assert pids
    stream.close()
    assert all(_gone(pid) for pid in pids)
    with pytest.raises(StopIteration):
        next(stream)


def test_worker_crash_is_an_engine_error() -> None:
    items = [SynthItem(i, f"Satz Nummer {i} mit etwas mehr Text.") for i in range(30)]
    stream = synthesize_all(items, ESPEAK, jobs=2)
    next(stream)
    for pid in stream.stats.worker_pids:
        os.kill(pid, signal.SIGKILL)
    with pytest.raises(EngineError) as info:
        list(stream)
    assert info.value.reason == "worker_crashed"


def test_engine_error_in_worker_keeps_its_reason(tmp_path: Path, joe_config: Path) -> None:
    model = tmp_path / "broken.onnx"
    model.write_bytes(os.urandom(2048))
    spec = EngineSpec("piper", "broken", model, joe_config)
    with pytest.raises(VoiceError) as info:
        list(synthesize_all(ITEMS, spec, jobs=2))
    assert info.value.reason == "corrupt_voice"


def test_bad_jobs() -> None:

    with pytest.raises(UsageError):
        synthesize_all(ITEMS, ESPEAK, jobs=-1)


def test_cache_entry_vanishing_mid_run_is_resynthesized(tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path)
    items = [SynthItem(i, f"Satz {i}.") for i in range(6)]
    list(synthesize_all(items[:3], ESPEAK, jobs=1, cache=cache))
    stream = synthesize_all(items, ESPEAK, jobs=2, cache=cache)  # 3 hits, 3 misses
    for path in sorted(tmp_path.rglob("*.f32"))[:1]:
        path.unlink()  # pruned by someone else after the plan was made
    segments = list(stream)
    assert [s.index for s in segments] == list(range(6))
    assert sum(s.cached for s in segments) == 2
    assert stream.stats.synthesized == 4 and stream.stats.cached == 2
    assert all(s.duration > 0.2 for s in segments)


def _emptied(pool: WarmPool, spec: EngineSpec, timeout: float = 10.0) -> bool:
    """Whether the pool lets its idle workers go within ``timeout`` (its idle_s is 1 s;
    a loaded machine may run the timer late)."""
    deadline = time.monotonic() + timeout
    while pool.available(spec):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _pids(warm: WarmPool) -> set[int]:
    return {w.process.pid for w in warm._workers if w.process.pid is not None}


def test_warm_pool_workers_do_the_synthesis(joe_spec: EngineSpec) -> None:
    """Workers started ahead (while the article is read in) are the ones that synthesize;
    no other process is started."""
    with WarmPool(joe_spec, jobs=2) as warm:
        started = _pids(warm)
        assert len(started) == 2 and warm.available(joe_spec) == 2
        stream = synthesize_all(ITEMS, joe_spec, jobs=2, warm=warm)
        assert [s.index for s in stream] == list(range(len(ITEMS)))
        assert warm.available(joe_spec) == 0
    assert stream.stats.worker_pids == started
    assert all(_gone(pid) for pid in started)


def test_warm_worker_serves_a_single_utterance(joe_spec: EngineSpec) -> None:
    """One utterance to synthesize would run in this process, but a started worker, with
    the voice loaded already, is quicker: it is used and the other one stopped."""
    with WarmPool(joe_spec, jobs=2) as warm:
        started = _pids(warm)
        stream = synthesize_all(ITEMS[:1], joe_spec, jobs=2, warm=warm)
        assert len(list(stream)) == 1
    assert len(stream.stats.worker_pids) == 1 and stream.stats.worker_pids <= started
    assert all(_gone(pid) for pid in started)


def test_warm_pool_for_another_voice_is_not_used(joe_spec: EngineSpec) -> None:
    with WarmPool(ESPEAK, jobs=2) as warm:
        started = _pids(warm)
        assert warm.available(joe_spec) == 0
        stream = synthesize_all(ITEMS[:3], joe_spec, jobs=2, warm=warm)
        list(stream)
        assert all(_gone(pid) for pid in started)  # stopped once they proved useless
    assert stream.stats.worker_pids.isdisjoint(started)


def test_unused_warm_pool_leaves_no_process(joe_spec: EngineSpec) -> None:
    """An article that fails to load after the workers started: they are stopped."""
    with pytest.raises(RuntimeError), WarmPool(joe_spec, jobs=2) as warm:
        started = _pids(warm)
        raise RuntimeError("the article could not be read")
    assert all(_gone(pid) for pid in started)
    with WarmPool(joe_spec, jobs=1) as single:  # one job: synthesis stays in-process
        assert single.available(joe_spec) == 0


def test_all_cached_frees_the_warm_workers_at_once(tmp_path: Path, joe_spec: EngineSpec) -> None:
    """A re-render served wholly from the cache needs no worker: the ones started ahead are
    stopped when that is known, not when the render ends."""
    cache = SegmentCache(tmp_path / "utterances")
    list(synthesize_all(ITEMS[:3], joe_spec, jobs=1, cache=cache))
    with WarmPool(joe_spec, jobs=2) as warm:
        started = _pids(warm)
        stream = synthesize_all(ITEMS[:3], joe_spec, jobs=2, cache=cache, warm=warm)
        assert warm.available(joe_spec) == 0
        assert all(_gone(pid) for pid in started)
        assert [s.cached for s in stream] == [True, True, True]


# -- a render worker's kept pool ----------------------------------------------------------


def test_kept_pool_serves_render_after_render_with_the_same_processes(
    joe_spec: EngineSpec,
) -> None:
    with WarmPool(jobs=2, keep=True) as pool:
        pool.start(joe_spec)
        started = _pids(pool)
        assert len(started) == 2
        for _ in range(2):
            stream = synthesize_all(ITEMS, joe_spec, jobs=2, warm=pool)
            assert [s.index for s in stream] == list(range(len(ITEMS)))
            assert stream.stats.worker_pids == started  # no process started, voice loaded
            assert pool.available(joe_spec) == 2 and _pids(pool) == started
            pool.start(joe_spec)  # the next render tops up: nothing is missing
            assert _pids(pool) == started
        one = synthesize_all(ITEMS[:1], joe_spec, jobs=2, warm=pool)
        assert len(list(one)) == 1 and one.stats.worker_pids < started
        assert pool.available(joe_spec) == 2  # the other one stayed in the pool meanwhile
    assert all(_gone(pid) for pid in started)


def test_kept_pool_stops_workers_of_a_cancelled_render_and_replaces_dead_ones(
    joe_spec: EngineSpec,
) -> None:
    with WarmPool(jobs=2, keep=True) as pool:
        pool.start(joe_spec)
        first = _pids(pool)
        stream = synthesize_all(ITEMS, joe_spec, jobs=2, warm=pool)
        next(stream)
        stream.close()  # cancelled mid-render: its workers may hold a task, so they go
        assert all(_gone(pid) for pid in first)
        assert pool.available(joe_spec) == 0
        pool.start(joe_spec)
        second = _pids(pool)
        assert len(second) == 2 and second.isdisjoint(first)
        victim = min(second)
        os.kill(victim, signal.SIGKILL)  # died while idle (say, the OOM killer)
        assert _gone(victim)
        stream = synthesize_all(ITEMS, joe_spec, jobs=2, warm=pool)
        assert len(list(stream)) == len(ITEMS)  # the dead one was never handed out
        assert victim not in stream.stats.worker_pids
        pool.start(joe_spec)
        assert len(_pids(pool)) == 2 and victim not in _pids(pool)


def test_kept_pool_follows_the_voice_and_frees_memory_when_idle(joe_spec: EngineSpec) -> None:
    with WarmPool(jobs=2, keep=True, idle_s=1.0) as pool:
        pool.start(joe_spec)
        joe = _pids(pool)
        pool.start(ESPEAK)  # the next article wants another voice: the old workers go
        assert all(_gone(pid) for pid in joe)
        assert pool.available(ESPEAK) == 2 and pool.available(joe_spec) == 0
        espeak = _pids(pool)
        assert len(list(synthesize_all(ITEMS[:3], ESPEAK, jobs=2, warm=pool))) == 3
        assert _pids(pool) == espeak
        time.sleep(1.0)  # no render for idle_s: the processes are stopped
        assert _emptied(pool, ESPEAK) and all(_gone(pid) for pid in espeak)
        pool.start(ESPEAK)  # and started again for the next render
        assert pool.available(ESPEAK) == 2
    pool.start(ESPEAK)  # closed (a worker shutting down): starts nothing
    assert pool.available(ESPEAK) == 0


def test_kept_pool_frees_workers_a_failed_render_never_took(joe_spec: EngineSpec) -> None:
    """The article failed to load after the workers were started: they still go after
    idle_s, not only after the next successful render."""
    with WarmPool(jobs=2, keep=True, idle_s=1.0) as pool:
        pool.start(joe_spec)
        started = _pids(pool)
        assert _emptied(pool, joe_spec) and all(_gone(pid) for pid in started)
        pool.start(joe_spec)
        one = synthesize_all(ITEMS[:1], joe_spec, jobs=2, warm=pool)  # takes one of two
        assert len(list(one)) == 1
        left = _pids(pool)
        assert _emptied(pool, joe_spec) and all(_gone(pid) for pid in left)


def test_render_threads_topping_up_at_once_never_overfill_the_pool() -> None:
    with WarmPool(jobs=2, keep=True) as pool:
        threads = [threading.Thread(target=pool.start, args=(ESPEAK,)) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert pool.available(ESPEAK) == 2
        started = _pids(pool)
    assert all(_gone(pid) for pid in started)
