"""How the server is run: forwarded addresses are believed only from configured proxies."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request

from epidesk.app import server_options
from epidesk.config import get_settings
from epidesk_dev.pgcluster import free_port


@contextmanager
def _serving(options: dict[str, object]) -> Iterator[str]:
    app = FastAPI()

    @app.get("/who")
    def who(request: Request) -> dict[str, str]:
        return {"address": request.client.host if request.client else ""}

    port = free_port()
    config = uvicorn.Config(app, log_level="warning",
                            **{**options, "host": "127.0.0.1", "port": port})  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_a_forged_forwarded_for_is_ignored_by_default(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.delenv("EPIDESK_TRUSTED_PROXIES", raising=False)
    options = server_options()
    assert options["proxy_headers"] is False
    with _serving(options) as base:
        seen = httpx.get(f"{base}/who", headers={"X-Forwarded-For": "203.0.113.9"}).json()
    assert seen["address"] == "127.0.0.1"


def test_a_configured_proxy_is_believed(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("EPIDESK_TRUSTED_PROXIES", '["127.0.0.1"]')
    get_settings.cache_clear()
    options = server_options()
    assert options["proxy_headers"] is True
    with _serving(options) as base:
        seen = httpx.get(f"{base}/who", headers={"X-Forwarded-For": "203.0.113.9"}).json()
    assert seen["address"] == "203.0.113.9"
