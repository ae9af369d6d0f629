"""API shapes of the tracing domain: visit logs, exposures, runs, contacts with evidence."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from epidesk.kit.imports import listed_problems, problem_counts
from epidesk.kit.inputs import AwareMoment, OptionalDay, OptionalId, RecordId, Text
from epidesk.tracing.contacts.rules import (
    CaseContactRow,
    CaseContacts,
    ContactDetail,
    EvidenceView,
    ResidentLetter,
)
from epidesk.tracing.models import Exposure, TracingRun, VisitLog


class Schema(BaseModel):
    """Base of the domain's output models."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")


class ProblemOut(Schema):
    """One problem of a rejected visit log: the file line, the column and what is wrong."""

    line: int
    column: str
    kind: str
    problem: str


class VisitLogOut(Schema):
    """A visit log: accepted (with what it holds) or rejected (with how many problems)."""

    id: int
    digest: str
    filename: str
    status: str
    received_at: datetime
    received_by: str
    attempts: int
    rows: int
    residents: int
    venues: int
    first_visit_at: datetime | None
    last_visit_at: datetime | None
    problem_count: int
    seconds: float


class VisitLogDetail(VisitLogOut):
    """A visit log with its validation report (first problems by line, counts per kind)."""

    problem_counts: dict[str, int]
    problems: list[ProblemOut]


class VisitImportOut(Schema):
    """The answer to a visit log upload."""

    already_imported: bool
    message: str
    log: VisitLogDetail


class ExposureIn(BaseModel):
    """An exposure between two residents, as an investigator records it."""

    model_config = ConfigDict(extra="forbid")

    resident_a_id: RecordId = Field(description="Usually the case")
    resident_b_id: RecordId
    at: AwareMoment = Field(description="When, with the UTC offset")
    setting: Text = Field(min_length=1, max_length=32,
                         description="A close-contact setting of the active preset, "
                                     "e.g. carer, shared_vehicle, investigator_judgement")
    protected: bool = Field(default=False,
                            description="Effective protection: recorded, no close contact")
    place: Text = Field(default="", max_length=200)
    venue_id: OptionalId = Field(default=None, description="The venue where it happened, if "
                                 "any: zones and public trajectories are drawn from it")
    building_id: OptionalId = Field(default=None, description="Or the building (not both)")
    note: Text | None = Field(default=None, max_length=2000)


class ExposureOut(Schema):
    """A recorded exposure."""

    id: int
    resident_a_id: int
    resident_b_id: int
    at: datetime
    setting: str
    protected: bool
    place: str
    venue_id: int | None
    building_id: int | None
    note: str | None
    recorded_by: str
    recorded_at: datetime


class RunIn(BaseModel):
    """Which cases to classify: the given ones (and those they affect), the cases changed
    since the last run, or every case."""

    model_config = ConfigDict(extra="forbid")

    case_ids: list[RecordId] | None = Field(default=None, max_length=10_000,
                                       description="Leave out to classify every active case")
    changes: bool = Field(default=False, description=(
        "Classify the cases reported, reclassified or withdrawn since the last run, "
        "and the traced cases that later evidence (visit logs, exposures) concerns"))

    @model_validator(mode="after")
    def _one_choice(self) -> RunIn:
        if self.changes and self.case_ids is not None:
            raise ValueError("give case_ids or changes, not both")
        return self


class RunOut(Schema):
    """A tracing run: what it classified and what changed."""

    id: int
    started_at: datetime
    actor: str
    preset: str
    scope: str
    case_event_cursor: int
    cases: int
    cases_withdrawn: int
    evidence_added: int
    evidence_withdrawn: int
    contacts_identified: int
    contacts_promoted: int
    contacts_demoted: int
    contacts_withdrawn: int
    close_contacts: int
    sub_close_contacts: int
    seconds: float


class CaseContactOut(Schema):
    """A contact of one case: its tier for that case and the settings it shared."""

    resident_id: int
    name: str
    name_latin: str
    tier: str
    settings: list[str]
    evidence: int


class CaseContactsOut(Schema):
    """A case's contacts by tier, inside the caller's area."""

    case_id: int
    resident_id: int
    status: str
    traced_at: datetime | None
    window_start: datetime | None
    window_end: datetime | None
    close: list[CaseContactOut]
    sub_close: list[CaseContactOut]
    hidden: int = Field(description="Contacts living outside the caller's area")


class EvidenceOut(Schema):
    """Why a person is a contact: the case, setting, place and time overlap."""

    id: int
    status: str
    tier: str
    derivation: str
    setting: str
    place_id: int
    place: str
    case_id: int | None = Field(description="Null when the case lives outside the caller's area")
    case: str
    via_resident_id: int | None = Field(
        description="Null also when the close contact lives outside the caller's area")
    via: str | None
    overlap_start: datetime
    overlap_end: datetime
    rule: str = Field(description="The preset rule it follows")
    explanation: str
    found_at: datetime
    withdrawn_at: datetime | None


class TestResultOut(Schema):
    """A sample taken on a planned test day, with its tube's result."""

    sample_code: str
    collected_at: datetime
    tube_code: str
    outcome: str


class PlannedTestOut(Schema):
    """A test of the follow-up plan: day n after the last exposure."""

    day: int
    due_on: date
    place: str
    category: str
    status: str = Field(description="done, missed, due, planned or ended")
    results: list[TestResultOut]


class ContactEventOut(Schema):
    """Something that happened to a contact."""

    at: datetime
    kind: str
    tier: str | None
    note: str | None


class DecisionOut(Schema):
    """An investigator's decision on the classification."""

    id: int
    kind: str = Field(description="confirmed, changed or withdrawn")
    previous_tier: str
    previous_status: str
    previous_end_on: date | None
    tier: str
    status: str
    end_on: date | None = Field(description="The end of quarantine decided; null: the "
                                            "preset's plan")
    reason: str
    source: str = Field(description="Where it came from, e.g. an appeal's reference")
    decided_by: str
    decided_at: datetime
    ended_at: datetime | None = Field(description="When it stopped holding; null while it "
                                                  "holds")
    ended_reason: str | None


class DecisionIn(BaseModel):
    """An investigator's decision on a resident's classification."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["confirmed", "changed", "withdrawn"]
    reason: Text = Field(min_length=1, max_length=2000, description="Why (always required)")
    tier: Literal["close", "sub_close"] | None = Field(
        default=None, description="A change: the new tier")
    end_on: OptionalDay = Field(default=None, description="A change: the new end of "
                                                          "quarantine (not before the last "
                                                          "exposure)")


class EvidenceGroupOut(Schema):
    """The evidence of one case in one setting (strongest groups first)."""

    case_id: int | None = Field(description="Null when the case lives outside the caller's area")
    case: str
    setting: str
    tier: str
    derivation: str
    evidence_ids: list[int] = Field(description="The pieces of `evidence`, strongest first")


class ContactOut(Schema):
    """A resident as a contact: tier, every piece of evidence, follow-up and history."""

    resident_id: int
    name: str
    name_latin: str
    tier: str | None
    status: str | None
    identified_at: datetime | None
    isolated_at: datetime | None
    first_exposure_at: datetime | None
    last_exposure_at: datetime | None
    last_exposure_on: date | None
    preset: str
    became_case_on: date | None
    missed_tests: int
    evidence: list[EvidenceOut]
    groups: list[EvidenceGroupOut] = Field(
        description="The active evidence by case and setting, strongest first; sub-close "
                    "derivations are left out when the person is a close contact")
    collapsed_sub_close: int = Field(
        description="Sub-close pieces left out of `groups` (already a close contact)")
    withdrawn_evidence: list[EvidenceOut]
    follow_up: list[PlannedTestOut]
    events: list[ContactEventOut]
    decided_end_on: date | None = Field(
        default=None, description="The end of quarantine an investigator decided")
    decisions: list[DecisionOut] = Field(default_factory=list)


class LetterTest(Schema):
    """A test the resident must take."""

    day: int
    on: date
    place: str


class LetterStageOut(Schema):
    """A stage of the resident's quarantine."""

    place: str
    start: date
    end: date


class LetterGroup(Schema):
    """The reasons of one setting, as the resident reads them."""

    setting: str
    reasons: list[str]


class LetterEndChange(Schema):
    """An earlier end date of the order and why it moved."""

    previous_end_on: date
    end_on: date
    reason: str


class LetterOut(Schema):
    """What the resident is told: why, without naming the case or anyone else."""

    tier: str | None
    reasons: list[str]
    groups: list[LetterGroup]
    rules: list[str]
    stages: list[LetterStageOut]
    end_on: date | None = Field(description="The last day of quarantine or monitoring")
    tests: list[LetterTest]
    preset: str
    order_id: int | None = Field(None, description="The quarantine order the stages, end and "
                                 "tests come from; none when tracing's follow-up plan is read")
    order_version: int | None = None
    explanation: str | None = Field(None, description="Why the order says what it says")
    end_changes: list[LetterEndChange] = Field(default_factory=list,
                                               description="Earlier end dates and why they moved")


class MissedTestOut(Schema):
    """A planned test whose day passed without a sample."""

    resident_id: int
    name: str
    name_latin: str
    tier: str
    day: int
    due_on: date
    place: str


def log_out(log: VisitLog) -> VisitLogOut:
    """The API shape of a visit log."""
    return VisitLogOut.model_validate(log)


def log_detail(log: VisitLog) -> VisitLogDetail:
    """The API shape of a visit log with its report."""
    data: dict[str, Any] = VisitLogOut.model_validate(log).model_dump()
    return VisitLogDetail(**data, problem_counts=problem_counts(log),
                          problems=[ProblemOut(**p) for p in listed_problems(log)])


def run_out(run: TracingRun) -> RunOut:
    """The API shape of a run."""
    return RunOut.model_validate(run)


def exposure_out(exposure: Exposure) -> ExposureOut:
    """The API shape of a recorded exposure."""
    return ExposureOut.model_validate(exposure)


def case_contacts_out(found: CaseContacts) -> CaseContactsOut:
    """The API shape of a case's contacts."""

    def row(r: CaseContactRow) -> CaseContactOut:
        """One contact's line."""
        return CaseContactOut(resident_id=r.resident.id, name=r.resident.name,
                              name_latin=r.resident.name_latin, tier=r.tier,
                              settings=r.settings, evidence=r.pieces)

    traced = found.traced
    return CaseContactsOut(
        case_id=found.case.id, resident_id=found.case.resident_id, status=found.case.status,
        traced_at=traced.traced_at if traced else None,
        window_start=traced.window_start if traced else None,
        window_end=traced.window_end if traced else None,
        close=[row(r) for r in found.close], sub_close=[row(r) for r in found.sub_close],
        hidden=found.hidden)


def evidence_out(view: EvidenceView) -> EvidenceOut:
    """The API shape of a piece of evidence, explained for staff."""
    row = view.row
    return EvidenceOut(
        id=row.id, status=row.status, tier=row.tier, derivation=view.derivation,
        setting=row.setting, place_id=row.place_id, place=view.place, case_id=view.case_id,
        case=view.case_label, via_resident_id=view.via_resident_id, via=view.via_label,
        overlap_start=row.overlap_start, overlap_end=row.overlap_end, rule=view.rule,
        explanation=view.for_staff, found_at=row.found_at, withdrawn_at=row.withdrawn_at)


def contact_out(detail: ContactDetail) -> ContactOut:
    """The API shape of a contact."""
    record = detail.contact
    person = detail.resident
    grouped = detail.grouped
    return ContactOut(
        resident_id=person.id, name=person.name, name_latin=person.name_latin,
        tier=detail.tier, status=record.status if record else None,
        identified_at=record.identified_at if record else None,
        isolated_at=record.isolated_at if record else None,
        first_exposure_at=record.first_exposure_at if record else None,
        last_exposure_at=record.last_exposure_at if record else None,
        last_exposure_on=record.last_exposure_on if record else None,
        preset=detail.preset, became_case_on=detail.became_case_on,
        missed_tests=detail.missed,
        evidence=[evidence_out(v) for v in detail.evidence],
        groups=[EvidenceGroupOut(case_id=g.case_id, case=g.case_label, setting=g.setting,
                                 tier=g.tier, derivation=g.derivation,
                                 evidence_ids=[v.row.id for v in g.pieces])
                for g in grouped.groups],
        collapsed_sub_close=grouped.collapsed,
        withdrawn_evidence=[evidence_out(v) for v in detail.withdrawn_evidence],
        follow_up=[PlannedTestOut(
            day=t.test.day, due_on=t.test.due_on, place=t.test.place,
            category=t.test.category, status=t.status,
            results=[TestResultOut(sample_code=s.code, collected_at=s.collected_at,
                                   tube_code=tube.code, outcome=tube.outcome)
                     for s, tube in t.results]) for t in detail.follow_up],
        events=[ContactEventOut.model_validate(e) for e in detail.events],
        decided_end_on=record.decided_end_on if record else None,
        decisions=[DecisionOut.model_validate(d) for d in detail.decisions])


def letter_out(letter: ResidentLetter) -> LetterOut:
    """The API shape of the resident's explanation."""
    return LetterOut(tier=letter.tier, reasons=letter.reasons,
                     groups=[LetterGroup(setting=k, reasons=r) for k, r in letter.groups],
                     rules=letter.rules_cited,
                     stages=[LetterStageOut(place=st.place, start=st.start, end=st.end)
                             for st in letter.stages], end_on=letter.end_on,
                     tests=[LetterTest(day=d, on=on, place=p) for d, on, p in letter.tests],
                     preset=letter.preset,
                     order_id=letter.order.order_id if letter.order else None,
                     order_version=letter.order.version if letter.order else None,
                     explanation=letter.order.explanation if letter.order else None,
                     end_changes=[LetterEndChange(previous_end_on=c.previous_end_on,
                                                  end_on=c.end_on, reason=c.reason)
                                  for c in (letter.order.end_changes if letter.order else [])])


def missed_out(rows: list[tuple[Any, Any, Any]]) -> list[MissedTestOut]:
    """The API shape of missed tests."""
    return [MissedTestOut(resident_id=person.id, name=person.name,
                          name_latin=person.name_latin, tier=record.tier, day=test.day,
                          due_on=test.due_on, place=test.place)
            for test, person, record in rows]
