"""How the API answers for a stored file: the one place that decides.

============  ==========================================================================
storage       answer
============  ==========================================================================
directory     the route streams the file itself (``articles``: one ``pread`` for a small
              range, ``FileResponse`` for the rest; ``feed``: ``FileResponse``)
S3, default   307 to a presigned URL of the object (``VORLESEN_S3_URL_EXPIRES_S``)
S3 + CDN      307 to ``VORLESEN_PUBLIC_AUDIO_URL`` + ``/`` + the object key
S3 + proxy    ``VORLESEN_S3_PROXY=true``: the API streams the object, Range (206) and
              ETag (304) included, for a bucket listeners cannot reach
============  ==========================================================================

Only audio and artwork are redirected. The small text files the player fetches from
script (timings JSON, WebVTT captions) are always answered by the API itself, so the
bucket needs no CORS rules and those answers keep the API's own headers.
"""

from __future__ import annotations

import re
from email.utils import formatdate
from typing import TYPE_CHECKING, Literal

from fastapi import Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from vorlesen.errors import NotFoundError
from vorlesen.service.container import Service
from vorlesen.store.blobs import LocalBlobStore, revision_prefix

if TYPE_CHECKING:
    from vorlesen.store.s3 import S3BlobStore

__all__ = [
    "DeliveryMode",
    "blob_response",
    "delivery_mode",
    "local_blobs",
    "remote_article_file",
]

DeliveryMode = Literal["local", "proxy", "public", "presigned"]

_SINGLE_RANGE = re.compile(r"^\s*bytes\s*=\s*(?:(\d+)\s*-\s*(\d*)|-\s*\d+)\s*$", re.IGNORECASE)
"""One ``bytes=a-b``, ``bytes=a-`` or ``bytes=-n`` range: what object storage serves.
Anything else (several ranges, another unit, garbage) is ignored: the whole object, 200,
as RFC 9110 allows."""

_REDIRECTED = ("audio/", "image/")
"""Media types answered with a redirect to the bucket (players and apps follow it)."""


def delivery_mode(service: Service) -> DeliveryMode:
    """How this service answers for stored files (see the module's table)."""
    if isinstance(service.blobs, LocalBlobStore):
        return "local"
    if service.settings.s3_proxy:
        return "proxy"
    if service.settings.public_audio_url:
        return "public"
    return "presigned"


def local_blobs(service: Service) -> LocalBlobStore:
    """The service's data-directory store, for the routes that serve files themselves
    (only when :func:`delivery_mode` is ``"local"``)."""
    if not isinstance(service.blobs, LocalBlobStore):  # pragma: no cover - a caller's bug
        raise TypeError(f"{service.blobs!r} is not a local directory")
    return service.blobs


def _remote(service: Service) -> S3BlobStore:
    from vorlesen.store.s3 import S3BlobStore

    blobs = service.blobs
    if not isinstance(blobs, S3BlobStore):  # pragma: no cover - delivery_mode said remote
        raise TypeError(f"{blobs!r} is not object storage")
    return blobs


def _single_range(request: Request) -> str | None:
    header = request.headers.get("range")
    if header is None or "if-range" in request.headers:
        return None
    match = _SINGLE_RANGE.match(header)
    if match is None or (match[1] and match[2] and int(match[2]) < int(match[1])):
        return None
    return "bytes=" + header.partition("=")[2].replace(" ", "")


def _matches(request: Request, etag: str) -> bool:
    inm = request.headers.get("if-none-match")
    return inm is not None and (
        inm.strip() == "*" or etag in [t.strip().removeprefix("W/") for t in inm.split(",")]
    )


def blob_response(
    service: Service,
    request: Request,
    key: str,
    *,
    media_type: str,
    etag_prefix: str,
    cache_control: str,
) -> Response:
    """The answer for ``key`` from object storage (blocking: run it in a worker thread).

    ``etag_prefix`` goes before the object's own ETag (the article and revision, so an
    ETag names what it describes); ``cache_control`` is for a CDN redirect and the proxied
    bytes (a presigned redirect is private and short-lived).
    """
    blobs = _remote(service)
    mode = delivery_mode(service)
    if mode in ("public", "presigned") and media_type.startswith(_REDIRECTED):
        if mode == "public":
            base = service.settings.public_audio_url.rstrip("/")
            return RedirectResponse(
                f"{base}/{blobs.object_key(key)}",
                status_code=307,
                headers={"Cache-Control": cache_control},
            )
        expires = service.settings.s3_url_expires_s
        return RedirectResponse(
            blobs.presigned_url(key, expires),
            status_code=307,
            # Cached well inside the URL's lifetime, by this listener only.
            headers={"Cache-Control": f"private, max-age={min(300, expires // 4)}"},
        )
    headers = {
        "Cache-Control": cache_control,
        "Accept-Ranges": "bytes",
        "Access-Control-Expose-Headers": "ETag",
        "X-Content-Type-Options": "nosniff",
    }
    if request.method == "HEAD":
        info = blobs.stat(key)
        headers["ETag"] = f'"{etag_prefix}{info.etag}"'
        headers["Last-Modified"] = formatdate(info.modified, usegmt=True)
        if _matches(request, headers["ETag"]):
            return Response(status_code=304, headers=headers)
        headers["Content-Length"] = str(info.size)
        return Response(status_code=200, headers=headers, media_type=media_type)
    read = blobs.open(key, _single_range(request))
    headers["ETag"] = f'"{etag_prefix}{read.etag}"'
    headers["Last-Modified"] = formatdate(read.modified, usegmt=True)
    if _matches(request, headers["ETag"]):
        read.close()
        return Response(status_code=304, headers=headers)
    if read.status == 416:
        headers["Content-Range"] = f"bytes */{read.size}"
        return Response(status_code=416, headers=headers)
    if read.status == 206:
        headers["Content-Range"] = f"bytes {read.start}-{read.start + read.length - 1}/{read.size}"
    headers["Content-Length"] = str(read.length)
    return StreamingResponse(
        read.chunks(), status_code=read.status, headers=headers, media_type=media_type
    )


def remote_article_file(
    service: Service,
    request: Request,
    source_id: str,
    name: str,
    *,
    media_type: str,
    versioned: int | None,
    immutable: str,
    short: str,
) -> Response:
    """An article file from object storage: the served revision's object (blocking).

    ``versioned`` is the revision the URL names (``?v=``): when it is the served one, the
    answer is cached for good (``immutable``), else briefly (``short``). A file that
    vanished (a newer revision replaced it since the revision was remembered) is looked
    up once more.
    """
    for attempt in range(2):
        revision = service.ready_revision(source_id)
        if revision is None:
            raise NotFoundError(f"The article {source_id!r} has no audio yet.", reason="not_found")
        key = f"{revision_prefix(source_id, revision)}/{name}"
        try:
            # Audio exists for every ready revision; artwork only when the page had some:
            # do not redirect to an object that is not there.
            redirected = delivery_mode(service) != "proxy"
            if redirected and media_type.startswith("image/") and not service.blobs.exists(key):
                raise NotFoundError(f"No {name} for {source_id!r}.", reason="not_found")
            return blob_response(
                service,
                request,
                key,
                media_type=media_type,
                etag_prefix=f"{source_id}-r{revision}-",
                cache_control=immutable if versioned == revision else short,
            )
        except NotFoundError:
            service.forget(source_id)
            if attempt:
                raise NotFoundError(f"No {name} for {source_id!r}.", reason="not_found") from None
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
