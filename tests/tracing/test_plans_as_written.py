"""Hand-computed follow-up plans: unsuitable homes and re-tracing under another preset.

The scene (tests.tracing.helpers): Wang Xiulan's window ends with 2026-11-21, city time.
Wang Xiuying shares her household (home suitable); Li Na shares her work group and lives
in the Li household, whose home is unsuitable for home quarantine. Both are close
contacts whose last exposure is 2026-11-21, so day n is 2026-11-21 + n days.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.tracing.models import Contact, FollowUpTest
from epidesk.tracing.runs import service as runs_service
from tests.tracing.helpers import NOW, Scene, preset, scene

NINTH = "cn-9th-2022"
TEN = "cn-10-measures-2022"


@pytest.fixture
def s(db: Session) -> Scene:
    return scene(db)


def run(db: Session, name: str) -> None:
    runs_service.run_tracing(db, actor="investigator", preset=preset(name), now=NOW)


def plan(db: Session, resident_id: int) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in db.execute(
        select(FollowUpTest.category, FollowUpTest.day, FollowUpTest.due_on, FollowUpTest.place)
        .where(FollowUpTest.resident_id == resident_id)
        .order_by(FollowUpTest.due_on, FollowUpTest.day, FollowUpTest.place))]


def contact(db: Session, resident_id: int) -> Contact:
    found = db.scalars(select(Contact).where(Contact.resident_id == resident_id)).one()
    return found


def test_ten_measures_centralize_a_close_contact_whose_home_is_unsuitable(db: Session,
                                                                          s: Scene):
    run(db, TEN)
    # 5 days at home, test on day 5 = 2026-11-26; centralized when the home is unsuitable.
    assert plan(db, s.id("wang_xiuying")) == [("close_contact", 5, date(2026, 11, 26), "home")]
    assert plan(db, s.id("li_na")) == [("close_contact", 5, date(2026, 11, 26), "centralized")]


def test_retracing_under_another_preset_replaces_unchanged_plans(db: Session, s: Scene):
    run(db, NINTH)
    ninth = [("close_contact", d, date(2026, 11, 21 + d), "centralized") for d in (1, 2, 3)]
    ninth += [("close_contact", 5, date(2026, 11, 26), "centralized"),
              ("close_contact", 7, date(2026, 11, 28), "centralized"),
              ("close_contact", 10, date(2026, 12, 1), "home_health_monitoring")]
    assert plan(db, s.id("wang_xiuying")) == ninth
    assert contact(db, s.id("wang_xiuying")).preset == NINTH
    run(db, TEN)
    # Still a close contact: the plan and the preset are the 10 measures' now.
    who = contact(db, s.id("wang_xiuying"))
    assert (who.tier, who.preset) == ("close", TEN)
    assert plan(db, s.id("wang_xiuying")) == [("close_contact", 5, date(2026, 11, 26), "home")]
    assert contact(db, s.id("li_na")).preset == TEN
    assert plan(db, s.id("li_na")) == [("close_contact", 5, date(2026, 11, 26), "centralized")]
