"""JSON routes of quarantine: facilities, facility lists, capacity, the room reserve,
inspections and complaints; orders (read, end changes, deliveries, release) and the
orders held past their end."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile
from fastapi.responses import JSONResponse

from epidesk.errors import PROBLEM_JSON
from epidesk.kit.inputs import DIGITS, Ge, Le, Offset, OptionalDay, OptionalId
from epidesk.kit.uploads import read_upload
from epidesk.kit.web import CONFLICT_RESPONSE, PROBLEM_RESPONSES, AuditDep, DbSession, Id
from epidesk.quarantine import service
from epidesk.quarantine.deps import (
    Manager,
    OrderReader,
    Staff,
    order_for,
    order_view,
    today,
    visible_residents,
)
from epidesk.quarantine.facilities import service as lists
from epidesk.quarantine.monitoring import api as monitoring
from epidesk.quarantine.orders import service as orders
from epidesk.quarantine.placement import api as placement
from epidesk.quarantine.release import service as release
from epidesk.quarantine.schemas import (
    CapacityDay,
    ComplaintIn,
    ComplaintOut,
    DeliveryIn,
    EndChangeIn,
    FacilityDetail,
    FacilitySummary,
    InspectionIn,
    InspectionOut,
    Reserve,
)
from epidesk.quarantine.transfers import api as transfers

router = APIRouter(prefix="/quarantine", responses=PROBLEM_RESPONSES, tags=["quarantine"])
Limit = Annotated[int, Query(description="Most rows (1-500)"), Ge(1), Le(500), DIGITS]
Days = Annotated[int, Query(description="Days from the first (1-60)"), Ge(1), Le(60), DIGITS]


def _jsonable(value: dict[str, Any]) -> dict[str, Any]:
    import json

    return dict(json.loads(json.dumps(value, default=str)))


@router.get("/facilities", summary="Facilities")
def list_facilities(session: DbSession, _: Staff, day: Annotated[OptionalDay, Query()] = None,
                    district_id: Annotated[OptionalId, Query()] = None,
                    limit: Limit = 100, offset: Annotated[Offset, Query()] = 0
                    ) -> list[FacilitySummary]:
    """Facilities with rooms, beds, occupancy, complaints and eligibility on a day."""
    return service.list_facilities(session, day=day, district_id=district_id, limit=limit,
                                   offset=offset)


@router.get("/facilities/{facility_id}", summary="A facility")
def get_facility(facility_id: Id, session: DbSession, _: Staff,
                 day: Annotated[OptionalDay, Query()] = None) -> FacilityDetail:
    """A facility with its rooms, inspections and complaints."""
    return service.facility_detail(session, facility_id=facility_id, day=day)


@router.post("/facility-lists", status_code=201, summary="Upload a facility list",
             responses={200: {"description": "Already imported"}})
def upload_list(response: Response, session: DbSession, manager: Manager, audit: AuditDep,
                file: Annotated[UploadFile, File(description="Facility list CSV, one line "
                                                             "per room (see `epidesk "
                                                             "quarantine facilities format`)")]
                ) -> Any:
    """Validate a facility list whole, then store it. 201: accepted. 200: accepted before,
    nothing changed. 422: rejected whole with a report by line and column; nothing written."""
    content = read_upload(file, command="epidesk quarantine facilities import")
    done = lists.import_list(session, content=content, filename=file.filename or "list.csv",
                             received_by=manager.username)
    audit("create" if not done.already_imported else "read", "facility_list", done.record.id)
    record = done.record
    if not done.accepted:
        return JSONResponse({
            "type": "https://epidesk.org/problems/facility-list-rejected",
            "title": "Facility list rejected", "status": 422,
            "detail": f"facility list {record.id} rejected: {done.report.summary()}",
            "list_id": record.id, "problem_counts": lists.list_problem_counts(record),
            "problems": lists.list_problems(record)}, status_code=422, media_type=PROBLEM_JSON)
    if done.already_imported:
        response.status_code = 200
    return {"list_id": record.id, "already_imported": done.already_imported,
            "facilities": record.facilities, "rooms": record.rooms, "added": record.added,
            "changed": record.changed}


@router.get("/capacity", summary="Capacity per day")
def get_capacity(session: DbSession, _: Staff, first: Annotated[OptionalDay, Query()] = None,
                 days: Days = 1, facility_id: Annotated[OptionalId, Query()] = None
                 ) -> list[CapacityDay]:
    """Rooms, beds, occupied and free beds per facility and day."""
    return service.capacity(session, first=first or today(), days=days,
                            facility_id=facility_id)


@router.get("/reserve", summary="Room reserve per district")
def get_reserve(session: DbSession, _: Staff) -> Reserve:
    """The national reserve target (rooms per 10,000 residents) against what exists."""
    return service.reserve(session)


@router.post("/facilities/{facility_id}/inspections", status_code=201,
             summary="Record an inspection")
def create_inspection(facility_id: Id, body: InspectionIn, session: DbSession,
                      manager: Manager) -> InspectionOut:
    """An inspection against the whole checklist; a failed item makes the facility
    ineligible for new placements until a passing re-inspection."""
    return service.record_inspection(session, facility_id=facility_id, inspection=body,
                                     actor=manager.username)


@router.post("/facilities/{facility_id}/complaints", status_code=201,
             summary="Link a complaint", responses=CONFLICT_RESPONSE)
def create_complaint(facility_id: Id, body: ComplaintIn, session: DbSession,
                     _: Manager) -> ComplaintOut:
    """Link a complaint about conditions (a hotline ticket) to a facility."""
    return service.link_complaint(session, facility_id=facility_id, complaint=body)


@router.post("/orders/sync", summary="Follow tracing and cases")
def sync(session: DbSession, manager: Manager) -> dict[str, int]:
    """Make and update the orders that tracing's contacts and the cases call for since the
    last sync; withdrawn evidence withdraws its orders."""
    return orders.sync_orders(session, actor=manager.username).as_dict()


@router.get("/orders", summary="Orders in force")
def list_orders(session: DbSession, caller: OrderReader, audit: AuditDep,
                limit: Limit = 100, offset: Annotated[Offset, Query()] = 0
                ) -> list[dict[str, Any]]:
    """Orders in force of residents in the caller's area, newest first."""
    found = orders.list_orders(session, limit=limit, offset=offset)
    visible = visible_residents(session, caller, [o.resident_id for o in found])
    shown = [o for o in found if o.resident_id in visible]
    audit("read", "quarantine_orders", "list", people=[o.resident_id for o in shown])
    return [_jsonable(order_view(session, o)) for o in shown]


@router.get("/orders/overdue", summary="Orders held past their end")
def list_overdue(session: DbSession, caller: OrderReader, audit: AuditDep,
                 day: Annotated[OptionalDay, Query()] = None, limit: Limit = 100
                 ) -> list[dict[str, Any]]:
    """People held past their order's end, longest overdue first (in the caller's area)."""
    found = orders.overdue_orders(session, today=day or today(), limit=limit)
    visible = visible_residents(session, caller, [o.resident_id for o, _ in found])
    shown = [(o, d) for o, d in found if o.resident_id in visible]
    audit("read", "quarantine_overdue", "list", people=[o.resident_id for o, _ in shown])
    return [{**_jsonable(order_view(session, o)), "days_overdue": d} for o, d in shown]


@router.get("/orders/{order_id}", summary="An order")
def get_order(order_id: Id, session: DbSession, caller: OrderReader,
              audit: AuditDep) -> dict[str, Any]:
    """An order with its rule, explanation, dates, tests, end history, deliveries, room."""
    o = order_for(session, caller, order_id)
    audit("read", "quarantine_order", o.id, person_id=o.resident_id)
    return _jsonable(order_view(session, o))


@router.post("/orders/{order_id}/end", summary="Extend or shorten", responses=CONFLICT_RESPONSE)
def change_end(order_id: Id, body: EndChangeIn, session: DbSession, caller: Manager,
               audit: AuditDep) -> dict[str, Any]:
    """Move an order's end with a reason; the earlier end stays in its history."""
    o = order_for(session, caller, order_id, write=True)
    changed = orders.change_end(session, order_id=o.id, end_on=body.end_on, reason=body.reason,
                                actor=caller.username)
    audit("update", "quarantine_order", o.id, person_id=o.resident_id, reason=body.reason)
    return _jsonable(order_view(session, changed))


@router.post("/orders/{order_id}/deliveries", status_code=201, summary="Record a delivery")
def create_delivery(order_id: Id, body: DeliveryIn, session: DbSession, caller: Manager,
                    audit: AuditDep) -> dict[str, Any]:
    """How the order reached the resident (in person, phone, letter, on their behalf)."""
    o = order_for(session, caller, order_id, write=True)
    orders.record_delivery(session, order_id=o.id, method=body.method,
                           received_by=body.received_by, relation=body.relation,
                           actor=caller.username)
    audit("update", "quarantine_order", o.id, person_id=o.resident_id)
    return _jsonable(order_view(session, o))


@router.post("/orders/{order_id}/release", summary="Release", responses=CONFLICT_RESPONSE)
def release_order(order_id: Id, session: DbSession, caller: Manager,
                  audit: AuditDep) -> dict[str, Any]:
    """Release the resident under the order's rule; 422 naming every missing result when
    the rule's results are not there (nothing changes)."""
    o = order_for(session, caller, order_id, write=True)
    done = release.release(session, order_id=o.id, actor=caller.username)
    audit("update", "quarantine_order", o.id, person_id=o.resident_id)
    return _jsonable(order_view(session, done))


# Placement runs, transfers and home monitoring, under the same /quarantine prefix.
router.include_router(placement.router)
router.include_router(transfers.router)
router.include_router(monitoring.router)
