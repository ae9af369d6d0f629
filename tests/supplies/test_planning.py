"""The city-wide plan on arrays gives the same households, scores and order as the
service that writes the batches."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from epidesk.supplies import repository, service
from epidesk.supplies.planning import service as planning
from tests.supplies.scene import DAY, restricted


def test_the_bulk_plan_matches_the_rules_one_household_at_a_time(db: Session) -> None:
    city = restricted(db)
    service.sync_roster(db, day=DAY)
    service.record_need(db, household_id=city.households["chen"].id, kind="diet", note="",
                        actor="worker")
    service.staff_request(db, request=service.check_request(
        items=["medicine"], urgency="medical", contact_name="Chen Jing",
        contact_phone="13900000006", address_text=""),
        household_id=city.households["chen"].id, channel="phone", actor="operator")
    later = DAY.replace(day=DAY.day + 2)
    expected = {v.household_id: v.score for v in service.due(db, day=later)}
    found = planning.plan_day(db, day=later)
    assert found.households == 5 and found.due == len(expected) == 5
    got = dict(zip(found.plan.household.tolist(), found.plan.score.tolist(), strict=True))
    assert got == expected
    # Buildings in the order of their most urgent household, doors in walking order.
    assert np.all(np.diff(found.plan.batch) >= 0)
    places = repository.doors(db, list(got))
    stops = [places[h].unit * 100_000 + places[h].floor * 100 + places[h].door
             for h in found.plan.household.tolist()]
    assert stops == sorted(stops)


def test_the_members_kept_are_read_again_when_a_flag_changes(db: Session) -> None:
    city = restricted(db)
    service.sync_roster(db, day=DAY)
    planning.forget()
    chen = city.households["chen"].id

    def score() -> float:
        found = planning.plan_day(db, day=DAY)
        return dict(zip(found.plan.household.tolist(), found.plan.score.tolist(),
                        strict=True))[chen]

    before = score()
    city.residents["chen_jie"].disability = True
    db.flush()
    assert score() == before + 20
