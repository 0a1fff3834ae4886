"""Worker processes for queue tests: real ``vorlesen worker`` subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

from vorlesen.config import Settings

ARTICLE = (
    "Meldung Nummer {n}\n\n"
    "Im Landkreis wurden am Montag {n} neue Bäume gepflanzt. Die Aktion kostete "
    "{n}00 Euro und wurde von Freiwilligen getragen. Der Bürgermeister dankte allen "
    "Helfern für ihren Einsatz.\n\n"
    "Weitere Pflanzungen sind für den Herbst geplant. Die Gemeinde sucht dafür noch "
    "Unterstützung aus der Bevölkerung."
)


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VORLESEN_")}
    env.update(
        VORLESEN_DATA_DIR=str(tmp_path / "data"),
        VORLESEN_CACHE_DIR=str(tmp_path / "cache"),
        VORLESEN_OFFLINE="1",
        VORLESEN_ENGINE="espeak",
        VORLESEN_JOBS="1",
        VORLESEN_RENDER_LEASE_S="4",
    )
    env.update(extra)
    return env


def settings_from(env: dict[str, str]) -> Settings:
    """Settings as the workers will see them (without touching this process's env)."""
    fields = {
        k.removeprefix("VORLESEN_").lower(): v for k, v in env.items() if k.startswith("VORLESEN_")
    }
    return Settings(**fields)  # type: ignore[arg-type]


@pytest.fixture
def spawn_worker(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    logs: list[IO[bytes]] = []

    def spawn(env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"worker-{len(procs)}.log").open("wb")
        logs.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "vorlesen.cli", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        procs.append(proc)
        return proc

    yield spawn
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for log in logs:
        log.close()


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
