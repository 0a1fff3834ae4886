"""Webhooks: tell the publisher's systems that audio is ready (or failed), signed.

Body: JSON ``{"event", "source_id", "revision", "article": {…}}``. Headers:
``X-Vorlesen-Event``, ``X-Vorlesen-Timestamp`` (Unix seconds) and
``X-Vorlesen-Signature: sha256=<hex>``, an HMAC-SHA256 with the shared secret over
``"{timestamp}.{body}"`` — the timestamp inside the MAC lets receivers refuse replays.
A delivery is retried with exponential backoff on network errors and 5xx/429 answers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping

import httpx

from vorlesen.errors import FetchError

__all__ = ["deliver", "sign", "verify"]

_BACKOFF_BASE = 0.5
"""Seconds before the first retry; doubled each time (0.5, 1, 2, 4 …)."""
_BACKOFF_MAX = 60.0
_TIMEOUT = 10.0
"""Seconds a receiver gets to answer: it should acknowledge, not process, in that time."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    """Whether ``signature`` is right for ``body`` (constant-time; for receivers and tests)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def deliver(
    url: str,
    event: str,
    data: Mapping[str, object],
    *,
    secret: str,
    attempts: int = 5,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """POST one event to ``url``; returns the attempts it took.

    Raises :class:`FetchError` (``webhook_failed``) when every attempt failed; a 4xx other
    than 429 is final (the receiver refuses this event, retrying will not help).
    """
    body = json.dumps(
        {"event": event, **data}, ensure_ascii=False, sort_keys=True, default=str
    ).encode("utf-8")
    last = ""
    for attempt in range(1, max(1, attempts) + 1):
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "vorlesen-webhook/1",
            "X-Vorlesen-Event": event,
            "X-Vorlesen-Timestamp": str(timestamp),
            "X-Vorlesen-Signature": sign(secret, timestamp, body),
        }
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=_TIMEOUT)
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code < 300:
                return attempt
            last = f"HTTP {response.status_code}"
            if 400 <= response.status_code < 500 and response.status_code != 429:
                break
        if attempt < attempts:
            sleep(min(_BACKOFF_MAX, _BACKOFF_BASE * 2 ** (attempt - 1)))
    raise FetchError(f"The webhook {url} was not accepted ({last}).", reason="webhook_failed")
