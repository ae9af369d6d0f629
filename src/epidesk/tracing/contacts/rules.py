"""Contacts in words: evidence explained for staff and for the resident, and the views
of a contact, a letter and a case's contacts. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from epidesk.cases.models import CaseEpisode
from epidesk.kit.access import AreaPath
from epidesk.kit.i18n import _
from epidesk.kit.orders import GoverningOrder
from epidesk.people.models import Resident
from epidesk.testing.models import Sample, Tube
from epidesk.tracing import rules
from epidesk.tracing.models import (
    Contact,
    ContactDecision,
    ContactEvent,
    ContactEvidence,
    FollowUpTest,
    TracedCase,
)
from epidesk.tracing.rules import (
    ACTIVE,
    CLOSE,
    DIRECT,
    EXPOSURE,
    HOUSEHOLD,
    MISSED,
    PROMOTED,
    SCHOOL_CLASS,
    SUB_CLOSE,
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
    minute = "%Y-%m-%d %H:%M"
    if end <= start:
        return _("at %(time)s", time=a.strftime(minute))
    if a.date() == b.date():
        return _("on %(day)s from %(start)s to %(end)s", day=a.strftime("%Y-%m-%d"),
                 start=a.strftime("%H:%M"), end=b.strftime("%H:%M"))
    return _("from %(start)s to %(end)s", start=a.strftime(minute), end=b.strftime(minute))


def _minutes(start: int, end: int) -> str:
    minutes = (end - start) // 60
    if minutes >= 60:
        return _("%(hours)d h %(minutes)02d min", hours=minutes // 60, minutes=minutes % 60)
    return _("%(minutes)d min", minutes=minutes)


def _shared(setting: str, place: str, exposure_label: str | None) -> str:
    if setting == HOUSEHOLD:
        return _("lived in the same household (%(place)s)", place=place)
    if setting == WORK_GROUP:
        return _("worked in the same work group (%(place)s)", place=place)
    if setting == SCHOOL_CLASS:
        return _("was in the same school class (%(place)s)", place=place)
    if setting == VENUE:
        return _("was at %(place)s at the same time", place=place)
    return _("had a recorded exposure (%(setting)s; %(place)s)",
             setting=exposure_label or _("investigator judgement"), place=place)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def explain_for_staff(facts: EvidenceFacts, *, min_overlap_minutes: int, zone: dt.tzinfo
                      ) -> str:
    """One sentence that says why, naming the case and the close contact involved."""
    shared = _shared(facts.setting, facts.place, facts.exposure_setting_label)
    period = _period(facts.start, facts.end, zone)
    if facts.derivation == VIA_CLOSE_CONTACT:
        return _("%(shared)s with %(via)s, a close contact of %(case)s, %(period)s (after that "
                 "contact's first exposure and before its isolation).",
                 shared=_upper_first(shared), via=facts.via_label, case=facts.case_label,
                 period=period)
    if facts.derivation == PROMOTED:
        return _("%(shared)s with %(via)s, who was a close contact and has become %(case)s, "
                 "%(period)s: promoted from sub-close contact.", shared=_upper_first(shared),
                 via=facts.via_label, case=facts.case_label, period=period)
    if facts.setting == VENUE:
        return _("%(shared)s with %(case)s %(period)s: %(length)s together (at least "
                 "%(minimum)d min count), inside the case's close-contact window.",
                 shared=_upper_first(shared), case=facts.case_label, period=period,
                 length=_minutes(facts.start, facts.end), minimum=min_overlap_minutes)
    return _("%(shared)s with %(case)s %(period)s, inside the case's close-contact window.",
             shared=_upper_first(shared), case=facts.case_label, period=period)


def explain_for_resident(facts: EvidenceFacts, *, min_overlap_minutes: int,
                         zone: dt.tzinfo) -> str:
    """The same reason for the resident: no case and no other person is named."""
    period = _period(facts.start, facts.end, zone)
    shared = _you_shared(facts)
    if facts.derivation == VIA_CLOSE_CONTACT:
        return _("You %(shared)s with a close contact of a confirmed infection, %(period)s.",
                 shared=shared, period=period)
    if facts.derivation == PROMOTED:
        return _("You %(shared)s with a person who was a close contact and has since tested "
                 "positive, %(period)s.", shared=shared, period=period)
    if facts.setting == VENUE:
        return _("You %(shared)s with a person who has tested positive, %(period)s "
                 "(%(length)s; %(minimum)d min or more count), while that person could pass "
                 "the infection on.", shared=shared, period=period,
                 length=_minutes(facts.start, facts.end), minimum=min_overlap_minutes)
    return _("You %(shared)s with a person who has tested positive, %(period)s, while that "
             "person could pass the infection on.", shared=shared, period=period)


def _you_shared(facts: EvidenceFacts) -> str:
    if facts.setting == HOUSEHOLD:
        return _("live in the same household")
    if facts.setting == WORK_GROUP:
        return _("work in the same work group (%(place)s)", place=facts.place)
    if facts.setting == SCHOOL_CLASS:
        return _("are in the same school class (%(place)s)", place=facts.place)
    if facts.setting == VENUE:
        return _("were at %(place)s at the same time", place=facts.place)
    label = facts.exposure_setting_label or _("judged by the investigator")
    return _("had contact that an investigator recorded (%(setting)s)", setting=label.lower())


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
    # The investigators' decisions on the classification, oldest first.
    decisions: Sequence[ContactDecision] = ()

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

    @property
    def grouped(self) -> GroupedEvidence:
        """The active evidence by case and setting, strongest first."""
        return group_evidence(self.evidence, tier=self.tier)


# ------------------------------------------------------------------ why, grouped

# Strongest first: a shared household before a recorded exposure, a class, a work group
# and a venue; a direct contact with the case before one through a close contact.
SETTING_STRENGTH = {HOUSEHOLD: 0, EXPOSURE: 1, SCHOOL_CLASS: 2, WORK_GROUP: 3, VENUE: 4}
DERIVATION_STRENGTH = {DIRECT: 0, PROMOTED: 1, VIA_CLOSE_CONTACT: 2}
TIER_STRENGTH = {CLOSE: 0, SUB_CLOSE: 1}


def _piece_order(view: EvidenceView) -> tuple[int, int, int]:
    length = rules.seconds_of(view.row.overlap_end) - rules.seconds_of(view.row.overlap_start)
    return (DERIVATION_STRENGTH.get(view.derivation, 9), -length,
            rules.seconds_of(view.row.overlap_start))


@dataclass(frozen=True)
class EvidenceGroup:
    """The evidence of one case in one setting, strongest piece first."""

    case_id: int | None  # None when the case lives outside the reader's area
    case_label: str
    setting: str
    tier: str
    pieces: list[EvidenceView]

    @property
    def derivation(self) -> str:
        """How the strongest piece came about."""
        return self.pieces[0].derivation

    @property
    def strength(self) -> tuple[int, int, int, int]:
        """Sort key: tier, derivation, setting, then more pieces first."""
        return (TIER_STRENGTH.get(self.tier, 9), DERIVATION_STRENGTH.get(self.derivation, 9),
                SETTING_STRENGTH.get(self.setting, 9), -len(self.pieces))


@dataclass(frozen=True)
class GroupedEvidence:
    """Why a person is a contact, by case and setting; sub-close derivations are left
    out (and counted) when the person is a close contact anyway."""

    groups: list[EvidenceGroup]
    collapsed: int


def group_evidence(views: Sequence[EvidenceView], *, tier: str | None) -> GroupedEvidence:
    """Evidence grouped by case and setting, strongest group first."""
    collapsed = [v for v in views if tier == CLOSE and v.row.tier == SUB_CLOSE]
    by_key: dict[tuple[int, str, str], list[EvidenceView]] = {}
    for view in views:
        if not (tier == CLOSE and view.row.tier == SUB_CLOSE):
            by_key.setdefault((view.row.case_id, view.row.setting, view.row.tier), []).append(view)
    groups = [EvidenceGroup(case_id=pieces[0].case_id, case_label=pieces[0].case_label,
                            setting=setting, tier=piece_tier,
                            pieces=sorted(pieces, key=_piece_order))
              for (_case, setting, piece_tier), pieces in by_key.items()]
    groups.sort(key=lambda g: (g.strength, g.case_label, g.pieces[0].row.id))
    return GroupedEvidence(groups=groups, collapsed=len(collapsed))


# ------------------------------------------------------------------ the letter


@dataclass(frozen=True)
class LetterStage:
    """A stage of the resident's quarantine: where, from when until when, which tests."""

    place: str
    start: dt.date
    end: dt.date
    tests: list[tuple[int, dt.date]]


@dataclass(frozen=True)
class ResidentLetter:
    """What a resident is told: why (without naming anyone) and which tests to take."""

    tier: str | None
    reasons: list[str]
    rules_cited: list[str]
    tests: list[tuple[int, dt.date, str]]
    preset: str
    # Reasons by setting, strongest first (no case and no other person is named).
    groups: list[tuple[str, list[str]]] = field(default_factory=list)
    derivation: str | None = None
    stages: list[LetterStage] = field(default_factory=list)
    last_exposure_on: dt.date | None = None
    # The order the stages, dates and tests come from (None: tracing's own plan).
    order: GoverningOrder | None = None

    @property
    def end_on(self) -> dt.date | None:
        """The last day of quarantine or monitoring."""
        return self.stages[-1].end if self.stages else None


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
