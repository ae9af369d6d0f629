"""Households served, their needs, requests merged, batches picked and held, deliveries
confirmed and failed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.errors import TooManyRequestsError, ValidationFailedError
from epidesk.messages.models import OutboundMessage
from epidesk.supplies import repository, service
from epidesk.supplies.depots import repository as depot_repository
from epidesk.supplies.models import StockMovement, SupplyRequest
from tests.supplies.scene import DAY, restricted, stocked_depot


def _request(**changes: object) -> service.RequestInput:
    fields: dict[str, object] = dict(items=["food_pack", "nappies"], urgency="normal",
                                     contact_name="Wang Xiulan", contact_phone="13900000002",
                                     address_text="")
    fields.update(changes)
    return service.check_request(**fields)  # type: ignore[arg-type]


def test_the_stay_home_zone_s_households_are_served_from_their_first_day(db: Session) -> None:
    city = restricted(db)
    counts = service.sync_roster(db, day=DAY)
    served = {r.household_id for r in repository.roster(db, current_on=DAY)}
    willow = {h.id for k, h in city.households.items()
              if k in ("wang", "li", "zhang", "alone", "chen")}
    assert served == willow and counts["started"] == 5
    # Idempotent: the same day again changes nothing.
    assert service.sync_roster(db, day=DAY) == {"started": 0, "ended": 0, "served": 5}


def test_needs_and_flags_come_from_the_members(db: Session) -> None:
    city = restricted(db)
    service.sync_roster(db, day=DAY)
    rows = repository.roster(db, current_on=DAY)
    views = {v.household_id: v for v in service.needs_of(db, rows, day=DAY)}
    wang = views[city.households["wang"].id]
    # A grandmother on chronic medication (76), a pregnant mother, a baby.
    assert wang.flags.medical and wang.flags.infant and wang.flags.elderly
    assert not wang.flags.elderly_alone
    assert wang.daily["infant_formula"] == 1 and wang.daily["nappies"] == 6
    assert wang.daily["food_pack"] == 2
    alone = views[city.households["alone"].id]
    assert alone.flags.elderly_alone and alone.flags.medical
    li = views[city.households["li"].id]
    assert li.flags.disability and not li.flags.medical
    # A recorded diet is served as a diet pack for one person.
    service.record_need(db, household_id=city.households["li"].id, kind="diet",
                        note="coeliac", actor="worker")
    li = service.needs_of(db, [r for r in rows if r.household_id == li.household_id],
                          day=DAY)[0]
    assert li.flags.diet and li.daily["diet_pack"] == 1 and li.daily["food_pack"] == 1
    # The elderly man living alone outranks the young couple.
    chen = views[city.households["chen"].id]
    assert alone.score > chen.score


def test_households_past_n_days_without_a_delivery_until_one_arrives(db: Session) -> None:
    city = restricted(db)
    stocked_depot(db, city)
    service.sync_roster(db, day=DAY)
    later = DAY + timedelta(days=4)
    assert len(service.overdue(db, day=later, days=3)) == 5
    run = service.build_batches(db, day=later, actor="planner")
    assert run.deliveries == 5 and run.held == 0
    for batch in repository.batches(db, day=later):
        for d in batch.deliveries:
            service.confirm(db, delivery_id=d.id, actor="volunteer")
    # Confirmed on the city's today: counted from there.
    assert service.overdue(db, day=later, days=3) == []


def test_a_duplicate_request_is_merged_not_doubled(db: Session) -> None:
    city = restricted(db)
    household = city.households["wang"].id
    first = service.staff_request(db, request=_request(), household_id=household,
                                  channel="phone", actor="operator")
    again = service.staff_request(db, request=_request(urgency="urgent"),
                                  household_id=household, channel="community", actor="worker")
    assert again.id == first.id and first.duplicates == 1 and first.urgency == "urgent"
    other = service.staff_request(db, request=_request(items=["medicine"]),
                                  household_id=household, channel="phone", actor="operator")
    assert other.id != first.id
    opened = db.scalar(select(func.count()).select_from(SupplyRequest).where(
        SupplyRequest.household_id == household, SupplyRequest.status == "open"))
    assert opened == 2


def test_a_public_request_reads_the_same_whether_or_not_the_address_exists(
        db: Session) -> None:
    city = restricted(db)
    willow = city.communities[0].name
    known = service.public_request(db, request=_request(), community=willow, building=1,
                                   unit=1, flat="101", client="10.0.0.1")
    unknown = service.public_request(db, request=_request(contact_phone="13800000000"),
                                     community="Nowhere", building=9, unit=9, flat="909",
                                     client="10.0.0.2")
    assert known.household_id == city.households["wang"].id
    assert unknown.household_id is None
    assert len(known.reference) == len(unknown.reference) and known.reference.startswith("S-")
    # A second public submission gets its own reference but is merged inside.
    twice = service.public_request(db, request=_request(), community=willow, building=1,
                                   unit=1, flat="101", client="10.0.0.1")
    assert twice.reference != known.reference and twice.status == "merged"
    assert known.duplicates == 1


def test_public_requests_are_rate_limited_per_address(db: Session) -> None:
    restricted(db)
    for _ in range(service.PUBLIC_PER_HOUR):
        service.public_request(db, request=_request(), community="X", building=1, unit=1,
                               flat="101", client="10.9.9.9")
    with pytest.raises(TooManyRequestsError):
        service.public_request(db, request=_request(), community="X", building=1, unit=1,
                               flat="101", client="10.9.9.9")
    service.public_request(db, request=_request(), community="X", building=1, unit=1,
                           flat="101", client="10.9.9.8")


def test_bad_requests_name_every_field(db: Session) -> None:
    with pytest.raises(ValidationFailedError) as caught:
        service.check_request(items=["caviar"], urgency="soon", contact_name="",
                              contact_phone="call me", address_text="")
    fields = {e["loc"][1] for e in caught.value.extra["errors"]}
    assert fields == {"items", "urgency", "contact_name", "contact_phone"}


def test_batches_go_by_building_in_priority_order_with_notices(db: Session) -> None:
    city = restricted(db)
    stocked_depot(db, city)
    run = service.build_batches(db, day=DAY, actor="planner")
    batches = repository.batches(db, day=DAY)
    assert run.batches == len(batches) >= 1 and run.deliveries == 5
    assert [b.rank for b in batches] == sorted(b.rank for b in batches)
    assert all(b.status == "ready" and b.equipped for b in batches)
    # Doors in walking order inside each batch.
    for b in batches:
        assert [d.stop for d in b.deliveries] == list(range(1, len(b.deliveries) + 1))
    # Stock was issued for the batch, protective equipment included.
    issued = db.scalars(select(StockMovement).where(StockMovement.kind == "issue")).all()
    assert {m.item for m in issued} >= {"food_pack", "masks", "gloves", "nappies"}
    notices = db.scalars(select(OutboundMessage).where(
        OutboundMessage.topic == "supplies.delivery")).all()
    assert len(notices) == 5
    # Built again the same day: nobody is queued twice.
    assert service.build_batches(db, day=DAY, actor="planner").deliveries == 0


def test_a_batch_without_protective_equipment_is_held(db: Session) -> None:
    city = restricted(db)
    depot = stocked_depot(db, city, ppe=False)
    service.build_batches(db, day=DAY, actor="planner")
    batches = repository.batches(db, day=DAY)
    assert batches and all(b.status == "held" for b in batches)
    assert "protective equipment" in batches[0].hold_reason
    assert not db.scalars(select(StockMovement).where(StockMovement.kind == "issue")).all()
    delivery = batches[0].deliveries[0]
    with pytest.raises(Exception, match="held"):
        service.confirm(db, delivery_id=delivery.id, actor="volunteer")
    # Equipment arrives; the batch is released and picked.
    from epidesk.supplies.depots import service as depots

    for item in ("masks", "gloves"):
        depots.adjust(db, depot_id=depot.id, item=item, lot="P1", change=100,
                      reason="delivery from the city store", actor="keeper")
    released = service.release(db, batch_id=batches[0].id, actor="planner")
    assert released.status == "ready" and released.equipped


def test_a_failed_delivery_is_queued_again(db: Session) -> None:
    city = restricted(db)
    stocked_depot(db, city)
    household = city.households["alone"].id
    service.staff_request(db, request=_request(items=["medicine"], urgency="medical"),
                          household_id=household, channel="phone", actor="operator")
    service.build_batches(db, day=DAY, actor="planner")
    mine = next(d for b in repository.batches(db, day=DAY) for d in b.deliveries
                if d.household_id == household)
    assert mine.request_id is not None and "medicine:" in mine.items
    with pytest.raises(ValidationFailedError):
        service.fail(db, delivery_id=mine.id, reason=" ", actor="volunteer")
    service.fail(db, delivery_id=mine.id, reason="nobody answered", actor="volunteer")
    request = repository.request(db, mine.request_id)
    assert request is not None and request.status == "open"
    again = service.build_batches(db, day=DAY, actor="planner")
    assert again.deliveries == 1
    depot = depot_repository.depots(db)[0]
    assert depot is not None


def test_a_household_under_a_home_order_is_served_from_the_order_s_start(db: Session) -> None:
    from epidesk.kit import clock
    from epidesk.quarantine.models import QuarantineOrder

    city = restricted(db)
    outside = next(r for r in city.residents.values()
                   if r.community_id == city.communities[1].id)

    def order(start: int, end: int, form: str = "home") -> None:
        db.add(QuarantineOrder(
            resident_id=outside.id, household_id=outside.household_id, kind="quarantine",
            category="close_contact", basis="contact", basis_id=1, form=form,
            preset="cn-9th-2022", rule="quarantine.categories.close_contact", rule_values="{}",
            counted_from=DAY + timedelta(days=start), start_on=DAY + timedelta(days=start),
            end_on=DAY + timedelta(days=end), monitoring_until=None, test_days="[]",
            state="active", version=1, created_at=clock.now(), updated_at=clock.now(),
            created_by="test"))
        db.flush()

    order(-10, -3)  # over before the day: not served
    order(0, 2, form="centralized")  # in a facility, not at home
    assert outside.household_id not in service.restricted_households(db, DAY)
    order(-1, 5)
    assert service.restricted_households(db, DAY)[outside.household_id] == (
        "home_order", DAY - timedelta(days=1))
    service.sync_roster(db, day=DAY)
    assert outside.household_id in {r.household_id
                                    for r in repository.roster(db, current_on=DAY)}
