"""The podcast feeds: ``/feed.xml`` (everything), ``/feed.xml?section=<key>`` (one section),
``/feeds`` (the sections there are), and the channel artwork they point at.

The XML itself comes from :mod:`vorlesen.podcast`; this route gathers what it says.
"""

from __future__ import annotations

import re
from email.utils import formatdate
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel

from vorlesen.errors import NotFoundError
from vorlesen.http.deps import ServiceDep, base_url
from vorlesen.service.feed import FEED_ITEMS, feed_rss, sections

from ..delivery import blob_response, delivery_mode, local_blobs

__all__ = ["FeedInfo", "FeedList", "router"]

router = APIRouter(tags=["feed"])

_ARTWORK_TYPES = {"png": "image/png", "jpg": "image/jpeg"}
_ARTWORK_NAME = re.compile(r"artwork-[0-9a-f]{16}\.(png|jpg)")


class FeedInfo(BaseModel):
    """One podcast feed the service serves."""

    section: str | None
    """The section key (``?section=``); None for the feed of everything."""
    title: str
    url: str
    episodes: int


class FeedList(BaseModel):
    items: list[FeedInfo]


@router.get(
    "/feed.xml", response_class=Response, responses={200: {"content": {"application/rss+xml": {}}}}
)
def feed(
    request: Request,
    service: ServiceDep,
    section: Annotated[
        str | None,
        Query(pattern=r"^[a-z0-9-]{1,64}$", description="A section key from /feeds."),
    ] = None,
) -> Response:
    """Articles with audio as podcast episodes, newest publication first (one being
    re-rendered stays in, with the audio it serves meanwhile); ``section``: one section's."""
    return Response(
        feed_rss(service, base_url(service, request), section),
        media_type="application/rss+xml; charset=utf-8",
        headers={"Cache-Control": "public, max-age=60"},
    )


@router.get("/feeds", response_model=FeedList)
def feeds(request: Request, service: ServiceDep) -> FeedList:
    """The podcast feeds: everything, then one per section that has episodes."""
    base = base_url(service, request)
    title = service.settings.feed_title
    items = [
        FeedInfo(
            section=None,
            title=title,
            url=f"{base}/feed.xml",
            episodes=len(service.store.served_articles(limit=FEED_ITEMS)),
        )
    ]
    for key, (name, count) in sections(service).items():
        items.append(
            FeedInfo(
                section=key,
                title=f"{title} – {name}",
                url=f"{base}/feed.xml?section={key}",
                episodes=min(count, FEED_ITEMS),
            )
        )
    return FeedList(items=items)


@router.get("/feed/{name}", response_class=FileResponse, operation_id="get_feed_artwork")
@router.head("/feed/{name}", response_class=FileResponse, operation_id="head_feed_artwork")
def artwork(name: str, request: Request, service: ServiceDep) -> Response:
    """Channel artwork; its name changes with its content, so it is cached for good."""
    if _ARTWORK_NAME.fullmatch(name) is None:
        raise NotFoundError(f"No artwork {name[:64]!r} here.", reason="not_found")
    media_type = _ARTWORK_TYPES[name.rsplit(".", 1)[1]]
    if delivery_mode(service) != "local":  # object storage: redirect or proxy (delivery.py)
        return blob_response(
            service,
            request,
            f"feed/{name}",
            media_type=media_type,
            etag_prefix="",
            cache_control="public, max-age=31536000, immutable",
        )
    path = local_blobs(service).local_path(f"feed/{name}")
    stat = path.stat()
    etag = f'"{name}"'
    headers = {
        "ETag": etag,
        "Cache-Control": "public, max-age=31536000, immutable",
        "X-Content-Type-Options": "nosniff",
        "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
    }
    inm = request.headers.get("if-none-match")
    if inm and (
        inm.strip() == "*" or etag in [t.strip().removeprefix("W/") for t in inm.split(",")]
    ):
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=media_type, headers=headers, stat_result=stat)
