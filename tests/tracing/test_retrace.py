"""Late evidence: a visit log or a recorded exposure that arrives after its case was traced
is classified by the next ordinary run over changes, once, on both backends.

The case of the scene (Wang Xiulan, sampled 2026-11-20, isolated 2026-11-21) is traced on
day D = 2026-11-22; her window runs from 2026-11-16 to the end of 2026-11-21 (city time).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.tracing import rules, service
from epidesk.tracing.exposures import service as exposures_service
from epidesk.tracing.models import Contact, ContactEvidence, RetraceRequest
from epidesk.tracing.retrace import rules as retrace_rules
from epidesk.tracing.retrace import service as retrace_service
from epidesk.tracing.runs import service as runs_service
from epidesk.tracing.visits import service as visits_service
from tests.tracing.helpers import NOW, Scene, add_case, preset, scene, visit_csv

TRACED_ON = NOW  # D: 2026-11-22 12:00 UTC
NEXT_DAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # D+1


@pytest.fixture
def s(db: Session) -> Scene:
    """The scene, the case's own visit to Willow Market on D-1, and its first tracing run."""
    made = scene(db)
    own = visit_csv([(made.id("wang_xiulan"), made.city.venue.id,
                      "2026-11-21T10:00:00+08:00", "2026-11-21T11:00:00+08:00")])
    assert visits_service.import_visits(db, content=own, filename="own.csv",
                                        received_by="investigator", now=NOW).accepted
    first = service.follow_case_changes(db, actor="registry", preset=preset(), now=TRACED_ON)
    assert first is not None and first.close_contacts == 5
    assert service.pending_changes(db).case_ids == []
    return made


def follow(db: Session, now: datetime = NEXT_DAY):
    return service.follow_case_changes(db, actor="registry", preset=preset(), now=now)


def tiers(db: Session) -> dict[int, str]:
    return {c.resident_id: c.tier for c in db.scalars(
        select(Contact).where(Contact.status == rules.ACTIVE))}


def late_log(db: Session, s: Scene, rows: list[tuple[str, str, str]]) -> int:
    """A visit log of the tiny city's market that arrives on D+1; its id."""
    content = visit_csv([(s.id(who), s.city.venue.id, start, end) for who, start, end in rows])
    done = visits_service.import_visits(db, content=content, filename="late.csv",
                                        received_by="investigator", now=NEXT_DAY)
    assert done.accepted, done.report.summary()
    return done.log.id


def test_a_late_visit_log_is_classified_by_the_next_ordinary_run(db: Session, s: Scene):
    # Zhang Min was at Willow Market on D-1 from 10:05 to 10:50, while Wang Xiulan was
    # there (10:00 to 11:00): 45 minutes together. The log arrives on D+1.
    log_id = late_log(db, s, [("zhang_min", "2026-11-21T10:05:00+08:00",
                           "2026-11-21T10:50:00+08:00")])
    [request] = db.scalars(select(RetraceRequest)).all()
    assert (request.case_id, request.reason, request.source_id) == (
        s.case.id, "visit_log", log_id)
    pending = service.pending_changes(db)
    assert pending.case_ids == [s.case.id] and pending.retraced == (s.case.id,)
    assert s.id("zhang_min") not in tiers(db)

    run = follow(db)
    assert run is not None and run.scope == "changes" and run.retrace_cursor == request.id
    # Zhang Min is a close contact; Zhang Wei, her son at home, is then sub-close.
    assert (run.contacts_identified, run.evidence_added) == (2, 2)
    assert tiers(db)[s.id("zhang_min")] == "close"
    assert tiers(db)[s.id("zhang_wei")] == "sub_close"
    [found] = db.scalars(select(ContactEvidence).where(
        ContactEvidence.resident_id == s.id("zhang_min"))).all()
    assert (found.case_id, found.setting, found.place_id) == (s.case.id, "venue",
                                                              s.city.venue.id)
    assert (rules.seconds_of(found.overlap_start), rules.seconds_of(found.overlap_end)) == (
        rules.seconds_of(datetime(2026, 11, 21, 2, 5, tzinfo=UTC)),
        rules.seconds_of(datetime(2026, 11, 21, 2, 50, tzinfo=UTC)))
    # Once: a second run finds nothing, and nothing changed.
    before = db.scalar(select(func.count()).select_from(ContactEvidence))
    assert follow(db, NEXT_DAY + timedelta(hours=1)) is None
    assert service.pending_changes(db).case_ids == []
    assert db.scalar(select(func.count()).select_from(ContactEvidence)) == before


def test_visits_that_miss_the_case_ask_for_nothing(db: Session, s: Scene):
    late_log(db, s, [
        # The same venue after Wang Xiulan had left (11:00).
        ("zhang_min", "2026-11-21T11:30:00+08:00", "2026-11-21T12:30:00+08:00"),
        # The same venue and hour on D, after her window closed with her isolation.
        ("zhao_lei", "2026-11-22T10:00:00+08:00", "2026-11-22T11:00:00+08:00"),
    ])
    assert db.scalar(select(func.count()).select_from(RetraceRequest)) == 0
    assert follow(db) is None


def test_the_case_s_own_late_visits_ask_for_a_retrace(db: Session, s: Scene):
    late_log(db, s, [("wang_xiulan", "2026-11-18T15:00:00+08:00", "2026-11-18T16:00:00+08:00")])
    assert service.pending_changes(db).case_ids == [s.case.id]
    run = follow(db)
    assert run is not None and run.contacts_identified == 0
    assert follow(db) is None


def test_a_late_recorded_exposure_is_classified_by_the_next_ordinary_run(db: Session,
                                                                        s: Scene):
    # On D+1 an investigator records that Zhang Min drove Wang Xiulan on D-1 at 09:00.
    exposure = exposures_service.record_exposure(
        db, resident_a=s.id("wang_xiulan"), resident_b=s.id("zhang_min"),
        at=datetime(2026, 11, 21, 1, 0, tzinfo=UTC), setting="shared_vehicle",
        recorded_by="investigator", preset=preset(), now=NEXT_DAY)
    [request] = db.scalars(select(RetraceRequest)).all()
    assert (request.case_id, request.reason, request.source_id) == (
        s.case.id, "exposure", exposure.id)
    run = follow(db)
    assert run is not None and run.contacts_identified == 2
    assert tiers(db)[s.id("zhang_min")] == "close"
    [found] = db.scalars(select(ContactEvidence).where(
        ContactEvidence.resident_id == s.id("zhang_min"))).all()
    assert (found.setting, found.place_id) == ("exposure", exposure.id)
    assert follow(db, NEXT_DAY + timedelta(hours=1)) is None
    assert len(retrace_service.requests_of_case(db, case_id=s.case.id)) == 1


def test_an_exposure_of_a_close_contact_retraces_the_case_behind_it(db: Session, s: Scene):
    # Chen Jing is a close contact of the case: whom she then met may be sub-close.
    exposures_service.record_exposure(
        db, resident_a=s.id("chen_jing"), resident_b=s.id("zhao_lei"),
        at=datetime(2026, 11, 21, 1, 0, tzinfo=UTC), setting="carer",
        recorded_by="investigator", preset=preset(), now=NEXT_DAY)
    assert service.pending_changes(db).retraced == (s.case.id,)


def test_an_exposure_away_from_every_case_asks_for_nothing(db: Session, s: Scene):
    exposures_service.record_exposure(
        db, resident_a=s.id("zhao_lei"), resident_b=s.id("zhang_min"),
        at=datetime(2026, 11, 21, 1, 0, tzinfo=UTC), setting="carer",
        recorded_by="investigator", preset=preset(), now=NEXT_DAY)
    # Before the window of the case: recorded, but no classification changes.
    exposures_service.record_exposure(
        db, resident_a=s.id("wang_xiulan"), resident_b=s.id("zhang_min"),
        at=datetime(2026, 11, 10, 1, 0, tzinfo=UTC), setting="carer",
        recorded_by="investigator", preset=preset(), now=NEXT_DAY)
    assert db.scalar(select(func.count()).select_from(RetraceRequest)) == 0


def test_a_full_run_follows_the_requests_too(db: Session, s: Scene):
    late_log(db, s, [("zhang_min", "2026-11-21T10:05:00+08:00", "2026-11-21T10:50:00+08:00")])
    runs_service.run_tracing(db, actor="registry", preset=preset(), now=NEXT_DAY)
    assert tiers(db)[s.id("zhang_min")] == "close"
    assert service.pending_changes(db).case_ids == []


def test_a_case_change_and_late_evidence_are_followed_in_one_run(db: Session, s: Scene):
    late_log(db, s, [("zhang_min", "2026-11-21T10:05:00+08:00", "2026-11-21T10:50:00+08:00")])
    li_na = add_case(db, s.city, "li_na", sampling=date(2026, 11, 22),
                     isolation=date(2026, 11, 22))
    pending = service.pending_changes(db)
    assert pending.case_ids == sorted([s.case.id, li_na.id])
    assert pending.retraced == (s.case.id,)
    assert follow(db) is not None
    assert follow(db) is None


def test_visits_overlapping_a_window_are_found_by_the_pure_rule():
    cases = retrace_rules.TracedWindows(
        case_id=np.array([7, 8]), resident=np.array([1, 2]),
        start=np.array([0, 0]), end=np.array([1000, 100]))
    found = retrace_rules.cases_sharing_visits(
        cases, case_index=np.array([0, 1]), venue=np.array([5, 5]),
        start=np.array([200, 200]), end=np.array([300, 300]),
        new_venue=np.array([5, 6]), new_start=np.array([250, 200]),
        new_end=np.array([400, 300]))
    # Case 8's visit lies outside its window; the visit at venue 6 is elsewhere.
    assert found == [7]
    assert retrace_rules.cases_sharing_visits(
        cases, case_index=np.array([0]), venue=np.array([5]), start=np.array([200]),
        end=np.array([300]), new_venue=np.array([5]), new_start=np.array([300]),
        new_end=np.array([400])) == []


def test_a_busy_venue_and_a_long_visit_are_compared_exactly():
    cases = retrace_rules.TracedWindows(
        case_id=np.array([7, 8]), resident=np.array([1, 2]),
        start=np.array([0, 0]), end=np.array([1000, 100]))
    visits = {"case_index": np.array([0, 1, 0]), "venue": np.array([5, 5, 6]),
              "start": np.array([200, 50, 500]), "end": np.array([300, 90, 600])}
    # At venue 5: one visit left before case 7 came (150 < 200), one met case 8 (50 to
    # 60); at venue 6 a long visit (400 to 700) spans case 7's.
    found = retrace_rules.cases_sharing_visits(
        cases, **visits, new_venue=np.array([5, 5, 6]), new_start=np.array([100, 10, 400]),
        new_end=np.array([150, 60, 700]))
    assert found == [7, 8]
    assert retrace_rules.cases_sharing_visits(
        cases, **visits, new_venue=np.array([5, 6]), new_start=np.array([100, 601]),
        new_end=np.array([150, 650])) == []
