"""The use cases that combine the store, the fetch and the render queue.

The edges (``api/``, ``web/``, ``cli``, ``jobs/``) translate HTTP, forms, command lines and
queue messages into these calls, and their errors into answers; no logic lives in a route.

* :mod:`vorlesen.service.pages`: a page a player sits on becomes an article (allowed hosts,
  one fetch however many listeners, refusals remembered, rechecks).
* :mod:`vorlesen.service.sources`: feeds and sitemaps, polled and kept in sync.
"""

from __future__ import annotations

from vorlesen.service.pages import PageService, host_allowed, normalize_page_url, page_id
from vorlesen.service.sources import SourceService

__all__ = ["PageService", "SourceService", "host_allowed", "normalize_page_url", "page_id"]
