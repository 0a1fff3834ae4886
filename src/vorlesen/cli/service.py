"""CLI commands of the publishing service: ``serve``, ``worker`` and ``token``.

Heavy imports (FastAPI, SQLAlchemy, huey) happen inside the commands, so ``vorlesen read``
starts as fast as before. Errors are mapped to messages by the CLI's ``main``.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from vorlesen.errors import UsageError

if TYPE_CHECKING:  # SQLAlchemy loads in the commands that use it
    from vorlesen.config import Settings
    from vorlesen.service.sources import SourceService
    from vorlesen.store.db import Store

__all__ = ["app_factory", "register"]

_PARENT_ENV = "VORLESEN_SERVE_PID"


def _exit_with_parent() -> None:
    """When started by ``serve``, get SIGTERM as soon as serve is gone (Linux prctl)."""
    parent = os.environ.pop(_PARENT_ENV, None)
    if parent is None or not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    if str(os.getppid()) != parent:  # serve died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _open_store(settings: Settings) -> Store:
    """The service's store; a data directory that cannot be used is the operator's to fix
    (a usage error naming VORLESEN_DATA_DIR), not an internal error."""
    from sqlalchemy.exc import OperationalError

    from vorlesen.store.db import Store

    try:
        return Store.from_settings(settings)
    except (OSError, OperationalError) as exc:
        if isinstance(exc, OperationalError) and settings.database_url:
            raise  # a database server's problem, not the data directory's
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(
            f"The data directory VORLESEN_DATA_DIR={str(settings.data_dir)!r} cannot be "
            f"used: {detail.splitlines()[0] if detail else type(exc).__name__}; set "
            "VORLESEN_DATA_DIR to a directory vorlesen may create and write.",
            reason="data_dir_unusable",
        ) from exc


def _check_range(option: str, value: int, low: int, high: int | None, allowed: str) -> None:
    """Refuse an out-of-range number option with one line, before anything starts."""
    if value < low or (high is not None and value > high):
        raise UsageError(f"{option} {value} is not valid; use {allowed}.", reason="bad_option")


def app_factory() -> object:
    """The app (:func:`vorlesen.server.create_app`) for one of ``serve --http-workers N``'s
    processes (uvicorn imports this by name in each process it starts): the settings from
    the environment, then what exists now moved out of the cyclic collector's reach (see
    :func:`serve`)."""
    from vorlesen.server import create_app

    app = create_app()
    gc.collect()
    gc.freeze()
    return app


def _log_config(pids: bool) -> dict[str, object]:
    """uvicorn's logging, with ``[pid]`` before every line when several processes answer
    (which process served a request, and whose start-up failed)."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, object] = copy.deepcopy(LOGGING_CONFIG)
    if pids:
        formatters = config["formatters"]
        assert isinstance(formatters, dict)
        for formatter in formatters.values():
            formatter["fmt"] = "[%(process)d] " + formatter["fmt"]
    return config


token_app = typer.Typer(help="Manage API tokens (stored hashed; shown once).", no_args_is_help=True)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(help="Render worker processes to start beside the API (0: none).")
    ] = 1,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (costs throughput on audio range requests).")
    ] = False,
    http_workers: Annotated[
        int,
        typer.Option(
            help="HTTP processes sharing the port (uvicorn workers); with VORLESEN_REDIS_URL "
            "they share the rate limits, and sign-ins live in the database."
        ),
    ] = 1,
) -> None:
    """Run the API (and, unless --workers 0, render workers) — one command, nothing else."""
    _check_range("--port", port, 1, 65535, "a port number from 1 to 65535")
    _check_range("--workers", workers, 0, None, "0 or more (0: the API alone)")
    _check_range("--http-workers", http_workers, 1, None, "1 or more")
    import uvicorn

    from vorlesen.config import get_settings
    from vorlesen.server import create_app
    from vorlesen.store.blobs import open_blob_store

    settings = get_settings()
    open_blob_store(settings).check()  # a wrong bucket stops the start here, in one line
    _open_store(settings).close()  # migrate once, before workers race to do it
    if http_workers > 1 and not settings.redis_url:
        typer.echo(
            f"warning: {http_workers} HTTP processes without VORLESEN_REDIS_URL count the "
            "feedback and sign-in limits each on its own (up to that many times the limit).",
            err=True,
        )
    # Workers die with serve even when it is killed: uvicorn re-raises SIGTERM after its
    # shutdown (so the `finally` below may never run), and kill -9 runs nothing at all.
    parent = str(os.getpid())
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "vorlesen.cli", "worker"],
            env={**os.environ, _PARENT_ENV: parent},
        )
        for _ in range(workers)
    ]
    server_options: dict[str, object] = {
        "host": host,
        "port": port,
        "log_level": "info",
        "access_log": access_log,
        # A server that drops idle connections first races clients reusing them: a
        # request sent as the close arrives is lost (a reset, not a response).
        "timeout_keep_alive": settings.keep_alive_s,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "log_config": _log_config(pids=http_workers > 1),
    }
    try:
        if http_workers > 1:
            # uvicorn starts (and restarts, should one die) the processes; each builds
            # its own app, database pool, S3 client and Redis connection.
            uvicorn.run(
                "vorlesen.cli.service:app_factory",
                factory=True,
                workers=http_workers,
                **server_options,  # type: ignore[arg-type]  # run() types each keyword
            )
            return
        app = create_app(settings)
        # What exists now (modules, the app, the service) lives as long as the process:
        # move it out of the cyclic collector's reach, so a full collection under load
        # scans only request garbage. Measured on audio range requests: gen-2 pauses of
        # 40-135 ms before, which were the whole p99 (bench/serve.py).
        gc.collect()
        gc.freeze()
        uvicorn.run(app, **server_options)  # type: ignore[arg-type]  # run() types each keyword
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def worker(
    threads: Annotated[int, typer.Option(help="Jobs this process renders at once.")] = 1,
) -> None:
    """Consume render jobs from the queue (SQLite by default, Redis if configured)."""
    _check_range("--threads", threads, 1, None, "1 or more")
    import logging

    from vorlesen.config import get_settings
    from vorlesen.server import open_worker_queue

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # alembic logs its plugin set-up when imported and its SQL dialect when migrating:
    # nothing an operator acts on (store.migrate logs one line when the schema changes).
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # botocore logs where it found the S3 credentials at every start: nothing to act on.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    _exit_with_parent()
    open_worker_queue(get_settings()).run_worker(threads=threads)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="Who or what uses the token (e.g. 'cms').")],
) -> None:
    """Create a token and print it once; only its hash is stored."""
    from vorlesen.config import get_settings

    if not name.strip():
        raise UsageError(
            "A token needs a name saying who or what uses it (e.g. 'cms').",
            reason="bad_token_name",
        )
    record, secret = _open_store(get_settings()).create_token(name.strip())
    typer.echo(secret)
    typer.echo(
        f"token {record.id} ({record.name}) created; store it now, it is not shown again.", err=True
    )


@token_app.command("list")
def token_list() -> None:
    """List tokens: id, name, prefix, created, revoked."""
    from vorlesen.config import get_settings

    for t in _open_store(get_settings()).list_tokens():
        revoked = t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else "-"
        typer.echo(
            f"{t.id}\t{t.name}\t{t.prefix}…\t"
            f"{t.created_at.isoformat(timespec='seconds')}\t{revoked}"
        )


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="Id from 'token list'.")]) -> None:
    """Revoke a token: requests using it get 403 from now on."""
    from vorlesen.config import get_settings

    record = _open_store(get_settings()).revoke_token(token_id)
    typer.echo(f"token {record.id} ({record.name}) revoked")


sources_app = typer.Typer(
    help="Feeds (RSS, Atom) and sitemaps the worker polls and renders.", no_args_is_help=True
)


def _sources() -> SourceService:
    from vorlesen.config import get_settings
    from vorlesen.server import make_queue
    from vorlesen.store.blobs import LocalBlobStore

    settings = get_settings()
    store = _open_store(settings)
    return make_queue(settings, store, LocalBlobStore(settings.data_dir)).sources


@sources_app.command("add")
def sources_add(
    url: Annotated[str, typer.Argument(help="Feed or sitemap URL (http/https).")],
    voice: Annotated[str | None, typer.Option(help="Voice for its articles.")] = None,
    language: Annotated[
        str | None, typer.Option(help="Language of its articles (skips detection).")
    ] = None,
) -> None:
    """Add a feed or sitemap; the worker polls it every VORLESEN_SOURCES_POLL_S seconds."""
    record = _sources().add(url, voice=voice, language=language)
    typer.echo(f"source {record.id} added: {record.url}")


@sources_app.command("list")
def sources_list() -> None:
    """List sources: id, URL, kind, articles found, last check, last error."""
    for s in _sources().all():
        checked = s.last_checked_at.isoformat(timespec="seconds") if s.last_checked_at else "-"
        error = f"{s.error_reason}: {s.error_message}" if s.error_reason else "-"
        typer.echo(f"{s.id}\t{s.url}\t{s.kind or '-'}\t{s.items_found}\t{checked}\t{error}")


@sources_app.command("remove")
def sources_remove(
    source_id: Annotated[int, typer.Argument(help="Id from 'sources list'.")],
) -> None:
    """Stop polling a source; the articles it brought keep their audio."""
    record = _sources().remove(source_id)
    typer.echo(f"source {record.id} removed: {record.url}")


@sources_app.command("poll")
def sources_poll() -> None:
    """Poll every source now and queue what is new or changed (the worker renders it)."""
    service = _sources()
    for s in service.all():
        result = service.poll(s.id)
        detail = f" ({result.reason})" if result.reason else ""
        typer.echo(f"{s.id}\t{result.status}{detail}\tnew {result.new}\tchanged {result.changed}")


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``worker``, ``token`` and ``sources`` to the ``vorlesen`` command."""
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.add_typer(token_app, name="token")
    app.add_typer(sources_app, name="sources")
