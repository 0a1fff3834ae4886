"""FastAPI dependencies every HTTP route may need: the service container, the client's
key for per-client limits, bearer-token auth, the request's external base URL.

Shared by the API and the newsroom (neither imports the other); the token check itself is
a use case (:mod:`vorlesen.service.auth`), only reading the request happens here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from vorlesen.errors import AuthError
from vorlesen.service.auth import guarded_token_state
from vorlesen.service.container import Service

__all__ = ["ServiceDep", "base_url", "client_key", "get_service", "require_token"]


def get_service(request: Request) -> Service:
    """The app's :class:`Service` (set by :func:`vorlesen.server.create_app`)."""
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def client_key(request: Request) -> str:
    """Who a per-client limit counts: the peer address (the proxy's X-Forwarded-For when
    ``VORLESEN_FORWARDED_ALLOW_IPS`` trusts the proxy)."""
    return request.client.host if request.client else "unknown"


def base_url(service: Service, request: Request) -> str:
    """External base URL (:func:`~vorlesen.config.public_base_url`): the configured public
    URL, the request's own when its Host is allowed, else "" (relative URLs)."""
    return service.base_url(
        scheme=request.url.scheme,
        host=request.headers.get("host", ""),
        root_path=str(request.scope.get("root_path", "")),
    )


def require_token(request: Request, service: ServiceDep) -> None:
    """Bearer auth: a token from ``VORLESEN_API_TOKENS`` or one made by ``token create``.

    401 without a token or with an unknown one, 403 with a revoked one, 429 after too many
    failures from one client (``VORLESEN_AUTH_FAILURES_PER_MINUTE``).
    """
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise AuthError(
            "This endpoint needs an API token (Authorization: Bearer …).", reason="unauthorized"
        )
    state = guarded_token_state(service, client_key(request), secret)
    if state == "valid":
        return
    if state == "revoked":
        raise AuthError("This API token has been revoked.", reason="token_revoked")
    raise AuthError("The API token is not valid.", reason="bad_token")
