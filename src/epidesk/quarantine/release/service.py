"""Releasing a resident from an order: the release rule of the order's category under its
preset, checked against the test results; a release without the required results is
refused naming what is missing, and changes nothing."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from epidesk.errors import ConflictError, ValidationFailedError
from epidesk.kit import clock
from epidesk.policy.rules import meets_release_ct
from epidesk.policy.schemas import Preset
from epidesk.policy.service import get_preset
from epidesk.quarantine import rules
from epidesk.quarantine.models import QuarantineOrder
from epidesk.quarantine.orders import repository
from epidesk.quarantine.orders import rules as order_rules
from epidesk.quarantine.orders import service as orders
from epidesk.quarantine.rules import LabResult, ReleaseDecision
from epidesk.quarantine.transfers import service as transfers
from epidesk.testing import repository as testing
from epidesk.tracing import repository as tracing


def results_of(session: Session, resident_id: int, *, since: date, preset: Preset
               ) -> list[LabResult]:
    """A resident's test results sampled on or after a day, oldest first (invalid tubes
    left out): positive or not, and whether the Ct values meet the release value."""
    out = []
    for sample, tube in reversed(testing.resident_samples(session, resident_id)):
        if tube.outcome not in ("positive", "negative"):
            continue
        day = clock.local_day(sample.collected_at)
        if day < since:
            continue
        genes = {"orf1ab": tube.ct_orf1ab, "n": tube.ct_n, "e": tube.ct_e}
        out.append(LabResult(
            sampled_at=sample.collected_at, sampled_on=day, positive=tube.outcome == "positive",
            meets_release_ct=tube.outcome == "negative" or meets_release_ct(genes, preset)))
    return out


def decide(session: Session, o: QuarantineOrder, *, today: date) -> ReleaseDecision:
    """Whether the order's resident may be released today, under the order's rule."""
    preset = get_preset(o.preset)
    values = json.loads(o.rule_values or "{}")
    rule = order_rules.release_rule(o.category, values, preset)
    tests = order_rules.tests_of(o.test_days)
    own = results_of(session, o.resident_id, since=o.start_on, preset=preset)
    if rule == order_rules.CASE_RELEASE:
        release = preset.cases.release
        return rules.release_case(results=own, consecutive=release.consecutive_tests,
                                  hours_apart=release.hours_apart,
                                  isolation_days=release.on_isolation_days,
                                  counted_from=o.counted_from)
    if rule == order_rules.SUB_CLOSE_RELEASE:
        sub = preset.contacts.sub_close.release
        assert sub is not None
        via = tracing.close_contact_via(session, o.resident_id)
        linked = None
        if via is not None:
            contact = tracing.contact_of(session, via)
            since = (contact.last_exposure_on + timedelta(days=1)) if contact else o.start_on
            linked = results_of(session, via, since=since, preset=preset)
        return rules.release_sub_close(
            on_day=sub.on_day, counted_from=o.counted_from, today=today, own=own,
            linked=linked, linked_tests=sub.linked_close_contact_negative_tests)
    if values.get("release_after_negative_test"):
        return rules.release_negative_on_last_day(tests=tests, results=own, end_on=o.end_on,
                                                  today=today, rule=rule)
    return rules.release_after_tests(rule=rule, tests=tests, results=own, end_on=o.end_on,
                                     today=today)


def check(session: Session, *, order_id: int, today: date | None = None) -> ReleaseDecision:
    """What a release of the order would rest on today, or what it lacks."""
    o = orders.get_order(session, order_id=order_id)
    return decide(session, o, today=today or clock.local_day(clock.now()))


def release(session: Session, *, order_id: int, actor: str, now: datetime | None = None
            ) -> QuarantineOrder:
    """Release the resident: the order ends, their room is freed, a trip home is planned
    from a facility (with the carers who went along; `transfers.plan_return`), and home
    monitoring follows when the order has it and they are home. Refused, changing
    nothing, when the order is not in force or the rule's required results are missing
    (the error names each)."""
    moment = now or clock.now()
    today = clock.local_day(moment)
    o = orders.get_order(session, order_id=order_id)
    if o.state != "active":
        raise ConflictError(f"order {order_id} is {o.state}, not in force")
    decision = decide(session, o, today=today)
    if not decision.allowed:
        raise ValidationFailedError(
            f"order {order_id} cannot be released under {decision.rule}: "
            + "; ".join(decision.missing), field="order_id", rule=decision.rule,
            missing=list(decision.missing))
    o.state = "released"
    o.released_on = today
    o.released_at = moment
    o.released_by = actor[:64]
    o.release_rule = decision.rule
    o.release_evidence = json.dumps({"results_on": [d.isoformat() for d in decision.used]})
    o.updated_at = moment
    rooms = list(repository.open_assignments_of_order(session, o.id))
    for assignment in rooms:
        assignment.to_at = moment
        assignment.ended_reason = "released"
    session.flush()
    repository.add_event(session, o, "released", moment)
    orders.notify(session, o, actor)
    transfers.plan_return(session, order=o, rooms=rooms, actor=actor, now=moment)
    return o


def low_risk_check(session: Session, *, resident_id: int, arrived_on: date, preset: Preset
                   ) -> ReleaseDecision:
    """Someone from a low-risk area: whether the preset's tests (2 within 3 days under
    the 9th) were taken and negative; no quarantine."""
    rule = preset.quarantine.categories.get("low_risk_area")
    if rule is None or not rule.applies or rule.tests is None:
        return ReleaseDecision("quarantine.categories.low_risk_area", True)
    own = results_of(session, resident_id, since=arrived_on, preset=preset)
    return rules.low_risk_tests_met(own, tests=rule.tests.tests,
                                    within_days=rule.tests.within_days, since=arrived_on)


def overdue_count(session: Session, *, today: date | None = None) -> int:
    """How many people are held past their order's end."""
    return orders.count_overdue(session, today=today)
