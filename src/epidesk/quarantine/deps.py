"""FastAPI dependencies of the quarantine domain, shared by its api and pages, and what it
offers the kit: the person's panel, the command centre's tiles, the merge part."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError, PermissionDeniedError
from epidesk.kit import clock
from epidesk.kit.access import (
    MEDICAL_READ,
    PEOPLE_READ,
    PLACES_READ,
    QUARANTINE_WRITE,
    TRANSPORT_WRITE,
    AreaPath,
    Caller,
)
from epidesk.kit.i18n import _, _l
from epidesk.kit.merges import Merge, MergePart
from epidesk.kit.orders import Delivery, EndChange, GoverningOrder, OrderStage, OrderTest
from epidesk.kit.panels import Audit, Panel
from epidesk.kit.publication import Column, PublicTable
from epidesk.kit.tiles import Tile
from epidesk.kit.web import CallerDep, require
from epidesk.people import repository as people
from epidesk.quarantine import service
from epidesk.quarantine.models import QuarantineOrder
from epidesk.quarantine.monitoring import service as monitoring
from epidesk.quarantine.monitoring.deps import monitoring_panel, monitoring_tiles
from epidesk.quarantine.orders import rules as order_rules
from epidesk.quarantine.orders import service as orders
from epidesk.quarantine.placement import service as placement
from epidesk.quarantine.transfers import service as transfers
from epidesk.quarantine.transfers.deps import transfer_panel

Staff = Annotated[Caller, Depends(require(PLACES_READ))]
Manager = Annotated[Caller, Depends(require(QUARANTINE_WRITE))]


def _order_reader(caller: CallerDep) -> Caller:
    if not (caller.can(MEDICAL_READ) or caller.can(QUARANTINE_WRITE)):
        raise PermissionDeniedError(
            _("this needs the permission %(permission)r", permission=MEDICAL_READ))
    return caller


OrderReader = Annotated[Caller, Depends(_order_reader)]


def may_read_orders(caller: Caller, area: AreaPath | None) -> bool:
    """Whether the caller may see a resident's orders (medical readers and facility
    managers, in the resident's area)."""
    return area is not None and (caller.may(MEDICAL_READ, area)
                                 or caller.may(QUARANTINE_WRITE, area))


def order_for(session: Session, caller: Caller, order_id: int, *, write: bool = False
              ) -> QuarantineOrder:
    """An order of a resident in the caller's area (to change it: with the quarantine
    permission there), else not found."""
    found = orders.get_order(session, order_id=order_id)
    area = people.resident_area(session, found.resident_id)
    allowed = (area is not None and caller.may(QUARANTINE_WRITE, area)) if write else \
        may_read_orders(caller, area)
    if not allowed:
        raise NotFoundError(f"no order {order_id}")
    return found


def visible_residents(session: Session, caller: Caller, ids: list[int]) -> set[int]:
    """Which of the residents the caller may see orders of."""
    return {rid for rid in set(ids)
            if may_read_orders(caller, people.resident_area(session, rid))}


def order_view(session: Session, o: QuarantineOrder) -> dict[str, Any]:
    """An order as the API and pages show it: rule and explanation, dates, tests, end
    history, deliveries, room."""
    resident = people.resident(session, o.resident_id)
    room = orders.where_now(session, resident_ids=[o.resident_id]).get(o.resident_id)
    return {
        "id": o.id, "resident_id": o.resident_id, "name": resident.name if resident else "",
        "kind": o.kind, "category": o.category, "basis": o.basis, "basis_id": o.basis_id,
        "form": o.form, "state": o.state, "version": o.version, "preset": o.preset,
        "rule": o.rule, "rule_values": json.loads(o.rule_values or "{}"),
        "explanation": orders.explanation(o), "counted_from": o.counted_from,
        "start_on": o.start_on, "end_on": o.end_on, "monitoring_until": o.monitoring_until,
        "tests": [t.as_dict() for t in order_rules.tests_of(o.test_days)],
        "end_history": [{"kind": c.kind, "previous_end_on": c.previous_end_on,
                         "end_on": c.end_on, "reason": c.reason, "at": c.at, "actor": c.actor}
                        for c in o.changes],
        "deliveries": [{"method": d.method, "version": d.version, "received_by": d.received_by,
                        "relation": d.relation, "delivered_at": d.delivered_at}
                       for d in o.deliveries],
        "room": ({"facility": room[0], "facility_name": room[1], "room": room[2]}
                 if room else None),
        "released_on": o.released_on, "release_rule": o.release_rule,
        "withdrawal_reason": o.withdrawal_reason,
    }


def governing(o: QuarantineOrder) -> GoverningOrder:
    """An order as the kit's plain values (explanation in the current language)."""
    values = json.loads(o.rule_values or "{}")
    return GoverningOrder(
        order_id=o.id, version=o.version, state=o.state, kind=o.kind, category=o.category,
        form=o.form, preset=o.preset, rule=o.rule, counted_from=o.counted_from,
        start_on=o.start_on, end_on=o.end_on, monitoring_until=o.monitoring_until,
        explanation=orders.explanation(o),
        stages=[OrderStage(place, start, end) for place, start, end in order_rules.stages_of(
            form=o.form, start_on=o.start_on, end_on=o.end_on,
            monitoring_until=o.monitoring_until, values=values)],
        tests=[OrderTest(t.day, t.due_on, t.place) for t in order_rules.tests_of(o.test_days)],
        end_changes=[EndChange(c.previous_end_on, c.end_on, c.kind, c.reason, c.at)
                     for c in o.changes],
        deliveries=[Delivery(d.version, d.method, d.delivered_at, d.received_by, d.relation)
                    for d in o.deliveries])


def governing_order(session: Session, *, resident_id: int) -> GoverningOrder | None:
    """The order governing a resident (kit.orders): the one in force, else the latest
    ended by a release; a withdrawn or superseded order governs nobody."""
    found = orders.orders_of_resident(session, resident_id=resident_id)
    chosen = next((o for o in found if o.state == "active"), None) or next(
        (o for o in found if o.state == "released"), None)
    return governing(chosen) if chosen is not None else None


def today() -> dt.date:
    """The city's today."""
    return clock.local_day(clock.now())


def _orders_panel(session: Session, *, caller: Caller, resident_id: int, area: AreaPath,
                  audit: Audit) -> Panel | None:
    """The resident's orders (form, rule, dates) and room."""
    if not may_read_orders(caller, area):
        return None
    found = orders.orders_of_resident(session, resident_id=resident_id)
    if not found:
        return None
    audit("read", "quarantine_orders", resident_id, person_id=resident_id)
    views = [order_view(session, o) for o in found]
    data = json.loads(json.dumps(views, default=str))
    current = next((v for v in views if v["state"] == "active"), None)
    summary = (f"order {current['id']}: {current['form']} until {current['end_on']}"
               + (f", room {current['room']['room']} of {current['room']['facility']}"
                  if current["room"] else "")) if current else f"{len(views)} past order(s)"
    return Panel(key="quarantine", title=_("Quarantine and isolation"),
                 template="quarantine/_person_panel.html", data={"orders": data},
                 view=views, summary=summary)


def _facility_tiles(session: Session, *, caller: Caller, today: dt.date) -> list[Tile]:
    """Occupancy, ineligible facilities and overdue releases (counts only)."""
    if not (caller.can(QUARANTINE_WRITE) or caller.can(MEDICAL_READ)):
        return []
    people_in, beds = orders.occupancy_now(session)
    eligibility = service.facility_eligibility(session, day=today)
    ineligible = sum(1 for e in eligibility.values() if not e.eligible and e.reason != "not_open")
    return [Tile(key="quarantine.facilities", title=_("Quarantine"),
                 template="quarantine/_tile.html", link="/quarantine", data={
                     "day": today.isoformat(), "people_in_rooms": people_in, "beds": beds,
                     "facilities": len(eligibility), "ineligible": ineligible,
                     "active_orders": orders.active_counts(session),
                     "overdue_releases": orders.count_overdue(session, today=today)})]


def _place_panel(session: Session, *, caller: Caller, resident_id: int, area: AreaPath,
                 audit: Audit) -> Panel | None:
    """The resident's orders and room, and their latest transfers."""
    orders_panel = _orders_panel(session, caller=caller, resident_id=resident_id, area=area,
                                 audit=audit)
    place = (transfer_panel(session, resident_id=resident_id)
             if caller.may(PEOPLE_READ, area) else None)
    if place is None or (orders_panel is not None and not place["transfers"]):
        return orders_panel
    audit("read", "resident_transfers", resident_id, person_id=resident_id)
    if orders_panel is None:
        room = place["room"]
        return Panel(key="quarantine", title=_("Room and transfers"),
                     template="quarantine/transfers/_panel.html", data=place, view=place,
                     summary=(f"in room {room['room']} of {room['facility']}"
                              if isinstance(room, dict) else "on a transfer"))
    transfers_only = {"room": None, "transfers": place["transfers"]}
    return Panel(key="quarantine", title=orders_panel.title,
                 template="quarantine/transfers/_with_orders.html",
                 data={**orders_panel.data, "transfers": place["transfers"]},
                 view={"orders": orders_panel, "place": transfers_only},
                 summary=orders_panel.summary)


def person_panel(session: Session, *, caller: Caller, resident_id: int, area: AreaPath,
                 audit: Audit) -> Panel | None:
    """The person's record: the resident's orders and room, their latest transfers, and
    their home health monitoring with its latest checks."""
    base = _place_panel(session, caller=caller, resident_id=resident_id, area=area,
                        audit=audit)
    home = monitoring_panel(session, caller=caller, resident_id=resident_id, area=area,
                            today=today())
    if home is None:
        return base
    audit("read", "home_checks", resident_id, person_id=resident_id)
    data, view = home
    state = view["monitoring"]
    summary = (f"home monitoring until {state['until']}: {state['state']}"
               + (", needs a test" if state["needs_test"] else "") if state
               else f"{len(view['checks'])} home check(s)")
    return Panel(key="quarantine", title=base.title if base else _("Home health monitoring"),
                 template="quarantine/monitoring/_with_checks.html",
                 data={**(base.data if base else {}), **data},
                 view={"base": base, "home": view},
                 summary=f"{base.summary}; {summary}" if base else summary)


def overview_tiles(session: Session, *, caller: Caller, today: dt.date) -> list[Tile]:
    """The command centre: occupancy, ineligible facilities and overdue releases; people
    dispatched, arrived and missing on transfers (missing must reach zero), and the trips
    home at release (on the way, home, missing). Counts only,
    no person named."""
    tiles = _facility_tiles(session, caller=caller, today=today)
    if caller.can(TRANSPORT_WRITE) or caller.can(QUARANTINE_WRITE):
        tiles.append(Tile(key="quarantine.transfers", title=_("Transfers"),
                          template="quarantine/transfers/_tile.html",
                          link="/quarantine/transfers",
                          data={**transfers.counts(session),
                                "returns": transfers.return_counts(session),
                                "without_driver": transfers.count_without_driver(session)}))
    return [*tiles, *monitoring_tiles(session, caller=caller)]


FACILITY_COLUMNS = (
    Column("day", "day", _l("Day"), _l("The city day the figures are for.")),
    Column("facility_code", "area", _l("Facility code"),
           _l("The operator's code of the quarantine or isolation facility (a public "
              "building), stable across days.")),
    Column("facility_name", "key", _l("Facility"), _l("The facility's name.")),
    Column("city_code", "key", _l("City"), _l("The code of the city the facility lies in.")),
    Column("district_code", "key", _l("District"),
           _l("The code of the home city's district the facility lies in; empty for a "
              "facility in a neighbouring city.")),
    Column("facility_kind", "key", _l("Kind"),
           _l("hotel, dormitory, apartment, designated_hospital, makeshift_hospital or "
              "other.")),
    Column("rooms", "count", _l("Rooms"), _l("Rooms in service when the figures were published.")),
    Column("beds", "count", _l("Beds"), _l("Beds of the rooms in service.")),
    Column("occupied_beds", "count", _l("Occupied beds"),
           _l("People in the facility's rooms at some time of the day (people under an "
              "order and carers staying with them).")),
    Column("eligible", "key", _l("Takes new placements"),
           _l("yes when the facility may take new placements on the day: open, and its "
              "latest inspection passed and is recent enough; otherwise no.")),
    Column("inspected_on", "key", _l("Latest inspection"),
           _l("The day of the facility's latest inspection up to the day (ISO date); "
              "empty when never inspected.")),
    Column("inspection_result", "key", _l("Inspection result"),
           _l("passed or failed (an inspection passes only when every checklist item "
              "did); empty when never inspected.")),
    Column("failed_items", "key", _l("Failed checklist items"),
           _l("The keys of the checklist items the latest inspection failed, separated "
              "by spaces (doors_windows, bedding, mould, ...); empty when none.")),
)


def public_tables(session: Session, *, day: dt.date) -> list[PublicTable]:
    """The facilities in use on the day: capacity, occupancy (a count, small ones
    suppressed), eligibility and latest inspection; no person. None while the city has
    no facility."""
    found = service.public_facilities(session, day=day)
    if not found and service.count_facilities(session, cap=1) == 0:
        return []
    rows = [(day, f.code, f.name, f.city, f.district, f.kind, f.rooms, f.beds,
             f.occupied_beds, "yes" if f.eligible else "no",
             f.inspected_on.isoformat() if f.inspected_on else "",
             "" if f.passed is None else ("passed" if f.passed else "failed"),
             " ".join(f.failed_items)) for f in found]
    return [PublicTable(
        name="quarantine_facilities_daily", title=_l("Quarantine and isolation facilities"),
        description=_l("Facilities in use on the day, with their rooms, beds and occupied "
                       "beds, whether they take new placements, and their latest "
                       "inspection."), columns=FACILITY_COLUMNS, rows=rows, level="building",
        flow=False)]


def _merge(session: Session, merge: Merge) -> list[str]:
    return [*service.merge_person_rows(session, merge),
            *placement.merge_person_rows(session, merge),
            *transfers.merge_person_rows(session, merge),
            *monitoring.merge_person_rows(session, merge)]


# Two records of one person merged: the merged one's orders, rooms, order events,
# placement lines, transfer lines and home checks become the survivor's.
person_merge = MergePart(
    covers=("quarantine_order.resident_id", "room_assignment.resident_id",
            "quarantine_order_event.resident_id", "placement_line.resident_id",
            "transfer_line.resident_id", "home_check.resident_id"),
    apply=_merge)
