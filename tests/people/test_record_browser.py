"""The person's record in headless Chromium: a case's record links to its source tube and
to its contacts, a contact's record says its tier, its end and why; the bulletin opens on
a day with data."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.cases import service as cases
from epidesk.cases.models import CaseEpisode
from epidesk.db import make_engine
from epidesk.kit import clock
from epidesk.kit.days import LATEST, TODAY, day_to_show
from epidesk.people.models import Resident
from epidesk.tracing.runs import service as runs
from tests.testing.batches import csv_bytes, single

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def made(live_database: str) -> dict[str, Any]:
    """The traced case of this module's tests."""
    return traced_case(live_database)


def traced_case(url: str) -> dict[str, Any]:
    """A positive single tube for a resident who lives with others, three days ago: the
    case it proves, traced, with the household as close contacts."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            household = session.scalar(
                select(Resident.household_id).group_by(Resident.household_id)
                .having(func.count() >= 3).order_by(Resident.household_id).limit(1))
            home = list(session.scalars(select(Resident).where(
                Resident.household_id == household).order_by(Resident.id)))
            day = clock.city_today() - timedelta(days=3)
            line = single("REC-1", home[0].id, tube="REC-T1", outcome="positive",
                          ct=(22.0, 23.0), collected=f"{day}T08:00:00+08:00",
                          result=f"{day}T20:00:00+08:00")
            done = cases.ingest_results(session, content=csv_bytes([line]),
                                        filename="record.csv", received_by="lab")
            assert done.accepted, done.report
            case = session.scalars(select(CaseEpisode).where(
                CaseEpisode.resident_id == home[0].id)).one()
            runs.run_tracing(session, actor="test", case_ids=[case.id])
            found = {"case": case.id, "resident": home[0].id, "tube": case.proving_tube_id,
                     "contact": home[1].id, "day": day}
            session.commit()
            return found
    finally:
        engine.dispose()


def test_a_case_s_record_links_to_its_tube_and_contacts_and_back(
        page: Any, live_server: str, made: dict[str, Any]) -> None:
    case_id, tube_id = made["case"], made["tube"]
    page.goto(f"{live_server}/people/{made['resident']}")
    panel = page.locator("#panel-cases")
    row = panel.locator("tr", has=page.locator(f"a[href='/cases/{case_id}']"))
    assert row.count() == 1
    assert "asymptomatic" in row.inner_text() and made["day"].isoformat() in row.inner_text()
    contacts = row.locator(f"a[href='/tracing/cases/{case_id}']")
    assert re.fullmatch(r"[1-9]\d* close and \d+ sub-close contacts", contacts.inner_text())
    # The source tube, and from the tube back to the case it produced.
    row.locator(f"a[href='/testing/tubes/{tube_id}']").click()
    page.wait_for_url(f"**/testing/tubes/{tube_id}")
    assert "REC-T1" in page.locator("h1").inner_text()
    page.locator(f"#tube-cases a[href='/cases/{case_id}']").click()
    page.wait_for_url(f"**/cases/{case_id}")
    # The case page links to its contacts; they list the household member.
    page.locator(f"#case-contacts a[href='/tracing/cases/{case_id}']").click()
    page.wait_for_url(f"**/tracing/cases/{case_id}")
    assert page.locator(f"a[href='/people/{made['contact']}'], "
                        f"a[href='/tracing/contacts/{made['contact']}']").count() >= 1


def test_a_contact_s_record_says_its_tier_end_and_why(
        page: Any, live_server: str, made: dict[str, Any]) -> None:
    page.goto(f"{live_server}/people/{made['contact']}")
    panel = page.locator("#panel-tracing")
    text = panel.inner_text()
    assert "close contact" in text
    assert re.search(r"the last planned test is on \d{4}-\d{2}-\d{2}", text), text
    assert panel.locator(f"a[href='/cases/{made['case']}']").count() == 1
    panel.get_by_role("link", name="Why is this person a contact?").click()
    page.wait_for_url(f"**/tracing/contacts/{made['contact']}")
    assert "household" in page.content().lower()


def test_the_bulletin_opens_on_a_day_with_data(page: Any, live_server: str,
                                               live_database: str, made: dict[str, Any]
                                               ) -> None:
    engine = make_engine(live_database)
    try:
        with Session(engine) as session:
            shown = day_to_show(session)
    finally:
        engine.dispose()
    # The case of three days ago at the latest: never an empty today.
    assert shown.kind in (TODAY, LATEST) and shown.day >= made["day"]
    page.goto(f"{live_server}/cases/bulletin")
    assert page.locator("h1").inner_text() == f"Daily bulletin of {shown.day.isoformat()}"
    assert page.locator("#day").input_value() == shown.day.isoformat()
    if shown.kind == LATEST:
        notice = page.locator("#shown-day").inner_text()
        assert notice == (f"Showing {shown.day.isoformat()}: the latest day with data "
                          f"(today, {shown.today.isoformat()}, has none yet).")
    else:
        assert page.locator("#shown-day").inner_text() == f"Showing {shown.day.isoformat()}: today."
    if shown.day == made["day"]:
        assert int(page.locator("#total-asymptomatic").inner_text()) >= 1
