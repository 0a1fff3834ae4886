"""Suite-wide settings.

Building a voice's optimized graph (:mod:`vorlesen.synth.optimize`) takes a second or two
per cache directory, and most tests use a fresh temporary cache directory: the suite turns
it off by default and ``tests/synth/test_optimize.py`` turns it on where it is the subject
(including an end-to-end ``vorlesen read``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from support import S3_ENV, create_bucket, moto_server

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from vorlesen.config import Settings
    from vorlesen.service.container import Service

os.environ.setdefault("VORLESEN_OPTIMIZE_VOICES", "0")


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto S3 server for the whole session (started on first use)."""
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as endpoint:
        yield endpoint


@pytest.fixture
def s3_bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, empty bucket on the moto server; this process's AWS_* point at moto."""
    for key, value in S3_ENV.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    bucket = f"vt-{uuid.uuid4().hex[:16]}"
    create_bucket(s3_endpoint, bucket)
    return bucket


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    """The service for the test's own ``settings`` fixture (the api and robustness
    suites define theirs), its store closed afterwards."""
    from vorlesen.server import make_service

    svc = make_service(settings)
    yield svc
    svc.store.close()


@pytest.fixture
def client(settings: Settings, service: Service) -> Iterator[TestClient]:
    """The real app (``create_app``) in process, with that service behind it."""
    from fastapi.testclient import TestClient

    from vorlesen.server import create_app

    with TestClient(create_app(settings, service=service)) as c:
        yield c
