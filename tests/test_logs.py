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


def _logged_with_traceback(exc: BaseException) -> str:
    """What a handler with the filter writes for an exception logged with its traceback."""
    import io

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalDataFilter())
    logger = logging.getLogger("epidesk.tests.traceback")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise exc
        except BaseException:
            logger.exception("unhandled error on %s %s", "GET", "/api/people?q=wang+xiuying")
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_tracebacks_of_sql_errors_are_scrubbed_and_read_cleanly() -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import IntegrityError

    engine = create_engine("sqlite://")
    values = {"u": "wang.xiuying", "a": "Willow Court 3-2-101", "p": "13812345678"}
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE account (username TEXT UNIQUE, address TEXT, "
                          "phone TEXT)"))
        conn.execute(text("INSERT INTO account VALUES (:u, :a, :p)"), values)
    with pytest.raises(IntegrityError) as failed, engine.begin() as conn:
        conn.execute(text("INSERT INTO account VALUES (:u, :a, :p)"), values)
    output = _logged_with_traceback(failed.value)
    assert "Traceback (most recent call last)" in output
    assert "IntegrityError" in output and "UNIQUE constraint failed" in output
    for leak in ("wang", "xiuying", "Willow Court", "13812345678"):
        assert leak not in output, leak
    assert "[parameters removed]" in output
    # SQL placeholders stay as they were; only the URL's query string is removed.
    assert "INSERT INTO account VALUES (?, ?, ?)" in output
    assert "GET /api/people?[query removed]" in output
    assert "?[query removed]" not in output.replace("/api/people?[query removed]", "")


@pytest.mark.parametrize(("raw", "clean"), [
    ('DETAIL:  Key (username)=(wang.xiuying) already exists.',
     "DETAIL:  Key (username)=([value removed]) already exists."),
    ("DETAIL:  Failing row contains (7, Wang Fang, Willow Court 3-2-101).",
     "DETAIL:  Failing row contains ([row removed])."),
    ("mail to fang.wang@example.cn bounced", "mail to [e-mail] bounced"),
    ("SELECT id FROM resident WHERE name = ? AND (x = ?)",
     "SELECT id FROM resident WHERE name = ? AND (x = ?)"),
])
def test_scrub_removes_database_details_and_reads_cleanly(raw: str, clean: str) -> None:
    assert scrub(raw) == clean
