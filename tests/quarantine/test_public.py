"""The quarantine facilities on the public pages: capacity, occupancy (suppressed when
small), eligibility and latest inspection, and never a resident."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from epidesk.kit import clock
from epidesk.quarantine import deps
from epidesk.quarantine.facilities import service as lists
from epidesk.quarantine.models import RoomAssignment
from epidesk.quarantine.repository import facilities_by_code
from epidesk.transparency import service as transparency
from epidesk.transparency.deps import page_cache
from tests.factories import TinyCity, tiny_city
from tests.quarantine.helpers import NOW, TODAY, csv_of, facility_line, inspect
from tests.transparency.published import published_for

TABLE = "quarantine_facilities_daily"


@pytest.fixture
def city(db: Session) -> TinyCity:
    page_cache.clear()
    return tiny_city(db)


def _sites(db: Session, t: TinyCity) -> dict[str, int]:
    """Q1 (6 single rooms, district 1), M1 (a makeshift hospital of 5 wards of 4 beds,
    district 2), N1 (neighbouring city, 5 rooms), P1 (still preparing: not in use)."""
    c, d1, d2, n = t.city.code, t.districts[0].code, t.districts[1].code, t.neighbour.code
    lines = [facility_line("Q1", c, d1, f"10{i}") for i in range(6)]
    lines += [facility_line("M1", c, d2, f"W{i}", kind="makeshift_hospital", use="isolation",
                            room_type="ward", beds=4, staff=10) for i in range(5)]
    lines += [facility_line("N1", n, "", f"20{i}", kind="dormitory") for i in range(5)]
    lines += [facility_line("P1", c, d1, "1", status="preparing")]
    done = lists.import_list(db, content=csv_of(lines), filename="sites.csv",
                             received_by="test", now=NOW)
    assert done.accepted, done.report
    return {code: f.id for code, f in facilities_by_code(db, ["Q1", "M1", "N1", "P1"]).items()}


def _occupy(db: Session, t: TinyCity, facility_id: int, people: int) -> None:
    """Put residents of the tiny city into a facility's rooms since yesterday."""
    from epidesk.quarantine.models import Room

    rooms = db.query(Room).filter(Room.facility_id == facility_id).order_by(Room.number).all()
    residents = list(t.residents.values())[:people]
    for room, resident in zip(rooms, residents, strict=False):
        db.add(RoomAssignment(resident_id=resident.id, room_id=room.id, role="carer",
                              from_at=clock.day_start(TODAY - timedelta(days=1)),
                              assigned_by="test"))
    db.flush()


def _scene(db: Session, t: TinyCity) -> dict[str, int]:
    ids = _sites(db, t)
    inspect(db, ids["Q1"], on=TODAY - timedelta(days=2))
    inspect(db, ids["M1"], on=TODAY - timedelta(days=1), failed=("mould", "hot_water"))
    _occupy(db, t, ids["Q1"], 2)
    return ids


def test_the_facilities_in_use_with_occupancy_and_latest_inspection(db: Session,
                                                                     city: TinyCity):
    _scene(db, city)
    [table] = deps.public_tables(db, day=TODAY)
    assert table.name == TABLE and table.level == "building"
    names = [c.name for c in table.columns]
    rows = {r[1]: dict(zip(names, r, strict=True)) for r in table.rows}
    assert set(rows) == {"Q1", "M1", "N1"}  # P1 is still preparing
    q1, m1, n1 = rows["Q1"], rows["M1"], rows["N1"]
    assert (q1["day"], q1["rooms"], q1["beds"], q1["occupied_beds"]) == (TODAY, 6, 6, 2)
    assert (q1["eligible"], q1["inspected_on"], q1["inspection_result"],
            q1["failed_items"]) == ("yes", "2026-11-20", "passed", "")
    assert q1["district_code"] == city.districts[0].code and q1["facility_kind"] == "hotel"
    assert (m1["rooms"], m1["beds"], m1["occupied_beds"]) == (5, 20, 0)
    assert (m1["eligible"], m1["inspection_result"]) == ("no", "failed")
    assert set(m1["failed_items"].split()) == {"mould", "hot_water"}
    assert (n1["city_code"], n1["district_code"], n1["facility_kind"]) == (
        city.neighbour.code, "", "dormitory")
    assert (n1["eligible"], n1["inspected_on"], n1["inspection_result"]) == ("no", "", "")


def test_no_facility_no_table_and_none_in_use_before_opening(db: Session, city: TinyCity):
    assert deps.public_tables(db, day=TODAY) == []
    _sites(db, city)
    assert {r[1] for r in deps.public_tables(db, day=TODAY)[0].rows} == {"Q1", "M1", "N1"}
    # Before Q1 opened and with nobody in it, nothing of it is shown that day.
    assert deps.public_tables(db, day=TODAY.replace(month=10))[0].rows == []


def test_the_table_names_no_resident(db: Session, city: TinyCity):
    _scene(db, city)
    [table] = deps.public_tables(db, day=TODAY)
    text = json.dumps([list(map(str, r)) for r in table.rows], ensure_ascii=False)
    for r in city.residents.values():
        assert r.name not in text and r.id_number not in text
    assert "Li Ming" not in text and "13800000000" not in text  # the manager


def test_the_publication_shows_the_facilities_with_small_occupancy_suppressed(
        db: Session, city: TinyCity):
    _scene(db, city)
    done = transparency.publish(db, day=TODAY, actor="test", now=NOW + timedelta(hours=6))
    assert done.created
    everything = published_for(db, TODAY)
    table = everything.tables[TABLE]
    rows = {r["facility_code"]: r for r in table["rows"]}
    assert set(rows) == {"Q1", "M1", "N1"}
    assert rows["Q1"]["occupied_beds"] is None and rows["Q1"]["occupied_beds_note"] == "<5"
    assert rows["Q1"]["rooms"] == 6 and rows["Q1"]["beds"] == 6
    assert rows["M1"]["occupied_beds"] == 0 and rows["M1"]["beds"] == 20
    assert rows["M1"]["inspection_result"] == "failed"
    parquet = {r["facility_code"]: r for r in everything.parquet[TABLE].to_pylist()}
    assert parquet["Q1"]["occupied_beds"] is None and parquet["Q1"]["eligible"] == "yes"
    names = [r.name for r in city.residents.values()]
    for body in [*everything.pages.values(), *map(json.dumps, everything.tables.values())]:
        assert not any(name in body for name in names)
    assert any("Site M1" in body for body in everything.pages.values())
