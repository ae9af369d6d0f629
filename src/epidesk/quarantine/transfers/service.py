"""Transfers: manifests, check-out at pickup, check-in at the facility (idempotent: a
repeated or retried request changes nothing more), alerts for anyone not checked in by the
expected arrival plus the grace period, resolved only with a reason. Session first,
keyword-only arguments after; flush, never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from epidesk.config import get_settings
from epidesk.errors import ConflictError, NotFoundError, ValidationFailedError
from epidesk.kit import clock
from epidesk.kit.merges import Merge
from epidesk.people import repository as people
from epidesk.quarantine import repository as facilities
from epidesk.quarantine.models import TransferLine, TransferManifest
from epidesk.quarantine.orders import repository as orders
from epidesk.quarantine.transfers import repository, rules


def merge_person_rows(session: Session, merge: Merge) -> list[str]:
    """Transfers' share of a merge: the merged record's manifest lines move."""
    return [f"{repository.merge_rows(session, merge)} transfer lines moved"]


def grace_minutes() -> int:
    """The grace period after a vehicle's expected arrival (setting)."""
    return get_settings().transfer_grace_minutes


def state_of(line: TransferLine, now: datetime) -> str:
    """A line's state now."""
    return rules.line_state(rules.LineFacts(
        checked_out_at=line.checked_out_at, checked_in_at=line.checked_in_at,
        resolved_at=line.resolved_at, expected_at=clock.aware(line.manifest.expected_at)),
        now=now, grace_minutes=grace_minutes())


@dataclass(frozen=True)
class ManifestIn:
    """What a new manifest needs."""

    vehicle: str
    seats: int
    route: str
    facility_id: int
    departs_at: datetime
    expected_at: datetime
    driver_name: str
    driver_phone: str
    order_ids: Sequence[int]


def create_manifest(session: Session, *, manifest: ManifestIn, actor: str,
                    now: datetime | None = None) -> TransferManifest:
    """A manifest with one line per order (in the order given), each person's room when
    the placement assigned one. Refused whole, naming the field, when anything is wrong."""
    if not manifest.order_ids:
        raise ValidationFailedError("a manifest needs at least one person", field="order_ids")
    if len(set(manifest.order_ids)) != len(manifest.order_ids):
        raise ValidationFailedError("an order is listed twice", field="order_ids")
    if len(manifest.order_ids) > manifest.seats:
        raise ValidationFailedError(
            f"{len(manifest.order_ids)} people do not fit in {manifest.seats} seats",
            field="seats")
    if clock.aware(manifest.expected_at) <= clock.aware(manifest.departs_at):
        raise ValidationFailedError("the expected arrival must come after the departure",
                                    field="expected_at")
    if facilities.facility(session, manifest.facility_id) is None:
        raise ValidationFailedError(f"no facility {manifest.facility_id}", field="facility_id")
    found = []
    for order_id in manifest.order_ids:
        o = orders.order(session, order_id)
        if o is None or o.state != "active" or o.form != "centralized":
            raise ValidationFailedError(
                f"order {order_id} is not a centralized order in force", field="order_ids")
        found.append(o)
    rooms = orders.current_rooms(session, [o.resident_id for o in found])
    row = TransferManifest(
        vehicle=manifest.vehicle, seats=manifest.seats, route=manifest.route,
        facility_id=manifest.facility_id, departs_at=manifest.departs_at,
        expected_at=manifest.expected_at, driver_name=manifest.driver_name,
        driver_phone=manifest.driver_phone, created_at=now or clock.now(),
        created_by=actor[:64])
    for number, o in enumerate(found, start=1):
        room = rooms.get(o.resident_id)
        row.lines.append(TransferLine(line_no=number, resident_id=o.resident_id,
                                      order_id=o.id, room_id=room[1].id if room else None))
    return repository.add(session, row)


@dataclass(frozen=True)
class EscortLeg:
    """One leg of an escorted medical trip: one person, from home to a hospital or back."""

    vehicle: str
    route: str
    destination: str
    departs_at: datetime
    expected_at: datetime
    driver_name: str
    driver_phone: str
    resident_id: int
    order_id: int | None = None


ESCORT = "medical_escort"


def create_escort_manifest(session: Session, *, leg: EscortLeg, actor: str,
                           now: datetime | None = None) -> TransferManifest:
    """A manifest of purpose `medical_escort` with one line, the patient: no facility,
    the destination in words; checked out, checked in and alerted like any other."""
    if clock.aware(leg.expected_at) <= clock.aware(leg.departs_at):
        raise ValidationFailedError("the expected arrival must come after the departure",
                                    field="expected_at")
    if not leg.destination.strip():
        raise ValidationFailedError("say where the vehicle goes", field="destination")
    row = TransferManifest(
        vehicle=leg.vehicle, seats=1, route=leg.route, purpose=ESCORT, facility_id=None,
        destination=leg.destination.strip()[:200], departs_at=leg.departs_at,
        expected_at=leg.expected_at, driver_name=leg.driver_name,
        driver_phone=leg.driver_phone, created_at=now or clock.now(), created_by=actor[:64])
    row.lines.append(TransferLine(line_no=1, resident_id=leg.resident_id,
                                  order_id=leg.order_id, room_id=None))
    return repository.add(session, row)


def retime(session: Session, *, manifest_id: int, departs_at: datetime,
           expected_at: datetime) -> TransferManifest:
    """Move a manifest's departure and expected arrival (its alert follows)."""
    if clock.aware(expected_at) <= clock.aware(departs_at):
        raise ValidationFailedError("the expected arrival must come after the departure",
                                    field="expected_at")
    found = get_manifest(session, manifest_id=manifest_id)
    found.departs_at, found.expected_at = departs_at, expected_at
    session.flush()
    return found


def close_line(session: Session, *, line_id: int, resolution: str, note: str, actor: str,
               now: datetime | None = None) -> TransferLine:
    """Close a line that will not be checked in, with a reason, before or after its alert
    (a line already checked in or closed is left as it is)."""
    line = repository.line(session, line_id)
    if line is None:
        raise NotFoundError(f"no transfer line {line_id}")
    if resolution not in rules.RESOLUTIONS:
        raise ValidationFailedError(
            f"{resolution!r} is not a resolution: one of {', '.join(rules.RESOLUTIONS)}",
            field="resolution")
    if line.checked_in_at is None and line.resolved_at is None:
        line.resolved_at, line.resolved_by = now or clock.now(), actor[:64]
        line.resolution, line.resolution_note = resolution, note.strip()
        session.flush()
    return line


def get_manifest(session: Session, *, manifest_id: int) -> TransferManifest:
    """A manifest with its lines, or 404."""
    found = repository.manifest(session, manifest_id)
    if found is None:
        raise NotFoundError(f"no transfer manifest {manifest_id}")
    return found


def _line_of(manifest: TransferManifest, *, resident_id: int | None = None,
             line_no: int | None = None) -> TransferLine:
    for line in manifest.lines:
        if (resident_id is not None and line.resident_id == resident_id) or (
                line_no is not None and line.line_no == line_no):
            return line
    if resident_id is not None:
        raise ValidationFailedError(
            f"resident {resident_id} is not on manifest {manifest.id}: check the name and "
            "the vehicle, or add them to a manifest first", field="resident_id")
    raise ValidationFailedError(f"manifest {manifest.id} has no line {line_no}",
                                field="line_no")


def check_out(session: Session, *, manifest_id: int, line_no: int, actor: str,
              now: datetime | None = None) -> TransferLine:
    """Mark a person as boarded at pickup; once (a repeat changes nothing)."""
    line = _line_of(get_manifest(session, manifest_id=manifest_id), line_no=line_no)
    if line.checked_out_at is None:
        line.checked_out_at, line.checked_out_by = now or clock.now(), actor[:64]
        session.flush()
    return line


def check_in(session: Session, *, manifest_id: int, resident_id: int, actor: str,
             now: datetime | None = None) -> tuple[TransferLine, bool]:
    """Mark a person on the manifest as arrived at the facility; returns the line and
    whether this request changed it (a repeated or retried check-in changes nothing)."""
    line = _line_of(get_manifest(session, manifest_id=manifest_id), resident_id=resident_id)
    if line.checked_in_at is not None:
        return line, False
    moment = now or clock.now()
    line.checked_in_at, line.checked_in_by = moment, actor[:64]
    if line.checked_out_at is None:  # boarded without being ticked off at pickup
        line.checked_out_at, line.checked_out_by = moment, actor[:64]
    session.flush()
    return line, True


def search(session: Session, *, manifest_id: int, term: str) -> list[TransferLine]:
    """Lines of a manifest matching a manifest line number, an ID number or a name."""
    manifest = get_manifest(session, manifest_id=manifest_id)
    text = term.strip()
    if not text:
        return list(manifest.lines)
    kind = rules.search_kind(text)
    if kind == "line":
        number = int(text.lstrip("#"))
        return [line for line in manifest.lines if line.line_no == number]
    residents = people.residents_by_id(session, [line.resident_id for line in manifest.lines])
    wanted = text.lower()
    out = []
    for line in manifest.lines:
        r = residents.get(line.resident_id)
        if r is None:
            continue
        by_id = kind == "id_number" and (r.id_number or "").lower() == wanted
        by_name = kind == "name" and (wanted in r.name.lower() or wanted in r.name_search)
        if by_id or by_name:
            out.append(line)
    return out


def resolve(session: Session, *, line_id: int, resolution: str, note: str, actor: str,
            now: datetime | None = None) -> TransferLine:
    """Close a missing person's alert with a reason; only an open alert can be resolved."""
    line = repository.line(session, line_id)
    if line is None:
        raise NotFoundError(f"no transfer line {line_id}")
    if resolution not in rules.RESOLUTIONS:
        raise ValidationFailedError(
            f"{resolution!r} is not a resolution: one of {', '.join(rules.RESOLUTIONS)}",
            field="resolution")
    if not note.strip():
        raise ValidationFailedError("say what happened", field="note")
    moment = now or clock.now()
    if state_of(line, moment) != rules.MISSING:
        raise ConflictError(f"line {line.line_no} of manifest {line.manifest_id} has no open "
                            "alert")
    line.resolved_at, line.resolved_by = moment, actor[:64]
    line.resolution, line.resolution_note = resolution, note.strip()
    session.flush()
    return line


def alerts(session: Session, *, now: datetime | None = None) -> Sequence[TransferLine]:
    """Everyone not checked in by the expected arrival plus the grace period, unresolved."""
    moment = now or clock.now()
    return repository.open_alerts(session, due_before=moment - _grace())


def counts(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Dispatched, arrived and missing people, now."""
    moment = now or clock.now()
    dispatched, arrived, missing = repository.counts(session, due_before=moment - _grace())
    return {"dispatched": dispatched, "arrived": arrived, "missing": missing}


def _grace() -> timedelta:
    return timedelta(minutes=grace_minutes())


def resident_transfers(session: Session, *, resident_id: int) -> Sequence[TransferLine]:
    """A resident's latest transfers."""
    return repository.lines_of_resident(session, resident_id)
