"""Home health monitoring as pure rules: how a check is taken, the symptoms asked about,
when a check flags a test, and a person's state on a day. No session, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from epidesk.kit.i18n import _l, register_labels

METHODS = register_labels("home_check_method", {
    "visit": _l("home visit"), "phone": _l("by phone"),
    "self_report": _l("self-report through a worker"),
})
SYMPTOMS = register_labels("symptom", {
    "fever": _l("fever"), "cough": _l("cough"), "sore_throat": _l("sore throat"),
    "taste_smell": _l("loss of taste or smell"), "breath": _l("shortness of breath"),
    "other": _l("other"),
})
# A temperature at or above this (degrees Celsius) is a fever.
FEVER_C = 37.3
LOWEST_C, HIGHEST_C = 34.0, 43.0

DONE, DUE, MISSED = "done", "due", "missed"
STATES = register_labels("home_check_state", {
    DONE: _l("checked today"), DUE: _l("due today"), MISSED: _l("missed yesterday"),
})


@dataclass(frozen=True)
class Reading:
    """What a reached check found."""

    temperature: float | None
    symptoms: tuple[str, ...]
    other: str = ""


def problem(reading: Reading) -> tuple[str, str] | None:
    """(field, what is wrong) with a reached check's reading, or None when it is sound."""
    t = reading.temperature
    if t is not None and not LOWEST_C <= t <= HIGHEST_C:
        return "temperature", f"{t} is not a body temperature ({LOWEST_C}-{HIGHEST_C} C)"
    unknown = [s for s in reading.symptoms if s not in SYMPTOMS]
    if unknown:
        return "symptoms", (f"{unknown[0]!r} is not a symptom here: one of "
                            f"{', '.join(SYMPTOMS)}")
    if len(set(reading.symptoms)) != len(reading.symptoms):
        return "symptoms", "a symptom is listed twice"
    if "other" in reading.symptoms and not reading.other.strip():
        return "other_symptom", "say what the other symptom is"
    if t is None and not reading.symptoms:
        return "temperature", "give the temperature, or the symptoms when it was not taken"
    return None


def flags_test(reading: Reading) -> bool:
    """Fever (at or above 37.3 C) or any symptom: the person needs a test."""
    return bool(reading.symptoms) or (reading.temperature is not None
                                      and reading.temperature >= FEVER_C)


def in_period(day: dt.date, *, home_on: dt.date, until: dt.date) -> bool:
    """Whether the day is a day of home monitoring (home by then, not past its end)."""
    return home_on <= day <= until


def day_state(today: dt.date, *, home_on: dt.date, reached_on: Sequence[dt.date]) -> str:
    """Done when someone was reached today; missed when nobody was reached yesterday, a
    monitoring day; else due."""
    if today in reached_on:
        return DONE
    yesterday = today - dt.timedelta(days=1)
    if yesterday >= home_on and yesterday not in reached_on:
        return MISSED
    return DUE
