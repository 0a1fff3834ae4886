"""An in-process service on a temporary data directory, rendering with espeak-ng."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support import service_settings
from vorlesen.config import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "service"
TOKEN = "test-token-1"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def article_text() -> str:
    return (FIXTURES / "artikel.txt").read_text("utf-8")


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    env = {
        "VORLESEN_API_TOKENS": f"{TOKEN},second-token",
        "VORLESEN_FEEDBACK_PER_MINUTE": "5",
        "VORLESEN_MAX_REQUEST_BYTES": "200000",
        "VORLESEN_PUBLIC_URL": "http://testserver",
    }
    yield from service_settings(tmp_path, monkeypatch, env)
