"""The feedback rate limit holds across API processes when they share Redis."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from support import service_settings
from vorlesen.config import Settings
from vorlesen.errors import InputError
from vorlesen.server import create_app, make_service
from vorlesen.service.ratelimit import MemoryRateLimiter, RedisRateLimiter, rate_limiter

redis = pytest.importorskip("redis")

REDIS_URL = os.environ.get("VORLESEN_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")
    yield client
    client.close()


@pytest.fixture
def prefix(redis_client: redis.Redis) -> Iterator[str]:
    tag = "vt_" + uuid.uuid4().hex[:12]
    yield tag
    for key in redis_client.scan_iter(match=f"{tag}:*"):
        redis_client.delete(key)


def _allowed(limiter: MemoryRateLimiter | RedisRateLimiter, key: str) -> bool:
    try:
        limiter.hit(key)
    except InputError as exc:
        assert exc.reason == "rate_limited"
        assert "try again in" in str(exc)
        return False
    return True


def test_processes_sharing_redis_share_one_limit(redis_client: redis.Redis, prefix: str) -> None:
    first = RedisRateLimiter(redis_client, 3, prefix=prefix)
    second = RedisRateLimiter(redis_client, 3, prefix=prefix)
    got = [_allowed(limiter, "feedback:10.0.0.1") for limiter in (first, second) * 3]
    assert got == [True, True, True, False, False, False]
    assert _allowed(second, "feedback:10.0.0.2")  # another client has its own window
    other_service = RedisRateLimiter(redis_client, 3, prefix=prefix + "x")
    assert _allowed(other_service, "feedback:10.0.0.1")  # another queue name: apart
    other_service.hit("feedback:10.0.0.1")
    for key in redis_client.scan_iter(match=f"{prefix}x:*"):
        redis_client.delete(key)


def test_the_window_slides(redis_client: redis.Redis, prefix: str) -> None:
    limiter = RedisRateLimiter(redis_client, 2, prefix=prefix, window_s=1.0)
    assert [_allowed(limiter, "k") for _ in range(3)] == [True, True, False]
    time.sleep(1.1)
    assert [_allowed(limiter, "k") for _ in range(3)] == [True, True, False]
    assert 0 < redis_client.pttl(f"{prefix}:ratelimit:k") <= 1000  # keys expire


def test_without_redis_the_process_limits_alone(caplog: pytest.LogCaptureFixture) -> None:
    import redis

    gone = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    limiter = RedisRateLimiter(gone, 2, prefix="vt_gone")
    assert [_allowed(limiter, "k") for _ in range(3)] == [True, True, False]
    assert "Redis unavailable" in caplog.text


def test_a_redis_that_stopped_answering_is_left_alone_for_a_while() -> None:
    """A Redis that accepts connections but never answers: the first hit waits for the
    timeout, the next ones are judged in this process at once."""
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        settings = Settings(redis_url=f"redis://127.0.0.1:{port}/0", feedback_per_minute=3)
        limiter = rate_limiter(settings, 3)
        started = time.monotonic()
        assert [_allowed(limiter, "k") for _ in range(12)] == [True] * 3 + [False] * 9
        # One short timeout (0.25 s), not one per hit (12 would take 3 s).
        assert time.monotonic() - started < 2.0


def test_settings_choose_the_limiter(tmp_path: Path) -> None:
    plain = Settings(data_dir=tmp_path, feedback_per_minute=5)
    assert isinstance(rate_limiter(plain, 5), MemoryRateLimiter)
    scaled = Settings(data_dir=tmp_path, redis_url=REDIS_URL, feedback_per_minute=5)
    assert isinstance(rate_limiter(scaled, 5), RedisRateLimiter)
    assert isinstance(rate_limiter(scaled, 0), MemoryRateLimiter)  # unlimited: no Redis


def test_two_api_processes_accept_the_limit_once_between_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_client: redis.Redis, prefix: str
) -> None:
    env = {
        "VORLESEN_FEEDBACK_PER_MINUTE": "4",
        "VORLESEN_REDIS_URL": REDIS_URL,
        "VORLESEN_QUEUE_NAME": prefix,
    }
    steps = service_settings(tmp_path, monkeypatch, env, unset=())
    settings = next(steps)
    services = [make_service(settings) for _ in range(2)]
    try:
        services[0].store.put_article("a1", {"text": "Ein kurzer Text."}, "t")
        clients = [TestClient(create_app(settings, service=s)) for s in services]
        url = "/api/articles/a1/feedback"
        statuses = [clients[n % 2].post(url, json={"category": "voice"}) for n in range(8)]
        assert [r.status_code for r in statuses] == [201] * 4 + [429] * 4
        assert services[1].store.list_feedback(source_id="a1")[1] == 4
    finally:
        for s in services:
            s.store.close()
        next(steps, None)
