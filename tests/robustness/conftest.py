"""Shared fixtures for the robustness suite (hostile input, faults, load).

Every robustness test reports what it proved as one JSON line appended to the file named by
``VORLESEN_ROBUSTNESS_REPORT`` (when set), so ``make robustness`` can print one summary table
(``tests/robustness/summary.py``). Without the variable the rows are simply dropped, and the
tests still assert everything themselves.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from support import (
    free_port,
    service_settings,
    stop_processes,
    subprocess_env,
    wait_until,
)
from vorlesen.config import Settings
from vorlesen.server import create_app, make_service
from vorlesen.service.container import Service

REPORT_ENV = "VORLESEN_ROBUSTNESS_REPORT"
GROUPS = ("hostile input", "faults", "load")

Report = Callable[..., None]


def write_report_row(
    *,
    group: str,
    item: str,
    tried: int = 0,
    refused: int = 0,
    survived: int = 0,
    lost: int = 0,
    note: str = "",
) -> None:
    """Append one summary row (a JSON line) to ``$VORLESEN_ROBUSTNESS_REPORT``, if set.

    ``group`` is one of "hostile input", "faults", "load"; ``tried`` counts inputs or
    operations attempted, ``refused`` attacks rejected, ``survived`` faults or requests the
    service came through, ``lost`` items that went missing (must be 0), ``note`` free text
    such as "throughput 812 req/s, p99 41 ms".
    """
    if group not in GROUPS:
        raise ValueError(f"unknown report group {group!r}; use one of {GROUPS}")
    row: dict[str, Any] = {
        "group": group,
        "item": item,
        "tried": int(tried),
        "refused": int(refused),
        "survived": int(survived),
        "lost": int(lost),
        "note": note,
    }
    target = os.environ.get(REPORT_ENV)
    if not target:
        return
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    # One short write with O_APPEND: rows from parallel processes do not interleave.
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")


@pytest.fixture
def robustness_report() -> Report:
    """The ``report(**row)`` helper: ``robustness_report(group=..., item=..., tried=...)``."""
    return write_report_row


# -- a real `vorlesen serve` subprocess on loopback (faults and load) ---------------------

ROBUST_TOKEN = "robust-token"
ROBUST_AUTH = {"Authorization": f"Bearer {ROBUST_TOKEN}"}
ROBUST_PG_URL = os.environ.get(
    "VORLESEN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)


def robust_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for service subprocesses: offline, espeak-ng, one synthesis job, the
    robustness token, no feedback rate limit."""
    return subprocess_env(
        tmp_path,
        **{"VORLESEN_API_TOKENS": ROBUST_TOKEN, "VORLESEN_FEEDBACK_PER_MINUTE": "0", **extra},
    )


class RobustServer:
    """One ``vorlesen serve`` (or ``vorlesen worker``) subprocess and where it listens."""

    def __init__(self, proc: Any, url: str, log: Path) -> None:
        self.proc = proc
        self.url = url
        self.log = log

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text("utf-8", errors="replace")[-chars:]


@pytest.fixture
def robust_processes(tmp_path: Path) -> Any:
    """Start ``vorlesen serve``/``worker`` subprocesses; all are stopped after the test.

    Yields ``start(kind, env, port=None, workers=0) -> RobustServer``; a server is returned
    once ``/healthz`` answers 200.
    """
    import subprocess
    import sys

    import httpx

    procs: list[subprocess.Popen[bytes]] = []
    logs: list[Any] = []

    def start(
        kind: str, env: dict[str, str], *, port: int | None = None, workers: int = 0
    ) -> RobustServer:
        log_path = tmp_path / f"{kind}-{len(procs)}.log"
        log = log_path.open("wb")
        logs.append(log)
        cmd = [sys.executable, "-m", "vorlesen.cli", kind]
        url = ""
        if kind == "serve":
            port = port or free_port()
            url = f"http://127.0.0.1:{port}"
            cmd += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        server = RobustServer(proc, url, log_path)
        if kind == "serve":

            def healthy() -> bool:
                if proc.poll() is not None:
                    raise AssertionError(f"vorlesen serve exited early:\n{server.log_tail()}")
                try:
                    return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
                except httpx.HTTPError:
                    return False

            wait_until(healthy, 60, "vorlesen serve to answer /healthz")
        return server

    yield start
    stop_processes(procs, logs)


@pytest.fixture
def robust_pg_url() -> Any:
    """A PostgreSQL URL whose ``search_path`` is a fresh schema (dropped afterwards).

    Skips when PostgreSQL (``VORLESEN_TEST_POSTGRES``, default 127.0.0.1:5432/test) is
    unreachable, like the scale-out tests in ``tests/jobs``.
    """
    import uuid

    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(ROBUST_PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {ROBUST_PG_URL} is unreachable: {exc}")
    tag = "vr_" + uuid.uuid4().hex[:12]
    admin.execute(f'CREATE SCHEMA "{tag}"')
    sep = "&" if "?" in ROBUST_PG_URL else "?"
    try:
        yield f"{ROBUST_PG_URL}{sep}options=-csearch_path%3D{tag}"
    finally:
        admin.execute(f'DROP SCHEMA "{tag}" CASCADE')
        admin.close()


# -- hostile input: an in-process service (test_ssrf, test_xml, test_web_attacks) ------------

HOSTILE_TOKEN = "hostile-test-token"
HOSTILE_AUTH = {"Authorization": f"Bearer {HOSTILE_TOKEN}"}
HOSTILE_FEEDBACK_PER_MINUTE = 10
HOSTILE_MAX_REQUEST_BYTES = 100_000


@pytest.fixture
def hostile_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings of a throwaway service: temp data/cache dirs, offline, espeak, one token."""
    env = {
        "VORLESEN_API_TOKENS": HOSTILE_TOKEN,
        "VORLESEN_FEEDBACK_PER_MINUTE": str(HOSTILE_FEEDBACK_PER_MINUTE),
        "VORLESEN_MAX_REQUEST_BYTES": str(HOSTILE_MAX_REQUEST_BYTES),
        "VORLESEN_FETCH_TIMEOUT": "0.4",
        # The bypass test sends hundreds of wrong tokens from one client and checks each
        # answer is 401/403; throttling those has its own test (test_sessions.py).
        "VORLESEN_AUTH_FAILURES_PER_MINUTE": "0",
    }
    unset = (
        "VORLESEN_DATABASE_URL",
        "VORLESEN_REDIS_URL",
        "VORLESEN_FETCH_ALLOW_HOSTS",
        "VORLESEN_PUBLIC_URL",
        "VORLESEN_WEBHOOK_URLS",
        "VORLESEN_CORS_ORIGINS",
    )
    yield from service_settings(tmp_path, monkeypatch, env, unset)


@pytest.fixture
def hostile_service(hostile_settings: Settings) -> Iterator[Service]:
    service = make_service(hostile_settings)
    yield service
    service.store.close()


@pytest.fixture
def hostile_client(hostile_settings: Settings, hostile_service: Service) -> Iterator[TestClient]:
    """The real app (``create_app``) in process, with the hostile service behind it."""
    with TestClient(create_app(hostile_settings, service=hostile_service)) as client:
        yield client


HOSTILE_SUMMARY_ATTR = "vorlesen_hostile_summary"
"""Attribute of ``pytest.Config`` where hostile-input tests leave lines for the summary."""


def hostile_summary(config: pytest.Config, line: str) -> None:
    """Queue ``line`` for the terminal summary (fixture teardown output would be captured)."""
    lines: list[str] = getattr(config, HOSTILE_SUMMARY_ATTR, [])
    lines.append(line)
    setattr(config, HOSTILE_SUMMARY_ATTR, lines)


def report_refusals(config: pytest.Config, tried: dict[str, int], refused: dict[str, int]) -> None:
    """At the end of a hostile-input module: one summary line and one report row per item
    (``tried`` inputs, ``refused`` of them), none lost."""
    for item in sorted(tried):
        hostile_summary(
            config,
            f"  {item:<38} {tried[item]:>6} tried, {refused.get(item, 0):>6} refused, 0 lost",
        )
        write_report_row(
            group="hostile input",
            item=item,
            tried=tried[item],
            refused=refused.get(item, 0),
            lost=0,
        )


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the hostile-input counts (examples fuzzed, attacks refused) after the run."""
    lines: list[str] = getattr(config, HOSTILE_SUMMARY_ATTR, [])
    if lines:
        terminalreporter.section("hostile input")
        for line in lines:
            terminalreporter.write_line(line)
