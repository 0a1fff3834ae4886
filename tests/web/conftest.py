"""A real vorlesen service on 127.0.0.1 (uvicorn in a thread, espeak-ng rendering, a worker
thread draining the queue) and headless Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from support import free_port, wait_until
from vorlesen.config import Settings
from vorlesen.server import create_app, make_service
from vorlesen.service.container import Service

TOKEN = "web-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]

ARTICLE = {
    "kicker": "Verkehr",
    "title": "Neue Brücke über den Rhein eröffnet",
    "teaser": "Nach vier Jahren Bauzeit ist die Brücke bei Kuhlheim frei.",
    "text": (
        "Die Brücke ist 420 Meter lang und hat 85 Millionen Euro gekostet. "
        "Bürgermeisterin Anja Kowalczyk sprach von einem großen Tag für die Region. "
        "Täglich sollen rund 20.000 Autos über die Brücke fahren.\n\n"
        "Die Bauarbeiten hatten sich um ein Jahr verzögert. "
        "Grund waren Probleme mit dem Untergrund am östlichen Ufer."
    ),
}


@dataclass
class LiveService:
    url: str
    service: Service

    def wait_ready(self, source_id: str, revision: int = 1, timeout: float = 120.0) -> dict:
        """Poll the API until ``revision`` (or later) of the article is ready."""
        deadline = time.monotonic() + timeout
        state: dict = {}
        while time.monotonic() < deadline:
            state = httpx.get(f"{self.url}/api/articles/{source_id}").json()
            if state.get("status") == "ready" and state.get("ready_revision", 0) >= revision:
                return state
            if state.get("status") == "failed":
                raise AssertionError(f"render failed: {state}")
            time.sleep(0.3)
        raise AssertionError(f"article not ready in {timeout} s: {state}")


@contextmanager
def serve_live(settings: Settings, port: int | None = None) -> Iterator[tuple[str, Service]]:
    """The service for ``settings`` on 127.0.0.1 (uvicorn in a thread) with a worker
    thread draining its queue: its URL and the service, stopped on exit."""
    service = make_service(settings)
    app = create_app(settings, service=service)
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            if service.queue.run_pending() == 0:
                stop.wait(0.2)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    try:
        wait_until(lambda: server.started, 20, "uvicorn to start")
        yield f"http://127.0.0.1:{port}", service
    finally:
        stop.set()
        server.should_exit = True
        thread.join(10)
        worker.join(30)
        service.store.close()


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    root = tmp_path_factory.mktemp("web-service")
    settings = Settings(
        data_dir=root / "data",
        cache_dir=root / "cache",
        offline=True,
        engine="espeak",
        jobs=1,
        api_tokens=TOKEN,
        feedback_per_minute=0,
    )
    with serve_live(settings) as (url, service):
        yield LiveService(url=url, service=service)


@pytest.fixture(scope="session")
def article(live: LiveService) -> str:
    """A short German article, published through the API and rendered."""
    source_id = "bruecke-rhein"
    response = httpx.put(f"{live.url}/api/articles/{source_id}", json=ARTICLE, headers=AUTH)
    assert response.status_code == 202, response.text
    live.wait_ready(source_id)
    return source_id


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where a test's screenshots go (pytest keeps the last runs' under its basetemp)."""
    folder = tmp_path / "shots"
    folder.mkdir()
    return folder


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
