"""Rows in each testing table, for checks that nothing changed."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.testing.models import LabBatch, RetestOrder, Sample, Tube


def table_counts(session: Session) -> dict[str, int]:
    """Rows in each testing table."""
    return {
        "lab_batch": session.scalar(select(func.count()).select_from(LabBatch)) or 0,
        "tube": session.scalar(select(func.count()).select_from(Tube)) or 0,
        "sample": session.scalar(select(func.count()).select_from(Sample)) or 0,
        "retest_order": session.scalar(select(func.count()).select_from(RetestOrder)) or 0,
    }
