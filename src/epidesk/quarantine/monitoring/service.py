"""Home health monitoring: who is under it (released, home, up to the order's
`monitoring_until`), their day's state (done, due, missed), daily checks recorded by
community workers and hotline operators, and the flag for a test raised by fever or a
symptom, lifted by a result sampled after it or cleared by a worker with a reason.
Session first, keyword-only arguments after; flush, never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from epidesk.errors import ValidationFailedError
from epidesk.kit import clock
from epidesk.kit.merges import Merge
from epidesk.quarantine.models import HomeCheck, QuarantineOrder
from epidesk.quarantine.monitoring import repository, rules
from epidesk.quarantine.orders import repository as orders
from epidesk.testing import repository as testing

RESULTS = ("positive", "negative")


def merge_person_rows(session: Session, merge: Merge) -> list[str]:
    """Monitoring's share of a merge: the merged record's checks move."""
    return [f"{repository.merge_rows(session, merge)} home checks moved"]


@dataclass(frozen=True)
class Monitored:
    """A person under home monitoring on a day."""

    order_id: int
    resident_id: int
    home_on: dt.date
    until: dt.date
    state: str
    needs_test: bool
    flagged_at: dt.datetime | None
    last: HomeCheck | None
    not_reached_today: int


def _home_on(o: QuarantineOrder, since: dict[int, dt.datetime]) -> dt.date | None:
    if o.id in since:
        return clock.local_day(clock.aware(since[o.id]))
    if o.form == "home" and o.released_on is not None:
        return o.released_on
    return None


def _still_open(session: Session, resident_id: int, flags: Sequence[HomeCheck]
                ) -> list[HomeCheck]:
    """The flags not cleared and later than the person's latest test result."""
    if not flags:
        return []
    first = clock.aware(flags[0].at)
    results = [clock.aware(sample.collected_at) for sample, tube in testing.samples_between(
        session, resident_id, first, first + dt.timedelta(days=3650)) if tube.outcome in RESULTS]
    latest = max(results, default=None)
    return [f for f in flags if latest is None or clock.aware(f.at) > latest]


def under_monitoring(session: Session, *, today: dt.date,
                     resident_ids: Sequence[int] | None = None) -> list[Monitored]:
    """Everyone home under monitoring on the day (of the residents given, else everyone),
    with the day's state and whether they need a test; those past `monitoring_until` are
    not listed."""
    found = repository.monitored_orders(session, day=today, resident_ids=resident_ids)
    ids = [o.id for o in found]
    since = repository.home_since(session, ids)
    checks = repository.checks_of_orders(session, ids, since=today - dt.timedelta(days=1))
    flags = repository.open_flags(session, ids)
    out = []
    for o in found:
        home_on = _home_on(o, since)
        if home_on is None or o.monitoring_until is None or home_on > today:
            continue
        own = [c for c in checks if c.order_id == o.id]
        reached = [c for c in own if c.reached]
        still = _still_open(session, o.resident_id, [f for f in flags if f.order_id == o.id])
        flagged_at = clock.aware(still[0].at) if still else None
        out.append(Monitored(
            order_id=o.id, resident_id=o.resident_id, home_on=home_on,
            until=o.monitoring_until, needs_test=flagged_at is not None, flagged_at=flagged_at,
            state=rules.day_state(today, home_on=home_on,
                                  reached_on=[c.checked_on for c in reached]),
            last=own[-1] if own else None,
            not_reached_today=sum(1 for c in own if not c.reached and c.checked_on == today)))
    return out


def counts(found: Sequence[Monitored]) -> dict[str, int]:
    """Under monitoring, checked today, missed yesterday, needing a test."""
    return {"monitored": len(found),
            "done": sum(1 for m in found if m.state == rules.DONE),
            "missed": sum(1 for m in found if m.state == rules.MISSED),
            "needs_test": sum(1 for m in found if m.needs_test)}


@dataclass(frozen=True)
class CheckIn:
    """One check: reached (temperature, symptoms) or not (with the reason)."""

    method: str
    reached: bool = True
    temperature: float | None = None
    symptoms: tuple[str, ...] = ()
    other_symptom: str = ""
    reason: str = ""
    checked_on: dt.date | None = None


def monitored_order(session: Session, *, resident_id: int, day: dt.date
                    ) -> tuple[QuarantineOrder, dt.date]:
    """The newest released order with home monitoring of the resident, and the day they
    came home; refused (422 naming resident_id) when they are not home yet, their order
    has no monitoring, or it has ended."""
    held = list(orders.orders_of_resident(session, resident_id))
    released = [o for o in held if o.state == "released" and o.monitoring_until is not None]
    if not released:
        active = next((o for o in held if o.state == "active"), None)
        if active is not None:
            raise ValidationFailedError(
                f"resident {resident_id} is still under order {active.id}: home monitoring "
                "starts once they are released and home", field="resident_id")
        raise ValidationFailedError(
            f"resident {resident_id} has no order with home health monitoring",
            field="resident_id")
    o = released[0]  # the newest
    assert o.monitoring_until is not None
    again = next((a for a in held if a.state == "active" and a.id > o.id), None)
    if again is not None:
        raise ValidationFailedError(
            f"resident {resident_id} is under order {again.id} again: no home monitoring "
            "while it is in force", field="resident_id")
    home_on = _home_on(o, repository.home_since(session, [o.id]))
    if home_on is None:
        raise ValidationFailedError(
            f"resident {resident_id} is not home yet: check them in at home from their return "
            "trip first", field="resident_id")
    if day > o.monitoring_until:
        raise ValidationFailedError(
            f"home monitoring of resident {resident_id} ended on {o.monitoring_until}",
            field="resident_id")
    return o, home_on


def record_check(session: Session, *, resident_id: int, check: CheckIn, actor: str,
                 now: dt.datetime | None = None) -> HomeCheck:
    """Record a check of someone home under monitoring (today unless a day is given: not
    after today, not before they came home); fever or a symptom flags a test. Refused,
    naming the field, changing nothing, when anything is wrong."""
    moment = now or clock.now()
    today = clock.local_day(moment)
    day = check.checked_on or today
    if check.method not in rules.METHODS:
        raise ValidationFailedError(f"{check.method!r} is not how a check is taken: one of "
                                    f"{', '.join(rules.METHODS)}", field="method")
    if day > today:
        raise ValidationFailedError("a check cannot be recorded ahead", field="checked_on")
    o, home_on = monitored_order(session, resident_id=resident_id, day=day)
    if day < home_on:
        raise ValidationFailedError(f"resident {resident_id} came home on {home_on}",
                                    field="checked_on")
    reading = rules.Reading(check.temperature, tuple(check.symptoms), check.other_symptom)
    if check.reached:
        wrong = rules.problem(reading)
        if wrong is not None:
            raise ValidationFailedError(wrong[1], field=wrong[0])
    else:
        if not check.reason.strip():
            raise ValidationFailedError("say why they could not be reached", field="reason")
        if check.temperature is not None or check.symptoms:
            raise ValidationFailedError("someone not reached has no reading",
                                        field="temperature")
    flagged = check.reached and rules.flags_test(reading)
    return repository.add(session, HomeCheck(
        order_id=o.id, resident_id=resident_id, checked_on=day, at=moment, by=actor[:64],
        method=check.method, reached=check.reached,
        reason="" if check.reached else check.reason.strip(),
        temperature=check.temperature if check.reached else None,
        symptoms=" ".join(check.symptoms) if check.reached else "",
        other_symptom=check.other_symptom.strip() if "other" in check.symptoms else "",
        flagged=flagged))


def clear_flag(session: Session, *, resident_id: int, reason: str, actor: str,
               now: dt.datetime | None = None) -> int:
    """Lift the resident's flags for a test still open (no result since) with a reason;
    returns how many (none when nothing was flagged: a repeat changes nothing)."""
    if not reason.strip():
        raise ValidationFailedError("say why no test is needed", field="reason")
    held = [o.id for o in orders.orders_of_resident(session, resident_id)]
    flags = _still_open(session, resident_id, repository.open_flags(session, held))
    moment = now or clock.now()
    for f in flags:
        f.cleared_at, f.cleared_by, f.cleared_reason = moment, actor[:64], reason.strip()
    session.flush()
    return len(flags)


def checks_of_resident(session: Session, *, resident_id: int) -> Sequence[HomeCheck]:
    """A resident's latest checks, newest first."""
    return repository.checks_of_resident(session, resident_id)


def checks_of_order(session: Session, *, order_id: int) -> Sequence[HomeCheck]:
    """An order's checks, newest first."""
    return repository.checks_of_order(session, order_id)
