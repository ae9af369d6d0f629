"""The route matrix: placement."""

from __future__ import annotations

from tests.factories import TinyCity
from tests.routes import (
    PERSONAL,
    STAFF,
    Probe,
    _building,
    _household,
    _resident,
)

# Placement runs cover the whole city: running, committing and discarding one needs
# quarantine.write held city-wide (figures only in the answers); a run's people are
# named only inside the reader's area.
STAFF.update({
    ("GET", "/quarantine/placement"), ("POST", "/quarantine/placement/runs"),
    ("GET", "/api/quarantine/placement/runs"), ("POST", "/api/quarantine/placement/runs"),
    ("GET", "/api/quarantine/placement/forecast"),
    ("POST", "/quarantine/placement/runs/{run_id}/commit"),
    ("POST", "/quarantine/placement/runs/{run_id}/discard"),
    ("POST", "/api/quarantine/placement/runs/{run_id}/commit"),
    ("POST", "/api/quarantine/placement/runs/{run_id}/discard"),
})


def _placement_run(t: TinyCity) -> int:
    """A proposed placement run naming a resident inside the worker's area and one
    outside it (neither placed)."""
    found: int | None = getattr(t, "placement_run", None)
    if found is not None:
        return found
    from datetime import UTC, date, datetime

    from sqlalchemy.orm import object_session

    from epidesk.quarantine.models import PlacementLine, PlacementRun

    session = object_session(t.city)
    assert session is not None
    run = PlacementRun(day=date(2026, 11, 22), state="proposed", people=2, households=2,
                       placed_people=0, unplaced_people=2, carers=0, rooms_free=0,
                       cost=0.0, lower_bound=0.0, gap=0.0, greedy_cost=0.0, seconds=0.0,
                       check="{}", digest="-", created_at=datetime.now(UTC),
                       created_by="test")
    for inside in (True, False):
        resident = _resident(t, inside)
        run.lines.append(PlacementLine(resident_id=resident, household_id=_household(t, inside),
                                       role="ordered", reason="no_free_room"))
    session.add(run)
    session.flush()
    t.placement_run = run.id  # type: ignore[attr-defined]
    return run.id


def _named(t: TinyCity, inside: bool) -> str:
    return next(r.name for r in t.residents.values() if r.id == _resident(t, inside))


PERSONAL.update({
    ("GET", "/quarantine/placement/runs/{run_id}"): Probe(
        lambda t, i: f"/quarantine/placement/runs/{_placement_run(t)}", marker=_named),
    ("GET", "/api/quarantine/placement/runs/{run_id}"): Probe(
        lambda t, i: f"/api/quarantine/placement/runs/{_placement_run(t)}", marker=_named),
})

# Transfers: making a manifest, checking people out and in and resolving alerts need
# transport.write or quarantine.write held city-wide (the answers name nobody); a
# manifest's people and the alerts are named only inside the reader's area.
STAFF.update({
    ("POST", "/api/quarantine/transfers"), ("GET", "/api/quarantine/transfers/counts"),
    ("POST", "/api/quarantine/transfers/{manifest_id}/check-out"),
    ("POST", "/api/quarantine/transfers/{manifest_id}/check-in"),
    ("POST", "/api/quarantine/transfers/lines/{line_id}/resolve"),
    ("POST", "/quarantine/transfers/{manifest_id}/check-in"),
    ("POST", "/quarantine/transfers/{manifest_id}/check-out"),
    ("POST", "/quarantine/transfers/lines/{line_id}/resolve"),
    ("POST", "/api/quarantine/transfers/{manifest_id}/people"),
    ("POST", "/api/quarantine/transfers/{manifest_id}/depart"),
    ("POST", "/quarantine/transfers"), ("POST", "/quarantine/transfers/{manifest_id}/people"),
    ("POST", "/quarantine/transfers/{manifest_id}/depart"),
})


def _manifest(t: TinyCity) -> int:
    """A manifest overdue by a day carrying a resident inside the worker's area and one
    outside it, neither checked in: both raise alerts."""
    found: int | None = getattr(t, "manifest", None)
    if found is not None:
        return found
    from datetime import UTC, date, datetime, timedelta

    from sqlalchemy.orm import object_session

    from epidesk.quarantine.models import (
        Facility,
        FacilityList,
        TransferLine,
        TransferManifest,
    )

    session = object_session(t.city)
    assert session is not None
    now = datetime.now(UTC)
    listed = FacilityList(rows=1, facilities=1, rooms=0, digest="probe", filename="p.csv",
                          status="accepted", received_at=now, received_by="test", attempts=1,
                          problem_count=0, seconds=0.0)
    session.add(listed)
    session.flush()
    site = Facility(code="PROBE", name="Probe hotel", city_id=t.city.id, district_id=None,
                    address="1 Road", lat=35.4, lon=116.6, kind="hotel", use="quarantine",
                    status="open", medical_staff=0, separate_areas=True, manager_name="Li",
                    manager_phone="1", opened_on=date(2026, 1, 1), closed_on=None,
                    list_id=listed.id, updated_at=now)
    session.add(site)
    session.flush()
    m = TransferManifest(vehicle="Bus P", seats=4, route="-", facility_id=site.id,
                         departs_at=now - timedelta(days=1, hours=1),
                         expected_at=now - timedelta(days=1), driver_name="Wu",
                         driver_phone="1", created_at=now, created_by="test")
    for n, inside in enumerate((True, False), start=1):
        m.lines.append(TransferLine(line_no=n, resident_id=_resident(t, inside)))
    session.add(m)
    session.flush()
    t.manifest = m.id  # type: ignore[attr-defined]
    return m.id


PERSONAL.update({
    ("GET", "/api/quarantine/transfers/{manifest_id}"): Probe(
        lambda t, i: f"/api/quarantine/transfers/{_manifest(t)}", marker=_named),
    ("GET", "/quarantine/transfers/{manifest_id}/check-in"): Probe(
        lambda t, i: f"/quarantine/transfers/{_manifest(t)}/check-in", marker=_named),
    ("GET", "/api/quarantine/transfers/alerts"): Probe(
        lambda t, i: (_manifest(t), "/api/quarantine/transfers/alerts")[1], marker=_named),
    ("GET", "/quarantine/transfers"): Probe(
        lambda t, i: (_manifest(t), "/quarantine/transfers")[1], marker=_named),
})


def _return_manifest(t: TinyCity) -> int:
    """A return home from `_manifest`'s facility carrying a resident inside the worker's
    area and one outside it, neither home yet."""
    found: int | None = getattr(t, "return_manifest", None)
    if found is not None:
        return found
    from datetime import UTC, datetime, timedelta

    from sqlalchemy.orm import object_session

    from epidesk.quarantine.models import TransferLine, TransferManifest

    session = object_session(t.city)
    assert session is not None
    to_facility = session.get(TransferManifest, _manifest(t))
    assert to_facility is not None
    now = datetime.now(UTC)
    m = TransferManifest(purpose="return_home", building_id=_building(t, True),
                         vehicle="Car R", seats=4, route="-",
                         facility_id=to_facility.facility_id, departs_at=now,
                         expected_at=now + timedelta(hours=1), driver_name="",
                         driver_phone="", created_at=now, created_by="test")
    for n, inside in enumerate((True, False), start=1):
        m.lines.append(TransferLine(line_no=n, resident_id=_resident(t, inside)))
    session.add(m)
    session.flush()
    t.return_manifest = m.id  # type: ignore[attr-defined]
    return m.id


# Arrivals home at release: the community worker checks in the people of their own area;
# anyone else reads as not on the manifest (422 naming resident_id), nothing changed.
PERSONAL.update({
    ("POST", "/api/quarantine/transfers/{manifest_id}/home-arrivals"): Probe(
        lambda t, i: f"/api/quarantine/transfers/{_return_manifest(t)}/home-arrivals",
        json=lambda t, i: {"resident_id": _resident(t, i)}, refused=422),
    ("POST", "/quarantine/transfers/{manifest_id}/home-arrivals"): Probe(
        lambda t, i: f"/quarantine/transfers/{_return_manifest(t)}/home-arrivals",
        form=lambda t, i: {"resident_id": str(_resident(t, i))}, refused=422),
})
