"""Pages: a player without an ``article`` attribute asks for the article of its page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from vorlesen.http.deps import ServiceDep, base_url, client_key
from vorlesen.service.pages import MAX_URL_CHARS

from ..schemas import ArticleState, article_state

__all__ = ["router"]

router = APIRouter(tags=["pages"])


@router.get(
    "/api/pages",
    response_model=ArticleState,
    responses={
        202: {"description": "The page is being fetched and rendered; ask again."},
        403: {"description": "The page's host is not one of VORLESEN_PUBLISHER_HOSTS."},
        422: {"description": "The page is not an article (the reason says why)."},
        429: {"description": "Too many lookups from this client or new pages of this host."},
    },
)
def get_page(
    request: Request,
    response: Response,
    service: ServiceDep,
    url: Annotated[str, Query(max_length=MAX_URL_CHARS, description="The page's canonical URL.")],
) -> ArticleState:
    """The article of the page at ``url``: rendered the first time a player asks (on an
    allowed host), looked at again at most every ``VORLESEN_RECHECK_S`` seconds."""
    found = service.pages.lookup(url, client=client_key(request))
    response.headers["Cache-Control"] = "no-store"
    if found.article is not None:
        state = article_state(found.article, base_url(service, request))
        if state.status in ("queued", "rendering") and state.ready_revision is None:
            response.status_code = 202
        return state
    response.status_code = 202
    page = found.page
    return ArticleState(
        source_id=page.source_id,
        status="queued",
        revision=0,
        ready_revision=None,
        title=None,
        duration_s=None,
        voice=None,
        engine=None,
        audio_mp3=None,
        audio_opus=None,
        timings_json=None,
        captions_vtt=None,
        utterances_total=None,
        utterances_synthesized=None,
        error=None,
        published_at=page.published_at,
        created_at=page.checked_at,
        updated_at=page.checked_at,
    )
