"""Risk zones: a zone's testing round names its residents."""

from __future__ import annotations

from tests.factories import TinyCity
from tests.routes import PERSONAL, Probe
from tests.routes.testing import _tested


def _zone(t: TinyCity, inside: bool) -> int:
    """The compound zone the ingest of `_tested` drew around each community's case."""
    from sqlalchemy import select
    from sqlalchemy.orm import object_session

    from epidesk.zoning.models import Zone

    _tested(t)
    session = object_session(t.city)
    assert session is not None
    community = t.communities[0 if inside else 1].id
    found = session.scalar(select(Zone.id).where(Zone.area_key == f"compound:{community}"))
    assert found is not None
    return int(found)


PERSONAL.update({
    # A zone's testing round names its residents: only inside the reader's area.
    ("GET", "/api/zones/{zone_id}/round"): Probe(lambda t, i: f"/api/zones/{_zone(t, i)}/round"),
    ("GET", "/zones/staff/{zone_id}/round"): Probe(
        lambda t, i: f"/zones/staff/{_zone(t, i)}/round"),
})
