"""Contacts in words: evidence explained for staff and for the resident, and the views
of a contact, a letter and a case's contacts. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from epidesk.cases.models import CaseEpisode
from epidesk.kit.access import AreaPath
from epidesk.people.models import Resident
from epidesk.testing.models import Sample, Tube
from epidesk.tracing.models import (
    Contact,
    ContactEvent,
    ContactEvidence,
    FollowUpTest,
    TracedCase,
)
from epidesk.tracing.rules import (
    ACTIVE,
    HOUSEHOLD,
    MISSED,
    PROMOTED,
    SCHOOL_CLASS,
    VENUE,
    VIA_CLOSE_CONTACT,
    WORK_GROUP,
    local_time,
)

# ------------------------------------------------------------------ evidence in words


@dataclass(frozen=True)
class EvidenceFacts:
    """One piece of evidence with the names a person reads."""

    tier: str
    derivation: str
    setting: str
    place: str
    case_label: str
    via_label: str | None
    start: int
    end: int
    exposure_setting: str | None = None
    exposure_setting_label: str | None = None


def _period(start: int, end: int, zone: dt.tzinfo) -> str:
    a, b = local_time(start, zone), local_time(end, zone)
    if end <= start:
        return f"at {a:%Y-%m-%d %H:%M}"
    if a.date() == b.date():
        return f"on {a:%Y-%m-%d} from {a:%H:%M} to {b:%H:%M}"
    return f"from {a:%Y-%m-%d %H:%M} to {b:%Y-%m-%d %H:%M}"


def _minutes(start: int, end: int) -> str:
    minutes = (end - start) // 60
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _shared(setting: str, place: str, exposure_label: str | None) -> str:
    if setting == HOUSEHOLD:
        return f"lived in the same household ({place})"
    if setting == WORK_GROUP:
        return f"worked in the same work group ({place})"
    if setting == SCHOOL_CLASS:
        return f"was in the same school class ({place})"
    if setting == VENUE:
        return f"was at {place} at the same time"
    return f"had a recorded exposure ({exposure_label or 'investigator judgement'}; {place})"


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def explain_for_staff(facts: EvidenceFacts, *, min_overlap_minutes: int, zone: dt.tzinfo
                      ) -> str:
    """One sentence that says why, naming the case and the close contact involved."""
    shared = _shared(facts.setting, facts.place, facts.exposure_setting_label)
    period = _period(facts.start, facts.end, zone)
    if facts.derivation == VIA_CLOSE_CONTACT:
        return (f"{_upper_first(shared)} with {facts.via_label}, a close contact of "
                f"{facts.case_label}, {period} (after that contact's first exposure and "
                "before its isolation).")
    if facts.derivation == PROMOTED:
        return (f"{_upper_first(shared)} with {facts.via_label}, who was a close contact and "
                f"has become {facts.case_label}, {period}: promoted from sub-close contact.")
    text = f"{_upper_first(shared)} with {facts.case_label} {period}"
    if facts.setting == VENUE:
        text += (f": {_minutes(facts.start, facts.end)} together (at least "
                 f"{min_overlap_minutes} min count)")
    return text + ", inside the case's close-contact window."


def explain_for_resident(facts: EvidenceFacts, *, min_overlap_minutes: int,
                         zone: dt.tzinfo) -> str:
    """The same reason for the resident: no case and no other person is named."""
    period = _period(facts.start, facts.end, zone)
    if facts.derivation in (VIA_CLOSE_CONTACT, PROMOTED):
        who = "a close contact of a confirmed infection"
        if facts.derivation == PROMOTED:
            who = "a person who was a close contact and has since tested positive"
        return f"You {_you_shared(facts)} with {who}, {period}."
    text = f"You {_you_shared(facts)} with a person who has tested positive, {period}"
    if facts.setting == VENUE:
        text += f" ({_minutes(facts.start, facts.end)}; {min_overlap_minutes} min or more count)"
    return text + ", while that person could pass the infection on."


def _you_shared(facts: EvidenceFacts) -> str:
    if facts.setting == HOUSEHOLD:
        return "live in the same household"
    if facts.setting == WORK_GROUP:
        return f"work in the same work group ({facts.place})"
    if facts.setting == SCHOOL_CLASS:
        return f"are in the same school class ({facts.place})"
    if facts.setting == VENUE:
        return f"were at {facts.place} at the same time"
    label = facts.exposure_setting_label or "judged by the investigator"
    return f"had contact that an investigator recorded ({label.lower()})"


# ------------------------------------------------------------------ views


@dataclass(frozen=True)
class EvidenceView:
    """One piece of evidence with its names, the rule it follows, and its reason in words."""

    row: ContactEvidence
    derivation: str
    rule: str
    place: str
    case_label: str
    via_label: str | None
    for_staff: str
    for_resident: str
    # The case and the close contact named, or None when they live outside the reader's
    # area (then the labels say "a case outside your area").
    case_id: int | None = None
    via_resident_id: int | None = None


@dataclass(frozen=True)
class PlannedTestView:
    """A test of the follow-up plan with its status and the samples of that day."""

    test: FollowUpTest
    status: str
    results: list[tuple[Sample, Tube]]


@dataclass(frozen=True)
class ContactDetail:
    """A resident as a contact: tier, evidence, follow-up and history."""

    resident: Resident
    area: AreaPath
    contact: Contact | None
    evidence: list[EvidenceView]
    withdrawn_evidence: list[EvidenceView]
    follow_up: list[PlannedTestView]
    events: Sequence[ContactEvent]
    became_case_on: dt.date | None
    min_overlap_minutes: int
    preset: str

    @property
    def tier(self) -> str | None:
        """The active tier, or None."""
        if self.contact is None or self.contact.status != ACTIVE:
            return None
        return self.contact.tier

    @property
    def missed(self) -> int:
        """How many planned tests were missed."""
        return sum(1 for t in self.follow_up if t.status == MISSED)


@dataclass(frozen=True)
class ResidentLetter:
    """What a resident is told: why (without naming anyone) and which tests to take."""

    tier: str | None
    reasons: list[str]
    rules_cited: list[str]
    tests: list[tuple[int, dt.date, str]]
    preset: str


@dataclass(frozen=True)
class CaseContactRow:
    """A contact of one case: tier for that case, settings and pieces of evidence."""

    resident: Resident
    tier: str
    settings: list[str]
    pieces: int


@dataclass(frozen=True)
class CaseContacts:
    """A case's contacts by tier, as far as the caller may see them."""

    case: CaseEpisode
    resident: Resident
    area: AreaPath
    traced: TracedCase | None
    close: list[CaseContactRow]
    sub_close: list[CaseContactRow]
    hidden: int
