"""Rate limits — feedback and listen events, failed sign-ins and token guesses: per
process, or shared by every API process through Redis when the service is scaled out
(``VORLESEN_REDIS_URL``).

They are the service's policy, not one edge's: the API, the newsroom's sign-in and the
page lookups of :mod:`vorlesen.service.pages` count through them, so they live on the
service floor (the service container builds them, :mod:`vorlesen.service.container`).

:meth:`RateLimiter.hit` counts and refuses; :meth:`RateLimiter.check` only refuses (the
token check asks it before comparing, and counts only the failures)."""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING, Protocol

from vorlesen.errors import RateLimitError

if TYPE_CHECKING:
    import redis

    from vorlesen.config import Settings

__all__ = ["MemoryRateLimiter", "RateLimiter", "RedisRateLimiter", "rate_limiter"]

log = logging.getLogger(__name__)


class RateLimiter(Protocol):
    def hit(self, key: str) -> None:
        """Count one hit; raise :class:`RateLimitError` when over the limit."""

    def check(self, key: str) -> None:
        """Raise :class:`RateLimitError` when ``key`` is over the limit; count nothing."""


def _refuse(retry_s: float, what: str) -> RateLimitError:
    wait = max(1, math.ceil(retry_s))
    return RateLimitError(
        f"Too many {what} from this client; try again in {wait} s.", retry_after_s=wait
    )


class MemoryRateLimiter:
    """At most ``per_minute`` hits per client key in any 60-second window, in this process.

    Enough for one API process; several processes (``serve`` behind a load balancer) each
    grant the full limit, so those share :class:`RedisRateLimiter` instead.
    """

    def __init__(self, per_minute: int, window_s: float = 60.0, *, what: str = "reports") -> None:
        self.per_minute = per_minute
        self.window_s = window_s
        self.what = what
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        self._count(key, add=True)

    def check(self, key: str) -> None:
        self._count(key, add=False)

    def _count(self, key: str, *, add: bool) -> None:
        if self.per_minute <= 0:
            return
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.per_minute:
                raise _refuse(hits[0] + self.window_s - now, self.what)
            if not add:
                return
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients so memory stays bounded
                cutoff = now - self.window_s
                for stale in [k for k, v in self._hits.items() if not v or v[-1] < cutoff]:
                    del self._hits[stale]


# A sliding window in one sorted set per client key, atomic in Redis and timed by the
# Redis server's clock (API machines' clocks may disagree). Returns 0 when the hit is
# counted (or, with ARGV[4] = "0", would be), else the milliseconds until the oldest hit
# leaves the window.
_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
if ARGV[4] ~= '0' then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
end
return 0
"""


class RedisRateLimiter:
    """The same limit, shared by every API process that uses this Redis.

    When Redis cannot be reached the hit is judged by this process's own limiter, so a
    Redis outage never loses a listener's report (nor lets a flood through unchecked); after
    a failure Redis is left alone for ``retry_s``, so requests do not each wait for it.
    """

    retry_s = 30.0

    def __init__(
        self,
        client: redis.Redis,
        per_minute: int,
        *,
        prefix: str,
        window_s: float = 60.0,
        what: str = "reports",
    ) -> None:
        self.per_minute = per_minute
        self.what = what
        self.window_ms = int(window_s * 1000)
        self.prefix = prefix
        self._client = client
        self._script = client.register_script(_SLIDING_WINDOW)
        self._fallback = MemoryRateLimiter(per_minute, window_s, what=what)
        self._redis_down_until = 0.0
        import redis  # imported when a Redis client exists; resolved once, not per hit

        self._redis_error = redis.RedisError

    def hit(self, key: str) -> None:
        self._count(key, add=True)

    def check(self, key: str) -> None:
        self._count(key, add=False)

    def _count(self, key: str, *, add: bool) -> None:
        if self.per_minute <= 0:
            return
        fallback = self._fallback.hit if add else self._fallback.check
        if time.monotonic() < self._redis_down_until:
            fallback(key)
            return
        try:
            wait_ms = int(
                self._script(
                    keys=[f"{self.prefix}:ratelimit:{key}"],
                    args=[self.per_minute, self.window_ms, uuid.uuid4().hex, int(add)],
                )
            )
        except self._redis_error as exc:
            log.warning(
                "rate limit: Redis unavailable (%s); limiting in this process for %.0f s",
                exc,
                self.retry_s,
            )
            self._redis_down_until = time.monotonic() + self.retry_s
            fallback(key)
            return
        if wait_ms:
            raise _refuse(wait_ms / 1000, self.what)


def rate_limiter(settings: Settings, per_minute: int, *, what: str = "reports") -> RateLimiter:
    """Redis-backed when the service is scaled out with Redis, else in-process."""
    if settings.redis_url and per_minute > 0:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # Short timeouts, no retries: a feedback post must not hang on a Redis that stopped
        # answering (redis-py retries timeouts three times by default).
        client = redis.Redis.from_url(
            settings.redis_url,
            socket_timeout=0.25,
            socket_connect_timeout=0.25,
            retry=Retry(NoBackoff(), 0),
        )
        return RedisRateLimiter(client, per_minute, prefix=settings.queue_name, what=what)
    return MemoryRateLimiter(per_minute, what=what)
