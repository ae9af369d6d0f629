"""Orders: made and kept in step with tracing's contacts and the cases (pulled after their
cursors), for visitors of risk zones, changed only with a reason, delivered, placed in a
room, withdrawn with their evidence. Session first, keyword-only arguments after; flush,
never commit. (Release: `release/service.py`.)"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy.orm import Session

from epidesk.cases import repository as cases
from epidesk.errors import ConflictError, NotFoundError, ValidationFailedError
from epidesk.kit import clock, events, i18n
from epidesk.messages import service as messages
from epidesk.people import repository as people
from epidesk.policy.schemas import Preset
from epidesk.policy.service import active_preset, get_preset
from epidesk.quarantine import rules
from epidesk.quarantine.models import (
    OrderChange,
    OrderDelivery,
    QuarantineOrder,
    RoomAssignment,
)
from epidesk.quarantine.orders import repository
from epidesk.quarantine.orders import rules as order_rules
from epidesk.quarantine.rules import OrderPlan
from epidesk.tracing import repository as tracing
from epidesk.zoning import service as zoning

CONTACTS_CURSOR = events.cursor_name("quarantine", "contacts")
CASES_CURSOR = events.cursor_name("quarantine", "cases")
NOTICE = "quarantine.order_notice"
VISITOR_CATEGORIES = {"visited_high_risk_area": "high", "visited_medium_risk_area": "medium"}
DELIVERY_METHODS = ("in_person", "phone", "letter", "on_behalf")


@dataclass
class SyncResult:
    """What a sync did: orders made, changed, withdrawn and superseded."""

    made: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    withdrawn: list[int] = field(default_factory=list)
    superseded: list[int] = field(default_factory=list)
    residents: int = 0

    def as_dict(self) -> dict[str, int]:
        """Counts by what happened."""
        return {"residents": self.residents, "made": len(self.made),
                "changed": len(self.changed), "withdrawn": len(self.withdrawn),
                "superseded": len(self.superseded)}


def get_order(session: Session, *, order_id: int) -> QuarantineOrder:
    """An order, or NotFoundError."""
    found = repository.order(session, order_id)
    if found is None:
        raise NotFoundError(f"no order {order_id}")
    return found


def notify(session: Session, o: QuarantineOrder, actor: str) -> None:
    """Queue the notice of this version of the order, in the resident's language."""
    resident = people.resident(session, o.resident_id)
    if resident is None:
        return
    language = resident.language if resident.language in i18n.LANGUAGES else i18n.DEFAULT
    with i18n.using(language):
        body = order_rules.notice(
            name=resident.name, order_id=o.id, version=o.version, category=o.category,
            form=o.form, start_on=o.start_on, end_on=o.end_on,
            monitoring_until=o.monitoring_until, tests=order_rules.tests_of(o.test_days),
            state=o.state)
    reference = f"order:{o.id}:v{o.version}" + ("" if o.state == "active" else f":{o.state}")
    messages.enqueue(session, topic=NOTICE, reference=reference, body=body,
                     language=language, actor=actor, resident_id=o.resident_id)


def _new_order(session: Session, plan: OrderPlan, *, resident_id: int, household_id: int,
               basis: str, basis_id: int, preset: Preset, actor: str, now: datetime
               ) -> QuarantineOrder:
    o = QuarantineOrder(
        resident_id=resident_id, household_id=household_id, kind=plan.kind,
        category=plan.category, basis=basis, basis_id=basis_id, form=plan.form,
        preset=preset.name, rule=plan.rule, rule_values=json.dumps(plan.rule_values),
        counted_from=plan.counted_from, start_on=plan.start_on, end_on=plan.end_on,
        monitoring_until=plan.monitoring_until, test_days=order_rules.tests_json(plan.tests),
        state="active", version=1, created_at=now, updated_at=now, created_by=actor[:64])
    session.add(o)
    session.flush()
    repository.add_event(session, o, "made", now)
    notify(session, o, actor)
    return o


def _apply_plan(session: Session, o: QuarantineOrder, plan: OrderPlan, *, reason: str,
                actor: str, now: datetime, decided: bool = False) -> bool:
    """Bring an order in step with a recomputed plan (its evidence changed); an end date
    changed by hand is kept, unless an investigator decided the contact's end (`decided`),
    which then moves it as a shortening or extension. Returns whether anything changed."""
    manual = any(c.kind in ("extended", "shortened") for c in o.changes)
    end = o.end_on if manual and not decided else plan.end_on
    tests = order_rules.tests_json(plan.tests)
    if (o.form, o.counted_from, o.end_on, o.test_days) == (plan.form, plan.counted_from, end,
                                                           tests):
        return False
    kind = "recomputed"
    if decided and end != o.end_on and (o.form, o.counted_from) == (plan.form,
                                                                     plan.counted_from):
        kind = rules.changed_end_kind(o.end_on, end)
    o.changes.append(OrderChange(version=o.version + 1, kind=kind,
                                 previous_end_on=o.end_on, end_on=end, previous_form=o.form,
                                 form=plan.form, reason=reason, at=now, actor=actor[:64]))
    o.form, o.counted_from, o.start_on, o.end_on = plan.form, plan.counted_from, \
        plan.start_on, end
    o.monitoring_until, o.test_days = plan.monitoring_until, tests
    o.rule, o.rule_values = plan.rule, json.dumps(plan.rule_values)
    o.version += 1
    o.updated_at = now
    session.flush()
    repository.add_event(session, o, "changed", now)
    notify(session, o, actor)
    return True


def _end(session: Session, o: QuarantineOrder, state: str, reason: str, *, actor: str,
         now: datetime) -> None:
    """Withdraw or supersede an order, and free its room."""
    o.state = state
    o.withdrawn_at = now
    o.withdrawal_reason = reason
    o.updated_at = now
    for assignment in repository.open_assignments_of_order(session, o.id):
        assignment.to_at = now
        assignment.ended_reason = state
    session.flush()
    repository.add_event(session, o, state, now)
    if state == "withdrawn":
        notify(session, o, actor)


def _desired(session: Session, resident_id: int, preset: Preset
             ) -> tuple[str, int, OrderPlan] | None:
    """The order a resident should be under from tracing and cases: (basis, basis id,
    plan), an active case first; None when nothing calls for one."""
    resident = people.resident(session, resident_id)
    if resident is None or resident.merged_into_id is not None:
        return None
    household = people.household(session, resident.household_id)
    suitable = bool(household and household.home_suitable)
    episodes = [e for e in cases.resident_episodes(session, resident_id) if e.status == "active"]
    if episodes:
        episode = episodes[0]
        day = episode.isolation_date or episode.reported_on
        return "case", episode.id, order_rules.case_plan(day, preset, home_suitable=suitable)
    contact = tracing.contact_of(session, resident_id)
    if contact is None or contact.status != "active":
        return None
    plan = order_rules.contact_plan(contact.tier, contact.last_exposure_on, preset,
                                    home_suitable=suitable)
    if plan is not None and contact.decided_end_on is not None:
        # An investigator decided the end (an appeal, a review): it replaces the plan's.
        plan = replace(plan, end_on=max(contact.decided_end_on, plan.start_on))
    return ("contact", contact.id, plan) if plan is not None else None


def _end_decided(session: Session, basis: str, resident_id: int) -> bool:
    """Whether an investigator decided the end of the contact's quarantine."""
    contact = tracing.contact_of(session, resident_id) if basis == "contact" else None
    return contact is not None and contact.decided_end_on is not None


def settle_resident(session: Session, resident_id: int, *, preset: Preset, actor: str,
                    now: datetime, result: SyncResult) -> None:
    """Make a resident's orders what tracing and cases now call for: a new order, an
    order brought in step, a withdrawn one (its contact or case withdrawn), or one
    superseded by a stronger order (a contact who became a case). Where an investigator's
    decision on the contact holds (an appeal, a review), it is the reason given."""
    desired = _desired(session, resident_id, preset)
    decided = tracing.decision_note(session, resident_id)

    def why(text: str, basis: str) -> str:
        return f"{text}: {decided}" if decided and basis == "contact" else text
    current = repository.active_orders_of(session, [resident_id]).get(resident_id, [])
    kept: QuarantineOrder | None = None
    for o in current:
        if o.basis == "zone":
            if desired is not None and rules.stronger(desired[2].category, o.category):
                _end(session, o, "superseded", "a stronger order applies", actor=actor, now=now)
                result.superseded.append(o.id)
            continue
        # The same evidence and category: kept and brought in step. A sub-close contact
        # promoted to close gets a new order (the category's rule differs).
        if desired is not None and (o.basis, o.basis_id, o.kind, o.category) == (
                desired[0], desired[1], desired[2].kind, desired[2].category):
            kept = o
            continue
        if desired is not None:
            _end(session, o, "superseded", why(f"replaced by the order of {desired[0]} "
                                               f"{desired[1]}", desired[0]),
                 actor=actor, now=now)
            result.superseded.append(o.id)
        else:
            _end(session, o, "withdrawn", why(f"the {o.basis} it rested on was withdrawn",
                                              o.basis), actor=actor, now=now)
            result.withdrawn.append(o.id)
    if desired is None:
        return
    basis, basis_id, plan = desired
    if kept is not None:
        if _apply_plan(session, kept, plan, reason=why(f"the {basis}'s evidence changed", basis),
                       actor=actor, now=now, decided=_end_decided(session, basis, resident_id)):
            result.changed.append(kept.id)
        return
    resident = people.resident(session, resident_id)
    assert resident is not None
    made = _new_order(session, plan, resident_id=resident_id,
                      household_id=resident.household_id, basis=basis, basis_id=basis_id,
                      preset=preset, actor=actor, now=now)
    result.made.append(made.id)


def sync_orders(session: Session, *, actor: str, preset: Preset | None = None,
                everyone: bool = False, now: datetime | None = None) -> SyncResult:
    """Follow tracing's contact events and the case events after quarantine's cursors and
    settle the orders of every resident concerned (with `everyone`, of every active
    contact and case and every active order). Pulling twice finds nothing new."""
    chosen = preset or active_preset()
    moment = now or clock.now()
    contacts_to = tracing.latest_contact_event_id(session)
    cases_to = cases.latest_event_id(session)
    residents: set[int] = set()
    if everyone:
        residents.update(tracing.active_contact_residents(session))
        residents.update(o.resident_id for o in repository.orders(
            session, state="active", limit=10**9))
        residents.update(row[1] for row in cases.active_episode_rows(session))
    else:
        residents.update(tracing.residents_with_contact_events(
            session, after=events.position(session, CONTACTS_CURSOR), up_to=contacts_to))
        changed = cases.episodes_changed(session, after=events.position(session, CASES_CURSOR),
                                         up_to=cases_to)
        residents.update(row[1] for row in cases.episode_rows(session, changed))
    result = SyncResult(residents=len(residents))
    for resident_id in sorted(residents):
        settle_resident(session, resident_id, preset=chosen, actor=actor, now=moment,
                        result=result)
    events.advance(session, CONTACTS_CURSOR, contacts_to)
    events.advance(session, CASES_CURSOR, cases_to)
    return result


def visitor_order(session: Session, *, resident_id: int, zone_id: int, left_on: date,
                  actor: str, now: datetime | None = None) -> QuarantineOrder:
    """An order for a resident who visited a high- or medium-risk zone, counted from the
    day they left it, under the zone's preset; refused when the zone's level calls for no
    quarantine, or the resident is already under an equal or stronger order."""
    moment = now or clock.now()
    resident = people.resident(session, resident_id)
    if resident is None:
        raise NotFoundError(f"no resident {resident_id}")
    zone = zoning.get_zone(session, zone_id=zone_id)
    category = next((c for c, level in VISITOR_CATEGORIES.items() if level == zone.level), None)
    if category is None:
        raise ValidationFailedError(f"zone {zone_id} is {zone.level}-risk: visitors of it are "
                                    "not quarantined", field="zone_id")
    if left_on > clock.local_day(moment):
        raise ValidationFailedError("the day the area was left is in the future",
                                    field="left_on")
    if left_on < zone.opened_on:
        raise ValidationFailedError(f"zone {zone_id} opened on {zone.opened_on.isoformat()}, "
                                    "after that day", field="left_on")
    preset = get_preset(zone.preset)
    household = people.household(session, resident.household_id)
    plan = order_rules.category_plan(category, left_on, preset,
                                     home_suitable=bool(household and household.home_suitable))
    if plan is None:
        raise ValidationFailedError(f"{preset.name} sets no quarantine for {category}",
                                    field="zone_id")
    for o in repository.active_orders_of(session, [resident_id]).get(resident_id, []):
        if not rules.stronger(category, o.category):
            raise ConflictError(f"resident {resident_id} is already under order {o.id} "
                                f"({o.category})")
    made = _new_order(session, plan, resident_id=resident_id,
                      household_id=resident.household_id, basis="zone", basis_id=zone_id,
                      preset=preset, actor=actor, now=moment)
    for o in repository.active_orders_of(session, [resident_id]).get(resident_id, []):
        if o.id != made.id:
            _end(session, o, "superseded", f"replaced by order {made.id}", actor=actor,
                 now=moment)
    return made


def change_end(session: Session, *, order_id: int, end_on: date, reason: str, actor: str,
               now: datetime | None = None) -> QuarantineOrder:
    """Extend or shorten an order, only with a written reason; the earlier end stays in
    the order's history, and home health monitoring after it moves with it. Refused
    (nothing changed) without a reason, for the same end, an end before the start, or an
    order no longer in force."""
    moment = now or clock.now()
    o = get_order(session, order_id=order_id)
    if o.state != "active":
        raise ConflictError(f"order {order_id} is {o.state}; only an order in force changes")
    if not reason.strip():
        raise ValidationFailedError("a change of the end date needs a reason", field="reason")
    if end_on < o.start_on:
        raise ValidationFailedError(f"the end {end_on.isoformat()} is before the order's "
                                    f"start {o.start_on.isoformat()}", field="end_on")
    try:
        kind = rules.changed_end_kind(o.end_on, end_on)
    except ValueError as exc:
        raise ValidationFailedError(str(exc), field="end_on") from None
    o.changes.append(OrderChange(version=o.version + 1, kind=kind, previous_end_on=o.end_on,
                                 end_on=end_on, reason=reason.strip(), at=moment,
                                 actor=actor[:64]))
    o.monitoring_until = order_rules.moved_monitoring(o.monitoring_until, o.end_on, end_on)
    o.end_on = end_on
    o.version += 1
    o.updated_at = moment
    session.flush()
    repository.add_event(session, o, kind, moment)
    notify(session, o, actor)
    return o


def record_delivery(session: Session, *, order_id: int, method: str, actor: str,
                    received_by: str | None = None, relation: str | None = None,
                    delivered_at: datetime | None = None) -> OrderDelivery:
    """Record how the order's current version reached the resident; delivered on their
    behalf needs who received it and how they relate."""
    o = get_order(session, order_id=order_id)
    if method not in DELIVERY_METHODS:
        raise ValidationFailedError(f"unknown method {method!r}; one of "
                                    + ", ".join(DELIVERY_METHODS), field="method")
    if method == "on_behalf" and not (received_by and received_by.strip()
                                      and relation and relation.strip()):
        raise ValidationFailedError("delivered on someone's behalf: say who received it and "
                                    "how they relate", field="received_by")
    moment = delivered_at or clock.now()
    if moment > clock.now():
        raise ValidationFailedError("the delivery time is in the future", field="delivered_at")
    row = OrderDelivery(version=o.version, method=method,
                        received_by=(received_by or "").strip() or None,
                        relation=(relation or "").strip() or None, delivered_at=moment,
                        recorded_by=actor[:64])
    o.deliveries.append(row)
    session.flush()
    return row


def assign_room(session: Session, *, order_id: int, room_id: int, actor: str,
                placement_run_id: int | None = None, now: datetime | None = None
                ) -> RoomAssignment:
    """Put the resident of a centralized order in a room: the facility must be eligible
    and of the order's use (cases and contacts never share a facility), the room in
    service with a free bed; a room they were in is left."""
    from epidesk.quarantine import service as facilities

    moment = now or clock.now()
    o = get_order(session, order_id=order_id)
    if o.state != "active" or o.form != rules.CENTRALIZED:
        raise ConflictError(f"order {order_id} is not a centralized order in force")
    found = repository.room_with_facility(session, room_id)
    if found is None:
        raise NotFoundError(f"no room {room_id}")
    room, facility = found
    if facility.use != rules.use_of_order(o.kind):
        raise ConflictError(f"facility {facility.code} is for {facility.use}; this "
                            f"{o.kind} order cannot be placed there")
    if repository.order_kinds_in_facility(session, facility.id) - {o.kind}:
        raise ConflictError(f"facility {facility.code} holds people under another kind of "
                            "order: cases and contacts never share a facility")
    day = clock.local_day(moment)
    if facility.id not in {f.id for f in facilities.eligible_facilities(session, day)}:
        raise ConflictError(f"facility {facility.code} takes no new placements on "
                            f"{day.isoformat()} (see its inspections)")
    if not room.in_service or repository.people_in_room(session, room.id, moment) >= room.beds:
        raise ConflictError(f"room {room.number} of {facility.code} has no free bed")
    for current in repository.open_assignments_of_order(session, o.id):
        current.to_at = moment
        current.ended_reason = "moved"
    row = RoomAssignment(order_id=o.id, resident_id=o.resident_id, room_id=room.id,
                         role="ordered", from_at=moment, placement_run_id=placement_run_id,
                         assigned_by=actor[:64])
    session.add(row)
    session.flush()
    return row


def overdue_orders(session: Session, *, today: date | None = None, limit: int = 100,
                   offset: int = 0) -> list[tuple[QuarantineOrder, int]]:
    """Orders in force past their end date (people held too long), longest overdue first,
    with the days overdue."""
    day = today or clock.local_day(clock.now())
    found = repository.orders(session, state=None, overdue_on=day, limit=limit, offset=offset)
    return [(o, rules.overdue(o.end_on, day, o.state)) for o in found]


def count_overdue(session: Session, *, today: date | None = None) -> int:
    """How many orders in force are past their end date."""
    return repository.count_overdue(session, on=today or clock.local_day(clock.now()))


def list_orders(session: Session, *, state: str | None = "active", limit: int = 100,
                offset: int = 0, resident_ids: list[int] | None = None
                ) -> list[QuarantineOrder]:
    """A page of orders, newest first."""
    return list(repository.orders(session, state=state, resident_ids=resident_ids,
                                  limit=limit, offset=offset))


def orders_of_resident(session: Session, *, resident_id: int) -> list[QuarantineOrder]:
    """A resident's orders, newest first."""
    return list(repository.orders_of_resident(session, resident_id))


def where_now(session: Session, *, resident_ids: list[int]) -> dict[int, tuple[str, str, str]]:
    """(facility code, facility name, room number) of each resident in a room now."""
    return {r: (f.code, f.name, room.number)
            for r, (_, room, f) in repository.current_rooms(session, resident_ids).items()}


def explanation(o: QuarantineOrder) -> str:
    """Why the order says what it says, in the current language."""
    return order_rules.explain(
        category=o.category, form=o.form, rule=o.rule, preset=o.preset,
        counted_from=o.counted_from, end_on=o.end_on, monitoring_until=o.monitoring_until,
        test_days=[t.day for t in order_rules.tests_of(o.test_days)])


def occupancy_now(session: Session) -> tuple[int, int]:
    """(people in rooms now, beds in service of open facilities)."""
    return repository.occupancy_totals(session)


def active_counts(session: Session) -> dict[str, int]:
    """Orders in force per form."""
    return repository.count_active(session)
