"""JSON routes of supplies: finding a household and filing a request on its behalf, the
queue and the overdue list, batches and deliveries at the door, depots and receipts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile
from fastapi.responses import JSONResponse

from epidesk.errors import PROBLEM_JSON
from epidesk.kit.access import SUPPLIES_WRITE
from epidesk.kit.inputs import DIGITS, Ge, Le, OptionalDay, Text
from epidesk.kit.uploads import read_upload
from epidesk.kit.web import CONFLICT_RESPONSE, PROBLEM_RESPONSES, AuditDep, DbSession, Id
from epidesk.supplies import repository, service
from epidesk.supplies.depots import repository as depot_repository
from epidesk.supplies.depots import service as depots
from epidesk.supplies.deps import (
    Courier,
    Intake,
    Writer,
    batch_for,
    batch_summary,
    delivery_for,
    depot_detail,
    find_households,
    household_area,
    household_named,
    need_summary,
    receipt_detail,
    request_for,
    request_summary,
    today,
    visible_batches,
    visible_needs,
)
from epidesk.supplies.schemas import (
    AdjustmentIn,
    DayIn,
    DepotIn,
    FailIn,
    NeedIn,
    RequestIn,
    TransferIn,
)

router = APIRouter(responses=PROBLEM_RESPONSES, tags=["supplies"])
Days = Annotated[int, Ge(1), Le(60), DIGITS]


@router.get("/supplies/households", summary="Find a household")
def search_households(session: DbSession, caller: Intake, audit: AuditDep,
                      q: Annotated[Text, Query(min_length=2, max_length=64, description=(
                          "A name, a phone number, or an address as "
                          "'community building-unit-flat'"))]) -> list[dict[str, Any]]:
    """Households in the caller's area found by a member's name or phone, or by address,
    with their members (for residents without a smartphone)."""
    found = find_households(session, caller, q)
    audit("read", "supplies_household_search", q[:64],
          people=[m["resident_id"] for h in found for m in h["members"]])
    return found


@router.post("/supplies/requests", summary="File a request on a household's behalf",
             status_code=201)
def file_request(session: DbSession, caller: Intake, audit: AuditDep, body: RequestIn
                 ) -> dict[str, Any]:
    """A request from a phone call or a community worker; the same household and items
    while one is open is merged into it (200 then, the open request returned)."""
    household_named(session, caller, body.household_id)
    checked = service.check_request(items=body.items, urgency=body.urgency,
                                    contact_name=body.contact_name,
                                    contact_phone=body.contact_phone, address_text="",
                                    note=body.note)
    found = service.staff_request(session, request=checked, household_id=body.household_id,
                                  channel=body.channel, actor=caller.username)
    audit("create", "supply_request", found.id,
          people=repository.residents_of(session, [body.household_id]))
    return request_summary(found)


@router.get("/supplies/requests/{request_id}", summary="A request")
def get_request(session: DbSession, caller: Intake, audit: AuditDep, request_id: Id
                ) -> dict[str, Any]:
    """A request with its contact (inside the caller's area)."""
    found = request_for(session, caller, request_id)
    audit("read", "supply_request", found.id, people=repository.residents_of(
        session, [found.household_id] if found.household_id else []))
    return request_summary(found)


@router.post("/supplies/households/{household_id}/needs", summary="Record a need",
             status_code=201)
def record_need(session: DbSession, caller: Writer, audit: AuditDep, household_id: Id,
                body: NeedIn) -> dict[str, Any]:
    """A community worker's record of a household's need (a diet, a medicine, ...)."""
    household_area(session, caller, household_id, permissions=(SUPPLIES_WRITE,))
    need = service.record_need(session, household_id=household_id, kind=body.kind,
                               note=body.note, actor=caller.username)
    audit("create", "supply_need", need.id,
          people=repository.residents_of(session, [household_id]))
    return {"id": need.id, "household_id": household_id, "kind": need.kind}


@router.get("/supplies/overdue", summary="Households past N days without a delivery")
def overdue(session: DbSession, caller: Writer, audit: AuditDep,
            days: Annotated[Days | None, Query()] = None) -> dict[str, Any]:
    """Restricted households of the caller's area past N days (the setting) without a
    delivery, most urgent first: the list the command centre's tile counts."""
    found = visible_needs(session, caller, service.overdue(session, day=today(), days=days))
    audit("read", "supplies_overdue", "list",
          people=repository.residents_of(session, [v.household_id for v in found]))
    return {"day": today().isoformat(), "households": [need_summary(v) for v in found]}


@router.post("/supplies/batches", summary="Build the day's batches", status_code=201)
def build(session: DbSession, caller: Writer, body: DayIn) -> dict[str, Any]:
    """The day's prioritised batches per building; idempotent per household."""
    run = service.build_batches(session, day=body.day or today(), actor=caller.username)
    return {"day": run.day.isoformat(), "batches": run.batches,
            "deliveries": run.deliveries, "held": run.held, "seconds": run.seconds}


@router.get("/supplies/batches", summary="The day's batches")
def list_batches(session: DbSession, caller: Writer,
                 day: Annotated[OptionalDay, Query()] = None) -> list[dict[str, Any]]:
    """A day's batches in round order: building, depot, status, how many doors."""
    return [{"id": b.id, "building_id": b.building_id, "depot_id": b.depot_id,
             "rank": b.rank, "status": b.status, "hold_reason": b.hold_reason,
             "equipped": b.equipped, "doors": len(b.deliveries)}
            for b in visible_batches(session, caller, day=day or today())]


@router.get("/supplies/batches/{batch_id}", summary="A batch and its doors")
def get_batch(session: DbSession, caller: Courier, audit: AuditDep, batch_id: Id
              ) -> dict[str, Any]:
    """A batch with its doors in walking order (for the volunteer)."""
    found = batch_for(session, caller, batch_id)
    audit("read", "supply_batch", found.id, people=repository.residents_of(
        session, [d.household_id for d in found.deliveries]))
    return batch_summary(found)


@router.post("/supplies/deliveries/{delivery_id}/confirm", summary="Delivered",
             responses=CONFLICT_RESPONSE)
def confirm(session: DbSession, caller: Courier, audit: AuditDep, delivery_id: Id
            ) -> dict[str, Any]:
    """Delivered at the door (409 when already closed, or its batch is held)."""
    found = service.confirm(session, delivery_id=delivery_for(session, caller, delivery_id),
                            actor=caller.username)
    audit("update", "supply_delivery", found.id)
    return {"id": found.id, "status": found.status}


@router.post("/supplies/deliveries/{delivery_id}/fail", summary="Not delivered",
             responses=CONFLICT_RESPONSE)
def fail(session: DbSession, caller: Courier, audit: AuditDep, delivery_id: Id, body: FailIn
         ) -> dict[str, Any]:
    """Not delivered, with the reason: the household is queued again."""
    found = service.fail(session, delivery_id=delivery_for(session, caller, delivery_id),
                         reason=body.reason, actor=caller.username)
    audit("update", "supply_delivery", found.id)
    return {"id": found.id, "status": found.status, "reason": found.reason}


@router.get("/supplies/depots", summary="Depots, stock and alerts")
def list_depots(session: DbSession, _: Writer,
                day: Annotated[OptionalDay, Query()] = None) -> list[dict[str, Any]]:
    """Every depot with its figures per item (on hand, rate, days of stock, stock-out
    days, shortage forecast)."""
    return [depot_detail(session, d.id, day=day or today(), movements=0)
            for d in depot_repository.depots(session)]


@router.post("/supplies/depots", summary="A new depot", status_code=201,
             responses=CONFLICT_RESPONSE)
def create_depot(session: DbSession, caller: Writer, body: DepotIn) -> dict[str, Any]:
    """A new depot in a district."""
    found = depots.create_depot(session, code=body.code, name=body.name,
                                district_id=body.district_id)
    return depot_detail(session, found.id, day=today(), movements=0)


@router.get("/supplies/depots/{depot_id}", summary="A depot")
def get_depot(session: DbSession, _: Writer, depot_id: Id,
              day: Annotated[OptionalDay, Query()] = None) -> dict[str, Any]:
    """A depot's figures, lots and latest movements."""
    return depot_detail(session, depot_id, day=day or today(), movements=100)


@router.post("/supplies/depots/{depot_id}/adjustments", summary="Adjust a lot",
             status_code=201, responses=CONFLICT_RESPONSE)
def adjust(session: DbSession, caller: Writer, depot_id: Id, body: AdjustmentIn
           ) -> dict[str, Any]:
    """A counted correction with its reason (409 when it would go below zero)."""
    change = body.quantity if body.direction == "add" else -body.quantity
    found = depots.adjust(session, depot_id=depot_id, item=body.item, lot=body.lot,
                          change=change, reason=body.reason, actor=caller.username,
                          expires_on=body.expires_on)
    return {"id": found.id, "kind": found.kind, "quantity": found.quantity}


@router.post("/supplies/depots/{depot_id}/transfers", summary="Transfer stock",
             status_code=201, responses=CONFLICT_RESPONSE)
def transfer(session: DbSession, caller: Writer, depot_id: Id, body: TransferIn
             ) -> dict[str, Any]:
    """Stock sent to another depot, first expired first out (409 when short)."""
    moved = depots.transfer(session, from_depot=depot_id, to_depot=body.to_depot_id,
                            item=body.item, quantity=body.quantity, actor=caller.username,
                            reason=body.reason)
    return {"movements": len(moved)}


@router.post("/supplies/receipts", summary="Import a receipt file", status_code=201)
def receive(response: Response, session: DbSession, caller: Writer,
            file: Annotated[UploadFile, File(description=(
                "Receipt CSV: depot, item, lot, expires_on, quantity"))]) -> Any:
    """Validate a receipt file whole, then book every line once. 201: booked. 200: the
    same file was booked before. 422: rejected whole with a report."""
    content = read_upload(file, command="epidesk supplies receive")
    result = depots.import_receipts(session, content=content,
                                    filename=file.filename or "receipt.csv",
                                    received_by=caller.username)
    detail = receipt_detail(result.record)
    if not result.accepted:
        return JSONResponse({"type": "https://epidesk.org/problems/receipt-rejected",
                             "title": "Receipt rejected", "status": 422,
                             "detail": "the file was rejected whole; nothing was booked",
                             **detail}, status_code=422, media_type=PROBLEM_JSON)
    if result.already_imported:
        response.status_code = 200
    return {"already_imported": result.already_imported, **detail}
