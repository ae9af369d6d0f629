"""Trajectories from the cases' infectious windows: places and windows, never a case."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.tracing.models import Contact, Exposure
from epidesk.transparency.trajectories import service
from epidesk.transparency.trajectories.models import TrajectoryEntry
from tests.transparency.trajectories.scene import DAY, at, trajectories


def _names(computed: service.Computed) -> list[str]:
    return [e.name for e in computed.entries]


def test_a_venue_visited_while_infectious_is_listed_without_the_case(db: Session) -> None:
    scene = trajectories(db)
    found = service.compute(db, day=DAY, minimum=1)
    assert _names(found) == ["Willow Market"]
    entry = found.entries[0]
    # Rounded out to the hour: 10:00-11:00 city time is 02:00-03:00 UTC.
    assert entry.starts_at == datetime(2026, 11, 19, 2, 0, tzinfo=UTC)
    assert entry.ends_at == datetime(2026, 11, 19, 3, 0, tzinfo=UTC)
    assert entry.last_day == date(2026, 11, 19)
    assert entry.expires_on == date(2026, 12, 3)
    # Nothing names, counts or points to a case or a person.
    names = {f.name for f in fields(service.Entry)}
    assert not names & {"case", "cases", "case_id", "resident_id", "sex", "age", "count"}
    row = json.dumps(entry.row(), default=str)
    for person in scene.city.residents.values():
        assert person.name not in row and person.name_latin not in row


def test_windows_of_several_cases_at_one_place_merge_into_one(db: Session) -> None:
    scene = trajectories(db)
    scene.visit("li_na", at(19, 10, 40), at(19, 12, 20))
    scene.visit("wang_fang", at(19, 15, 0), at(19, 15, 30))
    scene.visit("zhao_lei", at(19, 15, 10), at(19, 15, 40))
    found = service.compute(db, day=DAY, minimum=1)
    windows = [(e.starts_at.hour, e.ends_at.hour) for e in found.entries]
    # 10:00-11:00 and 10:40-12:20 become 10:00-13:00; 15:00-15:30 stays apart (UTC-8h).
    assert windows == [(2, 5), (7, 8)]


def test_a_visit_outside_the_window_is_not_listed(db: Session) -> None:
    scene = trajectories(db)
    scene.visit("wang_fang", at(10, 9), at(10, 10))  # six days before the window opens
    found = service.compute(db, day=DAY, minimum=1)
    assert len(found.entries) == 1


def test_a_place_is_dropped_once_everyone_exposed_there_is_identified(db: Session) -> None:
    scene = trajectories(db)
    scene.contact("chen_jing", active=False)
    # A withdrawn classification identifies nobody: Chen Jing must still be warned.
    assert _names(service.compute(db, day=DAY, minimum=1)) == ["Willow Market"]
    contact = db.scalars(select(Contact).where(Contact.resident_id == scene.id("chen_jing"))).one()
    contact.status = "active"
    db.flush()
    assert service.compute(db, day=DAY, minimum=1).entries == []
    # Another visitor, not traced, brings the place back.
    scene.visit("zhao_lei", at(19, 9, 0), at(19, 10, 5))
    assert _names(service.compute(db, day=DAY, minimum=1)) == ["Willow Market"]


def test_homes_only_where_a_zone_already_names_the_building(db: Session) -> None:
    scene = trajectories(db)
    home = scene.city.buildings[0]
    assert _names(service.compute(db, day=DAY, minimum=1)) == ["Willow Market"]
    scene.zone("household", building=home.id, community=home.community_id)
    found = service.compute(db, day=DAY, minimum=1)
    assert _names(found) == ["Willow Court, building 1", "Willow Market"]
    building = found.entries[0]
    assert building.name_local == "柳园小区1号楼"
    assert (building.place_kind, building.place_id) == ("building", home.id)
    # The window of the two cases who live there: from four days before sampling to
    # the end of the isolation day.
    assert building.starts_at == datetime(2026, 11, 15, 16, 0, tzinfo=UTC)
    assert building.ends_at == datetime(2026, 11, 21, 16, 0, tzinfo=UTC)


def test_a_compound_zone_shows_the_compound_not_the_building(db: Session) -> None:
    scene = trajectories(db)
    pine = scene.city.communities[1]
    scene.zone("compound", community=pine.id)
    found = service.compute(db, day=DAY, minimum=1)
    assert _names(found) == ["Pine Court", "Willow Market"]
    assert found.entries[0].place_kind == "compound"


def test_a_building_whose_residents_are_all_identified_is_dropped(db: Session) -> None:
    scene = trajectories(db)
    pine, willow = scene.city.buildings[2], scene.city.buildings[0]
    scene.zone("building", building=pine.id, community=pine.community_id)
    scene.zone("building", building=willow.id, community=willow.community_id)
    # Wang Fang lives alone in Pine Court's building: nobody else there to warn.
    assert _names(service.compute(db, day=DAY, minimum=1)) == [
        "Willow Court, building 1", "Willow Market"]
    neighbours = ["wang_xiuying", "wang_wei", "li_qiang", "zhang_wei", "zhang_min",
                  "zhao_lei", "chen_jing", "chen_jie"]
    for key in neighbours[:-1]:
        scene.contact(key)
    assert "Willow Court, building 1" in _names(service.compute(db, day=DAY, minimum=1))
    scene.contact(neighbours[-1])
    assert service.compute(db, day=DAY, minimum=1).entries == []


def test_free_text_places_of_recorded_exposures_are_never_listed(db: Session) -> None:
    scene = trajectories(db)
    db.add(Exposure(resident_a_id=scene.id("wang_xiulan"), resident_b_id=scene.id("zhao_lei"),
                    at=at(19, 18), setting="shared_meal", protected=False,
                    place="Golden Dragon restaurant, room 3", note=None, recorded_by="test",
                    recorded_at=at(21, 9)))
    db.flush()
    names = _names(service.compute(db, day=DAY, minimum=1))
    assert not any("Golden" in n for n in names)


def test_entries_expire_fourteen_days_after_the_last_exposure(db: Session) -> None:
    trajectories(db)
    assert len(service.compute(db, day=date(2026, 12, 2), minimum=1).entries) == 1
    assert service.compute(db, day=date(2026, 12, 3), minimum=1).entries == []
    assert len(service.compute(db, day=date(2026, 12, 4), minimum=1, days=15).entries) == 0
    assert len(service.compute(db, day=date(2026, 12, 3), minimum=1, days=15).entries) == 1


def test_too_few_cases_behind_the_entries_publish_none(db: Session) -> None:
    scene = trajectories(db)
    held = service.compute(db, day=DAY, minimum=2)
    assert held.withheld and held.entries == [] and held.found == 1
    scene.visit("wang_fang", at(20, 8), at(20, 9))
    shown = service.compute(db, day=DAY, minimum=2)
    assert not shown.withheld and len(shown.entries) == 2


def test_a_withdrawn_case_leaves_no_trajectory(db: Session) -> None:
    scene = trajectories(db)
    scene.cases["wang_xiulan"].status = "withdrawn"
    db.flush()
    assert service.compute(db, day=DAY, minimum=1).entries == []


def test_publish_stores_the_day_and_writes_files_that_purge_cleans(db: Session,
                                                                   tmp_path: Path) -> None:
    scene = trajectories(db)
    scene.visit("li_na", at(21, 9), at(21, 10), venue=scene.market)
    published = service.publish(db, day=DAY, folder=tmp_path)
    assert len(published.entries) == 2 or published.withheld
    # The default minimum is three cases: two stand behind these entries.
    assert published.withheld and published.entries == []
    scene.visit("wang_fang", at(21, 9, 30), at(21, 10, 30))
    scene.visit("zhao_lei", at(21, 9, 15), at(21, 9, 45))
    published = service.publish(db, day=DAY, folder=tmp_path)
    assert len(published.entries) == 2
    latest, rows = service.shown(db, today=DAY)
    assert latest == DAY and [r.starts_at.day for r in rows] == [19, 21]
    # A snapshot folder holding a copy: purge must reach it as well.
    snapshot = tmp_path / "snapshots" / "2026-11-22"
    service.write_files(snapshot, DAY, published.entries)
    files = service.trajectory_files(tmp_path)
    assert len(files) == 8
    # On 2026-12-03 the 11-19 entry is gone; the 11-21 one stays until 2026-12-05.
    done = service.purge(db, today=date(2026, 12, 3), root=tmp_path)
    assert (done.entries, done.files_rewritten, done.files_removed) == (1, 8, 0)
    latest_rows = json.loads((tmp_path / "trajectories" / "trajectories.json").read_text())
    assert [r["last_day"] for r in latest_rows["rows"]] == ["2026-11-21"]
    assert "2026-11-19" not in (tmp_path / "trajectories" / "trajectories-2026-11-22.csv"
                                ).read_text()
    assert len(service.shown(db, today=date(2026, 12, 3))[1]) == 1
    done = service.purge(db, today=date(2026, 12, 5), root=tmp_path)
    # Dated files left empty are removed; the current files stay, empty.
    assert (done.entries, done.files_rewritten, done.files_removed) == (1, 4, 4)
    assert [p.name for p in service.trajectory_files(tmp_path)] == [
        "trajectories.csv", "trajectories.json", "trajectories.csv", "trajectories.json"]
    assert db.scalars(select(TrajectoryEntry)).all() == []
    again = service.purge(db, today=date(2026, 12, 5), root=tmp_path)
    assert again == service.Purged(0, 0, 0)


def test_a_dry_run_purge_changes_nothing(db: Session, tmp_path: Path) -> None:
    scene = trajectories(db)
    scene.visit("li_na", at(20, 9), at(20, 10))
    scene.visit("wang_fang", at(20, 12), at(20, 13))
    service.publish(db, day=DAY, folder=tmp_path)
    before = {p: p.read_bytes() for p in service.trajectory_files(tmp_path)}
    counted = service.purge(db, today=DAY + timedelta(days=30), root=tmp_path, dry_run=True)
    assert counted.entries == 3 and counted.files_removed == 2
    assert {p: p.read_bytes() for p in service.trajectory_files(tmp_path)} == before
    assert len(db.scalars(select(TrajectoryEntry)).all()) == 3


def test_the_publication_step_publishes_the_days_trajectories(db: Session) -> None:
    from epidesk.transparency import deps

    scene = trajectories(db)
    scene.visit("wang_fang", at(20, 18), at(20, 19))
    scene.visit("zhao_lei", at(20, 18, 30), at(20, 19, 30))
    home = scene.city.buildings[0]
    scene.zone("unit", building=home.id, community=home.community_id)
    deps.publish(db, actor="test", day=DAY)
    latest, rows = service.shown(db, today=DAY)
    assert latest == DAY and len(rows) == 3
    # The day's open-data files of figures hold no trajectory.
    from epidesk.transparency.models import PublishedFile

    names = db.scalars(select(PublishedFile.name)).all()
    assert names and not any("trajector" in n for n in names)
