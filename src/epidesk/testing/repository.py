"""Every query of the testing domain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, joinedload

from epidesk.db import count_at_most, is_postgres
from epidesk.kit import clock
from epidesk.kit.bulk.reading import member, pg_columns
from epidesk.people import repository as people
from epidesk.testing.models import LabBatch, PositiveResult, RetestOrder, Sample, Tube


def batch(session: Session, batch_id: int) -> LabBatch | None:
    """A batch by id."""
    return session.get(LabBatch, batch_id)


def batches(session: Session, *, limit: int, offset: int,
            status: str | None = None) -> Sequence[LabBatch]:
    """Batches, newest first."""
    stmt = select(LabBatch)
    if status:
        stmt = stmt.where(LabBatch.status == status)
    return session.scalars(stmt.order_by(LabBatch.received_at.desc(), LabBatch.id.desc())
                           .limit(limit).offset(offset)).all()


def count_batches(session: Session, *, status: str | None, cap: int) -> int:
    """How many batches `batches` would list in all, counted up to `cap + 1`."""
    stmt = select(LabBatch.id)
    if status:
        stmt = stmt.where(LabBatch.status == status)
    return count_at_most(session, stmt, cap)


def tube(session: Session, tube_id: int) -> Tube | None:
    """A tube with its batch."""
    return session.scalars(select(Tube).options(joinedload(Tube.batch))
                           .where(Tube.id == tube_id)).first()


def tube_id_of_code(session: Session, code: str) -> int | None:
    """The id of the tube with this code."""
    return session.scalars(select(Tube.id).where(Tube.code == code)).first()


def tube_samples(session: Session, tube_id: int) -> Sequence[Sample]:
    """The samples of a tube."""
    return session.scalars(select(Sample).where(Sample.tube_id == tube_id)
                           .order_by(Sample.id)).all()


def tube_retests(session: Session, tube_id: int) -> Sequence[RetestOrder]:
    """The retest orders a tube called for."""
    return session.scalars(select(RetestOrder).where(RetestOrder.tube_id == tube_id)
                           .order_by(RetestOrder.id)).all()


def resident_samples(session: Session, resident_id: int) -> list[tuple[Sample, Tube]]:
    """A resident's samples with their tubes, newest first."""
    rows = session.execute(
        select(Sample, Tube).join(Tube, Tube.id == Sample.tube_id)
        .where(Sample.resident_id == resident_id)
        .order_by(Sample.collected_at.desc(), Sample.id.desc())
    ).all()
    return [(s, t) for s, t in rows]


def resident_retests(session: Session, resident_id: int) -> Sequence[RetestOrder]:
    """A resident's retest orders, newest first."""
    return session.scalars(select(RetestOrder).where(RetestOrder.resident_id == resident_id)
                           .order_by(RetestOrder.ordered_at.desc(), RetestOrder.id.desc())
                           ).all()


def retests(session: Session, *, status: str | None, limit: int, offset: int,
            community_ids: Sequence[int] | None) -> Sequence[RetestOrder]:
    """Retest orders of residents living in the communities, oldest open first."""
    stmt = _retests(select(RetestOrder), status=status, community_ids=community_ids)
    return session.scalars(stmt.order_by(RetestOrder.ordered_at, RetestOrder.id)
                           .limit(limit).offset(offset)).all()


def count_retests(session: Session, *, status: str | None,
                  community_ids: Sequence[int] | None, cap: int) -> int:
    """How many orders `retests` would list in all, counted up to `cap + 1`."""
    stmt = _retests(select(RetestOrder.id), status=status, community_ids=community_ids)
    return count_at_most(session, stmt, cap)


def _retests(stmt: Select[Any], *, status: str | None,
             community_ids: Sequence[int] | None) -> Select[Any]:
    if status:
        stmt = stmt.where(RetestOrder.status == status)
    if community_ids is not None:
        stmt = stmt.where(RetestOrder.resident_id.in_(people.ids_living_in(community_ids)))
    return stmt


def batch_tubes(session: Session, batch_id: int, *, outcome: str | None, limit: int,
                offset: int, community_ids: Sequence[int] | None = None) -> Sequence[Tube]:
    """Tubes of a batch; with communities, only those holding a sample of a resident
    living in one of them."""
    stmt = select(Tube).where(Tube.batch_id == batch_id)
    if outcome:
        stmt = stmt.where(Tube.outcome == outcome)
    if community_ids is not None:
        stmt = stmt.where(Tube.id.in_(
            select(Sample.tube_id).where(Sample.resident_id.in_(
                people.ids_living_in(community_ids)))))
    return session.scalars(stmt.order_by(Tube.id).limit(limit).offset(offset)).all()


def positive_results_after(session: Session, position: int, limit: int
                           ) -> Sequence[PositiveResult]:
    """Positive-result events after an event id, oldest first."""
    return session.scalars(select(PositiveResult).where(PositiveResult.id > position)
                           .order_by(PositiveResult.id).limit(limit)).all()


def pooled_swabs(session: Session, tube_ids: Sequence[int]
                 ) -> dict[tuple[int, int], datetime]:
    """(resolving single tube, resident) -> when the resident's swab went into the positive
    pool whose retest that tube resolved (the earliest such swab)."""
    if not tube_ids:
        return {}
    rows = session.execute(
        select(RetestOrder.resolved_by_tube_id, RetestOrder.resident_id,
               func.min(Sample.collected_at))
        .join(Sample, (Sample.tube_id == RetestOrder.tube_id)
              & (Sample.resident_id == RetestOrder.resident_id))
        .where(RetestOrder.reason == "pool_positive",
               RetestOrder.resolved_by_tube_id.in_(sorted(set(tube_ids))))
        .group_by(RetestOrder.resolved_by_tube_id, RetestOrder.resident_id)).all()
    return {(int(t), int(r)): clock.aware(at) for t, r, at in rows if t is not None}


def add_case_counts(session: Session, batch_id: int, counts: Mapping[str, int]) -> None:
    """Add the case registry's counts (cases_created, repositives_linked) to a batch."""
    record = session.get(LabBatch, batch_id)
    if record is None:
        return
    record.cases_created += int(counts.get("cases_created", 0))
    record.repositives_linked += int(counts.get("repositives_linked", 0))
    session.flush()


# ------------------------------------------------------------------ for other domains


def samples_between(session: Session, resident_id: int, start: datetime, end: datetime
                    ) -> list[tuple[Sample, Tube]]:
    """A resident's samples collected in [start, end), with their tubes."""
    rows = session.execute(select(Sample, Tube).join(Tube, Tube.id == Sample.tube_id).where(
        Sample.resident_id == resident_id, Sample.collected_at >= start,
        Sample.collected_at < end).order_by(Sample.collected_at)).all()
    return [(s, t) for s, t in rows]


def sampled_between(resident_id: Any, start: Any, end: Any) -> ColumnElement[bool]:
    """A condition for other repositories: the resident gave a sample in [start, end)
    (columns or values of the enclosing query)."""
    return (select(Sample.id).where(Sample.resident_id == resident_id,
                                    Sample.collected_at >= start, Sample.collected_at < end)
            .exists())


def accepted_batches_between(session: Session, *, start: datetime, end: datetime
                             ) -> list[tuple[datetime, int, int, int]]:
    """(received at, samples, tubes, positive tubes) of batches accepted in [start, end)."""
    rows = session.execute(select(LabBatch.received_at, LabBatch.rows, LabBatch.tubes,
                                  LabBatch.positive_tubes)
                           .where(LabBatch.status == "accepted", LabBatch.received_at >= start,
                                  LabBatch.received_at < end)).all()
    return [(at, int(r), int(t), int(p)) for at, r, t, p in rows]


def rejected_batch_count(session: Session, *, since: datetime) -> int:
    """How many files were rejected (and not accepted since) after a moment."""
    return int(session.scalar(select(func.count()).select_from(LabBatch).where(
        LabBatch.status == "rejected", LabBatch.received_at >= since)) or 0)


def latest_result_before(session: Session, before: datetime) -> datetime | None:
    """The latest moment a tube's result was given before a moment, if any."""
    return session.scalar(select(func.max(Tube.result_at)).where(Tube.result_at < before))


def accepted_batch_ids_after(session: Session, position: int) -> list[int]:
    """The accepted lab batches with a larger id than `position`, oldest first."""
    return list(session.scalars(select(LabBatch.id).where(
        LabBatch.id > position, LabBatch.status == "accepted").order_by(LabBatch.id)))


def batch_swabs(session: Session, batch_id: int) -> list[tuple[int, datetime, str]]:
    """(resident, collected at, the tube's outcome) of every swab of a batch."""
    return [(int(r), at, o) for r, at, o in session.execute(
        select(Sample.resident_id, Sample.collected_at, Tube.outcome)
        .join(Tube, Tube.id == Sample.tube_id).where(Tube.batch_id == batch_id)).all()]


def batch_swab_columns(session: Session, batch_id: int
                       ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    """(resident, collected at in epoch seconds, in a positive tube) of every swab of a
    batch, as arrays (read in bulk on PostgreSQL: no Python object per swab)."""
    if is_postgres(session):
        resident, at, positive = pg_columns(
            session, "(SELECT sample.id, sample.resident_id, sample.collected_at, "
                     "tube.outcome FROM sample JOIN tube ON tube.id = sample.tube_id "
                     "WHERE tube.batch_id = %(batch)s) AS swab",
            [("resident_id", "int4"), ("collected_at", "timestamp"),
             ("(outcome = 'positive')::int4", "int4")], params={"batch": batch_id})
        return resident, at, positive.astype(bool)
    found = batch_swabs(session, batch_id)
    return (np.asarray([r for r, _, _ in found], dtype=np.int64),
            np.asarray([int(clock.aware(a).timestamp()) for _, a, _ in found], dtype=np.int64),
            np.asarray([o == "positive" for _, _, o in found], dtype=bool))


def batch_swabs_of_residents(session: Session, batch_id: int, resident_ids: Sequence[int]
                             ) -> list[tuple[int, datetime, str]]:
    """(resident, collected at, the tube's outcome) of the swabs of a batch taken from
    these residents: read from the residents down, so that a few residents cost a few
    index reads whatever the size of the batch."""
    out: list[tuple[int, datetime, str]] = []
    for condition in member(session, Sample.resident_id, resident_ids):
        out.extend((int(r), at, o) for r, at, o in session.execute(
            select(Sample.resident_id, Sample.collected_at, Tube.outcome)
            .join(Tube, Tube.id == Sample.tube_id)
            .where(condition, Tube.batch_id == batch_id)).all())
    return out


def first_accepted_batch_at(session: Session) -> datetime | None:
    """When the first accepted lab batch was received, if any."""
    return session.scalar(select(func.min(LabBatch.received_at))
                          .where(LabBatch.status == "accepted"))
