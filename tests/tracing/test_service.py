"""Visit imports, tracing runs and their follow-through, on both backends."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.cases import service as cases
from epidesk.cases.models import CaseEpisode
from epidesk.errors import NotFoundError, ValidationFailedError
from epidesk.people import service as people
from epidesk.people.columns import repository as people_columns
from epidesk.people.models import HouseholdMembership, WorkGroupMembership
from epidesk.testing.ingest import service as testing
from epidesk.tracing import models as tracing_models
from epidesk.tracing import repository, rules, service
from epidesk.tracing.contacts import repository as contacts_repository
from epidesk.tracing.contacts import service as contacts_service
from epidesk.tracing.exposures import service as exposures_service
from epidesk.tracing.graph import repository as graph_repository
from epidesk.tracing.graph import rules as graph_rules
from epidesk.tracing.graph import service as graph_service
from epidesk.tracing.models import Contact, ContactEvent, ContactEvidence, VenueVisit
from epidesk.tracing.runs import engine as runs_engine
from epidesk.tracing.runs import service as runs_service
from epidesk.tracing.visits import engine as visits_engine
from epidesk.tracing.visits import repository as visits_repository
from epidesk.tracing.visits import service as visits_service
from tests.testing.batches import csv_bytes, single
from tests.tracing.helpers import (
    CITY,
    NOW,
    Scene,
    add_case,
    preset,
    scene,
    scene_visits,
    visit_csv,
    withdraw,
)


@pytest.fixture
def s(db: Session) -> Scene:
    return scene(db)


def run(db: Session, **kwargs: Any) -> tracing_models.TracingRun:
    kwargs.setdefault("preset", preset())
    kwargs.setdefault("now", NOW)
    return runs_service.run_tracing(db, actor="investigator", **kwargs)


def tiers(db: Session) -> dict[int, str]:
    return {c.resident_id: c.tier for c in db.scalars(
        select(Contact).where(Contact.status == rules.ACTIVE))}


def evidence(db: Session, resident_id: int, status: str = rules.ACTIVE) -> list[ContactEvidence]:
    return list(db.scalars(select(ContactEvidence).where(
        ContactEvidence.resident_id == resident_id, ContactEvidence.status == status)
        .order_by(ContactEvidence.id)))


def visits(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(VenueVisit)) or 0)


def local(text: str) -> int:
    return rules.seconds_of(datetime.fromisoformat(text))


# ------------------------------------------------------------------ visit logs


def test_a_good_visit_log_is_written_whole(db: Session, s: Scene):
    log = visits_repository.log_by_digest(db, hashlib.sha256(scene_visits(s.city)).hexdigest())
    assert log is not None and log.status == "accepted"
    assert (log.rows, log.residents, log.venues, log.problem_count) == (3, 3, 1, 0)
    assert visits(db) == 3
    stored = db.scalars(select(VenueVisit).where(VenueVisit.resident_id == s.id("chen_jing"))
                        ).one()
    assert rules.seconds_of(stored.started_at) == local("2026-11-19T10:30:00+08:00")
    assert stored.log_id == log.id


def test_the_same_file_again_changes_nothing(db: Session, s: Scene):
    again = visits_service.import_visits(db, content=scene_visits(s.city),
                                         filename="other-name.csv", received_by="someone",
                                         now=NOW)
    assert again.already_imported and again.accepted
    assert visits(db) == 3
    assert again.log.attempts == 1


BAD: list[tuple[str, list[tuple[Any, ...]], tuple[str, ...] | None, int, str, str]] = [
    ("unknown resident", [(99_999, "V", "2026-11-19T10:00:00+08:00",
                           "2026-11-19T11:00:00+08:00")], None, 2, "resident_id",
     "unknown_resident"),
    ("unknown venue", [("R", 99_999, "2026-11-19T10:00:00+08:00", "2026-11-19T11:00:00+08:00")],
     None, 2, "venue_id", "unknown_venue"),
    ("time without offset", [("R", "V", "2026-11-19T10:00:00", "2026-11-19T11:00:00+08:00")],
     None, 2, "started_at", "bad_time"),
    ("fraction of a second", [("R", "V", "2026-11-19T10:00:00.5+08:00",
                               "2026-11-19T11:00:00+08:00")], None, 2, "started_at", "bad_time"),
    ("not a number", [("R", "V", "2026-11-19T10:00:00+08:00", "2026-11-19T11:00:00+08:00"),
                      ("x12", "V", "2026-11-19T10:00:00+08:00", "2026-11-19T11:00:00+08:00")],
     None, 3, "resident_id", "bad_integer"),
    ("departure before arrival", [("R", "V", "2026-11-19T10:00:00+08:00",
                                   "2026-11-19T10:00:00+08:00")], None, 2, "ended_at",
     "end_not_after_start"),
    ("a visit of a day and more", [("R", "V", "2026-11-18T10:00:00+08:00",
                                    "2026-11-19T10:00:01+08:00")], None, 2, "ended_at",
     "visit_too_long"),
    ("in the future", [("R", "V", "2026-12-19T10:00:00+08:00", "2026-12-19T11:00:00+08:00")],
     None, 2, "started_at", "time_in_future"),
    ("empty value", [("R", "V", "", "2026-11-19T11:00:00+08:00")], None, 2, "started_at",
     "missing_value"),
    ("the same visit twice", [("R", "V", "2026-11-19T10:00:00+08:00", "2026-11-19T11:00:00+08:00"),
                              ("R", "V", "2026-11-19T10:00:00+08:00",
                               "2026-11-19T12:00:00+08:00")], None, 3, "started_at",
     "duplicate_visit"),
    ("a missing column", [("R", "V", "2026-11-19T10:00:00+08:00")],
     ("resident_id", "venue_id", "started_at"), 1, "ended_at", "missing_column"),
    ("an unknown column", [("R", "V", "2026-11-19T10:00:00+08:00", "2026-11-19T11:00:00+08:00",
                            "x")], ("resident_id", "venue_id", "started_at", "ended_at",
                                    "mask"), 1, "mask", "unknown_column"),
    ("no line", [], None, 0, "", "empty_file"),
]


@pytest.mark.parametrize(("label", "rows", "columns", "line", "column", "kind"), BAD,
                         ids=[b[0] for b in BAD])
def test_bad_visit_logs_are_rejected_whole_with_a_report(db: Session, s: Scene, label: str,
                                                         rows: list[tuple[Any, ...]],
                                                         columns: tuple[str, ...] | None,
                                                         line: int, column: str, kind: str):
    resident, venue = s.id("li_na"), s.city.venue.id
    good = (resident, venue, "2026-11-20T09:00:00+08:00", "2026-11-20T09:30:00+08:00")
    filled = [tuple(resident if v == "R" else venue if v == "V" else v for v in row)
              for row in rows]
    content = (visit_csv([good, *filled]) if columns is None
               else visit_csv(filled, columns))
    if label == "no line":
        content = visit_csv([])
    before = visits(db)
    result = visits_service.import_visits(db, content=content, filename="bad.csv",
                                   received_by="investigator", now=NOW)
    assert not result.accepted, label
    assert visits(db) == before
    found = [(p.line, p.column, p.kind) for p in result.report.problems]
    expected_line = line + (1 if columns is None and label != "no line" else 0)
    assert (expected_line, column, kind) in found, (label, found)
    assert result.log.status == "rejected" and result.log.problem_count >= 1
    assert all(p["problem"] for p in visits_service.log_problems(result.log))


def test_a_rejected_file_sent_again_keeps_one_record(db: Session, s: Scene):
    content = visit_csv([(123_456, s.city.venue.id, "2026-11-19T10:00:00+08:00",
                          "2026-11-19T11:00:00+08:00")])
    first = visits_service.import_visits(db, content=content, filename="a.csv",
                                         received_by="x", now=NOW)
    second = visits_service.import_visits(db, content=content, filename="a.csv",
                                          received_by="x", now=NOW)
    assert first.log.id == second.log.id and second.log.attempts == 2
    assert not second.accepted


def test_a_visit_imported_from_another_file_is_refused(db: Session, s: Scene):
    venue = s.city.venue.id
    content = visit_csv([
        (s.id("li_na"), venue, "2026-11-20T09:00:00+08:00", "2026-11-20T09:30:00+08:00"),
        (s.id("wang_xiulan"), venue, "2026-11-19T10:00:00+08:00", "2026-11-19T10:45:00+08:00"),
    ])
    result = visits_service.import_visits(db, content=content, filename="again.csv",
                                   received_by="investigator", now=NOW)
    assert not result.accepted
    assert [(p.line, p.kind) for p in result.report.problems] == [(3, "visit_exists")]
    assert visits(db) == 3


def test_a_failure_mid_import_leaves_everything_as_before(db: Session, s: Scene,
                                                         monkeypatch: pytest.MonkeyPatch):
    from epidesk.tracing.models import VisitLog

    logs = db.scalar(select(func.count()).select_from(VisitLog))
    original = repository.write_rows

    def failing(*args: Any, **kwargs: Any) -> int:
        original(*args, **kwargs)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(repository, "write_rows", failing)
    content = visit_csv([(s.id("li_na"), s.city.venue.id,
                          "2026-11-20T09:00:00+08:00", "2026-11-20T09:30:00+08:00")])
    with pytest.raises(RuntimeError):
        visits_service.import_visits(db, content=content, filename="crash.csv", received_by="x",
                              now=NOW)
    assert visits(db) == 3
    assert db.scalar(select(func.count()).select_from(VisitLog)) == logs


# ------------------------------------------------------------------ classification


def test_close_and_sub_close_contacts_of_every_kind_with_evidence(db: Session, s: Scene):
    result = run(db)
    assert (result.cases, result.close_contacts, result.sub_close_contacts) == (1, 5, 2)
    assert tiers(db) == {
        s.id("wang_xiuying"): "close", s.id("wang_wei"): "close", s.id("li_na"): "close",
        s.id("chen_jing"): "close", s.id("wang_fang"): "close",
        s.id("li_qiang"): "sub_close", s.id("chen_jie"): "sub_close",
    }
    window = (local("2026-11-16T00:00:00+08:00"), local("2026-11-22T00:00:00+08:00"))
    [home] = [e for e in evidence(db, s.id("wang_xiuying")) if e.tier == "close"]
    assert (home.case_id, home.setting, home.place_id) == (
        s.case.id, "household", s.city.households["wang"].id)
    assert (rules.seconds_of(home.overlap_start), rules.seconds_of(home.overlap_end)) == window
    [venue] = evidence(db, s.id("chen_jing"))
    assert (venue.setting, venue.place_id, venue.via_resident_id) == (
        "venue", s.city.venue.id, None)
    assert (rules.seconds_of(venue.overlap_start), rules.seconds_of(venue.overlap_end)) == (
        local("2026-11-19T10:30:00+08:00"), local("2026-11-19T11:00:00+08:00"))
    [work] = evidence(db, s.id("li_na"))
    assert (work.setting, work.place_id) == ("work_group", s.city.work_group.id)
    [care] = evidence(db, s.id("wang_fang"))
    assert care.setting == "exposure"
    [sub] = evidence(db, s.id("li_qiang"))
    assert (sub.tier, sub.setting, sub.via_resident_id, sub.case_id) == (
        "sub_close", "household", s.id("li_na"), s.case.id)
    # From the close contact's first exposure to the case until it was isolated (now).
    assert rules.seconds_of(sub.overlap_start) == window[0]
    assert rules.seconds_of(sub.overlap_end) == rules.seconds_of(NOW)
    assert s.id("zhao_lei") not in tiers(db)


def test_a_second_run_changes_nothing(db: Session, s: Scene):
    run(db)
    again = run(db, now=NOW + timedelta(hours=3))
    assert (again.evidence_added, again.evidence_withdrawn, again.contacts_identified) == (0, 0, 0)


def test_presets_without_sub_close_contacts_produce_none(db: Session, s: Scene):
    result = run(db, preset=preset("cn-20-measures-2022"))
    assert result.sub_close_contacts == 0 and result.close_contacts == 5
    assert db.scalar(select(func.count()).select_from(ContactEvidence).where(
        ContactEvidence.tier == "sub_close")) == 0


def move(db: Session, s: Scene, key: str, household: str, moved_on: date) -> None:
    people.move_resident(db, resident_id=s.id(key), household_id=s.city.households[household].id,
                         moved_on=moved_on, today=date(2026, 11, 22))


def test_someone_who_moved_out_before_the_window_is_no_household_contact(db: Session,
                                                                        s: Scene):
    # Wang Xiuying moved out on the first day of the case's window: her last day at home
    # ended exactly as the window opened.
    move(db, s, "wang_xiuying", "empty", date(2026, 11, 16))
    run(db)
    assert s.id("wang_xiuying") not in tiers(db)
    assert not evidence(db, s.id("wang_xiuying"))
    assert tiers(db)[s.id("wang_wei")] == "close"


def test_someone_who_moved_in_during_the_window_is_a_contact_from_then_on(db: Session,
                                                                         s: Scene):
    move(db, s, "zhang_min", "wang", date(2026, 11, 19))
    run(db)
    assert tiers(db)[s.id("zhang_min")] == "close"
    [home] = [e for e in evidence(db, s.id("zhang_min")) if e.tier == "close"]
    assert (home.case_id, home.setting, home.place_id, home.via_resident_id) == (
        s.case.id, "household", s.city.households["wang"].id, None)
    assert (rules.seconds_of(home.overlap_start), rules.seconds_of(home.overlap_end)) == (
        local("2026-11-19T00:00:00+08:00"), local("2026-11-22T00:00:00+08:00"))
    # Her son stayed in their old home, which she shared with him only before her first
    # exposure: he is nobody's contact.
    assert s.id("zhang_wei") not in tiers(db)
    detail = contacts_service.contact_detail(db, resident_id=s.id("zhang_min"), preset=preset())
    [view] = [v for v in detail.evidence if v.row.tier == "close"]
    assert view.place == "Willow Court, building 1, unit 1, flat 101"
    assert view.place in view.for_staff


def test_a_close_contact_who_becomes_a_case_promotes_its_sub_close_contacts(db: Session,
                                                                           s: Scene):
    run(db)
    li_na = add_case(db, s.city, "li_na", sampling=date(2026, 11, 22),
                     isolation=date(2026, 11, 22))
    assert service.pending_changes(db).case_ids == [li_na.id]
    result = service.follow_case_changes(db, actor="registry", preset=preset(),
                                         now=NOW + timedelta(hours=1))
    assert result is not None and result.contacts_promoted == 1 and result.scope == "changes"
    assert service.pending_changes(db).case_ids == []
    assert tiers(db)[s.id("li_qiang")] == "close"
    promoted = [e for e in evidence(db, s.id("li_qiang"))
                if e.case_id == li_na.id and e.via_resident_id == s.id("li_na")]
    assert promoted and all(e.tier == "close" for e in promoted)
    detail = contacts_service.contact_detail(db, resident_id=s.id("li_qiang"), preset=preset())
    assert any(v.derivation == rules.PROMOTED for v in detail.evidence)
    kinds = [e.kind for e in db.scalars(select(ContactEvent).where(
        ContactEvent.resident_id == s.id("li_qiang")).order_by(ContactEvent.id))]
    assert kinds == ["identified", "promoted"]
    # A full run afterwards finds exactly the same.
    full = run(db, now=NOW + timedelta(hours=2))
    assert (full.evidence_added, full.evidence_withdrawn) == (0, 0)


def test_withdrawing_a_case_withdraws_what_rested_on_it_alone(db: Session, s: Scene):
    other = add_case(db, s.city, "wang_wei", sampling=date(2026, 11, 20),
                     isolation=date(2026, 11, 21))
    run(db)
    before = tiers(db)
    assert before[s.id("li_na")] == "close" and before[s.id("wang_xiuying")] == "close"
    withdraw(db, s.case)
    result = service.follow_case_changes(db, actor="registry", preset=preset(),
                                         now=NOW + timedelta(hours=1))
    assert result is not None and result.cases_withdrawn == 1
    assert (result.contacts_withdrawn, result.contacts_demoted) == (4, 2)
    after = tiers(db)
    # Only the withdrawn case made these contacts (Wang Wei is the other case himself):
    # withdrawn, their evidence kept on record.
    for key in ("chen_jing", "li_qiang", "chen_jie", "wang_wei"):
        assert s.id(key) not in after, key
        assert evidence(db, s.id(key), status="withdrawn")
    record = db.scalars(select(Contact).where(Contact.resident_id == s.id("chen_jing"))).one()
    assert record.status == "withdrawn" and record.withdrawn_at is not None
    assert not list(contacts_repository.follow_up(db, s.id("chen_jing")))
    # Other evidence remains: the grandmother shares a home with the other case...
    assert after[s.id("wang_xiuying")] == "close"
    assert {e.case_id for e in evidence(db, s.id("wang_xiuying"))} == {other.id}
    # ...and the withdrawn case's resident is still the other case's household contact,
    # so her colleague and her carer remain sub-close contacts through her.
    assert after[s.id("wang_xiulan")] == "close"
    for key in ("li_na", "wang_fang"):
        assert after[s.id(key)] == "sub_close"
        assert {(e.case_id, e.via_resident_id) for e in evidence(db, s.id(key))} == {
            (other.id, s.id("wang_xiulan"))}
    assert [t.day for t in contacts_repository.follow_up(db, s.id("li_na"))] == [1, 4, 7]
    full = run(db, now=NOW + timedelta(hours=2))
    assert (full.evidence_added, full.evidence_withdrawn) == (0, 0)


def test_a_protected_exposure_makes_no_contact(db: Session, s: Scene):
    exposures_service.record_exposure(
        db, resident_a=s.id("wang_xiulan"), resident_b=s.id("zhang_min"),
        at=datetime(2026, 11, 18, 9, 0, tzinfo=UTC), setting="carer",
        protected=True, recorded_by="investigator", preset=preset(), now=NOW)
    run(db)
    assert s.id("zhang_min") not in tiers(db)


@pytest.mark.parametrize(("a", "b", "setting", "at", "problem"), [
    ("li_na", "li_na", "carer", NOW - timedelta(days=1), "two different residents"),
    ("li_na", "li_qiang", "hugging", NOW - timedelta(days=1), "unknown setting"),
    ("li_na", "li_qiang", "carer", NOW + timedelta(days=1), "in the future"),
])
def test_exposures_are_checked(db: Session, s: Scene, a: str, b: str, setting: str,
                               at: datetime, problem: str):
    with pytest.raises(ValidationFailedError, match=problem):
        exposures_service.record_exposure(db, resident_a=s.id(a), resident_b=s.id(b), at=at,
                                setting=setting, recorded_by="x", preset=preset(), now=NOW)
    with pytest.raises(NotFoundError):
        exposures_service.record_exposure(db, resident_a=s.id("li_na"), resident_b=2_000_000_000,
                                at=NOW, setting="carer", recorded_by="x", preset=preset(),
                                now=NOW)


# ------------------------------------------------------------------ explanation and follow-up


def test_evidence_explains_itself_to_staff_and_to_the_resident(db: Session, s: Scene):
    run(db)
    detail = contacts_service.contact_detail(db, resident_id=s.id("chen_jing"), preset=preset())
    [view] = detail.evidence
    assert view.rule == "contacts.venue_co_visit"
    assert f"case {s.case.id}" in view.for_staff and "Willow Market" in view.for_staff
    assert "30 min" in view.for_staff
    letter = contacts_service.resident_letter(db, resident_id=s.id("chen_jing"), preset=preset())
    text = " ".join(letter.reasons)
    assert "Willow Market" in text and "10:30" in text
    for secret in (f"case {s.case.id}", "Wang", "Xiulan", "resident", "王秀兰"):
        assert secret not in text
    sub = contacts_service.resident_letter(db, resident_id=s.id("li_qiang"), preset=preset())
    assert sub.tier == "sub_close" and "Li Na" not in " ".join(sub.reasons)
    assert sub.tests and sub.rules_cited == ["contacts.sub_close"]


def test_the_follow_up_plan_follows_the_preset_and_flags_missed_tests(db: Session, s: Scene):
    run(db)
    # Li Na's last exposure is the end of the case's window: day 0 is 2026-11-21.
    plan = [(t.day, t.due_on) for t in contacts_repository.follow_up(db, s.id("li_na"))]
    assert plan == [(1, date(2026, 11, 22)), (2, date(2026, 11, 23)), (3, date(2026, 11, 24)),
                    (5, date(2026, 11, 26)), (7, date(2026, 11, 28)), (10, date(2026, 12, 1))]
    batch = testing.ingest_batch(db, content=csv_bytes([single(
        "FU1", s.id("li_na"), collected="2026-11-22T08:00:00+08:00",
        result="2026-11-22T10:00:00+08:00")]), filename="fu.csv", received_by="lab",
        now=datetime(2026, 11, 24, 12, tzinfo=UTC), preset=preset())
    assert batch.accepted
    detail = contacts_service.contact_detail(db, resident_id=s.id("li_na"), preset=preset(),
                                    today=date(2026, 11, 24))
    statuses = [(t.test.day, t.status) for t in detail.follow_up]
    assert statuses[:4] == [(1, "done"), (2, "missed"), (3, "due"), (5, "planned")]
    assert detail.follow_up[0].results[0][1].outcome == "negative"
    assert detail.missed == 1
    missed = contacts_service.missed_tests(db, today=date(2026, 11, 24))
    assert (s.id("li_na"), 2) in {(person.id, test.day) for test, person, _ in missed}
    assert (s.id("li_na"), 1) not in {(person.id, test.day) for test, person, _ in missed}
    counted = contacts_service.count_missed_tests(db, today=date(2026, 11, 24), shown=1)
    assert counted.total == len(missed) > 1 and counted.more
    earlier = contacts_service.missed_tests(db, today=date(2026, 11, 23))
    assert len(earlier) < len(missed)
    assert contacts_service.count_missed_tests(db, today=date(2026, 11, 23)).total == len(
        earlier)
    sub_plan = [t.day for t in contacts_repository.follow_up(db, s.id("li_qiang"))]
    assert sub_plan == [1, 4, 7]


def test_the_lab_ingest_hook_traces_new_cases(db: Session, s: Scene):
    positive = single("HOOK1", s.id("zhang_min"), outcome="positive", ct=(22.0, 23.0),
                      collected="2026-11-21T08:00:00+08:00", result="2026-11-21T20:00:00+08:00")
    result = cases.ingest_results(db, content=csv_bytes([positive]), filename="hook.csv",
                                  received_by="lab", now=NOW, preset=preset())
    service.follow_case_changes(db, actor="lab", preset=preset(), now=NOW)
    assert result.accepted and result.batch.cases_created == 1
    assert tiers(db)[s.id("zhang_wei")] == "close"
    other = single("HOOK2", s.id("zhao_lei"), outcome="positive", ct=(22.0, 23.0),
                   collected="2026-11-21T08:00:00+08:00", result="2026-11-21T20:00:00+08:00")
    again = cases.ingest_results(db, content=csv_bytes([other]), filename="hook2.csv",
                                 received_by="lab", now=NOW, preset=preset())
    service.follow_case_changes(db, actor="lab", preset=preset(), now=NOW)
    assert again.accepted and again.batch.cases_created == 1
    # Zhao Lei lives alone; he spent 40 minutes at the market with Chen Jing.
    case = result_case(db, s.id("zhao_lei"))
    found = contacts_service.case_contacts(db, case_id=case)
    assert [(c.resident.id, c.settings) for c in found.close] == [(s.id("chen_jing"), ["venue"])]
    cases.withdraw(db, case_id=result_case(db, s.id("zhang_min")), reason="false positive",
                   actor="lab", now=NOW)
    withdrawn = service.follow_case_changes(db, actor="lab", now=NOW)
    assert withdrawn is not None and s.id("zhang_wei") not in tiers(db)


def result_case(db: Session, resident_id: int) -> int:
    return int(db.scalars(select(CaseEpisode.id).where(CaseEpisode.resident_id == resident_id))
               .one())


# ------------------------------------------------------------------ the graph in memory


def test_new_visits_reach_a_graph_in_memory_without_a_rebuild(db: Session, s: Scene):
    graph = graph_service.load_graph(db)
    assert graph.visit_count == 3 and graph.delta is None
    venue = s.city.venue.id
    visits_service.import_visits(db, content=visit_csv([
        (s.id("wang_xiulan"), venue, "2026-11-20T15:00:00+08:00", "2026-11-20T16:00:00+08:00"),
        (s.id("zhang_min"), venue, "2026-11-20T15:10:00+08:00", "2026-11-20T15:40:00+08:00"),
    ]), filename="late.csv", received_by="x", now=NOW)
    assert graph_service.refresh_graph(db, graph) == 2
    assert graph.delta is not None and graph.visit_count == 5 and graph.merges == 0
    fresh = graph_service.load_graph(db)
    windows = runs_engine.CaseBatch.of([s.case.id], [s.id("wang_xiulan")],
                                  [local("2026-11-16T00:00:00+08:00")],
                                  [local("2026-11-22T00:00:00+08:00")])
    params = runs_engine.Parameters.of(rules.tracing_rules(preset()), rules.seconds_of(NOW))
    mine = runs_engine.classify(graph, windows, params)
    assert mine.rows() == runs_engine.classify(fresh, windows, params).rows()
    assert s.id("zhang_min") in mine.contact.tolist()
    run(db, graph=graph)
    assert tiers(db)[s.id("zhang_min")] == "close"


def test_the_graph_kept_in_memory_follows_the_database(db: Session, s: Scene):
    graph_service.forget_graphs()
    try:
        first = graph_service.current_graph(db, cache=True)
        assert graph_service.current_graph(db, cache=True) is first
        venue = s.city.venue.id
        visits_service.import_visits(db, content=visit_csv([
            (s.id("zhang_min"), venue, "2026-11-20T15:10:00+08:00",
             "2026-11-20T15:40:00+08:00")]), filename="one.csv", received_by="x", now=NOW)
        same = graph_service.current_graph(db, cache=True)
        assert same is first and same.visit_count == 4
        db.add(WorkGroupMembership(work_group_id=s.city.work_group.id,
                                   resident_id=s.id("zhao_lei"), start_date=date(2025, 1, 1),
                                   end_date=None))
        db.flush()
        reloaded = graph_service.current_graph(db, cache=True)
        assert reloaded is not first and len(reloaded.work_groups) == 3
    finally:
        graph_service.forget_graphs()


def test_the_graph_kept_in_memory_follows_household_moves(db: Session, s: Scene):
    graph_service.forget_graphs()
    try:
        first = graph_service.current_graph(db, cache=True)
        move(db, s, "zhao_lei", "pine", date(2026, 11, 1))
        moved = graph_service.current_graph(db, cache=True)
        assert moved is not first and len(moved.households) == len(first.households) + 1
        assert graph_service.current_graph(db, cache=True) is moved
        # Ending a membership without opening another is noticed too.
        stay = db.scalars(select(HouseholdMembership).where(
            HouseholdMembership.resident_id == s.id("chen_jie"))).one()
        stay.end_date = date(2026, 11, 20)
        db.flush()
        assert graph_service.current_graph(db, cache=True) is not moved
    finally:
        graph_service.forget_graphs()


def test_synthetic_visits_are_deterministic(db: Session, s: Scene):
    made = visits_service.synthesize_visits(db, days=3, seed=5, first_day=date(2026, 11, 1))
    assert made.visits > 0
    rows = sorted((v.resident_id, v.venue_id, rules.seconds_of(v.started_at))
                  for v in db.scalars(select(VenueVisit).where(VenueVisit.log_id.is_(None))))
    residents, communities = people_columns.residents_with_community(db)
    ids, comm, kinds = people_columns.venues_with_kind(db)
    again = [c for part in visits_engine.synthetic_visits(
        residents, communities, visits_engine.VenueTable(ids, comm, kinds),
        first_day=rules.local_midnight(date(2026, 11, 1), CITY), days=3, seed=5)
        for c in zip(part[0].tolist(), part[1].tolist(), part[2].tolist(), strict=True)]
    assert rows == sorted(again)
    assert all(np.isfinite(r[2]) for r in rows)


def test_a_clean_session_reads_visits_on_a_second_connection(fresh_database: Any,
                                                             monkeypatch: pytest.MonkeyPatch):
    from sqlalchemy import text

    from epidesk.db import make_engine
    from epidesk.migrate import upgrade

    eng = make_engine(fresh_database("postgresql"))
    try:
        upgrade(eng)
        with Session(eng) as session:
            scene(session)
            session.commit()
        calls: list[int] = []
        original = graph_repository._visits_in_snapshot

        def counted(*args: Any) -> Any:
            calls.append(1)
            return original(*args)

        monkeypatch.setattr(graph_repository, "_visits_in_snapshot", counted)
        with Session(eng) as clean:
            parallel = graph_repository.graph_arrays(clean)
        with Session(eng) as written:
            written.execute(text("CREATE TEMPORARY TABLE scratch (n int)"))
            serial = graph_repository.graph_arrays(written)
        assert calls == [1]
        for name in graph_rules.GraphArrays.__dataclass_fields__:
            assert np.array_equal(getattr(parallel, name), getattr(serial, name)), name
        assert len(parallel.visit_resident) == 3
    finally:
        eng.dispose()


def test_case_changes_are_followed_once(db: Session, s: Scene):
    assert service.pending_changes(db).case_ids == [s.case.id]
    first = service.follow_case_changes(db, actor="registry", preset=preset(), now=NOW)
    assert first is not None and first.cases == 1 and first.close_contacts == 5
    assert service.follow_case_changes(db, actor="registry", preset=preset(), now=NOW) is None
    # A run over named cases leaves other changes pending; a run over every case does not.
    li_na = add_case(db, s.city, "li_na", sampling=date(2026, 11, 22),
                     isolation=date(2026, 11, 22))
    runs_service.run_tracing(db, case_ids=[s.case.id], actor="registry", preset=preset(), now=NOW)
    assert service.pending_changes(db).case_ids == [li_na.id]
    run(db, now=NOW + timedelta(hours=1))
    assert service.pending_changes(db).case_ids == []
    assert service.follow_case_changes(db, actor="registry", preset=preset(), now=NOW) is None
