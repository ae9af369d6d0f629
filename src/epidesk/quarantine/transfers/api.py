"""JSON routes of transfers: manifests, check-out, check-in, alerts and their resolution."""

from __future__ import annotations

from fastapi import APIRouter

from epidesk.kit import clock
from epidesk.kit.web import CONFLICT_RESPONSE, PROBLEM_RESPONSES, AuditDep, DbSession, Id
from epidesk.quarantine.transfers import service
from epidesk.quarantine.transfers.deps import (
    HomeDesk,
    Reader,
    Transport,
    alerts_out,
    ensure_home_desk,
    manifest_detail,
    manifest_out,
)
from epidesk.quarantine.transfers.schemas import (
    AlertOut,
    CheckInIn,
    CheckOutIn,
    CountsOut,
    DispatchIn,
    LineChange,
    ManifestDetail,
    ManifestIn,
    ManifestOut,
    PeopleIn,
    ResolveIn,
)

router = APIRouter(responses=PROBLEM_RESPONSES)


@router.post("/transfers", response_model=ManifestOut, status_code=201,
             summary="Make a vehicle manifest")
def create_manifest(body: ManifestIn, session: DbSession, transport: Transport,
                    audit: AuditDep) -> ManifestOut:
    """A vehicle, its route, times and driver, and who travels (their orders, in seat
    order); refused whole, naming the field, when anything is wrong."""
    m = service.create_manifest(session, actor=transport.username, manifest=service.ManifestIn(
        **body.model_dump()))
    audit("create", "transfer_manifest", m.id, people=[line.resident_id for line in m.lines])
    return manifest_out(session, m, clock.now())


@router.get("/transfers/alerts", response_model=list[AlertOut],
            summary="People not checked in")
def alerts(session: DbSession, reader: Reader, audit: AuditDep) -> list[AlertOut]:
    """Everyone not checked in by the expected arrival plus the grace period, until
    resolved (people outside your area unnamed)."""
    found, names = alerts_out(session, reader, clock.now())
    audit("read", "transfer_alerts", "open", people=names)
    return found


@router.get("/transfers/counts", response_model=CountsOut,
            summary="Dispatched, arrived, missing")
def counts(session: DbSession, _: Transport) -> CountsOut:
    """People dispatched (checked out), arrived (checked in) and missing now."""
    return CountsOut(**service.counts(session))


@router.get("/transfers/{manifest_id}", response_model=ManifestDetail,
            summary="A manifest with its people")
def show_manifest(manifest_id: Id, session: DbSession, reader: Reader,
                  audit: AuditDep) -> ManifestDetail:
    """A manifest and each person's state (people outside your area unnamed)."""
    m = service.get_manifest(session, manifest_id=manifest_id)
    detail, names = manifest_detail(session, m, reader, clock.now())
    audit("read", "transfer_manifest", m.id, people=names)
    return detail


@router.patch("/transfers/{manifest_id}", response_model=ManifestOut,
              summary="Change a manifest's dispatch details")
def edit_manifest(manifest_id: Id, body: DispatchIn, session: DbSession, transport: Transport,
                  audit: AuditDep) -> ManifestOut:
    """Set or change the vehicle, seats, driver's name and phone, route, departure,
    expected arrival or note (fields left out stay); after the departure only the
    driver's phone and the note. Each change is logged with who and when; a bad value
    (seats below the people on board, not a phone, an arrival before the departure, a
    departed vehicle's other details) is refused whole, 422 naming the field."""
    changes = service.edit_manifest(session, manifest_id=manifest_id, actor=transport.username,
                                    edit=service.DispatchEdit(**body.model_dump()))
    m = service.get_manifest(session, manifest_id=manifest_id)
    if changes:
        audit("update", "transfer_manifest", m.id)
    return manifest_out(session, m, clock.now())


@router.post("/transfers/{manifest_id}/people", response_model=ManifestOut,
             summary="Add people to a manifest", responses=CONFLICT_RESPONSE)
def add_people(manifest_id: Id, body: PeopleIn, session: DbSession, transport: Transport,
               audit: AuditDep) -> ManifestOut:
    """Add people (their centralized orders in force) to a manifest that has not left;
    refused whole (422 naming the field) when one is unknown, already on it, or the seats
    would not hold them; 409 once the vehicle has left."""
    added = service.add_people(session, manifest_id=manifest_id, order_ids=body.order_ids,
                               actor=transport.username)
    m = service.get_manifest(session, manifest_id=manifest_id)
    audit("update", "transfer_manifest", m.id, people=[line.resident_id for line in added])
    return manifest_out(session, m, clock.now())


@router.post("/transfers/{manifest_id}/depart", response_model=ManifestOut,
             summary="Record the departure", responses=CONFLICT_RESPONSE)
def depart(manifest_id: Id, session: DbSession, transport: Transport,
           audit: AuditDep) -> ManifestOut:
    """The vehicle left (recorded once; a repeat changes nothing); 409 while nobody on it
    has been checked out."""
    m, changed = service.depart(session, manifest_id=manifest_id, actor=transport.username)
    if changed:
        audit("update", "transfer_manifest", m.id)
    return manifest_out(session, m, clock.now())


@router.post("/transfers/{manifest_id}/check-out", response_model=LineChange,
             summary="Check a person out at pickup")
def check_out(manifest_id: Id, body: CheckOutIn, session: DbSession, transport: Transport,
              audit: AuditDep) -> LineChange:
    """Mark a manifest line as boarded; a repeat changes nothing."""
    before = service.get_manifest(session, manifest_id=manifest_id)
    was = {line.line_no: line.checked_out_at for line in before.lines}.get(body.line_no)
    line = service.check_out(session, manifest_id=manifest_id, line_no=body.line_no,
                             actor=transport.username)
    audit("update", "transfer_line", line.id, person_id=line.resident_id)
    return LineChange(manifest_id=manifest_id, line_no=line.line_no,
                      state=service.state_of(line, clock.now()), changed=was is None)


@router.post("/transfers/{manifest_id}/check-in", response_model=LineChange,
             summary="Check a person in at the facility")
def check_in(manifest_id: Id, body: CheckInIn, session: DbSession, transport: Transport,
             audit: AuditDep) -> LineChange:
    """Mark a person on the manifest as arrived; a repeated or retried check-in changes
    nothing (`changed` false); someone not on the manifest is refused (422)."""
    line, changed = service.check_in(session, manifest_id=manifest_id,
                                     resident_id=body.resident_id, actor=transport.username)
    audit("update", "transfer_line", line.id, person_id=line.resident_id)
    return LineChange(manifest_id=manifest_id, line_no=line.line_no,
                      state=service.state_of(line, clock.now()), changed=changed)


@router.post("/transfers/{manifest_id}/home-arrivals", response_model=LineChange,
             summary="Check a person in at home")
def home_arrival(manifest_id: Id, body: CheckInIn, session: DbSession, desk: HomeDesk,
                 audit: AuditDep) -> LineChange:
    """Mark a person on a return home as arrived at their building (the community worker
    of their home); home monitoring starts. A repeat changes nothing (`changed` false);
    someone not on the manifest, or not in your area, or a manifest to a facility is
    refused (422)."""
    ensure_home_desk(session, desk, manifest_id, body.resident_id)
    line, changed = service.check_in_home(session, manifest_id=manifest_id,
                                          resident_id=body.resident_id, actor=desk.username)
    audit("update", "transfer_line", line.id, person_id=line.resident_id)
    return LineChange(manifest_id=manifest_id, line_no=line.line_no,
                      state=service.state_of(line, clock.now()), changed=changed)


@router.post("/transfers/lines/{line_id}/resolve", response_model=LineChange,
             summary="Resolve an alert", responses=CONFLICT_RESPONSE)
def resolve(line_id: Id, body: ResolveIn, session: DbSession, transport: Transport,
            audit: AuditDep) -> LineChange:
    """Close a missing person's alert with what happened (arrived late, taken to
    hospital, ...)."""
    line = service.resolve(session, line_id=line_id, resolution=body.resolution,
                           note=body.note, actor=transport.username)
    audit("update", "transfer_line", line.id, person_id=line.resident_id)
    return LineChange(manifest_id=line.manifest_id, line_no=line.line_no,
                      state=service.state_of(line, clock.now()), changed=True)
