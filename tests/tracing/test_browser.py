"""An investigator's flow in headless Chromium against the live synthetic city."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.cases.models import CaseEpisode
from epidesk.db import make_engine
from epidesk.geography.models import Community, Subdistrict
from epidesk.kit import clock
from epidesk.people.models import Resident, Venue
from tests.tracing.helpers import visit_csv

pytestmark = pytest.mark.browser


def people(url: str) -> dict[str, Any]:
    """A resident who lives with others, someone from another household, and a venue."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            household = session.scalar(
                select(Resident.household_id).group_by(Resident.household_id)
                .having(func.count() >= 3).order_by(Resident.household_id.desc()).limit(1))
            home = list(session.scalars(select(Resident).where(
                Resident.household_id == household).order_by(Resident.id)))
            other = session.scalars(select(Resident).where(Resident.household_id != household)
                                    .order_by(Resident.id.desc()).limit(1)).one()
            venue = session.scalars(select(Venue).order_by(Venue.id).limit(1)).one()
            return {"case": home[0], "home": home[1:], "other": other, "venue": venue}
    finally:
        engine.dispose()


def register_case(url: str, resident: Resident, sampled: date) -> int:
    """A new asymptomatic case of the resident, as the case registry records one."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            community = session.get(Community, resident.community_id)
            assert community is not None
            subdistrict = session.get(Subdistrict, community.subdistrict_id)
            assert subdistrict is not None
            now = datetime.now(UTC)
            case = CaseEpisode(
                resident_id=resident.id, classification="asymptomatic", status="active",
                sampling_date=sampled, onset_date=None, isolation_date=sampled,
                reported_on=sampled, diagnosed_at=now, recorded_at=now,
                asymptomatic_on=sampled, confirmed_on=None, district_id=subdistrict.district_id,
                community_id=community.id, imported=False)
            session.add(case)
            session.commit()
            return case.id
    finally:
        engine.dispose()


def test_an_investigator_traces_a_new_case_and_explains_a_contact(
        page: Any, live_server: str, live_database: str, tmp_path: Path):
    found = people(live_database)
    case, other, venue = found["case"], found["other"], found["venue"]
    yesterday = clock.city_today() - timedelta(days=1)
    # A case is registered (the registry's own pages are tested with the cases domain).
    case_id = register_case(live_database, case, yesterday)
    # The investigator uploads the venue's visit log and runs tracing.
    visited = yesterday - timedelta(days=2)
    visits = tmp_path / "visits.csv"
    visits.write_bytes(visit_csv([
        (case.id, venue.id, f"{visited}T10:00:00+08:00", f"{visited}T11:00:00+08:00"),
        (other.id, venue.id, f"{visited}T10:15:00+08:00", f"{visited}T11:30:00+08:00"),
    ]))
    page.goto(f"{live_server}/tracing")
    page.get_by_label("Visit log file (CSV)").set_input_files(str(visits))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(re.compile(r"/tracing/visit-logs/\d+\?uploaded=accepted"))
    assert "Accepted: 2 visits" in page.locator("#verdict").inner_text()
    page.goto(f"{live_server}/tracing")
    page.get_by_role("button", name="Run tracing").click()
    page.wait_for_url(re.compile(r"/tracing\?ran=\d+"))
    assert "classified" in page.locator("#ran").inner_text()
    # The case's contacts by tier, then why one of them is a close contact.
    page.goto(f"{live_server}/tracing/cases/{case_id}")
    close = page.locator("table[aria-labelledby=close]")
    for member in found["home"]:
        assert close.locator(f"tr[data-resident='{member.id}']").count() == 1
    close.locator(f"tr[data-resident='{other.id}'] a").click()
    page.wait_for_url(f"**/tracing/contacts/{other.id}")
    why = page.locator("#evidence li[data-setting=venue]").first.inner_text()
    assert f"Was at {venue.name} at the same time" in why
    assert "45 min together" in why and f"case {case_id}" in why
    page.get_by_role("link", name="Letter for the resident").click()
    page.wait_for_url(f"**/tracing/contacts/{other.id}/letter")
    page.get_by_role("link", name="English").click()
    page.wait_for_url(f"**/tracing/contacts/{other.id}/letter?lang=en")
    letter = page.locator("main").inner_text()
    assert f"You were at {venue.name} at the same time" in letter
    assert case.name_latin not in letter and f"case {case_id}" not in letter


def household_of_two_or_more(url: str, skip: int) -> list[Resident]:
    """The members of a household other than the one `people` picks."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            household = session.scalar(
                select(Resident.household_id).where(Resident.household_id != skip)
                .group_by(Resident.household_id).having(func.count() >= 2)
                .order_by(Resident.household_id).limit(1))
            return list(session.scalars(select(Resident).where(
                Resident.household_id == household).order_by(Resident.id)))
    finally:
        engine.dispose()


def test_the_letter_prints_in_chinese(page: Any, live_server: str, live_database: str):
    skip = people(live_database)["case"].household_id
    case, member, *_ = household_of_two_or_more(live_database, skip)
    sampled = clock.city_today() - timedelta(days=1)
    case_id = register_case(live_database, case, sampled)
    page.goto(f"{live_server}/tracing")
    page.fill("#case-ids", str(case_id))
    page.get_by_role("button", name="Run tracing").click()
    page.wait_for_url(re.compile(r"/tracing\?ran=\d+"))
    page.goto(f"{live_server}/tracing/contacts/{member.id}/letter?lang=zh")
    page.emulate_media(media="print")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert not page.locator("#letter-tools").is_visible()
    assert page.locator("header.site, nav.main").count() == 0
    text = page.locator("body").inner_text()
    assert "您是一名核酸检测阳性人员的密切接触者。" in text
    assert "集中隔离" in text and "热线电话：12345" in text
    # 7 days centralized and 3 days of home monitoring from the last exposure (day 0).
    end = re.search(r"您的隔离期至 (\d{4})年(\d{1,2})月(\d{1,2})日 结束", text)
    assert end, text
    assert date(*map(int, end.groups())) - sampled in (timedelta(days=10), timedelta(days=11))
    assert case.name not in text and case.name_latin not in text
    page.emulate_media(media="screen")
    assert page.locator("#letter-tools").is_visible()
