"""The hotline's rules: categories and their targets, due times, breaches, escalation
and reference numbers. Pure: no session, no I/O."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from epidesk.kit.i18n import _l, register_labels

CHANNELS = ("phone", "web", "sms", "community_worker", "open311")
STATUSES = ("open", "answered", "resolved")
# An appeal ends with the decision confirmed, changed, or the appeal withdrawn.
OUTCOMES = ("confirmed", "changed", "withdrawn")
APPEALS = ("classification_appeal", "zone_question")


@dataclass(frozen=True)
class Targets:
    """How soon a ticket of a category must be answered and resolved, in minutes."""

    first_response_minutes: int
    resolution_minutes: int


# The defaults; a supervisor may set a category's targets apart (`epidesk hotline targets`).
CATEGORIES: dict[str, Targets] = {
    "medical_emergency": Targets(5, 60),
    "supplies": Targets(60, 24 * 60),
    "quarantine_conditions": Targets(120, 24 * 60),
    "classification_appeal": Targets(240, 72 * 60),
    "zone_question": Targets(240, 48 * 60),
    "information": Targets(240, 24 * 60),
    "other": Targets(480, 72 * 60),
}
MAX_TARGET_MINUTES = 30 * 24 * 60

register_labels("hotline_category", {
    "medical_emergency": _l("medical emergency"),
    "supplies": _l("food, medicine and supplies"),
    "quarantine_conditions": _l("quarantine conditions"),
    "classification_appeal": _l("appeal against a close-contact classification"),
    "zone_question": _l("question or appeal about a risk zone"),
    "information": _l("information"),
    "other": _l("other"),
})
register_labels("hotline_status", {
    "open": _l("received, waiting for a first answer"),
    "answered": _l("answered, being worked on"),
    "resolved": _l("resolved"),
})
register_labels("hotline_channel", {
    "phone": _l("phone"), "web": _l("web form"), "sms": _l("SMS"),
    "community_worker": _l("community worker"), "open311": _l("Open311 application"),
})

# References: 10 characters of Crockford's base32 (no I, L, O, U), written in two groups
# ("HX7K2-M9PQ4"): 50 random bits, so that guessing one is hopeless even without the
# rate limit.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_REFERENCE = re.compile(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}")


def new_reference() -> str:
    """A fresh random reference."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def normal_reference(text: str) -> str | None:
    """A reference as typed (any case, spaces, O for 0, I or L for 1, the dash optional)
    in its stored form, or None when it cannot be one."""
    cleaned = re.sub(r"[\s-]", "", text.upper()).translate(str.maketrans("OIL", "011"))
    if len(cleaned) != 10:
        return None
    found = f"{cleaned[:5]}-{cleaned[5:]}"
    return found if _REFERENCE.fullmatch(found) else None


def due_times(received_at: datetime, targets: Targets) -> tuple[datetime, datetime]:
    """When the first response and the resolution are due."""
    return (received_at + timedelta(minutes=targets.first_response_minutes),
            received_at + timedelta(minutes=targets.resolution_minutes))


@dataclass(frozen=True)
class Clock:
    """What the clock says of a ticket at one moment."""

    breach: str  # "none", "first_response", "resolution"
    escalation: int  # the level it should at least have: 0, 1 (supervisor), 2 (command)


def clock_state(*, at: datetime, first_response_due: datetime, resolution_due: datetime,
                first_response_at: datetime | None, resolved_at: datetime | None,
                first_response_minutes: int, resolution_minutes: int) -> Clock:
    """The breach and the escalation a ticket has earned by `at`.

    A target is missed when its due time passed before it was met (a late response stays
    a breach). A missed target goes to a supervisor; a ticket still not met when a second
    period of the same target has passed goes to the command centre.
    """
    response_late = (first_response_at or at) > first_response_due
    resolution_late = (resolved_at or at) > resolution_due
    breach = "resolution" if resolution_late else "first_response" if response_late else "none"
    if resolved_at is not None:
        return Clock(breach, 0)
    level = 0
    if first_response_at is None and at > first_response_due:
        level = 2 if at > first_response_due + timedelta(minutes=first_response_minutes) else 1
    if at > resolution_due:
        level = max(level, 2 if at > resolution_due + timedelta(minutes=resolution_minutes)
                    else 1)
    return Clock(breach, level)


def check_targets(first_response_minutes: int, resolution_minutes: int) -> str | None:
    """What is wrong with a pair of targets, or None."""
    if not 1 <= first_response_minutes <= MAX_TARGET_MINUTES:
        return f"first_response_minutes must be from 1 to {MAX_TARGET_MINUTES}"
    if not first_response_minutes <= resolution_minutes <= MAX_TARGET_MINUTES:
        return (f"resolution_minutes must be from the first-response target to "
                f"{MAX_TARGET_MINUTES}")
    return None


def minutes_between(start: datetime, end: datetime) -> float:
    """Minutes from one moment to another."""
    return (end - start).total_seconds() / 60.0
