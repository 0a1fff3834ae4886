"""Token checks: the use case behind the API's bearer auth and the newsroom's sign-in.

Both HTTP edges ask :func:`guarded_token_state`, so they share one failed-attempt count per
client; the FastAPI dependency that reads the ``Authorization`` header is
:func:`vorlesen.http.deps.require_token`.
"""

from __future__ import annotations

import contextlib
import hmac

from vorlesen.errors import RateLimitError
from vorlesen.service.container import Service

__all__ = ["guarded_token_state", "token_state"]


def token_state(service: Service, secret: str) -> str:
    """``"valid"``, ``"revoked"`` or ``"unknown"``: env tokens compared in constant time,
    stored ones looked up by hash."""
    if not secret:
        return "unknown"
    matched = False
    for token in service.env_tokens:
        matched |= hmac.compare_digest(token.encode("utf-8"), secret.encode("utf-8"))
    if matched:
        return "valid"
    return service.store.check_token(secret)


def guarded_token_state(service: Service, client: str, secret: str) -> str:
    """:func:`token_state`, throttled: a client over its failed-attempt limit is refused
    (``RateLimitError``, 429) before its guess is even compared, and every failed attempt
    counts. The API's bearer check and the newsroom login share one count per client."""
    key = f"auth:{client}"
    service.auth_limiter.check(key)
    state = token_state(service, secret)
    if state != "valid":
        # A concurrent failure may have filled the window: this answer stays the 401/403.
        with contextlib.suppress(RateLimitError):
            service.auth_limiter.hit(key)
    return state
