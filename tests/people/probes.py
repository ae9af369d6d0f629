"""Records the route matrix (tests/test_routes.py) probes the people routes with: a
second record of one resident on each side of the worker's area, a registration, the
record merged or the household moved to."""

from __future__ import annotations

from typing import Any

from tests.factories import TinyCity


def resident(t: TinyCity, inside: bool) -> int:
    """A resident inside (first community) or outside (second) the worker's area."""
    community = t.communities[0 if inside else 1]
    return next(r.id for r in t.residents.values() if r.community_id == community.id)


def household(t: TinyCity, inside: bool) -> int:
    """A household inside or outside the worker's area."""
    community = t.communities[0 if inside else 1]
    return next(h.id for h in t.households.values() if h.community_id == community.id)


def other(t: TinyCity) -> int:
    """A second resident of the worker's community (the one merged, or moved next to)."""
    inside = resident(t, True)
    home = t.communities[0].id
    return next(r.id for r in t.residents.values() if r.community_id == home and r.id != inside)


def other_household(t: TinyCity) -> int:
    """A household of the worker's community where the probed resident does not live."""
    home = resident(t, True)
    lives = next(r.household_id for r in t.residents.values() if r.id == home)
    return next(h.id for h in t.households.values()
                if h.community_id == t.communities[0].id and h.id != lives)


def twins(t: TinyCity) -> dict[bool, int]:
    """A second record of one resident on each side of the area: a likely duplicate."""
    found: dict[bool, int] | None = getattr(t, "twins", None)
    if found is not None:
        return found
    from sqlalchemy.orm import object_session

    from epidesk.people.models import Resident

    session = object_session(t.city)
    assert session is not None
    found = {}
    for inside in (True, False):
        original = next(r for r in t.residents.values() if r.id == resident(t, inside))
        copy = Resident(household_id=original.household_id,
                        community_id=original.community_id, id_number=None,
                        name=original.name, name_latin=original.name_latin,
                        name_search=original.name_search, sex=original.sex,
                        birth_date=original.birth_date, phone=None, has_smartphone=False,
                        pregnant=False, disability=False, chronic_medication=False,
                        registration_kind="other")
        session.add(copy)
        session.flush()
        found[inside] = copy.id
    t.twins = found  # type: ignore[attr-defined]
    return found


def registration(t: TinyCity, inside: bool) -> dict[str, Any]:
    return {"kind": "traveller", "name": "欧阳娜", "name_latin": "Ouyang Na", "sex": "F",
            "birth_date": "1991-03-03", "id_type": "passport", "source": "checkpoint",
            "household_id": household(t, inside), "member_from": "2026-11-01"}


