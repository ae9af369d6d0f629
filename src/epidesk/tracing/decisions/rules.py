"""What a decision on a classification may say, pure: the kinds, what each changes, and
what is wrong with one before anything is written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from epidesk.kit.i18n import _l, register_labels
from epidesk.tracing.rules import ACTIVE, TIERS, WITHDRAWN

CONFIRMED = "confirmed"
CHANGED = "changed"
KINDS = (CONFIRMED, CHANGED, WITHDRAWN)
KIND_LABELS = register_labels("contact_decision", {
    CONFIRMED: _l("classification confirmed"),
    CHANGED: _l("classification changed"),
    WITHDRAWN: _l("classification withdrawn"),
})
# Why a decision stopped holding.
NEW_EXPOSURE = "a new exposure, later than the one the decision was made on"
NO_EVIDENCE = "no evidence remains: every case it rested on was withdrawn"
FURTHER = "a further decision"


@dataclass(frozen=True)
class Current:
    """The classification a decision is made on."""

    tier: str
    status: str
    end_on: dt.date | None
    last_exposure_on: dt.date


@dataclass(frozen=True)
class Outcome:
    """The classification a decision leaves."""

    tier: str
    status: str
    end_on: dt.date | None


def check(current: Current, *, kind: str, reason: str, tier: str | None,
          end_on: dt.date | None) -> list[tuple[str, str]]:
    """Every problem with a decision, as (field, message); empty when it may be made."""
    problems: list[tuple[str, str]] = []
    if kind not in KINDS:
        problems.append(("kind", f"one of {', '.join(KINDS)}"))
    if not reason.strip():
        problems.append(("reason", "a decision needs a reason"))
    if tier is not None and tier not in TIERS:
        problems.append(("tier", f"one of {', '.join(TIERS)}"))
    if end_on is not None and end_on < current.last_exposure_on:
        problems.append(("end_on", f"the end {end_on.isoformat()} is before the last exposure "
                                   f"on {current.last_exposure_on.isoformat()}"))
    if kind in (CONFIRMED, WITHDRAWN) and (tier is not None or end_on is not None):
        problems.append(("kind", f"a decision '{kind}' takes no new tier or end date; "
                                 "use 'changed'"))
    if kind == CHANGED and tier is None and end_on is None:
        problems.append(("tier", "a change needs a new tier or a new end date"))
    if kind == CHANGED and not problems and (tier or current.tier, end_on) == (
            current.tier, current.end_on) and current.status == ACTIVE:
        problems.append(("tier", "the classification already says this"))
    if kind in (CONFIRMED, WITHDRAWN) and current.status != ACTIVE:
        problems.append(("kind", "the classification is withdrawn; only a change "
                                 "reinstates it"))
    return problems


def outcome(current: Current, *, kind: str, tier: str | None, end_on: dt.date | None
            ) -> Outcome:
    """The classification after a decision (checked first)."""
    if kind == WITHDRAWN:
        return Outcome(current.tier, WITHDRAWN, current.end_on)
    if kind == CONFIRMED:
        return Outcome(current.tier, ACTIVE, current.end_on)
    # A new tier counts its quarantine again from the preset unless an end is given.
    keep_end = current.end_on if tier is None or tier == current.tier else None
    return Outcome(tier or current.tier, ACTIVE, end_on if end_on is not None else keep_end)
