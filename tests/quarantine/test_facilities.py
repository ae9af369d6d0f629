"""Facility lists: imported whole or rejected whole; capacity, the reserve, inspections."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.errors import ConflictError, ValidationFailedError
from epidesk.quarantine import service
from epidesk.quarantine.facilities import service as lists
from epidesk.quarantine.models import Facility, Room, RoomAssignment
from epidesk.quarantine.schemas import ComplaintIn, InspectionIn, ItemIn
from tests.factories import tiny_city
from tests.quarantine.helpers import (
    NOW,
    TODAY,
    csv_of,
    facility_line,
    inspect,
    load_facilities,
    standard_list,
)


def _counts(db: Session) -> tuple[int, int]:
    return (db.scalar(select(func.count(Facility.id))) or 0,
            db.scalar(select(func.count(Room.id))) or 0)


def test_a_list_is_written_once_and_a_second_send_changes_nothing(db: Session) -> None:
    t = tiny_city(db)
    content = standard_list(t)
    first = lists.import_list(db, content=content, filename="a.csv", received_by="t", now=NOW)
    assert first.accepted and not first.already_imported
    assert (first.record.facilities, first.record.rooms) == (4, 7)
    assert _counts(db) == (4, 7)
    again = lists.import_list(db, content=content, filename="a.csv", received_by="t", now=NOW)
    assert again.already_imported and again.record.id == first.record.id
    assert _counts(db) == (4, 7)


def test_a_bad_row_rejects_the_whole_file_naming_line_and_column(db: Session) -> None:
    t = tiny_city(db)
    c, d = t.city.code, t.districts[0].code
    content = csv_of([facility_line("H1", c, d, "101"),
                      facility_line("H1", c, d, "102", beds="many"),  # type: ignore[arg-type]
                      facility_line("H9", c, "NOPE", "1"),
                      facility_line("H8", c, d, "1", kind="hotel", use="isolation"),
                      facility_line("H1", c, d, "101")])
    done = lists.import_list(db, content=content, filename="bad.csv", received_by="t", now=NOW)
    assert not done.accepted
    found = {(p.line, p.column, p.kind) for p in done.report.problems}
    assert (3, "beds", "bad_value") in found
    assert (4, "district_code", "unknown_place") in found
    assert (5, "use", "wrong_use") in found
    assert (6, "room_number", "duplicate_room") in found
    assert _counts(db) == (0, 0)
    assert lists.list_problems(done.record)[0]["line"] == 3


def test_lines_of_one_facility_must_agree(db: Session) -> None:
    t = tiny_city(db)
    c, d = t.city.code, t.districts[0].code
    done = lists.import_list(db, content=csv_of([
        facility_line("H1", c, d, "101"), facility_line("H1", c, d, "102", staff=5)]),
        filename="x.csv", received_by="t", now=NOW)
    assert not done.accepted
    assert [(p.line, p.column, p.kind) for p in done.report.problems] == [
        (3, "medical_staff", "facility_differs")]


def test_a_file_missing_a_column_or_not_csv_is_rejected(db: Session) -> None:
    tiny_city(db)
    done = lists.import_list(db, content=b"facility_code,room_number\nH1,1\n",
                             filename="x.csv", received_by="t", now=NOW)
    assert not done.accepted
    assert {p.column for p in done.report.problems} >= {"facility_name", "beds"}
    binary = lists.import_list(db, content=b"\xff\xfe\x00bad", filename="y.csv",
                               received_by="t", now=NOW)
    assert not binary.accepted and binary.report.problems[0].kind == "unreadable_file"


def test_a_later_list_updates_a_facility_and_retires_rooms_it_leaves_out(db: Session) -> None:
    t = tiny_city(db)
    ids = load_facilities(db, t)
    c, d = t.city.code, t.districts[0].code
    done = lists.import_list(db, content=csv_of([
        facility_line("H1", c, d, "101", status="suspended"),
        facility_line("H1", c, d, "104", beds=2, status="suspended")]),
        filename="b.csv", received_by="t", now=NOW)
    assert done.accepted and done.record.added == 1
    detail = service.facility_detail(db, facility_id=ids["H1"], day=TODAY)
    assert detail.status == "suspended"
    rooms = {r.number: r.in_service for r in detail.room_list}
    assert rooms == {"101": True, "102": False, "103": False, "104": True}
    assert (detail.rooms, detail.beds) == (2, 3)


def test_capacity_per_day_counts_beds_in_service_and_people_in_them(db: Session) -> None:
    t = tiny_city(db)
    ids = load_facilities(db, t)
    room = db.scalars(select(Room).where(Room.facility_id == ids["H1"],
                                         Room.number == "103")).one()
    db.add(RoomAssignment(resident_id=t.residents["wang_wei"].id, room_id=room.id,
                          role="ordered", from_at=NOW, assigned_by="t"))
    db.flush()
    days = service.capacity(db, first=TODAY - timedelta(days=1), days=2,
                            facility_id=ids["H1"])
    assert [(d.day, d.beds, d.occupied_beds, d.free_beds) for d in days] == [
        (TODAY - timedelta(days=1), 5, 0, 5), (TODAY, 5, 1, 4)]
    before_open = service.capacity(db, first=TODAY.replace(day=1) - timedelta(days=1),
                                   facility_id=ids["H1"])
    assert not before_open[0].open and before_open[0].beds == 0
    with pytest.raises(ValidationFailedError):
        service.capacity(db, first=TODAY, days=0)


def test_the_reserve_compares_rooms_with_the_target_per_district(db: Session) -> None:
    t = tiny_city(db)
    load_facilities(db, t)
    reserve = service.reserve(db)
    assert reserve.rooms_per_10k_residents == 20
    rows = {r.district: r for r in reserve.rows}
    first = rows[t.districts[0].name]
    # 11 residents in the first district: the target rounds up to one room; the
    # makeshift hospital isolates cases and does not count.
    assert (first.residents, first.target_rooms, first.rooms, first.shortfall) == (11, 1, 3, 0)
    assert rows["neighbouring cities"].rooms == 1


def test_a_facility_is_eligible_only_after_a_passing_recent_inspection(db: Session) -> None:
    t = tiny_city(db)
    ids = load_facilities(db, t)
    assert service.eligible_facilities(db, TODAY) == []
    inspect(db, ids["H1"], on=TODAY - timedelta(days=2))
    inspect(db, ids["H2"], failed=("mould",))
    eligible = {f.code for f in service.eligible_facilities(db, TODAY)}
    assert eligible == {"H1"}
    why = service.facility_eligibility(db, day=TODAY)
    assert why[ids["H2"]].reason == "failed" and why[ids["H2"]].failed_items == ("mould",)
    assert why[ids["N1"]].reason == "never_inspected"
    # Too old after the setting's number of days (14).
    later = TODAY + timedelta(days=13)
    assert why[ids["H1"]].eligible
    assert not service.facility_eligibility(db, day=later)[ids["H1"]].eligible
    assert service.facility_eligibility(db, day=later)[ids["H1"]].reason == "inspection_expired"
    # A passing re-inspection makes the failed one eligible again.
    inspect(db, ids["H2"])
    assert {f.code for f in service.eligible_facilities(db, TODAY, use="quarantine")} == {
        "H1", "H2"}


def test_an_inspection_must_cover_the_whole_checklist(db: Session) -> None:
    t = tiny_city(db)
    ids = load_facilities(db, t)
    with pytest.raises(ValidationFailedError, match="leaves out checklist items"):
        service.record_inspection(db, facility_id=ids["H1"], actor="t", inspection=InspectionIn(
            inspected_on=TODAY, inspector="Wu", items=[ItemIn(item="mould", passed=True)]))
    assert service.facility_detail(db, facility_id=ids["H1"], day=TODAY).inspections == []


def test_complaints_link_once_and_count_in_the_record(db: Session) -> None:
    t = tiny_city(db)
    ids = load_facilities(db, t)
    complaint = ComplaintIn(source="hotline", reference="T-17", topic="mould",
                            summary="Mould on the bathroom ceiling")
    service.link_complaint(db, facility_id=ids["H1"], complaint=complaint)
    with pytest.raises(ConflictError):
        service.link_complaint(db, facility_id=ids["H1"], complaint=complaint)
    assert service.complaint_count(db, facility_id=ids["H1"]) == 1
    assert service.facility_detail(db, facility_id=ids["H1"], day=TODAY).complaints == 1
