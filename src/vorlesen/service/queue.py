"""What the use cases need from a job queue, as protocols: the service floor never imports
the queue itself (``vorlesen.jobs``, an edge); the composition root (:mod:`vorlesen.server`)
hands the real :class:`~vorlesen.jobs.queue.JobQueue` in.

* :class:`RenderQueue`: where a (re-)render is queued (the lexicon's re-renders).
* :class:`WorkQueue`: renders and page fetches (pages, sources).
* :class:`ServiceQueue`: what a service process's routes use besides (feeds and sitemaps,
  the queue's depth for health and metrics).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from vorlesen.service.sources import SourceService

__all__ = ["RenderQueue", "ServiceQueue", "WorkQueue"]


class RenderQueue(Protocol):
    """Where a render is queued (the service's job queue)."""

    def enqueue_render(self, source_id: str, revision: int) -> None: ...


class WorkQueue(RenderQueue, Protocol):
    """Where work goes: renders and page fetches."""

    def enqueue_page(self, source_id: str) -> None: ...


class ServiceQueue(WorkQueue, Protocol):
    """The queue a service process shares between requests."""

    @property
    def sources(self) -> SourceService:
        """The feeds and sitemaps whose items go onto this queue."""
        ...

    def pending(self) -> int:
        """Jobs waiting in the queue."""
        ...
