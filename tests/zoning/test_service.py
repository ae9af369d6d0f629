"""Zones drawn, stepped down, restarted, withdrawn, changed by hand and replayed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.errors import ValidationFailedError
from epidesk.policy.service import get_preset
from epidesk.zoning import repository, service
from epidesk.zoning.footprint import service as footprint
from epidesk.zoning.models import Zone, ZoneChange
from epidesk.zoning.tree import service as trees
from tests.tracing.helpers import add_case, withdraw
from tests.zoning.scene import day, scene

NINTH = get_preset("cn-9th-2022")
TWENTY = get_preset("cn-20-measures-2022")
TEN = get_preset("cn-10-measures-2022")


def active(session: Session, preset: str) -> dict[str, Zone]:
    return {z.area_key: z for z in repository.zones(session, preset=preset)}


def test_each_preset_draws_its_own_unit(db: Session) -> None:
    city, case = scene(db)
    willow = city.communities[0]
    address = city.addresses[0]
    service.recompute(db, actor="test", preset=NINTH, day=day(0))
    ninth = active(db, NINTH.name)
    # The compound (Willow Court: 10 residents) is high; the market in it is a place of
    # the same compound; the rest of the district (Pine Court: 1) is low.
    assert ninth[f"compound:{willow.id}"].level == "high"
    assert ninth[f"compound:{willow.id}"].residents == 10
    assert ninth[f"district:{willow.subdistrict.district_id}"].residents == 1
    assert ninth[f"district:{willow.subdistrict.district_id}"].level == "low"
    assert [t.case_id for t in ninth[f"compound:{willow.id}"].triggers] == [case.id]

    service.recompute(db, actor="test", preset=TWENTY, day=day(0))
    twenty = active(db, TWENTY.name)
    assert twenty[f"unit:{address.unit_id}"].residents == 8  # four flats of unit 1
    assert twenty[f"venue:{city.venue.id}"].level == "high"  # type: ignore[union-attr]
    assert twenty[f"venue:{city.venue.id}"].residents == 0  # type: ignore[union-attr]

    service.recompute(db, actor="test", preset=TEN, day=day(0))
    ten = active(db, TEN.name)
    assert list(ten) == [f"household:{address.id}"]
    assert ten[f"household:{address.id}"].residents == 3
    assert ten[f"household:{address.id}"].planned_end == day(5)


def test_recompute_is_idempotent(db: Session) -> None:
    scene(db)
    first = service.recompute(db, actor="test", preset=TEN, day=day(0))
    again = service.recompute(db, actor="test", preset=TEN, day=day(0))
    assert first.opened == 1 and again.opened == again.restarted == 0
    assert db.scalar(select(func.count()).select_from(ZoneChange)) == 1


def test_the_20_measures_lift_on_day_5_once(db: Session) -> None:
    city, _ = scene(db)
    service.recompute(db, actor="test", preset=TWENTY, day=day(0))
    assert service.step_down(db, actor="job", day=day(4), preset=TWENTY).lifted == 0
    done = service.step_down(db, actor="job", day=day(5), preset=TWENTY)
    assert done.lifted >= 2  # the unit and the venue, then the district's low rest
    assert active(db, TWENTY.name) == {}
    again = service.step_down(db, actor="job", day=day(5), preset=TWENTY)
    assert again.lifted == again.stepped_down == 0
    # The cases stay active in the registry: their lifted zones do not open again ...
    later = service.daily(db, actor="job", day=day(6), preset=TWENTY)
    assert later.opened == 0 and active(db, TWENTY.name) == {}
    # ... until a new infection is linked to the area.
    add_case(db, city, "li_na", sampling=day(7), isolation=day(7))
    assert service.daily(db, actor="job", day=day(7), preset=TWENTY).opened == 1


def test_the_9th_needs_a_negative_round_on_day_7(db: Session) -> None:
    city, _ = scene(db)
    key = f"compound:{city.communities[0].id}"
    service.recompute(db, actor="test", preset=NINTH, day=day(0))
    zone = active(db, NINTH.name)[key]
    assert service.step_down(db, actor="job", day=day(7), preset=NINTH).stepped_down == 0
    repository.add_to_tally(db, zone.id, day(7), sampled=8, positive=0)  # 8 of 10: short
    assert service.step_down(db, actor="job", day=day(7), preset=NINTH).stepped_down == 0
    repository.add_to_tally(db, zone.id, day(7), sampled=1, positive=0)  # 9 of 10
    assert service.step_down(db, actor="job", day=day(7), preset=NINTH).stepped_down == 1
    assert zone.level == "medium" and zone.formerly == "high"
    # Former high: medium to low after 3 more days.
    assert service.step_down(db, actor="job", day=day(10), preset=NINTH).lifted >= 1
    assert zone.status == "lifted" and zone.lifted_on == day(10)


def test_a_new_case_on_day_6_restarts_the_clock(db: Session) -> None:
    city, _ = scene(db)
    key = f"compound:{city.communities[0].id}"
    service.recompute(db, actor="test", preset=NINTH, day=day(0))
    add_case(db, city, "li_na", sampling=day(6), isolation=day(6))
    done = service.recompute(db, actor="test", preset=NINTH, day=day(6))
    assert done.restarted == 1
    zone = active(db, NINTH.name)[key]
    repository.add_to_tally(db, zone.id, day(7), sampled=10, positive=0)
    assert service.step_down(db, actor="job", day=day(7), preset=NINTH).stepped_down == 0
    assert zone.planned_end == day(16)


def test_a_withdrawn_case_closes_its_zones(db: Session) -> None:
    _, case = scene(db)
    service.recompute(db, actor="test", preset=TEN, day=day(0))
    withdraw(db, case)
    assert service.recompute(db, actor="test", preset=TEN, day=day(1)).withdrawn == 1
    assert active(db, TEN.name) == {}


def test_manual_widening_needs_a_reason_and_an_override_beyond_the_preset(db: Session) -> None:
    city, _ = scene(db)
    service.recompute(db, actor="test", preset=TEN, day=day(0))
    zone = next(iter(active(db, TEN.name).values()))
    building = city.buildings[0].id
    with pytest.raises(ValidationFailedError, match="written reason"):
        service.change_area(db, zone_id=zone.id, to_key=f"building:{building}", reason=" ",
                            actor="officer", preset=TEN)
    compound = f"compound:{city.communities[0].id}"
    with pytest.raises(ValidationFailedError, match="does not draw zones by compound"):
        service.change_area(db, zone_id=zone.id, to_key=compound, reason="spread",
                            actor="officer", preset=TEN)
    assert zone.area_kind == "household" and zone.residents == 3
    with pytest.raises(ValidationFailedError, match="does not contain"):
        service.change_area(db, zone_id=zone.id, to_key=f"building:{city.buildings[2].id}",
                            reason="spread", actor="officer", preset=TEN)
    service.change_area(db, zone_id=zone.id, to_key=f"building:{building}",
                        reason="shared stairwell", actor="officer", preset=TEN)
    assert zone.area_kind == "building" and zone.residents == 10
    service.change_area(db, zone_id=zone.id, to_key=compound, reason="spread",
                        actor="admin", override=True, override_reason="lifts shared",
                        category="shared_facilities", preset=TEN)
    assert zone.residents == 10
    flagged = repository.overrides(db, preset=TEN.name)
    assert [(c.reason_category, c.kind) for c in flagged] == [("shared_facilities", "widened")]
    # The public page shows the override's category, never the written reasons.
    from epidesk.zoning.lookup import service as lookup

    public = lookup.public_zones(db, lang="en", preset=TEN)
    assert public[0].override == "residents share facilities across the wider area"
    assert "lifts shared" not in str(public) and "shared stairwell" not in str(public)
    # Recomputing keeps the drawn zone and its manual area.
    service.recompute(db, actor="test", preset=TEN, day=day(1))
    assert zone.area_key == compound and zone.status == "active"


def test_history_replays_any_past_day(db: Session) -> None:
    scene(db)
    service.recompute(db, actor="test", preset=TWENTY, day=day(0))
    service.step_down(db, actor="job", day=day(6), preset=TWENTY)
    on_day_2 = footprint.zones_on(db, day=day(2), preset=TWENTY)
    assert sorted(z.level for z in on_day_2) == ["high", "high", "low"]
    assert footprint.zones_on(db, day=day(5), preset=TWENTY) == []
    assert footprint.zones_on(db, day=day(-1), preset=TWENTY) == []
    cost = footprint.footprint(db, day=day(2), preset=TWENTY)
    assert cost.residents["high"] == 8 and cost.households_stay_home == 4
    # 8 residents restricted on days 0, 1, 2 (the venue's zone holds nobody).
    assert cost.resident_days == 24
    # Lifted on day 5: days 0 to 4.
    assert footprint.footprint(db, day=day(9), preset=TWENTY).resident_days == 40


def test_the_contact_graph_in_memory_gives_the_same_zones(db: Session) -> None:
    from epidesk.tracing.graph import service as graphs

    city, _ = scene(db)
    add_case(db, city, "wang_fang", sampling=day(2), isolation=day(3))
    graph = graphs.load_graph(db)
    tree = trees.load_tree(db)
    for preset in (NINTH, TWENTY, TEN):
        read = service.compute(db, preset=preset, tree=tree)
        held = service.compute(db, preset=preset, tree=tree, graph=graph)
        assert len(read) >= 2
        assert held.same_as(read), preset.name


def test_the_person_record_and_the_overview_show_the_zone(db: Session, client) -> None:  # type: ignore[no-untyped-def]
    city, _ = scene(db)
    service.daily(db, actor="test", day=day(0))
    neighbour = city.residents["wang_xiuying"].id
    record = client.get(f"/api/people/{neighbour}").json()
    panel = next(p for p in record["panels"] if p["key"] == "zoning")
    assert panel["data"]["zones"][0]["level"] == "high"
    pine = city.residents["wang_fang"].id  # the rest of the district: low
    low = next(p for p in client.get(f"/api/people/{pine}").json()["panels"]
               if p["key"] == "zoning")
    assert [z["level"] for z in low["data"]["zones"]] == ["low"]
    river = client.get("/api/overview", params={"day": day(0).isoformat()}).json()
    tile = next(t for t in river["tiles"] if t["key"] == "zoning.footprint")
    assert tile["data"]["residents"]["high"] == 10


@pytest.mark.parametrize("zone_first", [True, False])
def test_an_ingest_tallies_each_zones_round(db: Session, zone_first: bool,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # A zone's swabs are read from its addresses down (small zones) or from the batch
    # up (zones over many residents): both find the same.
    from epidesk.cases import service as cases
    from epidesk.zoning.lookup import service as lookup
    from tests.testing.batches import csv_bytes, pool

    city, _ = scene(db)
    service.daily(db, actor="test", preset=TEN, day=day(0))
    zone = service.active_zones(db, preset=TEN)[0]
    monkeypatch.setattr(service, "ZONE_FIRST_RESIDENTS", 10**9 if zone_first else 0)
    wang = [city.residents[k].id for k in ("wang_xiuying", "wang_wei")]
    others = [city.residents[k].id for k in ("zhang_wei", "zhang_min", "zhao_lei")]
    rows = pool("P-Z1", [*wang, *others], outcome="negative",
                collected=f"{day(3).isoformat()}T09:00:00+08:00",
                result=f"{day(3).isoformat()}T18:00:00+08:00")
    result = cases.ingest_results(db, content=csv_bytes(rows), filename="z.csv",
                                  received_by="test")
    assert result.accepted, result.report
    found = lookup.testing_round(db, zone_id=zone.id, day=day(3), preset=TEN)
    assert sorted(found.sampled) == sorted(wang)
    assert found.missed == [city.residents["wang_xiulan"].id]
    assert not found.negative  # two of three is short of 90 %


def test_a_deferred_ingest_tallies_once_committed_and_the_daily_job_catches_up(
        db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    # The command line and the API commit the batch and its cases first; zoning follows
    # in a transaction of its own. Had that failed, the daily job tallies the batch.
    from epidesk.cases import service as cases
    from epidesk.kit import events
    from epidesk.zoning.lookup import service as lookup
    from tests.testing.batches import csv_bytes, pool

    city, _ = scene(db)
    service.daily(db, actor="test", preset=TEN, day=day(0))
    zone = service.active_zones(db, preset=TEN)[0]
    wang = [city.residents[k].id for k in ("wang_xiuying", "wang_wei")]

    def ingest(code: str, on: int) -> None:
        others = [city.residents[k].id for k in ("zhang_wei", "zhang_min", "zhao_lei")]
        rows = pool(code, [*wang, *others], outcome="negative",
                    collected=f"{day(on).isoformat()}T09:00:00+08:00",
                    result=f"{day(on).isoformat()}T18:00:00+08:00")
        result = cases.ingest_results(db, content=csv_bytes(rows), filename=f"{code}.csv",
                                      received_by="test", deferred=True)
        assert result.accepted, result.report

    def sampled(on: int) -> list[int]:
        return sorted(lookup.testing_round(db, zone_id=zone.id, day=day(on),
                                           preset=TEN).sampled)

    ingest("P-D1", 3)
    assert events.waiting(db) == [("zoning", "testing")]
    assert sampled(3) == []  # not before the commit
    db.commit()
    assert sampled(3) == sorted(wang)

    def broken(*_: object, **__: object) -> dict[str, int]:
        raise RuntimeError("zoning is down")

    monkeypatch.setattr(service, "follow_testing", broken)
    ingest("P-D2", 4)
    db.commit()  # the batch stands; zoning's follow failed and was logged
    assert sampled(4) == []
    service.daily(db, actor="job", preset=TEN, day=day(4))
    assert sampled(4) == sorted(wang)


def test_public_zones_show_buildings_and_venues_without_flats(db: Session) -> None:
    from epidesk.zoning.lookup import service as lookup

    scene(db)
    service.recompute(db, actor="test", preset=TWENTY, day=day(0))
    public = lookup.public_zones(db, lang="en", preset=TWENTY)
    places = sorted(p.place for p in public if p.level == "high")
    assert places == ["Willow Court building 1 (one unit)", "Willow Market"]
    assert all(p.area != "household" for p in public)
    zh = lookup.public_zones(db, lang="zh", preset=TWENTY)
    assert "柳园小区1号楼（一个单元）" in [p.place.replace(" ", "") for p in zh]


def test_the_daily_job_uses_a_graph_only_when_one_is_held(db: Session) -> None:
    from epidesk.tracing.graph import service as graphs

    graphs.forget_graphs()
    assert graphs.held_graph(db) is None
    assert service.daily(db, actor="job", day=day(0)).counts()["zones_opened"] == 0
    scene(db)
    try:
        graphs.current_graph(db, cache=True)
        assert graphs.held_graph(db) is not None
        assert service.daily(db, actor="job", day=day(0), preset=TEN).opened == 1
    finally:
        graphs.forget_graphs()


def test_a_merge_moves_sampled_days_and_keeps_a_shared_day_once(db: Session) -> None:
    from epidesk.kit.merges import Merge
    from epidesk.people.models import Resident
    from epidesk.zoning.models import ZoneSample

    scene(db)
    service.recompute(db, actor="test", preset=NINTH, day=day(0))
    zone = next(iter(active(db, NINTH.name).values()))
    survivor, merged = db.scalars(select(Resident.id).order_by(Resident.id).limit(2)).all()
    db.add_all([
        ZoneSample(zone_id=zone.id, day=day(1), resident_id=survivor, positive=False),
        ZoneSample(zone_id=zone.id, day=day(1), resident_id=merged, positive=True),
        ZoneSample(zone_id=zone.id, day=day(2), resident_id=merged, positive=False),
    ])
    db.flush()
    notes = service.merge_person_rows(db, Merge(survivor_id=survivor, merged_id=merged,
                                                day=day(3), actor="test"))
    assert notes == ["1 zone testing-round sample(s) moved",
                     "1 day(s) sampled under both records kept once"]
    rows = db.execute(select(ZoneSample.day, ZoneSample.resident_id, ZoneSample.positive)
                      .where(ZoneSample.zone_id == zone.id).order_by(ZoneSample.day)).all()
    # The shared day stays once and positive (the merged record's tube was); the other moves.
    assert [tuple(r) for r in rows] == [(day(1), survivor, True), (day(2), survivor, False)]


def test_a_building_named_in_an_exposure_draws_a_place_zone_and_free_text_none(
        db: Session) -> None:
    from datetime import UTC, datetime

    from epidesk.tracing.exposures import service as exposures
    from epidesk.tracing.graph import service as graphs

    city, case = scene(db)
    pine = city.communities[1]
    pine_building = city.buildings[2]
    other = city.residents["zhang_min"].id
    inside = datetime(2026, 11, 19, 2, 0, tzinfo=UTC)  # the day before sampling
    exposures.record_exposure(db, resident_a=case.resident_id, resident_b=other, at=inside,
                              setting="shared_vehicle", place="a bus stop", recorded_by="t",
                              now=datetime(2026, 11, 22, tzinfo=UTC))
    tree = trees.load_tree(db)
    words_only = set(service.compute(db, preset=TWENTY, tree=tree).keys())
    assert f"building:{pine_building.id}" not in words_only
    exposures.record_exposure(db, resident_a=case.resident_id, resident_b=other, at=inside,
                              setting="shared_vehicle", building_id=pine_building.id,
                              recorded_by="t", now=datetime(2026, 11, 22, tzinfo=UTC))
    service.recompute(db, actor="test", preset=TWENTY, day=day(0))
    twenty = active(db, TWENTY.name)
    assert twenty[f"building:{pine_building.id}"].level == "high"
    assert [t.case_id for t in twenty[f"building:{pine_building.id}"].triggers] == [case.id]
    service.recompute(db, actor="test", preset=NINTH, day=day(0))
    assert f"compound:{pine.id}" in active(db, NINTH.name)
    graph = graphs.load_graph(db)
    for preset in (NINTH, TWENTY):
        read = service.compute(db, preset=preset, tree=tree)
        assert service.compute(db, preset=preset, tree=tree, graph=graph).same_as(read)
