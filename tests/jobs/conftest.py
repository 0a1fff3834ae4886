"""Worker processes for queue tests: real ``vorlesen worker`` subprocesses."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

from support import stop_processes

ARTICLE = (
    "Meldung Nummer {n}\n\n"
    "Im Landkreis wurden am Montag {n} neue Bäume gepflanzt. Die Aktion kostete "
    "{n}00 Euro und wurde von Freiwilligen getragen. Der Bürgermeister dankte allen "
    "Helfern für ihren Einsatz.\n\n"
    "Weitere Pflanzungen sind für den Herbst geplant. Die Gemeinde sucht dafür noch "
    "Unterstützung aus der Bevölkerung."
)


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
    stop_processes(procs, logs)
