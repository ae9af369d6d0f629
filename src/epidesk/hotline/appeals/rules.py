"""What ending an appeal may say, pure: the outcomes, what each asks for, and what is
wrong with an answer before anything is written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from epidesk.hotline.rules import OUTCOMES

CLASSIFICATION = "classification_appeal"
ZONE = "zone_question"
# A changed classification: a new tier, or no classification at all (withdrawn).
NO_CLASSIFICATION = "none"
TIER_CHOICES = ("close", "sub_close", NO_CLASSIFICATION)


@dataclass(frozen=True)
class AppealAnswer:
    """How an investigator ends an appeal."""

    outcome: str  # "confirmed", "changed", "withdrawn" (the appeal withdrawn)
    reason: str
    tier: str | None = None  # a changed classification: a tier or "none"
    end_on: dt.date | None = None  # a changed classification: the new end of quarantine
    zone_id: int | None = None  # a changed zone: which zone
    to_key: str | None = None  # ...and its new area


def problems(category: str, answer: AppealAnswer) -> list[tuple[str, str]]:
    """Every problem with an answer to an appeal of a category, as (field, message)."""
    found: list[tuple[str, str]] = []
    if category not in (CLASSIFICATION, ZONE):
        return [("category", "only a classification or zone appeal ends this way")]
    if answer.outcome not in OUTCOMES:
        found.append(("outcome", f"one of {', '.join(OUTCOMES)}"))
    if not answer.reason.strip():
        found.append(("reason", "say why the appeal ends this way"))
    classification = (answer.tier, answer.end_on)
    zone = (answer.zone_id, answer.to_key)
    if category == CLASSIFICATION and any(v is not None for v in zone):
        found.append(("zone_id", "a classification appeal changes no zone"))
    if category == ZONE and any(v is not None for v in classification):
        found.append(("tier", "a zone appeal changes no classification"))
    if answer.outcome != "changed":
        given = classification if category == CLASSIFICATION else zone
        if any(v is not None for v in given):
            name = "tier" if category == CLASSIFICATION else "zone_id"
            found.append((name, f"an appeal ended '{answer.outcome}' changes nothing; "
                                "leave the change empty"))
        return found
    if category == CLASSIFICATION:
        if answer.tier is not None and answer.tier not in TIER_CHOICES:
            found.append(("tier", f"one of {', '.join(TIER_CHOICES)}"))
        if answer.tier is None and answer.end_on is None:
            found.append(("tier", "a changed decision needs a new tier, no classification, "
                                  "or a new end date"))
        if answer.tier == NO_CLASSIFICATION and answer.end_on is not None:
            found.append(("end_on", "a withdrawn classification has no end date"))
    elif answer.zone_id is None or not (answer.to_key or "").strip():
        found.append(("zone_id", "a changed zone needs the zone and its new area"))
    return found


def decision_of(answer: AppealAnswer) -> tuple[str, str | None] | None:
    """The tracing decision an answer to a classification appeal makes: (kind, tier), or
    None when the appeal was withdrawn (nothing is decided)."""
    if answer.outcome == "confirmed":
        return "confirmed", None
    if answer.outcome == "changed":
        if answer.tier == NO_CLASSIFICATION:
            return "withdrawn", None
        return "changed", answer.tier
    return None
