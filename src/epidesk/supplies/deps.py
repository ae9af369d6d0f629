"""FastAPI dependencies of the supplies domain, shared by its api and pages; its panel,
command-centre tiles and public tables."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.orm import Session

from epidesk.config import get_settings
from epidesk.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from epidesk.geography.repository import district
from epidesk.kit import clock
from epidesk.kit.access import (
    DELIVERY_CONFIRM,
    HOTLINE_WRITE,
    PEOPLE_READ,
    SUPPLIES_WRITE,
    AreaPath,
    Caller,
)
from epidesk.kit.i18n import _, _l
from epidesk.kit.imports import listed_problems, problem_counts
from epidesk.kit.panels import Audit, Panel
from epidesk.kit.publication import Column, PublicTable
from epidesk.kit.tiles import Tile
from epidesk.kit.web import CallerDep, ensure_in_scope, require
from epidesk.supplies import repository, service
from epidesk.supplies.depots import repository as depot_repository
from epidesk.supplies.depots import service as depots
from epidesk.supplies.models import DeliveryBatch, StockReceipt, SupplyRequest
from epidesk.supplies.rules import age
from epidesk.zoning.lookup import service as zoning_lookup

Writer = Annotated[Caller, Depends(require(SUPPLIES_WRITE))]
Courier = Annotated[Caller, Depends(require(DELIVERY_CONFIRM))]
# Who may file a request on a resident's behalf: community workers and supplies staff
# (SUPPLIES_WRITE) and hotline operators (HOTLINE_WRITE).
INTAKE = (SUPPLIES_WRITE, HOTLINE_WRITE)


def intake_caller(caller: CallerDep) -> Caller:
    """A caller who may file requests on a resident's behalf."""
    if not any(caller.can(p) for p in INTAKE):
        raise PermissionDeniedError(_("this needs the permission %(permission)r",
                                      permission=SUPPLIES_WRITE))
    return caller


Intake = Annotated[Caller, Depends(intake_caller)]


def today() -> date:
    """The city's today."""
    return clock.city_today()


def may_intake(caller: Caller, area: AreaPath) -> bool:
    """Whether the caller may file and read requests for a household at `area`."""
    return any(caller.may(p, area) for p in INTAKE)


def household_area(session: Session, caller: Caller, household_id: int, *,
                   permissions: tuple[str, ...] = INTAKE) -> AreaPath:
    """A household inside the caller's area for one of the permissions, else not found."""
    door = repository.doors(session, [household_id]).get(household_id)
    if door is None or not any(caller.may(p, door.area) for p in permissions):
        raise NotFoundError(f"no household {household_id}")
    return door.area


def household_named(session: Session, caller: Caller, household_id: int) -> AreaPath:
    """A household named in a request's body: outside the caller's area it reads as one
    that does not exist (422 naming the field)."""
    try:
        return household_area(session, caller, household_id)
    except NotFoundError as exc:
        raise service.invalid([("household_id", f"no household {household_id}")]) from exc


def request_for(session: Session, caller: Caller, request_id: int) -> SupplyRequest:
    """A request inside the caller's area (an unmatched one: to supplies staff anywhere
    in their districts' reach), else not found."""
    found = repository.request(session, request_id)
    if found is None:
        raise NotFoundError(f"no request {request_id}")
    if found.household_id is None:
        if not caller.area_for(SUPPLIES_WRITE).everywhere:
            raise NotFoundError(f"no request {request_id}")
        return found
    door = repository.doors(session, [found.household_id]).get(found.household_id)
    if door is None or not may_intake(caller, door.area):
        raise NotFoundError(f"no request {request_id}")
    return found


def batch_for(session: Session, caller: Caller, batch_id: int,
              permission: str = DELIVERY_CONFIRM) -> DeliveryBatch:
    """A batch in the caller's area, else not found."""
    found = repository.batch(session, batch_id)
    area = None if found is None else repository.building_area(session, found.building_id)
    if found is None or area is None:
        raise NotFoundError(f"no batch {batch_id}")
    ensure_in_scope(caller, permission, area, "batch", batch_id)
    return found


def delivery_for(session: Session, caller: Caller, delivery_id: int) -> int:
    """A delivery's id, when its building lies in the caller's area, else not found."""
    found = repository.delivery(session, delivery_id)
    if found is None:
        raise NotFoundError(f"no delivery {delivery_id}")
    area = repository.building_area(session, found.batch.building_id)
    ensure_in_scope(caller, DELIVERY_CONFIRM, area, "delivery", delivery_id)
    return found.id


def visible_needs(session: Session, caller: Caller, views: list[service.NeedView]
                  ) -> list[service.NeedView]:
    """The households of a list that lie in the caller's area."""
    places = repository.doors(session, [v.household_id for v in views])
    return [v for v in views if v.household_id in places
            and may_intake(caller, places[v.household_id].area)]


def request_summary(q: SupplyRequest, *, staff: bool = True) -> dict[str, Any]:
    """A request as JSON-ready values."""
    out: dict[str, Any] = {"reference": q.reference, "status": q.status,
                           "items": q.items.split(","), "urgency": q.urgency,
                           "received_at": q.received_at.isoformat()}
    if staff:
        out.update({"id": q.id, "household_id": q.household_id, "channel": q.channel,
                    "contact_name": q.contact_name, "contact_phone": q.contact_phone,
                    "address": q.address_text, "note": q.note, "duplicates": q.duplicates,
                    "entered_by": q.entered_by})
    return out


def need_summary(v: service.NeedView) -> dict[str, Any]:
    """A household's needs as JSON-ready values (no names)."""
    return {"household_id": v.household_id, "building_id": v.building_id,
            "flags": v.flags.named(), "daily": {k: round(n, 2) for k, n in v.daily.items()},
            "days_without_delivery": v.days_without, "score": v.score,
            "open_requests": v.open_requests, "recorded": v.recorded}


def batch_summary(b: DeliveryBatch) -> dict[str, Any]:
    """A batch as JSON-ready values (households by id and door order only)."""
    return {"id": b.id, "day": b.on_day.isoformat(), "building_id": b.building_id,
            "depot_id": b.depot_id, "rank": b.rank, "score": b.score, "status": b.status,
            "hold_reason": b.hold_reason, "equipped": b.equipped,
            "deliveries": [{"id": d.id, "household_id": d.household_id, "stop": d.stop,
                            "items": d.items, "status": d.status, "reason": d.reason}
                           for d in b.deliveries]}


def person_panel(session: Session, *, caller: Caller, resident_id: int, area: AreaPath,
                 audit: Audit) -> Panel | None:
    """The person's record: the household's supplies (served since, last delivery, needs,
    open requests)."""
    if not caller.may(PEOPLE_READ, area):
        return None
    household = repository.household_of_resident(session, resident_id)
    row = None if household is None else repository.roster_row(session, household)
    if household is None or (row is None and not repository.requests_of(session, household,
                                                                        limit=1)):
        return None
    day = today()
    view = service.needs_of(session, [row], day=day)[0] if row is not None else None
    requests = [request_summary(q) for q in repository.requests_of(session, household,
                                                                   limit=10)]
    audit("read", "resident_supplies", resident_id, person_id=resident_id)
    data = {"household_id": household,
            "restricted_since": row.restricted_since.isoformat() if row else None,
            "restricted_until": (row.restricted_until.isoformat()
                                 if row and row.restricted_until else None),
            "last_delivery_on": (row.last_delivery_on.isoformat()
                                 if row and row.last_delivery_on else None),
            "needs": need_summary(view) if view else None, "requests": requests}
    summary = (f"supplies: {view.days_without} days without a delivery" if view
               else f"supplies: {len(requests)} requests")
    return Panel(key="supplies", title=_("Supplies"), template="supplies/_person_panel.html",
                 data=data, view=data, summary=summary)


def overview_tiles(session: Session, *, caller: Caller, today: date) -> list[Tile]:
    """The command centre: restricted households past N days without a delivery (to be
    driven to zero), and depots forecast to run short."""
    if not caller.can(SUPPLIES_WRITE):
        return []
    n = get_settings().supplies_overdue_days
    late = visible_needs(session, caller, service.overdue(session, day=today, days=n))
    scope = caller.area_for(SUPPLIES_WRITE)
    districts = None if scope.everywhere else sorted(scope.district_ids)
    alerts = depots.shortages(session, day=today, district_ids=districts)
    return [
        Tile(key="supplies.overdue", title=_("Households without a delivery"),
             template="supplies/_tile_overdue.html", link="/supplies/overdue",
             data={"day": today.isoformat(), "days": n, "households": len(late)}),
        Tile(key="supplies.shortages", title=_("Depot shortage alerts"),
             template="supplies/_tile_shortages.html", link="/supplies/depots",
             data={"day": today.isoformat(), "alerts": [
                 {"depot_id": a.depot_id, "depot": a.depot, "item": a.item,
                  "on_hand": a.on_hand, "days_of_stock": a.days_of_stock}
                 for a in alerts]}),
    ]


REQUEST_COLUMNS = (
    Column("day", "day", _l("Day"), _l("The city day the requests were received or served")),
    Column("district", "area", _l("District"),
           _l("The district of the household the request was matched to")),
    Column("received", "count", _l("Requests received"),
           _l("Requests received that day from every channel, duplicates merged; requests "
              "no household was found for are not counted by district")),
    Column("served", "count", _l("Requests served"),
           _l("Requests whose delivery was confirmed at the door that day")),
)


def public_tables(session: Session, *, day: date) -> list[PublicTable]:
    """Requests received and served on a day, by district."""
    received, served = repository.requests_by_day_and_district(session, day)
    rows = []
    for d in sorted({k for k in (*received, *served) if k is not None}):
        found = district(session, d)
        rows.append((day, found.code if found else str(d), received.get(d, 0),
                     served.get(d, 0)))
    return [PublicTable(
        name="supply_requests_by_district_daily", title=_l("Supply requests by district"),
        description=_l("Requests for household supplies received and served per day and "
                       "district"), columns=REQUEST_COLUMNS, rows=rows, level="district")]


def visible_batches(session: Session, caller: Caller, *, day: date,
                    permission: str = SUPPLIES_WRITE) -> list[DeliveryBatch]:
    """A day's batches whose building lies in the caller's area."""
    out = []
    for b in repository.batches(session, day=day):
        area = repository.building_area(session, b.building_id)
        if area is not None and caller.may(permission, area):
            out.append(b)
    return out


def _address_query(q: str) -> tuple[str, int, int, str] | None:
    """'Willow Court 1-1-101' read as (community, building, unit, flat)."""
    head, _, tail = q.strip().rpartition(" ")
    parts = tail.split("-")
    if not head or len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    return head, int(parts[0]), int(parts[1]), parts[2]


def find_households(session: Session, caller: Caller, q: str) -> list[dict[str, Any]]:
    """Households in the caller's area found by address ('community building-unit-flat'),
    a member's phone, or a member's name; with their members."""
    from epidesk.people import service as people

    ids: list[int] = []
    address = _address_query(q)
    if address is not None:
        try:
            found = zoning_lookup.find_address(session, community=address[0],
                                               building=address[1], unit=address[2],
                                               flat=address[3])
        except (NotFoundError, ValidationFailedError):
            found = None
        if found is not None:
            ids = list(repository.households_at(session, [found]).values())
    elif q.strip().lstrip("+").isascii() and q.strip().lstrip("+").isdigit():
        ids = repository.households_by_phone(session, q.strip())
    else:
        found_people = people.search_people(session, query=q, limit=50,
                                            area=caller.area_for(PEOPLE_READ))
        ids = sorted({p.household_id for p in found_people.items})
    return household_cards(session, caller, ids)


def household_cards(session: Session, caller: Caller, ids: list[int]
                    ) -> list[dict[str, Any]]:
    """These households (those in the caller's area) with their address and members."""
    places = repository.doors(session, ids)
    ids = [h for h in ids if h in places and may_intake(caller, places[h].area)
           and caller.may(PEOPLE_READ, places[h].area)]
    rows = repository.member_rows(session, ids)
    day = today()
    out = []
    for h in ids:
        d = places[h]
        out.append({"household_id": h,
                    "address": f"{d.community} {d.building_number}-{d.unit}-"
                               f"{d.floor}{d.door:02d}",
                    "members": [{"resident_id": r, "name": name, "name_latin": latin,
                                 "age": age(birth, day), "phone": phone,
                                 "has_smartphone": smart}
                                for r, name, latin, birth, phone, smart in rows.get(h, [])]})
    return out


def depot_detail(session: Session, depot_id: int, *, day: date, movements: int
                 ) -> dict[str, Any]:
    """A depot's figures per item, its lots, and its latest movements."""
    depot = depots.get_depot(session, depot_id)
    out: dict[str, Any] = {
        "id": depot.id, "code": depot.code, "name": depot.name,
        "district_id": depot.district_id, "day": day.isoformat(),
        "items": [{"item": f.item, "on_hand": f.on_hand, "rate": f.rate,
                   "days_of_stock": f.days_of_stock, "stock_out_days": f.stock_out_days,
                   "shortage": f.shortage}
                  for f in depots.figures(session, depot_id=depot.id, day=day)]}
    if movements:
        out["lots"] = [{"item": lt.item, "lot": lt.lot, "on_hand": lt.on_hand,
                        "expires_on": lt.expires_on.isoformat() if lt.expires_on else None}
                       for lt in depot_repository.lots(session, depot.id)]
        out["movements"] = [{"id": m.id, "at": m.at.isoformat(), "kind": m.kind,
                             "item": m.item, "lot": m.lot, "quantity": m.quantity,
                             "reason": m.reason, "actor": m.actor, "batch_id": m.batch_id,
                             "receipt_id": m.receipt_id}
                            for m in depot_repository.movements(session, depot.id,
                                                                limit=movements)]
    return out


def receipt_detail(record: StockReceipt) -> dict[str, Any]:
    """An imported receipt file's record and report."""
    return {"receipt_id": record.id, "filename": record.filename, "status": record.status,
            "lines": record.lines, "problem_count": record.problem_count,
            "problem_counts": problem_counts(record), "problems": listed_problems(record)}
