"""Use cases of household supplies: the households served and their needs, requests from
every channel, the priority queue, delivery batches and their outcome at the door."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from sqlalchemy.orm import Session

from epidesk.config import get_settings
from epidesk.errors import (
    ConflictError,
    DomainError,
    NotFoundError,
    TooManyRequestsError,
    ValidationFailedError,
)
from epidesk.kit import clock, events, i18n, sealing
from epidesk.kit.i18n import _
from epidesk.messages import service as messages
from epidesk.people import repository as people_repository
from epidesk.policy.service import active_preset
from epidesk.quarantine.orders import repository as quarantine_orders
from epidesk.supplies import engine, repository
from epidesk.supplies.depots import repository as depot_repository
from epidesk.supplies.depots import service as depots
from epidesk.supplies.models import (
    Delivery,
    DeliveryBatch,
    HouseholdNeed,
    SupplyHousehold,
    SupplyRequest,
)
from epidesk.supplies.rules import (
    CHANNELS,
    DAYS_PER_DELIVERY,
    NEED_KINDS,
    PPE_PER_BATCH,
    URGENCIES,
    Flags,
    daily_needs,
    days_without,
    delivery_items,
    household_flags,
    normalise_phone,
    parse_items,
    score,
    stop_key,
)
from epidesk.zoning import repository as zoning_repository
from epidesk.zoning.lookup import service as zoning
from epidesk.zoning.rules import TREE_KINDS, parse_key

# Public requests one network address may file per hour.
PUBLIC_PER_HOUR = 5


def invalid(problems: list[tuple[str, str]]) -> ValidationFailedError:
    """A 422 problem naming each field that is wrong."""
    return ValidationFailedError(
        "; ".join(f"{name}: {message}" for name, message in problems),
        errors=[{"loc": ["body", name], "msg": message, "type": "value_error"}
                for name, message in problems])


# ---------------------------------------------------------------- households served


def restricted_households(session: Session, day: date) -> dict[int, tuple[str, date]]:
    """household -> (why it is served, since when) on a day: "zone" for a stay-home
    (high-risk) zone in force over its home, since the zone became high; "home_order" for a
    household with an active home-quarantine order in force, since the order's start; a
    household under both reads "zone"."""
    found: dict[int, tuple[str, date]] = {}
    for zone in zoning_repository.zones(session, preset=active_preset().name,
                                        triggers=False):
        if zone.level != "high" or zone.area_kind not in TREE_KINDS:
            continue
        since = min(zone.level_since, day)
        kind, ref = parse_key(zone.area_key)
        addresses = zoning_repository.addresses_of(session, kind, ref)
        homes = list(repository.households_at(session, addresses).values())
        for household in repository.inhabited(session, homes):
            earlier = found.get(household)
            if earlier is None or since < earlier[1]:
                found[household] = ("zone", since)
    for household, since in quarantine_orders.home_households(session, day).items():
        found.setdefault(household, ("home_order", since))
    return found


def household_restriction(session: Session, *, household_id: int, day: date,
                          today: date | None = None) -> tuple[str, date] | None:
    """One household's restriction on a day, by the rule of `restricted_households`:
    ("zone", since) under a stay-home zone in force over its home (for a day after today,
    unless the zone is planned to end before it), ("home_order", since) under a
    home-quarantine order in force on the day, None when it is not restricted."""
    found = people_repository.household(session, household_id)
    if found is None:
        return None
    today = today or clock.city_today()
    try:
        zones = zoning.zones_at(session, address_id=found.address_id).zones
    except NotFoundError:
        zones = []
    since = [min(z.level_since, day) for z in zones
             if z.level == "high" and z.area_kind in TREE_KINDS
             and (z.planned_end is None or z.planned_end >= day or day <= today)]
    if since:
        return "zone", min(since)
    home = quarantine_orders.home_households(session, day).get(household_id)
    return None if home is None else ("home_order", home)


def sync_roster(session: Session, *, day: date) -> dict[str, int]:
    """Bring the roster of households served up to a day: new ones start (from the day
    their restriction began), lifted ones end (kept with their history), returning ones
    start again. Idempotent."""
    wanted = restricted_households(session, day)
    rows = {r.household_id: r for r in repository.roster(session)}
    current = {h for h, r in rows.items()
               if r.restricted_until is None or r.restricted_until > day}
    new = sorted(set(wanted) - current)
    places = repository.doors(session, new)
    started = ended = 0
    for h in new:
        if h not in places:
            continue
        source, since = wanted[h]
        row = rows.get(h)
        if row is None:
            session.add(SupplyHousehold(household_id=h, building_id=places[h].building_id,
                                        source=source, restricted_since=since,
                                        restricted_until=None, last_delivery_on=None))
        else:
            row.restricted_since = max(since, row.restricted_until or since)
            row.restricted_until, row.source = None, source
        started += 1
    for h in sorted(current - set(wanted)):
        rows[h].restricted_until = day
        ended += 1
    session.flush()
    return {"started": started, "ended": ended, "served": len(current) + started - ended}


CURSOR = events.cursor_name("supplies", "zoning")


def follow_zones(session: Session, *, day: date) -> dict[str, int]:
    """Bring the roster up to date when zones changed since the cursor (idempotent:
    nothing new, nothing done)."""
    latest = repository.latest_zone_change(session)
    if latest <= events.position(session, CURSOR):
        return {"started": 0, "ended": 0}
    counts = sync_roster(session, day=day)
    events.advance(session, CURSOR, latest)
    return counts


@dataclass(frozen=True)
class NeedView:
    """A household's needs and place in the queue on a day."""

    household_id: int
    building_id: int
    flags: Flags
    daily: dict[str, float]
    days_without: int
    score: float
    open_requests: int
    recorded: list[str] = field(default_factory=list)


def needs_of(session: Session, rows: Sequence[SupplyHousehold], *, day: date
             ) -> list[NeedView]:
    """The needs, flags, days without a delivery and score of these households."""
    ids = [r.household_id for r in rows]
    people = repository.members(session, ids)
    recorded = repository.needs(session, ids, on=day)
    requests: dict[int, list[SupplyRequest]] = {}
    for q in repository.open_requests(session, ids):
        assert q.household_id is not None
        requests.setdefault(q.household_id, []).append(q)
    out = []
    for r in rows:
        kinds = [n.kind for n in recorded.get(r.household_id, [])]
        members = people.get(r.household_id, [])
        flags = household_flags(members, kinds, day)
        waited = days_without(day, r.restricted_since, r.last_delivery_on)
        asks = requests.get(r.household_id, [])
        urgency = max((q.urgency for q in asks), key=URGENCIES.index, default=None)
        out.append(NeedView(r.household_id, r.building_id, flags,
                            daily_needs(members, kinds, day), waited,
                            score(flags, waited, urgency), len(asks), kinds))
    return out


def overdue(session: Session, *, day: date, days: int | None = None) -> list[NeedView]:
    """Households served on a day that have gone more than N days (the setting
    `EPIDESK_SUPPLIES_OVERDUE_DAYS`) without a delivery, most urgent first."""
    limit = get_settings().supplies_overdue_days if days is None else days
    follow_zones(session, day=day)
    rows = [r for r in repository.roster(session, current_on=day)
            if days_without(day, r.restricted_since, r.last_delivery_on) > limit]
    return sorted(needs_of(session, rows, day=day), key=lambda v: (-v.score, v.household_id))


def record_need(session: Session, *, household_id: int, kind: str, note: str, actor: str
                ) -> HouseholdNeed:
    """A community worker's record of a household's need."""
    if kind not in NEED_KINDS:
        raise invalid([("kind", f"one of {', '.join(NEED_KINDS)}")])
    found = HouseholdNeed(household_id=household_id, kind=kind, note=note.strip()[:500],
                          recorded_by=actor, recorded_at=clock.now())
    session.add(found)
    session.flush()
    return found


def end_need(session: Session, *, need_id: int, household_id: int) -> HouseholdNeed:
    """A recorded need no longer in force, from today."""
    found = repository.need(session, need_id)
    if found is None or found.household_id != household_id:
        raise NotFoundError(f"no need {need_id}")
    found.ended_on = clock.city_today()
    session.flush()
    return found


# ---------------------------------------------------------------- requests


@dataclass(frozen=True)
class RequestInput:
    """A request as filed, before it is matched to a household."""

    items: list[str]
    urgency: str
    contact_name: str
    contact_phone: str
    address_text: str
    note: str = ""


def check_request(*, items: Sequence[str], urgency: str, contact_name: str,
                  contact_phone: str, address_text: str, note: str = "") -> RequestInput:
    """A request's fields checked (422 naming every field that is wrong)."""
    problems: list[tuple[str, str]] = []
    try:
        chosen = parse_items(items)
    except ValueError as exc:
        problems.append(("items", str(exc)))
        chosen = []
    if urgency not in URGENCIES:
        problems.append(("urgency", f"one of {', '.join(URGENCIES)}"))
    name = contact_name.strip()
    if not 1 <= len(name) <= 64:
        problems.append(("contact_name", "a name of 1 to 64 characters"))
    try:
        phone = normalise_phone(contact_phone)
    except ValueError as exc:
        problems.append(("contact_phone", str(exc)))
        phone = ""
    if len(address_text) > 300 or len(note) > 1000:
        problems.append(("note" if len(note) > 1000 else "address", "too long"))
    if problems:
        raise invalid(problems)
    return RequestInput(chosen, urgency, name, phone, address_text.strip(), note.strip())


def _reference() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "S-" + "".join(secrets.choice(alphabet) for _ in range(10))


def _district(session: Session, household_id: int | None) -> int | None:
    if household_id is None:
        return None
    found = repository.doors(session, [household_id]).get(household_id)
    return None if found is None else found.area.district_id


def file_request(session: Session, *, request: RequestInput, channel: str,
                 household_id: int | None, actor: str, source_key: str | None = None,
                 public: bool = False) -> SupplyRequest:
    """Record a request. A second one for the same household and items while the first is
    open is merged into it (counted, never doubled): staff get the open request back; a
    public filer gets a reference of their own that reads exactly like any other."""
    if channel not in CHANNELS:
        raise invalid([("channel", f"one of {', '.join(CHANNELS)}")])
    items = ",".join(request.items)
    moment = clock.now()
    first = None if household_id is None else repository.open_request(session, household_id,
                                                                      items)
    if first is not None:
        first.duplicates += 1
        if URGENCIES.index(request.urgency) > URGENCIES.index(first.urgency):
            first.urgency = request.urgency
        if not public:
            session.flush()
            return first
    found = SupplyRequest(
        reference=_reference(), channel=channel, household_id=household_id,
        district_id=_district(session, household_id), address_text=request.address_text,
        contact_name=request.contact_name, contact_phone=request.contact_phone, items=items,
        urgency=request.urgency, note=request.note,
        status="merged" if first is not None else "open", received_at=moment,
        received_on=clock.local_day(moment), entered_by=actor, duplicates=0,
        source_key=source_key)
    session.add(found)
    session.flush()
    return found


def source_key(address: str) -> str:
    """A keyed digest of a network address (the raw address is never stored)."""
    key = hashlib.sha256(sealing.secret_key() + b":supplies.source").digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def public_request(session: Session, *, request: RequestInput, community: str,
                   building: int, unit: int, flat: str, client: str) -> SupplyRequest:
    """A resident's request from the public page: accepted whatever address it names,
    matched to a household inside (by the address, else by the contact's phone); the
    answer is the same either way. Rate-limited per network address."""
    key = source_key(client)
    since = clock.now() - timedelta(hours=1)
    if repository.recent_from(session, key, since) >= PUBLIC_PER_HOUR:
        raise TooManyRequestsError(_("too many requests from this address; try again later "
                                     "or call the hotline"))
    household: int | None = None
    try:
        address = zoning.find_address(session, community=community, building=building,
                                      unit=unit, flat=flat)
        household = repository.households_at(session, [address]).get(address)
    except DomainError:
        household = None
    if household is None:
        found = repository.households_by_phone(session, request.contact_phone)
        household = found[0] if len(found) == 1 else None
    where = f"{community.strip()[:100]} {building}-{unit}-{flat.strip()[:8]}"
    filed = RequestInput(request.items, request.urgency, request.contact_name,
                         request.contact_phone, where, request.note)
    return file_request(session, request=filed, channel="web", household_id=household,
                        actor="public", source_key=key, public=True)


def staff_request(session: Session, *, request: RequestInput, household_id: int,
                  channel: str, actor: str) -> SupplyRequest:
    """A request an operator or community worker files on a household's behalf."""
    if repository.doors(session, [household_id]).get(household_id) is None:
        raise invalid([("household_id", f"no household {household_id}")])
    return file_request(session, request=request, channel=channel, household_id=household_id,
                        actor=actor)


def match_request(session: Session, *, request_id: int, household_id: int) -> SupplyRequest:
    """Staff match a request no household was found for."""
    found = repository.request(session, request_id)
    if found is None:
        raise NotFoundError(f"no request {request_id}")
    if found.household_id is not None:
        raise ConflictError("this request is matched already")
    found.household_id = household_id
    found.district_id = _district(session, household_id)
    first = repository.open_request(session, household_id, found.items)
    if first is not None and first.id != found.id:
        first.duplicates += 1
        found.status = "merged"
    session.flush()
    return found


def cancel_request(session: Session, *, request_id: int) -> SupplyRequest:
    """Cancel an open request."""
    found = repository.request(session, request_id)
    if found is None:
        raise NotFoundError(f"no request {request_id}")
    if found.status != "open":
        raise ConflictError(f"the request is {found.status}, not open")
    found.status = "cancelled"
    session.flush()
    return found


# ---------------------------------------------------------------- batches


@dataclass(frozen=True)
class BatchRun:
    """What building the day's batches made."""

    day: date
    batches: int
    deliveries: int
    held: int
    seconds: float


def due(session: Session, *, day: date) -> list[NeedView]:
    """The households to deliver to on a day: served, none planned already, and either a
    request open or their last delivery's supplies used up."""
    planned = repository.planned_households(session)
    rows = [r for r in repository.roster(session, current_on=day)
            if r.household_id not in planned]
    never = {r.household_id for r in rows if r.last_delivery_on is None}
    return [v for v in needs_of(session, rows, day=day)
            if v.open_requests or v.household_id in never
            or v.days_without >= DAYS_PER_DELIVERY]


def build_batches(session: Session, *, day: date, actor: str) -> BatchRun:
    """The day's prioritised batches per building, picked at the building's district's
    depot first-expired-first-out; a batch whose depot has no protective equipment or
    too little stock is held with that reason (nothing issued). Households queued
    already are not queued twice; each household planned gets a delivery-time notice."""
    started = clock.now()
    sync_roster(session, day=day)
    events.advance(session, CURSOR, repository.latest_zone_change(session))
    views = due(session, day=day)
    by_id = {v.household_id: v for v in views}
    places = repository.doors(session, list(by_id))
    ids = np.asarray([h for h in by_id if h in places], dtype=np.int64)
    plan = engine.plan(
        ids, np.asarray([places[h].building_id for h in ids], dtype=np.int64),
        np.asarray([stop_key(places[h].unit, places[h].floor, places[h].door) for h in ids],
                   dtype=np.int64),
        np.asarray([by_id[h].score for h in ids], dtype=np.float64))
    requests: dict[int, list[SupplyRequest]] = {}
    for q in repository.open_requests(session, [int(h) for h in ids]):
        assert q.household_id is not None
        requests.setdefault(q.household_id, []).append(q)
    offset = len(repository.batches(session, day=day))
    held = deliveries = 0
    for b in range(plan.batches):
        rows = np.flatnonzero(plan.batch == b)
        building = int(plan.batch_building[b])
        district = places[int(plan.household[rows[0]])].area.district_id
        batch = DeliveryBatch(on_day=day, building_id=building, depot_id=None,
                              rank=offset + b + 1, score=float(plan.batch_score[b]),
                              status="ready", hold_reason="", equipped=False,
                              created_at=started, created_by=actor)
        session.add(batch)
        session.flush()
        wanted: dict[str, int] = dict(PPE_PER_BATCH)
        for k, r in enumerate(rows):
            h = int(plan.household[r])
            items = delivery_items(by_id[h].daily)
            for q in requests.get(h, []):
                for item in q.items.split(","):
                    items.setdefault(item, 1)
            for item, n in items.items():
                wanted[item] = wanted.get(item, 0) + n
            first = min((q.id for q in requests.get(h, [])), default=None)
            session.add(Delivery(batch_id=batch.id, household_id=h, request_id=first,
                                 stop=k + 1, score=float(plan.score[r]),
                                 items=",".join(f"{i}:{n}" for i, n in sorted(items.items())),
                                 status="planned", reason=""))
            repository.serve_requests(session, [q.id for q in requests.get(h, [])],
                                      status="planned", served_on=None)
            deliveries += 1
        _pick(session, batch, district, wanted, day=day, actor=actor)
        held += batch.status == "held"
        session.flush()
        _notify(session, batch, actor=actor)
    return BatchRun(day, plan.batches, deliveries, held,
                    round((clock.now() - started).total_seconds(), 3))


def _pick(session: Session, batch: DeliveryBatch, district: int, wanted: dict[str, int], *,
          day: date, actor: str) -> None:
    """Pick the batch at its district's depot, or hold it saying why."""
    choices = depot_repository.depots(session, [district], kind="supplies")
    if not choices:
        batch.status, batch.hold_reason = "held", "no depot serves this district"
        return
    ppe = {i: n for i, n in wanted.items() if i in PPE_PER_BATCH}
    best = None
    for depot in choices:
        short = depots.short_items(session, depot.id, wanted, on=day)
        if not short:
            best = depot
            break
        if best is None and not depots.short_items(session, depot.id, ppe, on=day):
            best = depot
    if best is None:
        batch.depot_id = choices[0].id
        batch.status = "held"
        batch.hold_reason = "no protective equipment at the depot: volunteers are not sent out"
        return
    batch.depot_id = best.id
    short = depots.short_items(session, best.id, wanted, on=day)
    if short:
        batch.status = "held"
        batch.hold_reason = "short at the depot: " + ", ".join(
            f"{i} by {n}" for i, n in short.items())
        return
    depots.issue(session, depot_id=best.id, items=wanted, actor=actor, batch_id=batch.id,
                 on=day, reason=f"batch {batch.id}")
    batch.equipped = True


def release(session: Session, *, batch_id: int, actor: str) -> DeliveryBatch:
    """Try a held batch again (after a receipt or a transfer)."""
    batch = get_batch(session, batch_id)
    if batch.status != "held":
        raise ConflictError(f"the batch is {batch.status}, not held")
    district = repository.district_of_building(session, batch.building_id)
    wanted: dict[str, int] = dict(PPE_PER_BATCH)
    for d in batch.deliveries:
        for part in d.items.split(","):
            item, n = part.split(":")
            wanted[item] = wanted.get(item, 0) + int(n)
    batch.status, batch.hold_reason = "ready", ""
    _pick(session, batch, district or 0, wanted, day=clock.city_today(), actor=actor)
    session.flush()
    return batch


def _notify(session: Session, batch: DeliveryBatch, *, actor: str) -> None:
    """A delivery-time notice to each household of a ready batch (once per delivery)."""
    if batch.status != "ready":
        return
    for d in batch.deliveries:
        contact = repository.contact_of(session, d.household_id)
        language = contact[2] if contact and contact[2] in i18n.LANGUAGES else "zh"
        with i18n.using(language):
            body = _("Your supplies will be delivered to your door on %(day)s. A volunteer "
                     "will knock and leave them outside; please stay at home.",
                     day=i18n.format_day(batch.on_day))
        messages.enqueue(session, topic="supplies.delivery", reference=f"delivery:{d.id}",
                         body=body, language=language, actor=actor,
                         household_id=d.household_id)


def get_batch(session: Session, batch_id: int) -> DeliveryBatch:
    """One batch, or 404."""
    found = repository.batch(session, batch_id)
    if found is None:
        raise NotFoundError(f"no batch {batch_id}")
    return found


def get_delivery(session: Session, delivery_id: int) -> Delivery:
    """One delivery, or 404."""
    found = repository.delivery(session, delivery_id)
    if found is None:
        raise NotFoundError(f"no delivery {delivery_id}")
    return found


def confirm(session: Session, *, delivery_id: int, actor: str) -> Delivery:
    """Delivered at the door: the household's days without a delivery start again."""
    found = get_delivery(session, delivery_id)
    if found.status != "planned":
        raise ConflictError(f"the delivery is {found.status} already")
    if found.batch.status != "ready":
        raise ConflictError(f"the batch is {found.batch.status}: "
                            f"{found.batch.hold_reason or 'not out'}")
    moment = clock.now()
    found.status, found.closed_at, found.closed_by = "delivered", moment, actor
    row = repository.roster_row(session, found.household_id)
    if row is not None:
        row.last_delivery_on = clock.local_day(moment)
    asked = [q.id for q in repository.requests_of(session, found.household_id)
             if q.status == "planned"]
    repository.serve_requests(session, asked, status="delivered",
                              served_on=clock.local_day(moment))
    _close_batch(found.batch)
    session.flush()
    return found


def fail(session: Session, *, delivery_id: int, reason: str, actor: str) -> Delivery:
    """Not delivered, with the reason: the household goes back in the queue (its requests
    open again) for the next batches."""
    found = get_delivery(session, delivery_id)
    if not reason.strip():
        raise invalid([("reason", "say why the delivery failed")])
    if found.status != "planned":
        raise ConflictError(f"the delivery is {found.status} already")
    found.status, found.reason = "failed", reason.strip()[:500]
    found.closed_at, found.closed_by = clock.now(), actor
    asked = [q.id for q in repository.requests_of(session, found.household_id)
             if q.status == "planned"]
    repository.serve_requests(session, asked, status="open", served_on=None)
    _close_batch(found.batch)
    session.flush()
    return found


def _close_batch(batch: DeliveryBatch) -> None:
    if all(d.status != "planned" for d in batch.deliveries):
        batch.status = "done"
