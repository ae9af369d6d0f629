"""What an order says, pure: its plan from the preset (through the same functions that
make tracing's follow-up plan, never a copy of the rules), its explanation, the release
rule that applies to it, and the notice a resident receives."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from epidesk.kit import i18n
from epidesk.kit.i18n import _
from epidesk.policy.rules import quarantine_plan
from epidesk.policy.schemas import Preset
from epidesk.quarantine.rules import (
    CENTRALIZED,
    HOME,
    ISOLATION,
    QUARANTINE,
    OrderPlan,
    OrderTest,
    StagePlan,
    first_form,
    restriction_and_monitoring,
)
from epidesk.tracing.rules import CATEGORY_OF_TIER, follow_up_plan

CASE = "case"
# A case's isolation has no fixed end under the 9th: release follows its results. Its
# order carries a review day this many days after isolation began (a platform default,
# not an official value; the rule values say so).
CASE_REVIEW_DAYS = 10


def _place(place: str, fallback: str | None, home_suitable: bool) -> str:
    return fallback if (not home_suitable and fallback) else place


def contact_plan(tier: str, last_exposure: dt.date, preset: Preset, *,
                 home_suitable: bool) -> OrderPlan | None:
    """A contact's order: the preset's stages for its category counted from the last
    exposure, and exactly the tests of tracing's follow-up plan; None when the category
    asks for no quarantine."""
    return category_plan(CATEGORY_OF_TIER[tier], last_exposure, preset,
                         home_suitable=home_suitable, tier=tier)


def category_plan(category: str, counted_from: dt.date, preset: Preset, *,
                  home_suitable: bool, tier: str | None = None) -> OrderPlan | None:
    """The order of a category of people (a contact, a visitor of a risk area), counted
    from a day; None when the category does not apply or asks for tests only."""
    rule = preset.quarantine.categories.get(category)
    if rule is None or not rule.applies or not rule.stages:
        return None
    stages = [StagePlan(_place(s.place, s.if_home_unsuitable, home_suitable), s.start, s.end)
              for s in quarantine_plan(category, counted_from, preset)]
    if tier is not None:
        planned = follow_up_plan(tier, counted_from, preset, home_suitable=home_suitable)
        tests = tuple(OrderTest(t.day, t.due_on, t.place) for t in planned)
    else:
        tests = tuple(
            OrderTest(day, due, _place(stage.place, stage.if_home_unsuitable, home_suitable))
            for stage in quarantine_plan(category, counted_from, preset)
            for day, due in zip(stage.test_days, stage.test_dates, strict=True))
    end, monitoring = restriction_and_monitoring(stages)
    values: dict[str, Any] = {
        "stages": [{"place": s.place, "days": (s.end - s.start).days + 1} for s in stages],
        "test_days": [t.day for t in tests], "home_suitable": home_suitable,
        "source": rule.source, "confirmed": rule.confirmed,
    }
    if rule.release_after_negative_test:
        values["release_after_negative_test"] = True
    return OrderPlan(kind=QUARANTINE, category=category, form=first_form(stages),
                     counted_from=counted_from, start_on=stages[0].start, end_on=end,
                     monitoring_until=monitoring, tests=tests,
                     rule=f"quarantine.categories.{category}", rule_values=values)


def case_plan(counted_from: dt.date, preset: Preset, *, home_suitable: bool) -> OrderPlan:
    """A case's isolation: where (designated facility, or home when the preset allows and
    the home suits), from the isolation day; under the 10 measures tests on the release
    days, else a review day and release by consecutive results."""
    isolation = preset.cases.isolation
    release = preset.cases.release
    form = _place(isolation.place, isolation.if_home_unsuitable, home_suitable)
    days = list(release.on_isolation_days)
    tests = tuple(OrderTest(d, counted_from + dt.timedelta(days=d), form) for d in days)
    span = days[-1] if days else CASE_REVIEW_DAYS
    values: dict[str, Any] = {
        "place": form, "home_suitable": home_suitable, "ct_at_least": release.ct_at_least,
        "consecutive_tests": release.consecutive_tests, "source": isolation.source,
        "confirmed": isolation.confirmed}
    if release.hours_apart:
        values["hours_apart"] = release.hours_apart
    if days:
        values["on_isolation_days"] = days
    else:
        values["review_after_days"] = CASE_REVIEW_DAYS
        values["review_source"] = "platform default"
    return OrderPlan(kind=ISOLATION, category=CASE, form=form, counted_from=counted_from,
                     start_on=counted_from, end_on=counted_from + dt.timedelta(days=span),
                     monitoring_until=None, tests=tests, rule="cases.isolation",
                     rule_values=values)


def tests_json(tests: Sequence[OrderTest]) -> str:
    """The order's tests as stored."""
    return json.dumps([t.as_dict() for t in tests])


def tests_of(stored: str) -> list[OrderTest]:
    """The order's tests from their stored JSON."""
    return [OrderTest(int(t["day"]), dt.date.fromisoformat(t["due_on"]), str(t["place"]))
            for t in json.loads(stored or "[]")]


def same_plan(plan: OrderPlan, *, form: str, counted_from: dt.date, end_on: dt.date,
              tests: str) -> bool:
    """Whether a stored order already says what the plan says."""
    return (plan.form == form and plan.counted_from == counted_from
            and plan.end_on == end_on and tests_json(plan.tests) == tests)


MONITORING = "home_health_monitoring"


def stages_of(*, form: str, start_on: dt.date, end_on: dt.date,
              monitoring_until: dt.date | None, values: Mapping[str, Any]
              ) -> list[tuple[str, dt.date, dt.date]]:
    """The order's stages as it stands, (place, first day, last day): the plan's stages
    of restriction from the start, the last one running to the order's end (extended or
    shortened), those past the end left out; then home health monitoring until its day."""
    planned = [(str(st["place"]), int(st["days"])) for st in values.get("stages", [])
               if st.get("place") != MONITORING] or [(form, (end_on - start_on).days + 1)]
    out: list[tuple[str, dt.date, dt.date]] = []
    day = start_on
    for number, (place, days) in enumerate(planned):
        if day > end_on:
            break
        last = end_on if number == len(planned) - 1 else min(
            end_on, day + dt.timedelta(days=days - 1))
        out.append((place, day, last))
        day = last + dt.timedelta(days=1)
    if out and out[-1][2] < end_on:
        out[-1] = (out[-1][0], out[-1][1], end_on)
    if monitoring_until is not None and monitoring_until > end_on:
        out.append((MONITORING, end_on + dt.timedelta(days=1), monitoring_until))
    return out


def moved_monitoring(monitoring_until: dt.date | None, previous_end: dt.date,
                     end_on: dt.date) -> dt.date | None:
    """Home health monitoring follows the restriction: when the end moves, its last day
    moves with it (keeping its length)."""
    return None if monitoring_until is None else monitoring_until + (end_on - previous_end)


# ------------------------------------------------------------------ release rule


SUB_CLOSE_RELEASE = "contacts.sub_close.release"
CASE_RELEASE = "cases.release"


def release_rule(category: str, values: Mapping[str, Any], preset: Preset) -> str:
    """The release rule an order follows: a case's results, a sub-close contact's day 7,
    a negative test on the last day (10 measures), or every required test negative."""
    if category == CASE:
        return CASE_RELEASE
    if category == "sub_close_contact" and preset.contacts.sub_close.release is not None:
        return SUB_CLOSE_RELEASE
    if values.get("release_after_negative_test"):
        return f"quarantine.categories.{category}.release_after_negative_test"
    return f"quarantine.categories.{category}"


# ------------------------------------------------------------------ explanation and notice


def explain(*, category: str, form: str, rule: str, preset: str, counted_from: dt.date,
            end_on: dt.date, monitoring_until: dt.date | None,
            test_days: Sequence[int]) -> str:
    """One paragraph saying why the order is what it is (in the current language)."""
    what = i18n.label(category, "order_category")
    place = i18n.label(form, "order_form")
    text = _("As a %(category)s under %(preset)s (rule %(rule)s): %(place)s from the day "
             "after %(start)s until %(end)s.",
             category=what, preset=preset, rule=rule, place=place,
             start=i18n.format_day(counted_from), end=i18n.format_day(end_on))
    text += " " + (_("Tests on days %(days)s.", days=", ".join(str(d) for d in test_days))
                   if test_days else _("No tests are required."))
    if monitoring_until is not None:
        text += " " + _("Home health monitoring follows until %(day)s.",
                        day=i18n.format_day(monitoring_until))
    return text


def notice(*, name: str, order_id: int, version: int, category: str, form: str,
           start_on: dt.date, end_on: dt.date, monitoring_until: dt.date | None,
           tests: Sequence[OrderTest], state: str) -> str:
    """The text of an order notice to the resident (in the current language)."""
    if state == "withdrawn":
        return _("%(name)s: order %(id)d is withdrawn; the restriction no longer applies.",
                 name=name, id=order_id)
    if state == "released":
        return _("%(name)s: you are released from order %(id)d.", name=name, id=order_id)
    lines = [_("%(name)s: order %(id)d (version %(version)d) as a %(category)s.",
               name=name, id=order_id, version=version,
               category=i18n.label(category, "order_category")),
             _("%(place)s from %(start)s until %(end)s.",
               place=i18n.label(form, "order_form"), start=i18n.format_day(start_on),
               end=i18n.format_day(end_on))]
    if tests:
        lines.append(_("Tests on: %(days)s.",
                       days=", ".join(i18n.format_day(t.due_on, "short") for t in tests)))
    if monitoring_until is not None:
        lines.append(_("Then home health monitoring until %(day)s.",
                       day=i18n.format_day(monitoring_until)))
    return " ".join(lines)


FORMS = (CENTRALIZED, HOME)
