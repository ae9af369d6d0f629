"""The route matrix: vaccination."""

from __future__ import annotations

from typing import Any

from tests.factories import TinyCity
from tests.routes import (
    PERSONAL,
    PUBLIC,
    STAFF,
    Probe,
    _resident,
)

PUBLIC.update({
    # Vaccine products and sites, and booking a dose with an identity number and date of
    # birth (no account; answers say nothing of a record beyond what the booker proved).
    ("GET", "/api/vaccination/products"), ("GET", "/api/vaccination/sites"),
    ("GET", "/vaccination/book"), ("POST", "/vaccination/book"),
})


STAFF.update({
    # Vaccination: sites, stock, shifts, places, campaign checks, coverage (counts by
    # district and age band) and the reminder run.
    ("GET", "/vaccination"), ("POST", "/vaccination/campaigns"),
    ("POST", "/api/vaccination/sites"), ("POST", "/api/vaccination/sites/import"),
    ("GET", "/api/vaccination/sites/{site_id}"),
    ("POST", "/api/vaccination/sites/{site_id}/shifts"),
    ("POST", "/api/vaccination/sites/{site_id}/stock"),
    ("POST", "/api/vaccination/sites/{site_id}/slots"),
    ("POST", "/api/vaccination/campaigns/check"), ("POST", "/api/vaccination/campaigns"),
    ("GET", "/api/vaccination/campaigns"), ("GET", "/api/vaccination/coverage"),
    ("POST", "/api/vaccination/reminders/run"),
})


def _vaccination(t: TinyCity) -> dict[str, int]:
    """A staffed, stocked site with places; in each of the first two communities a
    resident with an appointment and one with a dose; the worker made a vaccinator of its
    community (vaccination.read and .write there) besides booking (its own role)."""
    found: dict[str, int] | None = getattr(t, "vaccination", None)
    if found is not None:
        return found
    from datetime import date, timedelta

    from sqlalchemy.orm import object_session

    from epidesk.auth import service as auth
    from epidesk.kit import clock
    from epidesk.people.models import Resident
    from epidesk.vaccination.booking import service as booking
    from epidesk.vaccination.sites import service as sites

    session = object_session(t.city)
    assert session is not None
    auth.grant_role(session, username="worker", role="vaccinator", scope_kind="community",
                    scope_id=t.communities[0].id, granted_by="test")
    today = clock.city_today()
    site = sites.create_site(session, code="RT-VAC", name="Route test site", address="",
                             district_id=t.districts[0].id, stations=4,
                             doses_per_station_hour=30,
                             hours={w: (480, 1080) for w in range(7)})
    sites.receive(session, site_id=site.id, product="coronavac", lot="RT-LOT",
                  expiry=today + timedelta(days=300), doses=50, actor="test")
    for offset in (0, 21, 22):
        for dose in (1, 2):
            booking.open_slots(session, site_id=site.id, day=today + timedelta(days=offset),
                               dose_number=dose, capacity=20)
    found = {"site": site.id}
    for key, community in (("in", t.communities[0]), ("out", t.communities[1])):
        home = next(h for h in t.households.values() if h.community_id == community.id)
        for role, name in (("booked", "预约者"), ("dosed", "接种者")):
            person = Resident(household_id=home.id, community_id=community.id,
                              id_number=None, name=f"{name}{key}", name_latin=f"Vac {role} {key}",
                              name_search=f"vac {role} {key}", sex="F",
                              birth_date=date(1980, 1, 1), phone=None, has_smartphone=True,
                              pregnant=False, disability=False, chronic_medication=False)
            session.add(person)
            session.flush()
            found[f"{role}_{key}"] = person.id
        appointment = booking.book(session, resident_id=found[f"booked_{key}"],
                                   site_id=site.id, day=today, channel="staff", actor="test")
        found[f"appointment_{key}"] = appointment.id
        given = booking.record_dose(session, resident_id=found[f"dosed_{key}"],
                                    site_id=site.id, product="coronavac", lot="RT-LOT",
                                    vaccinator="test", actor="test")
        found[f"dose_{key}"] = given.dose.id
    t.vaccination = found  # type: ignore[attr-defined]
    return found


def _vac(t: TinyCity, what: str, inside: bool) -> int:
    return _vaccination(t)[f"{what}_{'in' if inside else 'out'}"]


def _vac_site(t: TinyCity) -> int:
    return _vaccination(t)["site"]


def _vac_today(t: TinyCity, inside: bool) -> dict[str, Any]:
    from epidesk.kit import clock

    return {"site_id": _vac_site(t), "day": clock.city_today().isoformat(),
            "channel": "community"}


PERSONAL.update({
    ("GET", "/api/vaccination/residents/{resident_id}"): Probe(
        lambda t, i: f"/api/vaccination/residents/{_vac(t, 'dosed', i)}"),
    ("GET", "/api/vaccination/residents/{resident_id}/options"): Probe(
        lambda t, i: f"/api/vaccination/residents/{_vac(t, 'dosed', i)}/options"),
    ("GET", "/vaccination/residents/{resident_id}/book"): Probe(
        lambda t, i: f"/vaccination/residents/{_vac(t, 'dosed', i)}/book"),
    ("POST", "/vaccination/residents/{resident_id}/book"): Probe(
        lambda t, i: f"/vaccination/residents/{_resident(t, i)}/book",
        form=lambda t, i: {"place": f"{_vac_site(t)}/{_vac_today(t, i)['day']}",
                           "channel": "community"}),
    ("POST", "/api/vaccination/residents/{resident_id}/appointments"): Probe(
        lambda t, i: f"/api/vaccination/residents/{_resident(t, i)}/appointments",
        json=_vac_today, ok=201),
    ("POST", "/api/vaccination/residents/{resident_id}/reminders"): Probe(
        lambda t, i: (_vaccination(t), f"/api/vaccination/residents/{_resident(t, i)}"
                                       "/reminders")[1], json={"opted_in": True}),
    ("POST", "/api/vaccination/residents/{resident_id}/doses"): Probe(
        lambda t, i: f"/api/vaccination/residents/{_vac(t, 'booked', i)}/doses",
        json=lambda t, i: {"site_id": _vac_site(t), "product": "coronavac", "lot": "RT-LOT",
                           "vaccinator": "Dr Liu"}, ok=201),
    ("POST", "/api/vaccination/residents/{resident_id}/holds"): Probe(
        lambda t, i: (_vaccination(t), f"/api/vaccination/residents/{_resident(t, i)}"
                                       "/holds")[1],
        json={"kind": "fever", "reason": "38.6", "until": "2026-12-31"}, ok=201),
    ("POST", "/api/vaccination/doses/{dose_id}/adverse-events"): Probe(
        lambda t, i: f"/api/vaccination/doses/{_vac(t, 'dose', i)}/adverse-events",
        json={"onset_at": "2099-01-01T10:00:00+08:00", "severity": "mild",
              "description": "sore arm"}, ok=201),
    ("POST", "/api/vaccination/appointments/{appointment_id}/cancel"): Probe(
        lambda t, i: f"/api/vaccination/appointments/{_vac(t, 'appointment', i)}/cancel"),
    ("GET", "/api/vaccination/sites/{site_id}/day"): Probe(
        lambda t, i: f"/api/vaccination/sites/{_vac_site(t)}/day",
        lambda t, i: f'"resident_id":{_vac(t, "booked", i)},'),
    ("GET", "/vaccination/sites/{site_id}"): Probe(
        lambda t, i: f"/vaccination/sites/{_vac_site(t)}",
        lambda t, i: f"/people/{_vac(t, 'booked', i)}\""),
    ("POST", "/vaccination/sites/{site_id}/doses"): Probe(
        lambda t, i: f"/vaccination/sites/{_vac_site(t)}/doses", refused=422,
        form=lambda t, i: {"resident_id": str(_vac(t, "booked", i)), "product": "coronavac",
                           "lot": "RT-LOT", "vaccinator": "Dr Liu"}),
})
