"""Personal data never reaches application logs."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from epidesk.db import make_engine
from epidesk.logs import PersonalDataFilter, scrub
from epidesk.migrate import upgrade
from epidesk_dev.pgcluster import free_port


@pytest.mark.parametrize(
    ("raw", "leak"),
    [
        ('GET /people?q=wang+xiuying HTTP/1.1" 200', "xiuying"),
        ("lookup 13812345678 failed", "13812345678"),
        ("id 11010519491231002X not found", "11010519491231002X"),
    ],
)
def test_scrub_removes_queries_and_numbers(raw: str, leak: str) -> None:
    assert leak not in scrub(raw)


def test_scrub_keeps_ordinary_text() -> None:
    assert scrub("GET /places/districts/3 HTTP/1.1 200 in 12.5 ms") == (
        "GET /places/districts/3 HTTP/1.1 200 in 12.5 ms")


def test_filter_scrubs_record_arguments() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, "x", 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/api/people?q=13912345678", "1.1", 200),
                               None)
    PersonalDataFilter().filter(record)
    assert "13912345678" not in record.getMessage()


def test_served_platform_logs_no_search_terms(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/logs.db"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    port = free_port()
    env = {**os.environ, "EPIDESK_DATABASE_URL": url}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from epidesk.cli import main; main()", "serve", "--port",
         str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        httpx.get(f"http://127.0.0.1:{port}/api/people", params={"q": "zhuge liang"})
        httpx.get(f"http://127.0.0.1:{port}/people", params={"q": "13712345678"})
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=20)
    assert "GET /api/people" in output, output  # the access log is on...
    assert "zhuge" not in output
    assert "13712345678" not in output
