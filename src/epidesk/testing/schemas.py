"""API shapes of the testing domain: batches with their reports, tubes, histories, retests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from epidesk.kit.imports import listed_problems, problem_counts
from epidesk.kit.links import Link
from epidesk.testing.models import LabBatch, RetestOrder, Tube
from epidesk.testing.rules import TestingHistory, TubeDetail


class Schema(BaseModel):
    """Base of the domain's output models."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")


class ProblemOut(Schema):
    """One problem of a rejected batch: the file line, the column and what is wrong."""

    line: int
    column: str
    kind: str
    problem: str


class BatchOut(Schema):
    """A lab batch: accepted (with what it wrote) or rejected (with how many problems)."""

    id: int
    digest: str
    filename: str
    file_format: str
    labs: str
    status: str
    received_at: datetime
    received_by: str
    attempts: int
    rows: int
    tubes: int
    pooled_tubes: int
    positive_tubes: int
    invalid_tubes: int
    reread_tubes: int
    retests_ordered: int
    retests_resolved: int
    cases_created: int
    repositives_linked: int
    preset: str
    problem_count: int
    seconds: float


class BatchDetail(BatchOut):
    """A batch with its validation report (first problems by line, counts per kind)."""

    problem_counts: dict[str, int]
    problems: list[ProblemOut]


class IngestOut(Schema):
    """The answer to an upload."""

    already_ingested: bool
    message: str
    batch: BatchDetail


class TubeOut(Schema):
    """A tube's result; the outcome is the platform's reading under the preset."""

    id: int
    code: str
    batch_id: int
    kind: str
    pool_size: int
    lab: str
    collection_site: str
    collected_at: datetime
    result_at: datetime
    reported_outcome: str
    outcome: str
    ct_orf1ab: float | None
    ct_n: float | None
    ct_e: float | None


class SampleOut(Schema):
    """A swab in a tube, and whose it is."""

    id: int
    code: str
    resident_id: int
    resident_name: str
    collected_at: datetime


class RetestOut(Schema):
    """A single-tube retest ordered for a resident."""

    id: int
    resident_id: int
    tube_id: int
    reason: str
    ordered_at: datetime
    status: str
    resolved_by_tube_id: int | None
    resolved_at: datetime | None


class RetestWithResident(RetestOut):
    """A retest order with the resident's name."""

    resident_name: str


class LinkOut(Schema):
    """A record another domain made of this one (a case a tube produced): named inside the
    caller's area; beyond it "a case outside your area", with no id and no address."""

    kind: str
    id: int | None
    label: str
    href: str | None
    note: str


class TubeDetailOut(Schema):
    """A tube with the samples (and retests) of residents inside the caller's area, and
    the cases its positive samples produced."""

    tube: TubeOut
    samples: list[SampleOut]
    hidden_samples: int
    retests: list[RetestOut]
    cases: list[LinkOut] = []


class HistoryEntry(Schema):
    """One of a resident's samples, with its tube's result."""

    sample_id: int
    sample_code: str
    collected_at: datetime
    tube: TubeOut


class TestingHistoryOut(Schema):
    """A resident's testing history: state, samples with results, retest orders."""

    resident_id: int
    name: str
    name_latin: str
    state: str
    samples: list[HistoryEntry]
    retests: list[RetestOut]


def batch_out(batch: LabBatch) -> BatchOut:
    """The API shape of a batch."""
    return BatchOut.model_validate(batch)


def batch_detail(batch: LabBatch) -> BatchDetail:
    """The API shape of a batch with its report."""
    data: dict[str, Any] = BatchOut.model_validate(batch).model_dump()
    return BatchDetail(**data, problem_counts=problem_counts(batch),
                       problems=[ProblemOut(**p) for p in listed_problems(batch)])


def tube_out(tube: Tube) -> TubeOut:
    """The API shape of a tube."""
    return TubeOut.model_validate(tube)


def retest_out(order: RetestOrder) -> RetestOut:
    """The API shape of a retest order."""
    return RetestOut.model_validate(order)


def tube_detail_out(detail: TubeDetail, links: Sequence[Link] = ()) -> TubeDetailOut:
    """The API shape of a tube with its visible samples and the cases it produced."""
    return TubeDetailOut(
        cases=[LinkOut(**link.as_json()) for link in links],
        tube=tube_out(detail.tube),
        samples=[SampleOut(id=s.id, code=s.code, resident_id=r.id,
                           resident_name=f"{r.name} {r.name_latin}", collected_at=s.collected_at)
                 for s, r in detail.samples],
        hidden_samples=detail.hidden_samples,
        retests=[retest_out(o) for o in detail.retests],
    )


def history_out(history: TestingHistory) -> TestingHistoryOut:
    """The API shape of a resident's testing history."""
    r = history.resident
    return TestingHistoryOut(
        resident_id=r.id, name=r.name, name_latin=r.name_latin, state=history.state,
        samples=[HistoryEntry(sample_id=s.id, sample_code=s.code, collected_at=s.collected_at,
                              tube=tube_out(t)) for s, t in history.samples],
        retests=[retest_out(o) for o in history.retests],
    )
