"""Quarantine rules, pure: the inspection checklist and eligibility, the room reserve, the
facility a person may be placed in, and every release rule of the presets."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from epidesk.kit import i18n
from epidesk.kit.i18n import _l
from epidesk.quarantine.models import ISOLATION_KINDS

# ------------------------------------------------------------------ facilities

QUARANTINE = "quarantine"
ISOLATION = "isolation"
CENTRALIZED = "centralized"
HOME = "home"

FACILITY_KIND_LABELS = i18n.register_labels("facility_kind", {
    "hotel": _l("hotel"), "dormitory": _l("dormitory"), "apartment": _l("apartment block"),
    "designated_hospital": _l("designated hospital"),
    "makeshift_hospital": _l("makeshift hospital"), "other": _l("other site"),
})
FACILITY_STATUS_LABELS = i18n.register_labels("facility_status", {
    "open": _l("open"), "preparing": _l("preparing"), "suspended": _l("suspended"),
    "closed": _l("closed"),
})
ROOM_TYPE_LABELS = i18n.register_labels("room_type", {
    "single": _l("single room"), "double": _l("double room"), "family": _l("family room"),
    "multi_person": _l("multi-person room"), "accessible": _l("accessible room"),
    "ward": _l("ward"),
})


def use_allowed(kind: str, use: str) -> bool:
    """Whether a facility of this kind may serve this use: isolation (cases) only in
    designated or makeshift hospitals; quarantine (contacts) anywhere else."""
    return (kind in ISOLATION_KINDS) == (use == ISOLATION)


def use_of_order(kind: str) -> str:
    """The facility use an order needs: an isolation order goes to an isolation site."""
    return ISOLATION if kind == ISOLATION else QUARANTINE


def open_on(opened_on: dt.date, closed_on: dt.date | None, status: str, day: dt.date) -> bool:
    """Whether a facility takes people on a day (status open, within its dates)."""
    return status == "open" and opened_on <= day and (closed_on is None or day < closed_on)


def reserve_target(residents: int, rooms_per_10k: int) -> int:
    """The rooms a district should hold in reserve: rooms_per_10k per 10,000 residents,
    rounded up."""
    return math.ceil(residents * rooms_per_10k / 10_000)


# ------------------------------------------------------------------ inspections

CHECKLIST = i18n.register_labels("inspection_item", {
    "doors_windows": _l("doors and windows close and lock"),
    "bedding": _l("clean bedding"),
    "mould": _l("no mould"),
    "heating_cooling": _l("heating or cooling works"),
    "hot_water": _l("hot water"),
    "meals": _l("meals delivered"),
    "medical_access": _l("medical access"),
    "phone_signal": _l("phone signal"),
    "separate_areas": _l("separate quarantine area"),
    "staff_hygiene_transit": _l("staff area and hygiene transit"),
})


@dataclass(frozen=True)
class InspectionFacts:
    """What eligibility needs of a facility's latest inspection."""

    inspected_on: dt.date
    passed: bool
    failed_items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Eligibility:
    """Whether a facility may take new placements on a day, and if not, why (a key)."""

    eligible: bool
    reason: str  # "", "not_open", "never_inspected", "failed", "inspection_expired"
    failed_items: tuple[str, ...] = ()
    expires_on: dt.date | None = None


INELIGIBLE_REASONS = i18n.register_labels("ineligible_reason", {
    "not_open": _l("not open on that day"),
    "never_inspected": _l("never inspected"),
    "failed": _l("failed its latest inspection"),
    "inspection_expired": _l("latest inspection too old"),
})


def inspection_passed(items: Mapping[str, bool]) -> bool:
    """An inspection passes only when every checklist item was checked and passed."""
    return set(items) >= set(CHECKLIST) and all(items.values())


def missing_items(items: Mapping[str, bool]) -> list[str]:
    """The checklist items an inspection left out."""
    return [key for key in CHECKLIST if key not in items]


def eligibility(latest: InspectionFacts | None, *, day: dt.date, valid_days: int,
                is_open: bool = True) -> Eligibility:
    """A facility is eligible for new placements when open, and its latest inspection
    passed and is at most `valid_days` old on the day."""
    if not is_open:
        return Eligibility(False, "not_open")
    if latest is None:
        return Eligibility(False, "never_inspected")
    expires = latest.inspected_on + dt.timedelta(days=valid_days)
    if not latest.passed:
        return Eligibility(False, "failed", latest.failed_items)
    if day > expires:
        return Eligibility(False, "inspection_expired", expires_on=expires)
    return Eligibility(True, "", expires_on=expires)


# ------------------------------------------------------------------ orders

CATEGORY_LABELS = i18n.register_labels("order_category", {
    "close_contact": _l("close contact"), "sub_close_contact": _l("sub-close contact"),
    "visited_high_risk_area": _l("visited a high-risk area"),
    "visited_medium_risk_area": _l("visited a medium-risk area"), "case": _l("case"),
})
FORM_LABELS = i18n.register_labels("order_form", {
    CENTRALIZED: _l("centralized quarantine"), HOME: _l("home quarantine"),
    "home_health_monitoring": _l("home health monitoring"),
})
ORDER_STATE_LABELS = i18n.register_labels("order_state", {
    "active": _l("in force"), "released": _l("released"), "withdrawn": _l("withdrawn"),
    "superseded": _l("superseded"),
})
DELIVERY_METHODS = i18n.register_labels("delivery_method", {
    "in_person": _l("in person"), "phone": _l("by phone"), "letter": _l("by letter"),
    "on_behalf": _l("to someone on their behalf"),
})
# Which order wins when a resident has two: a case's isolation over any quarantine, a
# close contact's over a sub-close contact's, and so on.
CATEGORY_RANK = {"case": 0, "close_contact": 1, "visited_high_risk_area": 2,
                 "sub_close_contact": 3, "visited_medium_risk_area": 4}


@dataclass(frozen=True)
class StagePlan:
    """One stage of an order: where, first and last day (inclusive)."""

    place: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class OrderTest:
    """A test the order requires: day n counted from the order's day 0, its date, where."""

    day: int
    due_on: dt.date
    place: str

    def as_dict(self) -> dict[str, object]:
        """The test as JSON."""
        return {"day": self.day, "due_on": self.due_on.isoformat(), "place": self.place}


@dataclass(frozen=True)
class OrderPlan:
    """What an order says: form, dates, tests, home monitoring, and the rule behind it."""

    kind: str
    category: str
    form: str
    counted_from: dt.date
    start_on: dt.date
    end_on: dt.date
    monitoring_until: dt.date | None
    tests: tuple[OrderTest, ...]
    rule: str
    rule_values: Mapping[str, object] = field(default_factory=dict)


def restriction_and_monitoring(stages: Sequence[StagePlan]) -> tuple[dt.date, dt.date | None]:
    """The last day of restriction (quarantine at a site or at home) and the last day of
    home health monitoring after it (None when the plan has none)."""
    restricted = [s for s in stages if s.place != "home_health_monitoring"]
    monitoring = [s for s in stages if s.place == "home_health_monitoring"]
    end = restricted[-1].end if restricted else stages[-1].end
    return end, (monitoring[-1].end if monitoring else None)


def first_form(stages: Sequence[StagePlan]) -> str:
    """The order's form: the place of its first stage."""
    return stages[0].place


def stronger(category: str, other: str) -> bool:
    """Whether an order of `category` prevails over one of `other`."""
    return CATEGORY_RANK.get(category, 9) < CATEGORY_RANK.get(other, 9)


def changed_end_kind(previous: dt.date, new: dt.date) -> str:
    """"extended" or "shortened"; raises ValueError when the end does not move."""
    if new == previous:
        raise ValueError("the new end date is the current one")
    return "extended" if new > previous else "shortened"


def overdue(end_on: dt.date, today: dt.date, state: str) -> int:
    """Days a person is held past the order's end (0 when not overdue)."""
    return max(0, (today - end_on).days) if state == "active" else 0


# ------------------------------------------------------------------ release


@dataclass(frozen=True)
class LabResult:
    """One test of a person: when sampled, positive or not, and whether its Ct values
    meet the release threshold (every gene undetected or at/above it)."""

    sampled_at: dt.datetime
    sampled_on: dt.date
    positive: bool
    meets_release_ct: bool


@dataclass(frozen=True)
class ReleaseDecision:
    """Whether a release is allowed under a rule; `missing` names what is lacking."""

    rule: str
    allowed: bool
    missing: tuple[str, ...] = ()
    used: tuple[dt.date, ...] = ()


def _on(results: Sequence[LabResult], day: dt.date) -> list[LabResult]:
    return [r for r in results if r.sampled_on == day]


def release_after_tests(*, rule: str, tests: Sequence[OrderTest], results: Sequence[LabResult],
                        end_on: dt.date, today: dt.date) -> ReleaseDecision:
    """The general rule (close contacts under the 9th and 20 measures, visitors of high- and
    medium-risk areas): released from the end date, every required test up to it taken
    and negative, no positive result since the order began."""
    missing: list[str] = []
    if today < end_on:
        missing.append(f"the order ends on {end_on.isoformat()}")
    used: list[dt.date] = []
    for test in tests:
        if test.due_on > end_on:
            continue
        found = _on(results, test.due_on)
        if not found:
            missing.append(f"no result of the day-{test.day} test ({test.due_on.isoformat()})")
        elif any(r.positive for r in found):
            missing.append(f"the day-{test.day} test ({test.due_on.isoformat()}) is positive")
        else:
            used.append(test.due_on)
    if any(r.positive for r in results):
        missing.append("a positive result during the order")
    return ReleaseDecision(rule, not missing, tuple(dict.fromkeys(missing)), tuple(used))


def release_sub_close(*, on_day: int, counted_from: dt.date, today: dt.date,
                      own: Sequence[LabResult], linked: Sequence[LabResult] | None,
                      linked_tests: int, rule: str = "contacts.sub_close.release"
                      ) -> ReleaseDecision:
    """A sub-close contact (9th): released on day `on_day` when all its own tests are
    negative and its close contact's first `linked_tests` tests are negative."""
    missing: list[str] = []
    release_day = counted_from + dt.timedelta(days=on_day)
    if today < release_day:
        missing.append(f"release is on day {on_day} ({release_day.isoformat()})")
    if not own:
        missing.append("no result of the person's own tests")
    elif any(r.positive for r in own):
        missing.append("one of the person's own tests is positive")
    if linked is None:
        missing.append("the linked close contact is not known")
    else:
        first = sorted(linked, key=lambda r: r.sampled_at)[:linked_tests]
        if len(first) < linked_tests:
            missing.append(f"the linked close contact has {len(first)} of the "
                           f"{linked_tests} first tests")
        if any(r.positive for r in first):
            missing.append("one of the linked close contact's first tests is positive")
    used = tuple(r.sampled_on for r in own)
    return ReleaseDecision(rule, not missing, tuple(missing), used)


def release_case(*, results: Sequence[LabResult], consecutive: int, hours_apart: int | None,
                 isolation_days: Sequence[int], counted_from: dt.date,
                 rule: str = "cases.release") -> ReleaseDecision:
    """A case: released after `consecutive` consecutive tests meeting the release Ct, at
    least `hours_apart` hours apart (9th); under the 10 measures, tests on the given
    isolation days (6 and 7) meeting it."""
    ordered = sorted(results, key=lambda r: r.sampled_at)
    if isolation_days:
        missing: list[str] = []
        used: list[dt.date] = []
        for day in isolation_days:
            due = counted_from + dt.timedelta(days=day)
            found = _on(ordered, due)
            if not found:
                missing.append(f"no result of the isolation day-{day} test ({due.isoformat()})")
            elif not all(r.meets_release_ct for r in found):
                missing.append(f"the isolation day-{day} test ({due.isoformat()}) is below "
                               "the release Ct")
            else:
                used.append(due)
        return ReleaseDecision(rule, not missing, tuple(missing), tuple(used))
    run: list[LabResult] = []
    for result in ordered:
        if not result.meets_release_ct:
            run = []
            continue
        if run and hours_apart is not None and (
                result.sampled_at - run[-1].sampled_at) < dt.timedelta(hours=hours_apart):
            continue
        run.append(result)
    if len(run) >= consecutive:
        return ReleaseDecision(rule, True, (), tuple(r.sampled_on for r in run[-consecutive:]))
    gap = f" at least {hours_apart} h apart" if hours_apart else ""
    return ReleaseDecision(rule, False, (
        f"{consecutive} consecutive tests{gap} with Ct at or above the release value "
        f"(found {len(run)})",))


def release_negative_on_last_day(*, tests: Sequence[OrderTest], results: Sequence[LabResult],
                                 end_on: dt.date, today: dt.date, rule: str) -> ReleaseDecision:
    """A close contact under the 10 measures: released after a negative test on the last
    day of the order (day 5)."""
    last = [t for t in tests if t.due_on == end_on]
    missing: list[str] = []
    if today < end_on:
        missing.append(f"the order ends on {end_on.isoformat()}")
    if not last:
        missing.append(f"the order has no test on its last day ({end_on.isoformat()})")
    found = _on(results, end_on)
    if not found:
        missing.append(f"no result of the test on {end_on.isoformat()}")
    elif any(r.positive for r in found):
        missing.append(f"the test on {end_on.isoformat()} is positive")
    return ReleaseDecision(rule, not missing, tuple(missing), (end_on,) if not missing else ())


def low_risk_tests_met(results: Sequence[LabResult], *, tests: int, within_days: int,
                       since: dt.date, rule: str = "quarantine.categories.low_risk_area"
                       ) -> ReleaseDecision:
    """Someone from a low-risk area (9th): `tests` negative tests within `within_days` days
    from arrival; no quarantine."""
    window = [r for r in results
              if since <= r.sampled_on < since + dt.timedelta(days=within_days)]
    days = sorted({r.sampled_on for r in window if not r.positive})
    missing: list[str] = []
    if any(r.positive for r in window):
        missing.append("a positive test")
    if len(days) < tests:
        missing.append(f"{tests} negative tests on separate days within {within_days} days "
                       f"(found {len(days)})")
    return ReleaseDecision(rule, not missing, tuple(missing), tuple(days))
