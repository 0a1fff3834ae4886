"""Articles: put (publish/edit), get, list, delete; their audio files; listen pings."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from vorlesen.errors import NotFoundError
from vorlesen.http.deps import ServiceDep, base_url, require_token
from vorlesen.service.container import Service
from vorlesen.service.feedback import record_listen
from vorlesen.service.publish import publish
from vorlesen.store.blobs import ARTICLE_FILES, COVER_FILE, revision_prefix

from ..delivery import delivery_mode, local_blobs, remote_article_file
from ..schemas import (
    SOURCE_ID_PATTERN,
    ArticleIn,
    ArticleList,
    ArticleState,
    ListenIn,
    article_state,
)

__all__ = ["router"]

router = APIRouter(tags=["articles"])

SourceId = Annotated[str, Path(pattern=SOURCE_ID_PATTERN, description="The CMS's article id.")]

_IMMUTABLE = "public, max-age=31536000, immutable"
"""For ``?v=<revision>`` URLs: that revision's bytes never change."""
_SHORT = "public, max-age=60"
"""For unversioned URLs: a new revision may replace the audio any time."""


@router.put(
    "/api/articles/{source_id}",
    status_code=202,
    response_model=ArticleState,
    dependencies=[Depends(require_token)],
)
def put_article(
    source_id: SourceId, body: ArticleIn, request: Request, service: ServiceDep
) -> ArticleState:
    """Publish or update an article. Identical content renders nothing; changed content
    queues a new revision, rendered incrementally (unchanged utterances come from cache)."""
    article = publish(
        source_id,
        body.payload(),
        store=service.store,
        queue=service.queue,
        settings=service.settings,
    )
    return article_state(article, base_url(service, request))


@router.get("/api/articles/{source_id}", response_model=ArticleState)
def get_article(source_id: SourceId, request: Request, service: ServiceDep) -> ArticleState:
    """The article's render state and the URLs of its audio, timings and captions."""
    return article_state(service.store.get_article(source_id), base_url(service, request))


@router.get("/api/articles", response_model=ArticleList)
def list_articles(
    request: Request,
    service: ServiceDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    status: Annotated[str | None, Query(pattern="^(queued|rendering|ready|failed)$")] = None,
) -> ArticleList:
    """Articles, most recently changed first."""
    articles, total = service.store.list_articles(offset=offset, limit=limit, status=status)
    base = base_url(service, request)
    return ArticleList(
        items=[article_state(a, base) for a in articles], total=total, offset=offset, limit=limit
    )


@router.delete("/api/articles/{source_id}", status_code=204, dependencies=[Depends(require_token)])
def delete_article(source_id: SourceId, service: ServiceDep) -> Response:
    """Remove the article and all its audio."""
    service.store.delete_article(source_id)
    service.blobs.delete_prefix(f"audio/{source_id}")
    service.forget(source_id)
    return Response(status_code=204)


_FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {t: {} for t in ARTICLE_FILES.values()}},
    206: {"description": "Partial content (Range)"},
    304: {"description": "Not modified (If-None-Match)"},
    307: {"description": "Audio or artwork in object storage: its CDN or a presigned URL"},
}


_INLINE_MAX = 1024 * 1024
"""Largest range answered from one ``os.pread`` into memory (players ask for 64 KiB–1 MiB
at a time); larger ranges, whole files, multi-range and ``If-Range`` requests stream
through Starlette's ``FileResponse`` so memory stays flat however long the article."""

_SIMPLE_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d+)\s*-\s*(\d*)\s*$", re.IGNORECASE)
"""``bytes=a-b`` or ``bytes=a-``: the one-range form players send when seeking."""


@dataclass(frozen=True, slots=True)
class _Served:
    """One article file as found for one request: its revision, path, stat and, for a
    small single range, the requested bytes (read through the same descriptor)."""

    revision: int
    path: FsPath
    stat: os.stat_result
    start: int
    data: bytes | None


_VERSIONED_COVER = re.compile(r"cover-(\d{1,9})\.jpg")
"""``cover-<revision>.jpg``: podcast apps take artwork URLs ending in ``.jpg`` only."""

_RANGE_SPEC = re.compile(r"^\s*(?:(\d+)\s*-\s*(\d*)|-\s*\d+)\s*$")
"""One range of a ``bytes=`` header: ``a-b``, ``a-`` or the suffix form ``-n``."""


def _well_formed_range(header: str) -> bool:
    """Whether a Range header is a ``bytes=`` list of ranges Starlette can serve."""
    unit, sep, specs = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return False
    for spec in specs.split(","):
        match = _RANGE_SPEC.match(spec)
        if match is None or (match[1] and match[2] and int(match[2]) < int(match[1])):
            return False
    return True


class _FileResponse(FileResponse):
    """Starlette's file response, but a malformed Range header is ignored (the whole file,
    200) as RFC 9110 allows, not answered with a plain-text 400."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = scope.get("headers", [])
        header = next((v for k, v in headers if k == b"range"), None)
        if header is not None and not _well_formed_range(header.decode("latin-1")):
            scope = {**scope, "headers": [(k, v) for k, v in headers if k != b"range"]}
        await super().__call__(scope, receive, send)


def _simple_range(request: Request) -> tuple[int, int] | None:
    """``(start, end_inclusive)`` of a GET's single ``bytes=a-b`` / ``bytes=a-`` range, or
    None when the request is anything else (no range, suffix, multi-range, ``If-Range``,
    malformed) — those go to :class:`_FileResponse` (unsatisfiable ones get 416)."""
    header = request.headers.get("range")
    if header is None or request.method != "GET" or "if-range" in request.headers:
        return None
    match = _SIMPLE_RANGE.match(header)
    if match is None:
        return None
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) else sys.maxsize
    return (start, end) if end >= start else None


def _pread_exactly(fd: int, length: int, offset: int) -> bytes | None:
    """``length`` bytes at ``offset``; None if the file ended first (then stream instead)."""
    data = os.pread(fd, length, offset)
    while len(data) < length:
        more = os.pread(fd, length - len(data), offset + len(data))
        if not more:
            return None
        data += more
    return data


def _open_served(service: Service, source_id: str, name: str) -> tuple[int, FsPath, int]:
    """The served revision, its file's path and an open read-only descriptor on it."""
    for attempt in range(2):
        revision = service.ready_revision(source_id)
        if revision is None:
            raise NotFoundError(f"The article {source_id!r} has no audio yet.", reason="not_found")
        try:
            key = f"{revision_prefix(source_id, revision)}/{name}"
            path = local_blobs(service).local_path(key)
            return revision, path, os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except (NotFoundError, FileNotFoundError):
            # A newer revision replaced this one since we remembered it: look again once.
            service.forget(source_id)
            if attempt:
                raise NotFoundError(f"No {name} for {source_id!r}.", reason="not_found") from None
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _served_file(
    service: Service, source_id: str, name: str, want: tuple[int, int] | None
) -> _Served:
    """Find the served revision's file and, for a small single range, read it: one open,
    one ``fstat``, one ``pread`` (blocking; the caller runs it in one worker thread).

    The revision comes from the service's 1-second memo, so a player seeking does not
    query the database per request. The ETag and the bytes come from the same open
    descriptor, so they always describe the same file.
    """
    revision, path, fd = _open_served(service, source_id, name)
    try:
        stat = os.fstat(fd)
        if want is not None and want[0] < stat.st_size:
            start, end = want[0], min(want[1], stat.st_size - 1)
            if end - start < _INLINE_MAX:
                data = _pread_exactly(fd, end - start + 1, start)
                return _Served(revision, path, stat, start, data)
        return _Served(revision, path, stat, 0, None)
    finally:
        os.close(fd)


@router.get(
    "/api/articles/{source_id}/{name}",
    response_class=FileResponse,
    responses=_FILE_RESPONSES,
    operation_id="get_article_file",
)
@router.head(
    "/api/articles/{source_id}/{name}",
    response_class=FileResponse,
    responses=_FILE_RESPONSES,
    operation_id="head_article_file",
)
async def article_file(
    source_id: SourceId,
    name: Annotated[
        str,
        Path(
            description="audio.mp3, audio.opus, timings.json, captions.vtt or cover.jpg "
            "(cover-<revision>.jpg: the same, versioned in the path as podcast apps want)"
        ),
    ],
    request: Request,
    service: ServiceDep,
    v: Annotated[int | None, Query(description="Revision (cache-busting).")] = None,
) -> Response:
    """The served revision's audio (MP3/Opus), timings JSON, WebVTT captions or artwork.

    Range requests get 206; ``If-None-Match`` with the current ETag gets 304. A small
    single range (a player seeking) is answered from one ``pread`` in one worker-thread
    hop; everything else streams through ``FileResponse``.
    """
    versioned = _VERSIONED_COVER.fullmatch(name)
    if versioned is not None:
        name, v = COVER_FILE, int(versioned[1])
    if name not in ARTICLE_FILES:
        raise NotFoundError(
            f"No file {name[:64]!r} here; an article has {', '.join(ARTICLE_FILES)}.",
            reason="not_found",
        )
    if delivery_mode(service) != "local":  # object storage: redirect or proxy (delivery.py)
        return await run_in_threadpool(
            remote_article_file,
            service,
            request,
            source_id,
            name,
            media_type=ARTICLE_FILES[name],
            versioned=v,
            immutable=_IMMUTABLE,
            short=_SHORT,
        )
    # One worker-thread hop for revision + open + fstat + pread (Starlette's FileResponse
    # takes five: stat, open, seek, read, close). Inline in the event loop measured only
    # ~10 % faster, and a memo miss queries the database, which must not block the loop.
    served = await run_in_threadpool(_served_file, service, source_id, name, _simple_range(request))
    stat = served.stat
    etag = f'"{source_id}-r{served.revision}-{stat.st_size:x}-{stat.st_mtime_ns:x}"'
    cache = _IMMUTABLE if v == served.revision else _SHORT
    headers = {
        "ETag": etag,
        "Cache-Control": cache,
        "Access-Control-Expose-Headers": "ETag",
        "X-Content-Type-Options": "nosniff",  # the type is ours, never the bytes' guess
    }
    inm = request.headers.get("if-none-match")
    if inm and (
        inm.strip() == "*" or etag in [t.strip().removeprefix("W/") for t in inm.split(",")]
    ):
        return Response(status_code=304, headers=headers)
    if served.data is not None:
        end = served.start + len(served.data) - 1
        headers["Accept-Ranges"] = "bytes"
        headers["Last-Modified"] = formatdate(stat.st_mtime, usegmt=True)
        headers["Content-Range"] = f"bytes {served.start}-{end}/{stat.st_size}"
        return Response(
            served.data, status_code=206, headers=headers, media_type=ARTICLE_FILES[name]
        )
    return _FileResponse(
        served.path, media_type=ARTICLE_FILES[name], headers=headers, stat_result=stat
    )


@router.post("/api/articles/{source_id}/listens", status_code=204)
def post_listen(
    source_id: SourceId, body: ListenIn, request: Request, service: ServiceDep
) -> Response:
    """A player reports it started (0) or reached 25/50/75/100 % of the article."""
    record_listen(
        source_id,
        body.milestone,
        body.revision,
        client=request.client.host if request.client else "unknown",
        store=service.store,
        limiter=service.feedback_limiter,
    )
    return Response(status_code=204)
