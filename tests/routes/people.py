"""People and places: residents, households, buildings, communities, registration, merges."""

from __future__ import annotations

from tests.people.probes import other as _other
from tests.people.probes import other_household as _other_household
from tests.people.probes import registration as _registration
from tests.people.probes import twins as _twins
from tests.routes import (
    PERSONAL,
    Probe,
    _building,
    _community,
    _household,
    _resident,
    _resident_name,
)

PERSONAL.update({
    ("GET", "/people"): Probe(lambda t, i: f"/people?q={_resident_name(t, i)}",
                              lambda t, i: f"/people/{_resident(t, i)}"),
    ("GET", "/api/people"): Probe(lambda t, i: f"/api/people?q={_resident_name(t, i)}",
                                  lambda t, i: f'"id":{_resident(t, i)},'),
    ("GET", "/people/{resident_id}"): Probe(lambda t, i: f"/people/{_resident(t, i)}"),
    ("GET", "/api/people/{resident_id}"): Probe(lambda t, i: f"/api/people/{_resident(t, i)}"),
    ("GET", "/households/{household_id}"): Probe(
        lambda t, i: f"/households/{_household(t, i)}"),
    ("GET", "/api/households/{household_id}"): Probe(
        lambda t, i: f"/api/households/{_household(t, i)}"),
    ("GET", "/places/buildings/{building_id}"): Probe(
        lambda t, i: f"/places/buildings/{_building(t, i)}"),
    ("GET", "/api/places/buildings/{building_id}"): Probe(
        lambda t, i: f"/api/places/buildings/{_building(t, i)}"),
    ("GET", "/places/communities/{community_id}"): Probe(
        lambda t, i: f"/places/communities/{_community(t, i)}"),
    ("GET", "/api/places/communities/{community_id}"): Probe(
        lambda t, i: f"/api/places/communities/{_community(t, i)}"),
})


_MERGE_REASON = "the same person, entered twice"

PERSONAL.update({
    ("POST", "/api/people"): Probe(lambda t, i: "/api/people", json=_registration, ok=201,
                                   refused=422),
    ("POST", "/people/new"): Probe(
        lambda t, i: "/people/new", refused=422,
        form=lambda t, i: {k: str(v) for k, v in _registration(t, i).items()}),
    ("GET", "/people/duplicates"): Probe(lambda t, i: (_twins(t), "/people/duplicates")[1],
                                         lambda t, i: f"/people/{_twins(t)[i]}\""),
    ("GET", "/api/people/duplicates"): Probe(
        lambda t, i: (_twins(t), "/api/people/duplicates")[1],
        lambda t, i: f'"id":{_twins(t)[i]},'),
    ("GET", "/people/{resident_id}/merge"): Probe(
        lambda t, i: f"/people/{_resident(t, i)}/merge?other={_other(t)}"),
    ("POST", "/people/{resident_id}/merge"): Probe(
        lambda t, i: f"/people/{_resident(t, i)}/merge",
        form=lambda t, i: {"other_id": str(_other(t)), "reason": _MERGE_REASON,
                           "confirm": "1"}),
    ("POST", "/api/people/{resident_id}/merge"): Probe(
        lambda t, i: f"/api/people/{_resident(t, i)}/merge",
        json=lambda t, i: {"other_id": _other(t), "reason": _MERGE_REASON}),
    ("POST", "/people/{resident_id}/moves"): Probe(
        lambda t, i: f"/people/{_resident(t, i)}/moves",
        form=lambda t, i: {"household_id": str(_other_household(t)), "moved_on": "2026-11-30"}),
    ("POST", "/api/people/{resident_id}/moves"): Probe(
        lambda t, i: f"/api/people/{_resident(t, i)}/moves",
        json=lambda t, i: {"household_id": _other_household(t), "moved_on": "2026-11-30"}),
})
