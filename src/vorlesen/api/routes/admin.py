"""Operations: ``/healthz`` for load balancers, ``/metrics`` for Prometheus."""

from __future__ import annotations

from fastapi import APIRouter, Response

from vorlesen.errors import EngineError
from vorlesen.http.deps import ServiceDep

__all__ = ["router"]

router = APIRouter(tags=["operations"])

_METRICS: tuple[tuple[str, str, str], ...] = (
    ("renders_ready", "counter", "Renders finished with audio."),
    ("renders_failed", "counter", "Renders that failed."),
    ("utterances_synthesized", "counter", "Utterances synthesized by an engine."),
    ("utterances_cached", "counter", "Utterances served from the utterance cache."),
    ("audio_seconds", "counter", "Seconds of audio rendered."),
    ("render_wall_seconds", "counter", "Wall-clock seconds spent rendering."),
    ("feedback", "counter", "Listener feedback reports received."),
)


@router.get("/healthz")
def healthz(service: ServiceDep) -> dict[str, str]:
    """``{"status": "ok"}`` when the database and the queue answer; 503 otherwise."""
    try:
        service.store.ping()
        service.queue.pending()
    except Exception as exc:
        raise EngineError(
            f"The service is not healthy: {type(exc).__name__}.", reason="unhealthy"
        ) from exc
    return {"status": "ok"}


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain; version=0.0.4": {}}}},
)
def metrics(service: ServiceDep) -> Response:
    """Prometheus text format; counts come from the database, so every API process agrees."""
    counts = service.store.render_counts()
    lines: list[str] = []
    for name, kind, help_text in _METRICS:
        full = f"vorlesen_{name}_total"
        lines += [f"# HELP {full} {help_text}", f"# TYPE {full} {kind}", f"{full} {counts[name]:g}"]
    audio = counts["audio_seconds"]
    rtf = counts["render_wall_seconds"] / audio if audio else 0.0
    lines += [
        "# HELP vorlesen_real_time_factor Render wall time per second of audio.",
        "# TYPE vorlesen_real_time_factor gauge",
        f"vorlesen_real_time_factor {rtf:.4f}",
    ]
    lines += [
        "# HELP vorlesen_queue_depth Jobs waiting in the queue.",
        "# TYPE vorlesen_queue_depth gauge",
        f"vorlesen_queue_depth {service.queue.pending()}",
    ]
    lines += ["# HELP vorlesen_articles Articles by status.", "# TYPE vorlesen_articles gauge"]
    for status in ("queued", "rendering", "ready", "failed"):
        lines.append(f'vorlesen_articles{{status="{status}"}} {counts["articles_" + status]:g}')
    return Response("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")
