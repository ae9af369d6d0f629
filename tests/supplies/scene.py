"""The tiny city under a stay-home zone, with a depot, for supplies' tests."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from epidesk.supplies.depots import service as depots
from epidesk.supplies.models import Depot
from epidesk.zoning import service as zoning
from tests.factories import TinyCity
from tests.zoning.scene import day, scene

DAY = day(1)


def restricted(session: Session) -> TinyCity:
    """Willow Court (wang, li, zhang, alone, chen) under a stay-home zone from DAY."""
    city, _ = scene(session)
    zoning.recompute(session, actor="test", day=day(0))
    return city


def stocked_depot(session: Session, city: TinyCity, *, ppe: bool = True,
                  food: int = 500, expires: date | None = date(2027, 6, 1)) -> Depot:
    """A depot in Willow Court's district with food, formula, nappies, medicine,
    disinfectant and (unless `ppe` is False) masks and gloves."""
    district = city.communities[0].subdistrict.district_id
    depot = depots.create_depot(session, code="D1", name="Rencheng depot",
                                district_id=district)
    stock = {"food_pack": food, "infant_formula": 100, "nappies": 500, "medicine": 50,
             "diet_pack": 50, "disinfectant": 100}
    if ppe:
        stock.update({"masks": 200, "gloves": 200})
    for item, n in stock.items():
        depots.adjust(session, depot_id=depot.id, item=item, lot="L1", change=n,
                      reason="opening count", actor="test", expires_on=expires)
    return depot
