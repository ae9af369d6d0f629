"""Pure rules of vaccination: which dose a person may have and from when, age bands.

No session, no I/O: the service gathers a person's dose history, age and recorded
contraindications or deferrals and asks these functions. A contraindication or a
deferral only moves the day from which a dose is offered; nothing else follows from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from epidesk.kit.i18n import _l, register_labels
from epidesk.vaccination.catalogue.schemas import DoseRule, Product

SERIES_LABELS = register_labels("vaccination_series", {
    "primary": _l("primary series"),
    "first_booster": _l("first booster"),
    "second_booster": _l("second booster"),
})

STATUS_LABELS = register_labels("appointment_status", {
    "booked": _l("booked"), "done": _l("given"), "cancelled": _l("cancelled"),
})
SEVERITY_LABELS = register_labels("adverse_severity", {
    "mild": _l("mild"), "moderate": _l("moderate"), "severe": _l("severe"),
    "serious": _l("serious"),
})
# The kinds of the reasons file (products/contraindications.toml), as pages name them.
HOLD_LABELS = register_labels("vaccination_hold", {
    "allergy": _l("allergy to a vaccine component"),
    "severe_reaction": _l("past severe reaction to a vaccine"),
    "neurological": _l("uncontrolled epilepsy or serious neurological disease"),
    "pregnancy": _l("pregnancy"),
    "fever": _l("fever (deferred)"),
    "acute_illness": _l("acute illness (deferred)"),
    "uncontrolled_chronic_disease": _l("uncontrolled chronic disease (deferred)"),
})

# Age bands of coverage figures (lower bound inclusive, upper bound exclusive).
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("3-17", 3, 18), ("18-59", 18, 60), ("60-69", 60, 70), ("70-79", 70, 80), ("80+", 80, None),
)


@dataclass(frozen=True)
class DoseGiven:
    """A dose in a person's history."""

    number: int
    day: date
    product: str


@dataclass(frozen=True)
class Hold:
    """A recorded contraindication or deferral: no dose on or before `until`
    (None: no end date known yet; a vaccinator lifts it by recording an end)."""

    kind: str
    until: date | None


@dataclass(frozen=True)
class OpenDose:
    """The next dose of a person's schedule and the days it may be given."""

    number: int
    series: str
    # The first day it may be given (interval, age and holds taken into account);
    # None while a hold has no end date.
    earliest: date | None
    # The latest day the schedule asks for (advice only: a later dose is still given).
    latest: date | None
    products: tuple[str, ...]
    # Why the earliest day is what it is: "interval", "age", "hold" or "now".
    reason: str

    def may_have_on(self, day: date) -> bool:
        """Whether the dose may be given (or booked) on `day`."""
        return self.earliest is not None and day >= self.earliest


def birthday(birth: date, years: int) -> date:
    """The day a person born on `birth` turns `years` (29 February: 1 March)."""
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:
        return date(birth.year + years, 3, 1)


def age_on(birth: date, day: date) -> int:
    """Age in whole years on `day`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_band(age: int) -> str | None:
    """The coverage band of an age (None under 3: no vaccine offered)."""
    for name, low, high in AGE_BANDS:
        if age >= low and (high is None or age < high):
            return name
    return None


def _min_age(rule: DoseRule, high_risk: bool) -> int:
    if rule.min_age_or_high_risk is not None and not high_risk:
        return rule.min_age_or_high_risk
    return rule.min_age


def _schedule_of(history: Sequence[DoseGiven], products: Mapping[str, Product]) -> Product:
    """The product whose schedule the person follows: that of their first dose, else the
    first product (every shipped product has the same schedule shape)."""
    if history and history[0].product in products:
        return products[history[0].product]
    return next(iter(products.values()))


def next_dose(history: Sequence[DoseGiven], *, birth: date, high_risk: bool,
              holds: Sequence[Hold], today: date,
              products: Mapping[str, Product]) -> OpenDose | None:
    """The next dose a person may have and from which day, or None when their schedule is
    complete. The primary series stays with the product of the first dose; a booster may
    be any product of the same platform."""
    if not products:
        return None
    given = sorted(history, key=lambda d: (d.number, d.day))
    schedule = _schedule_of(given, products)
    number = (given[-1].number if given else 0) + 1
    rule = schedule.dose(number)
    if rule is None:
        return None
    earliest = birthday(birth, _min_age(rule, high_risk))
    reason = "age"
    latest = None
    if given and rule.min_interval_days is not None:
        after = given[-1].day + timedelta(days=rule.min_interval_days)
        if after >= earliest:
            earliest, reason = after, "interval"
        if rule.max_interval_days is not None:
            latest = given[-1].day + timedelta(days=rule.max_interval_days)
    if earliest <= today:
        earliest, reason = today, "now"
    found: date | None = earliest
    for hold in holds:
        if hold.until is None:
            found, reason = None, "hold"
            break
        if found is not None and hold.until >= found:
            found, reason = hold.until + timedelta(days=1), "hold"
    if rule.series == "primary" and given:
        names: tuple[str, ...] = (schedule.key,)
    else:
        names = tuple(k for k, p in products.items() if p.platform == schedule.platform)
    return OpenDose(number=number, series=rule.series, earliest=found, latest=latest,
                    products=names, reason=reason)


def holds_on(holds: Sequence[Hold], day: date) -> list[Hold]:
    """The holds still in force on `day`."""
    return [h for h in holds if h.until is None or h.until >= day]


def check_dose(history: Sequence[DoseGiven], *, number: int, product: str, day: date,
               birth: date, high_risk: bool, holds: Sequence[Hold],
               products: Mapping[str, Product]) -> str | None:
    """Why dose `number` of `product` may not be given on `day` (None: it may)."""
    if product not in products:
        return f"unknown product {product!r}"
    found = next_dose(history, birth=birth, high_risk=high_risk, holds=holds, today=day,
                      products=products)
    if found is None:
        return "the schedule is complete: no further dose"
    if number != found.number:
        return f"the next dose of this person's schedule is dose {found.number}, not {number}"
    if product not in found.products:
        return (f"dose {number} completes the primary series with the product of the first "
                f"dose ({', '.join(found.products)})")
    if found.earliest is None:
        return "a recorded contraindication or deferral has no end date yet"
    if day < found.earliest:
        return f"dose {number} may be given from {found.earliest.isoformat()} ({found.reason})"
    return None
