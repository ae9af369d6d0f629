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


def test_the_application_lets_the_event_loop_take_the_interpreter_within_the_setting(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The cached public pages are answered by the event loop while staff pages compute
    # in worker threads: the switch interval bounds how long those hold the loop back.
    import sys

    from epidesk.app import create_app

    before = sys.getswitchinterval()
    try:
        monkeypatch.setenv("EPIDESK_THREAD_SWITCH_MS", "2.5")
        get_settings.cache_clear()
        create_app()
        assert sys.getswitchinterval() == pytest.approx(0.0025)
        monkeypatch.delenv("EPIDESK_THREAD_SWITCH_MS")
        get_settings.cache_clear()
        create_app()
        assert sys.getswitchinterval() == pytest.approx(0.001)
        monkeypatch.setenv("EPIDESK_THREAD_SWITCH_MS", "0")
        get_settings.cache_clear()
        with pytest.raises(ValueError, match="thread_switch_ms"):
            get_settings()
    finally:
        monkeypatch.delenv("EPIDESK_THREAD_SWITCH_MS", raising=False)
        get_settings.cache_clear()
        sys.setswitchinterval(before)
