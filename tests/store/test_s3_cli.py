"""A bad storage URL or a bucket that cannot be used stops ``serve`` and ``worker`` with
one line naming it (a real ``vorlesen`` executable, a real moto S3 server)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import S3_ENV, free_port

EXE = str(Path(sys.executable).with_name("vorlesen"))


def _run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("VORLESEN_", "AWS_"))}
    return subprocess.run(
        [EXE, *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            **base,
            **S3_ENV,
            "AWS_MAX_ATTEMPTS": "1",
            "VORLESEN_DATA_DIR": str(tmp_path / "data"),
            "VORLESEN_CACHE_DIR": str(tmp_path / "cache"),
            "VORLESEN_OFFLINE": "1",
            **env,
        },
        timeout=120,
        check=False,
    )


def _one_line(result: subprocess.CompletedProcess[str], code: int, reason: str) -> str:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("vorlesen: ") and lines[0].endswith(f"[{reason}]"), lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("command", [["serve", "--workers", "0"], ["worker"]])
def test_a_bad_storage_url_is_one_line(tmp_path: Path, command: list[str]) -> None:
    result = _run(tmp_path, *command, VORLESEN_STORAGE_URL="ftp://audio/x")
    line = _one_line(result, 2, "bad_storage_url")
    assert "VORLESEN_STORAGE_URL" in line and "ftp://audio/x" in line


@pytest.mark.parametrize("command", [["serve", "--workers", "0"], ["worker"]])
def test_a_missing_bucket_is_one_line(tmp_path: Path, s3_endpoint: str, command: list[str]) -> None:
    result = _run(
        tmp_path,
        *command,
        VORLESEN_STORAGE_URL="s3://never-created/audio",
        VORLESEN_S3_ENDPOINT_URL=s3_endpoint,
    )
    assert "never-created" in _one_line(result, 4, "bucket_not_found")


def test_an_unreachable_endpoint_is_one_line(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    result = _run(
        tmp_path,
        "serve",
        "--workers",
        "0",
        VORLESEN_STORAGE_URL="s3://audio/x",
        VORLESEN_S3_ENDPOINT_URL=endpoint,
    )
    assert endpoint in _one_line(result, 4, "storage_unreachable")


def test_http_workers_must_be_one_or_more(tmp_path: Path) -> None:
    result = _run(tmp_path, "serve", "--http-workers", "0")
    assert "--http-workers" in _one_line(result, 2, "bad_option")
