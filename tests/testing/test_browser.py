"""Uploading lab batches in headless Chromium against the live synthetic city."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.db import make_engine
from epidesk.people.models import Resident
from epidesk.testing.models import Sample
from tests.testing.batches import csv_bytes, pool, single

pytestmark = pytest.mark.browser


def residents(url: str, count: int) -> list[int]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return list(session.scalars(select(Resident.id).order_by(Resident.id).limit(count)))
    finally:
        engine.dispose()


def samples(url: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return int(session.scalar(select(func.count()).select_from(Sample)) or 0)
    finally:
        engine.dispose()


def times() -> dict[str, str]:
    day = datetime.now(UTC) - timedelta(days=1)
    return {"collected": (day - timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "result": day.strftime("%Y-%m-%dT%H:%M:%SZ")}


def upload(page: Any, base: str, path: Path) -> None:
    page.goto(f"{base}/testing")
    page.get_by_label("Lab batch file (CSV or Parquet)").set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(re.compile(r"/testing/batches/\d+\?uploaded="))


def test_a_bad_batch_shows_its_report_and_writes_nothing(page: Any, live_server: str,
                                                         live_database: str, tmp_path: Path):
    ids = residents(live_database, 5)
    tag = uuid.uuid4().hex[:8]
    rows = [*pool(f"P{tag}", ids, **times()),
            single(f"X{tag}", 99_999_999, **times()),
            single(f"Y{tag}", ids[0], outcome="positive", **times())]
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes(rows))
    before = samples(live_database)
    upload(page, live_server, path)
    assert page.url.endswith("uploaded=rejected")
    assert "nothing of this file was written" in page.locator("#verdict").inner_text()
    report = page.locator("#problems")
    unknown = report.locator('tr[data-kind="unknown_resident"]')
    assert unknown.locator("td").nth(0).inner_text() == "7"
    assert unknown.locator("td").nth(1).inner_text() == "resident_id"
    assert "99999999" in unknown.locator("td").nth(2).inner_text()
    assert report.locator('tr[data-kind="positive_without_ct"]').count() == 1
    assert samples(live_database) == before


def test_a_good_batch_is_accepted_and_its_case_is_listed(page: Any, live_server: str,
                                                        live_database: str, tmp_path: Path):
    ids = residents(live_database, 12)
    tag = uuid.uuid4().hex[:8]
    rows = [*pool(f"P{tag}", ids[:10], outcome="positive", ct=(24.0, 25.5), **times()),
            single(f"S{tag}", ids[11], outcome="positive", ct=(21.0, 22.0), **times())]
    path = tmp_path / "good.csv"
    path.write_bytes(csv_bytes(rows))
    before = samples(live_database)
    upload(page, live_server, path)
    assert page.url.endswith("uploaded=accepted")
    assert "Accepted: 11 samples in 2 tubes" in page.locator("#verdict").inner_text()
    assert samples(live_database) == before + 11
    page.get_by_role("link", name=f"P{tag}").click()
    page.wait_for_url(re.compile(r"/testing/tubes/\d+$"))
    assert page.locator("h1").inner_text().startswith(f"Tube P{tag}")

    page.goto(f"{live_server}/cases?resident_id={ids[11]}")
    row = page.locator("#cases tbody tr").first
    assert "asymptomatic" in row.inner_text()
    row.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    assert "asymptomatic infection" in page.locator("h1").inner_text()
    page.goto(f"{live_server}/testing/residents/{ids[0]}")
    assert "pool positive, retest" in page.locator("#state").inner_text()
