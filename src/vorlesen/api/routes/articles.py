"""Articles: put (publish/edit), get, list, delete; their audio files; listen pings."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from vorlesen.errors import InputError
from vorlesen.ingest.fetch import vet_url
from vorlesen.ingest.ssml import from_ssml
from vorlesen.jobs.render import AUDIO_FILES, parse_published
from vorlesen.store.blobs import revision_prefix

from ..deps import ServiceDep, require_token
from ..schemas import (
    SOURCE_ID_PATTERN,
    ArticleIn,
    ArticleList,
    ArticleState,
    ListenIn,
    article_state,
)

__all__ = ["content_hash", "router"]

router = APIRouter(tags=["articles"])

SourceId = Annotated[str, Path(pattern=SOURCE_ID_PATTERN, description="The CMS's article id.")]

_IMMUTABLE = "public, max-age=31536000, immutable"
"""For ``?v=<revision>`` URLs: that revision's bytes never change."""
_SHORT = "public, max-age=60"
"""For unversioned URLs: a new revision may replace the audio any time."""


def content_hash(payload: dict[str, object], default_voice: str, engine: str | None) -> str:
    """What decides "same content": the payload plus the configured voice and engine."""
    blob = json.dumps([payload, default_voice, engine], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


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
    settings = service.settings
    if body.url:
        vet_url(body.url, settings)  # refuse internal addresses now, not in the worker
    if body.ssml:
        from_ssml(body.ssml)  # refuse hostile or malformed SSML now (422), not in the worker
    payload = body.payload()
    published = parse_published(payload.get("published_at"))
    digest = content_hash(payload, settings.voice, settings.engine)
    article, changed = service.store.put_article(
        source_id, payload, digest, title=body.title, voice=body.voice, published_at=published
    )
    if changed:
        service.queue.enqueue_render(source_id, article.revision)
    return article_state(article, service.base_url(request))


@router.get("/api/articles/{source_id}", response_model=ArticleState)
def get_article(source_id: SourceId, request: Request, service: ServiceDep) -> ArticleState:
    """The article's render state and the URLs of its audio, timings and captions."""
    return article_state(service.store.get_article(source_id), service.base_url(request))


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
    base = service.base_url(request)
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
    200: {"content": {t: {} for t in AUDIO_FILES.values()}},
    206: {"description": "Partial content (Range)"},
    304: {"description": "Not modified (If-None-Match)"},
}


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
        str, Path(pattern="^(audio\\.mp3|audio\\.opus|timings\\.json|captions\\.vtt)$")
    ],
    request: Request,
    service: ServiceDep,
    v: Annotated[int | None, Query(description="Revision (cache-busting).")] = None,
) -> Response:
    """The served revision's audio (MP3/Opus), timings JSON or WebVTT captions.

    Range requests get 206; ``If-None-Match`` with the current ETag gets 304.
    """
    for attempt in range(2):
        revision = await run_in_threadpool(service.ready_revision, source_id)
        if revision is None:
            raise InputError(f"The article {source_id!r} has no audio yet.", reason="not_found")
        try:
            path = service.blobs.local_path(f"{revision_prefix(source_id, revision)}/{name}")
            stat = path.stat()
            break
        except (InputError, FileNotFoundError):
            # A newer revision replaced this one since we remembered it: look again once.
            service.forget(source_id)
            if attempt:
                raise InputError(f"No {name} for {source_id!r}.", reason="not_found") from None
    etag = f'"{source_id}-r{revision}-{stat.st_size:x}-{stat.st_mtime_ns:x}"'
    cache = _IMMUTABLE if v == revision else _SHORT
    headers = {"ETag": etag, "Cache-Control": cache, "Access-Control-Expose-Headers": "ETag"}
    inm = request.headers.get("if-none-match")
    if inm and (
        inm.strip() == "*" or etag in [t.strip().removeprefix("W/") for t in inm.split(",")]
    ):
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=AUDIO_FILES[name], headers=headers, stat_result=stat)


@router.post("/api/articles/{source_id}/listens", status_code=204)
def post_listen(
    source_id: SourceId, body: ListenIn, request: Request, service: ServiceDep
) -> Response:
    """A player reports it started (0) or reached 25/50/75/100 % of the article."""
    client = request.client.host if request.client else "unknown"
    service.feedback_limiter.hit(f"listen:{client}:{source_id}:{body.milestone}")
    service.store.add_listen(source_id, body.milestone, body.revision)
    return Response(status_code=204)
