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
from epidesk.quarantine.models import (
    QuarantineOrder,
    RoomAssignment,
    TransferLine,
    TransferManifest,
    TransferManifestChange,
)
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
    found = _centralized(session, manifest.order_ids)
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


def _centralized(session: Session, order_ids: Sequence[int]) -> list[QuarantineOrder]:
    found = []
    for order_id in order_ids:
        o = orders.order(session, order_id)
        if o is None or o.state != "active" or o.form != "centralized":
            raise ValidationFailedError(
                f"order {order_id} is not a centralized order in force", field="order_ids")
        found.append(o)
    return found


def orders_of_residents(session: Session, *, resident_ids: Sequence[int],
                        field: str = "resident_ids") -> list[int]:
    """The centralized order in force of each resident, in the order given (for forms that
    name people, not orders); an unknown resident or one without such an order is refused,
    naming them."""
    if len(set(resident_ids)) != len(resident_ids):
        raise ValidationFailedError("a person is listed twice", field=field)
    known = people.residents_by_id(session, list(resident_ids))
    active = orders.active_orders_of(session, list(resident_ids))
    out = []
    for resident_id in resident_ids:
        if resident_id not in known:
            raise ValidationFailedError(f"no resident {resident_id}", field=field)
        held = [o for o in active.get(resident_id, []) if o.form == "centralized"]
        if not held:
            raise ValidationFailedError(
                f"resident {resident_id} is under no centralized order in force", field=field)
        out.append(held[0].id)
    return out


def add_people(session: Session, *, manifest_id: int, order_ids: Sequence[int], actor: str
               ) -> list[TransferLine]:
    """Add people (their centralized orders in force) to a manifest to a facility that has
    not left; refused whole, naming the field, when one is unknown, already on it, or the
    seats would not hold them all."""
    manifest = get_manifest(session, manifest_id=manifest_id)
    if manifest.purpose != rules.TO_FACILITY:
        raise ConflictError(f"manifest {manifest_id} is a return home: people join it when "
                            "they are released")
    if manifest.departed_at is not None:
        raise ConflictError(f"manifest {manifest_id} has left; put them on another vehicle")
    if not order_ids:
        raise ValidationFailedError("name at least one person", field="order_ids")
    if len(set(order_ids)) != len(order_ids):
        raise ValidationFailedError("an order is listed twice", field="order_ids")
    found = _centralized(session, order_ids)
    on_board = {line.resident_id for line in manifest.lines}
    for o in found:
        if o.resident_id in on_board:
            raise ValidationFailedError(f"resident {o.resident_id} is already on manifest "
                                        f"{manifest_id}", field="order_ids")
    if len(manifest.lines) + len(found) > manifest.seats:
        raise ValidationFailedError(
            f"{len(manifest.lines) + len(found)} people do not fit in {manifest.seats} seats",
            field="order_ids")
    rooms = orders.current_rooms(session, [o.resident_id for o in found])
    number = max((line.line_no for line in manifest.lines), default=0)
    added = []
    for o in found:
        number += 1
        room = rooms.get(o.resident_id)
        line = TransferLine(line_no=number, resident_id=o.resident_id, order_id=o.id,
                            room_id=room[1].id if room else None)
        manifest.lines.append(line)
        added.append(line)
    session.flush()
    return added


def depart(session: Session, *, manifest_id: int, actor: str, now: datetime | None = None
           ) -> tuple[TransferManifest, bool]:
    """The vehicle left: recorded once (a repeat changes nothing; returns whether this
    call recorded it). Refused while nobody on it has been checked out."""
    manifest = get_manifest(session, manifest_id=manifest_id)
    if manifest.departed_at is not None:
        return manifest, False
    if not any(line.checked_out_at is not None for line in manifest.lines):
        raise ConflictError(f"nobody on manifest {manifest_id} has been checked out: check "
                            "people out as they board, then record the departure")
    manifest.departed_at, manifest.departed_by = now or clock.now(), actor[:64]
    session.flush()
    return manifest, True


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


ESCORT = rules.MEDICAL_ESCORT


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
    if line.manifest.purpose == rules.RETURN_HOME:
        _start_monitoring(session, line, moment)
    return line, True


def check_in_home(session: Session, *, manifest_id: int, resident_id: int, actor: str,
                  now: datetime | None = None) -> tuple[TransferLine, bool]:
    """A person on a return home arrived at their building (the community worker checks
    them in); home monitoring starts. Refused for a manifest that goes to a facility."""
    manifest = get_manifest(session, manifest_id=manifest_id)
    if manifest.purpose != rules.RETURN_HOME:
        raise ValidationFailedError(f"manifest {manifest_id} goes to a facility, not home: "
                                    "people arriving there are checked in by its staff",
                                    field="manifest_id")
    return check_in(session, manifest_id=manifest_id, resident_id=resident_id, actor=actor,
                    now=now)


def _start_monitoring(session: Session, line: TransferLine, moment: datetime) -> None:
    """Home monitoring under the released order starts when the person is home."""
    if line.order_id is None:
        return
    o = orders.order(session, line.order_id)
    if o is not None and o.monitoring_until is not None and \
            o.monitoring_until >= clock.local_day(moment):
        orders.add_event(session, o, "monitoring", moment)
        session.flush()


def _home_of(session: Session, resident_id: int) -> tuple[int, float, float] | None:
    """(building id, latitude, longitude) of where the resident lives."""
    address = people.address_of_residents(session, [resident_id]).get(resident_id)
    building = repository.building_of_address(session, address) if address else None
    return (building.id, building.centroid_lat, building.centroid_lon) if building else None


def plan_return(session: Session, *, order: QuarantineOrder, rooms: Sequence[RoomAssignment],
                actor: str, now: datetime) -> list[TransferLine]:
    """The trip home of a person released from a room: on the return manifest from the
    facility to their home building not yet left (household members released the same
    day travel together), else a new one; carers of their household who went along and
    are left with nobody under an order in the room leave the room and travel with them.
    Returns the lines added (none when the person was in no room or has no home)."""
    home = _home_of(session, order.resident_id)
    if home is None or not rooms:
        return []
    resident = people.resident(session, order.resident_id)
    household = resident.household_id if resident is not None else order.household_id
    room = rooms[0]
    found = orders.room_with_facility(session, room.room_id)
    if found is None:
        return []
    facility = found[1]
    travellers: list[tuple[int, int | None, int]] = [(order.resident_id, order.id,
                                                      room.room_id)]
    for held in rooms:
        if any(o.order_id != order.id for o in repository.open_ordered_in_room(
                session, held.room_id)):
            continue
        carers = repository.open_carers(session, held.room_id)
        family = people.residents_by_id(session, [c.resident_id for c in carers])
        for carer in carers:
            member = family.get(carer.resident_id)
            if member is None or member.household_id != household:
                continue
            carer.to_at, carer.ended_reason = now, "released"
            travellers.append((carer.resident_id, None, held.room_id))
    manifest = repository.open_return(session, facility_id=facility.id, building_id=home[0],
                                      after=now)
    if manifest is None or len(manifest.lines) + len(travellers) > manifest.seats:
        departs, expected = rules.return_times(
            now, rules.road_minutes(facility.lat, facility.lon, home[1], home[2]))
        manifest = repository.add(session, TransferManifest(
            purpose=rules.RETURN_HOME, building_id=home[0],
            vehicle=f"return {facility.code}"[:32],
            seats=max(rules.RETURN_SEATS, len(travellers)),
            route=f"{facility.code} {facility.name} - building {home[0]}"[:500],
            facility_id=facility.id, departs_at=departs, expected_at=expected,
            driver_name="", driver_phone="", created_at=now, created_by=actor[:64]))
    on_board = {line.resident_id for line in manifest.lines}
    added = []
    number = max((line.line_no for line in manifest.lines), default=0)
    for resident_id, order_id, room_id in travellers:
        if resident_id in on_board:
            continue
        number += 1
        line = TransferLine(line_no=number, resident_id=resident_id, order_id=order_id,
                            room_id=room_id)
        manifest.lines.append(line)
        added.append(line)
    session.flush()
    return added


def return_counts(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """People on their way home (or about to leave), arrived home, and missing."""
    moment = now or clock.now()
    pending, home, missing = repository.return_counts(session, due_before=moment - _grace())
    return {"returning": pending, "home": home, "missing": missing}


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


@dataclass(frozen=True)
class DispatchEdit:
    """Dispatch details to change (None: leave as it is)."""

    vehicle: str | None = None
    seats: int | None = None
    driver_name: str | None = None
    driver_phone: str | None = None
    route: str | None = None
    departs_at: datetime | None = None
    expected_at: datetime | None = None
    note: str | None = None


_LONGEST = {"vehicle": 32, "driver_name": 64, "route": 500, "note": 1000}


def _checked(m: TransferManifest, asked: dict[str, object]) -> dict[str, object]:
    """The asked values, trimmed and checked against the manifest; the first bad one is
    refused naming its field."""
    out = dict(asked)
    for name, longest in _LONGEST.items():
        if name in out:
            text = str(out[name]).strip()
            if len(text) > longest:
                raise ValidationFailedError(f"at most {longest} characters", field=name)
            if not text and name in ("vehicle", "driver_name"):
                raise ValidationFailedError(f"{name} cannot be blank", field=name)
            out[name] = text
    if "driver_phone" in out:
        number = rules.phone(str(out["driver_phone"]))
        if number is None:
            raise ValidationFailedError(
                f"{str(out['driver_phone'])[:20]!r} is not a phone number (5 to 15 digits)",
                field="driver_phone")
        out["driver_phone"] = number
    seats = out.get("seats")
    if isinstance(seats, int) and not len(m.lines) <= seats <= 100:
        raise ValidationFailedError(
            f"{len(m.lines)} people are on board: seats must be from {max(len(m.lines), 1)} "
            "to 100", field="seats")
    departs = out.get("departs_at", m.departs_at)
    expected = out.get("expected_at", m.expected_at)
    assert isinstance(departs, datetime) and isinstance(expected, datetime)
    if clock.aware(expected) <= clock.aware(departs):
        raise ValidationFailedError(
            "the expected arrival must come after the departure",
            field="expected_at" if "expected_at" in out else "departs_at")
    return out


def _shown(value: object) -> str:
    return clock.aware(value).isoformat() if isinstance(value, datetime) else str(value)


def edit_manifest(session: Session, *, manifest_id: int, edit: DispatchEdit, actor: str,
                  now: datetime | None = None) -> list[TransferManifestChange]:
    """Change a manifest's dispatch details, each change logged with who and when;
    refused whole, naming the field, when a value is bad (seats below the people on
    board, not a phone, an arrival before the departure) or the vehicle has left and the
    field is not the driver's phone or the note. Returns the changes (none when every
    value was already so)."""
    m = get_manifest(session, manifest_id=manifest_id)
    asked = {name: value for name in rules.DISPATCH_FIELDS
             if (value := getattr(edit, name)) is not None}
    if not asked:
        raise ValidationFailedError("name at least one detail to change", field="vehicle")
    moment = now or clock.now()
    changed = {name: value for name, value in _checked(m, asked).items()
               if _shown(getattr(m, name)) != _shown(value)}
    if m.departed_at is not None:
        for name in changed:
            if name not in rules.AFTER_DEPARTURE:
                raise ValidationFailedError(
                    f"manifest {m.id} has left: only the driver's phone and the note may "
                    f"change, not {name}", field=name)
    changes = [TransferManifestChange(manifest_id=m.id, field=name,
                                      old_value=_shown(getattr(m, name)),
                                      new_value=_shown(value), at=moment, actor=actor[:64])
               for name, value in changed.items()]
    for name, value in changed.items():
        setattr(m, name, value)
    repository.add_changes(session, changes)
    return changes


def dispatch_changes(session: Session, *, manifest_id: int
                     ) -> Sequence[TransferManifestChange]:
    """A manifest's dispatch changes, oldest first."""
    return repository.changes_of(session, manifest_id)


def driver_hours() -> int:
    """Hours before departure within which a manifest without a driver is flagged."""
    return get_settings().transfer_driver_hours


def without_driver(session: Session, *, now: datetime | None = None, limit: int = 50
                   ) -> Sequence[TransferManifest]:
    """Trips flagged for lacking a driver's contact (`rules.lacks_driver`)."""
    moment = now or clock.now()
    return repository.manifests(session, limit=limit, without_driver_before=moment
                                + timedelta(hours=driver_hours()))


def count_without_driver(session: Session, *, now: datetime | None = None) -> int:
    """How many trips lack a driver's contact now."""
    moment = now or clock.now()
    return repository.count_without_driver(
        session, before=moment + timedelta(hours=driver_hours()))
