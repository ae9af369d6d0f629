"""FastAPI dependencies of the cases domain, shared by its api and pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from epidesk.kit.access import CASES_WRITE, MEDICAL_READ, TESTING_INGEST, Caller
from epidesk.kit.web import require
from epidesk.testing.schemas import batch_detail
from epidesk.testing.service import IngestResult

MedicalReader = Annotated[Caller, Depends(require(MEDICAL_READ))]
CaseWriter = Annotated[Caller, Depends(require(CASES_WRITE))]
Ingester = Annotated[Caller, Depends(require(TESTING_INGEST))]


def ingest_message(result: IngestResult) -> str:
    """One sentence on what an upload did."""
    b = result.batch
    if result.already_ingested:
        return (f"this file was already ingested as batch {b.id} on "
                f"{b.received_at:%Y-%m-%d %H:%M}; nothing changed")
    if result.accepted:
        return (f"accepted: {b.rows:,} samples in {b.tubes:,} tubes, {b.positive_tubes:,} "
                f"positive; {b.retests_ordered:,} retests ordered, {b.retests_resolved:,} "
                f"resolved; {b.cases_created:,} new cases, {b.repositives_linked:,} re-positives")
    return f"rejected, nothing written: {result.report.summary()}"


def rejection_problem(result: IngestResult, instance: str) -> dict[str, Any]:
    """The problem+json document of a rejected batch, with its report."""
    detail = batch_detail(result.batch)
    return {
        "type": "https://epidesk.org/problems/batch-rejected",
        "title": "Batch rejected",
        "status": 422,
        "detail": ingest_message(result),
        "instance": instance,
        "batch_id": result.batch.id,
        "problem_counts": detail.problem_counts,
        "problems": [p.model_dump() for p in detail.problems],
        "truncated": detail.problem_count > len(detail.problems),
    }
