"""Queries of classification runs: the evidence, contacts and traced cases they write,
and the cursor over case events (the cases themselves are read from the cases domain)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from epidesk.db import is_postgres
from epidesk.kit.bulk.reading import (
    LITE_SECONDS,
    IntArray,
    chunks,
    distinct_ids,
    epoch,
    int_matrix,
    member,
    pg_columns,
)
from epidesk.tracing.models import (
    Contact,
    ContactEvidence,
    FollowUpTest,
    RetraceRequest,
    TracedCase,
    TracingRun,
)
from epidesk.tracing.rules import ACTIVE, CLOSE, SETTING_CODES, TIER_CODES, WITHDRAWN
from epidesk.tracing.runs.rules import ContactStates, EvidenceArrays


def case_event_cursor(session: Session) -> int:
    """The newest case event a tracing run has followed (0 before the first run)."""
    return int(session.scalar(select(func.max(TracingRun.case_event_cursor))) or 0)


def retrace_cursor(session: Session) -> int:
    """The newest retrace request a tracing run has followed (0 before the first run)."""
    return int(session.scalar(select(func.max(TracingRun.retrace_cursor))) or 0)


def latest_retrace_request(session: Session) -> int:
    """The id of the newest retrace request (0 when there is none)."""
    return int(session.scalar(select(func.max(RetraceRequest.id))) or 0)


def traced_cases(session: Session, case_ids: Sequence[int]) -> dict[int, TracedCase]:
    """The tracing records of cases."""
    out: dict[int, TracedCase] = {}
    for chunk in chunks(case_ids):
        out.update({t.case_id: t for t in session.scalars(
            select(TracedCase).where(TracedCase.case_id.in_(chunk)))})
    return out


def cases_with_active_evidence(session: Session) -> set[int]:
    """Cases some active evidence still names."""
    return set(session.scalars(select(ContactEvidence.case_id).distinct()
                               .where(ContactEvidence.status == ACTIVE)))


def close_contacts_of_cases(session: Session, case_ids: Sequence[int]) -> set[int]:
    """Residents that are active direct close contacts of any of the cases."""
    out: set[int] = set()
    for chunk in chunks(case_ids):
        out.update(session.scalars(select(ContactEvidence.resident_id).distinct().where(
            ContactEvidence.status == ACTIVE, ContactEvidence.tier == CLOSE,
            ContactEvidence.via_resident_id.is_(None), ContactEvidence.case_id.in_(chunk))))
    return out


def prior_first_exposures(session: Session, residents: Sequence[int],
                          excluded_cases: Sequence[int]) -> tuple[IntArray, IntArray]:
    """First exposure of residents as direct close contacts of cases outside a set."""
    excluded = sorted(set(excluded_cases))
    keys: list[int] = []
    values: list[int] = []
    for chunk in chunks(residents):
        stmt = (select(ContactEvidence.resident_id,
                       func.min(epoch(session, ContactEvidence.overlap_start)))
                .where(ContactEvidence.status == ACTIVE,
                       ContactEvidence.tier == CLOSE,
                       ContactEvidence.via_resident_id.is_(None),
                       ContactEvidence.resident_id.in_(chunk))
                .group_by(ContactEvidence.resident_id))
        if excluded:
            stmt = stmt.where(ContactEvidence.case_id.not_in(excluded))
        for r, t in session.execute(stmt):
            keys.append(int(r))
            values.append(int(t))
    return np.asarray(keys, dtype=np.int64), np.asarray(values, dtype=np.int64)


def save_traced_cases(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Create or update the tracing records of cases."""
    existing = traced_cases(session, [int(r["case_id"]) for r in rows])
    for row in rows:
        record = existing.get(int(row["case_id"]))
        if record is None:
            session.add(TracedCase(**row))
        else:
            for key, value in row.items():
                setattr(record, key, value)
    session.flush()


def _case_of(column: str, codes: Mapping[str, int]) -> str:
    branches = " ".join(f"WHEN '{name}' THEN {code}" for name, code in codes.items())
    return f"(CASE {column} {branches} END)"


def _evidence_where(session: Session, where: str, params: Mapping[str, Any]
                    ) -> EvidenceArrays:
    """Active evidence rows matching a condition (PostgreSQL syntax, %(name)s parameters)."""
    tiers, settings = TIER_CODES, SETTING_CODES
    if is_postgres(session):
        columns = pg_columns(session, "contact_evidence", [
            ("id", "int4"), ("resident_id", "int4"), ("case_id", "int4"),
            (_case_of("tier", tiers), "int4"), (_case_of("setting", settings), "int4"),
            ("place_id", "int4"), ("coalesce(via_resident_id, -1)", "int4"),
            ("overlap_start", "timestamp"), ("overlap_end", "timestamp")],
            f"WHERE status = 'active' AND {where}", params)
        return EvidenceArrays(*columns)
    lite = where
    values: list[Any] = []
    for name, value in params.items():
        lite = lite.replace(f"= ANY(%({name})s)", "IN (SELECT value FROM json_each(?))")
        values.append(json.dumps(list(value)))
    sec = LITE_SECONDS
    sql = (f"SELECT id, resident_id, case_id, {_case_of('tier', tiers)}, "
           f"{_case_of('setting', settings)}, place_id, coalesce(via_resident_id, -1), "
           f"{sec.format('overlap_start')}, {sec.format('overlap_end')} "
           f"FROM contact_evidence WHERE status = 'active' AND {lite}")
    rows = session.connection().exec_driver_sql(sql, tuple(values)).fetchall()
    data = int_matrix(rows, 9)
    return EvidenceArrays(*(data[:, i] for i in range(9)))


def _no_evidence() -> EvidenceArrays:
    return EvidenceArrays(*(np.zeros(0, dtype=np.int64) for _ in range(9)))


def active_evidence_of_cases(session: Session, case_ids: Sequence[int]) -> EvidenceArrays:
    """Active evidence rows naming any of the cases."""
    if not len(case_ids):
        return _no_evidence()
    return _evidence_where(session, "case_id = ANY(%(cases)s)", {"cases": distinct_ids(case_ids)})


def active_evidence_of_residents(session: Session, residents: Sequence[int] | IntArray,
                                 *, other_than_cases: Sequence[int] = ()) -> EvidenceArrays:
    """Active evidence rows of the contacts, leaving out the given cases' evidence."""
    if not len(residents):
        return _no_evidence()
    where = "resident_id = ANY(%(residents)s)"
    params: dict[str, list[int]] = {"residents": distinct_ids(residents)}
    if other_than_cases:
        where += " AND NOT case_id = ANY(%(cases)s)"
        params["cases"] = distinct_ids(other_than_cases)
    return _evidence_where(session, where, params)


def contact_states(session: Session, residents: IntArray) -> ContactStates:
    """The contact records of residents (sorted by resident)."""
    rows: list[Any] = []
    tier = sa.case((Contact.tier == CLOSE, 1), else_=2)
    active = sa.case((Contact.status == ACTIVE, 1), else_=0)
    stmt = select(Contact.resident_id, Contact.id, tier, active,
                  epoch(session, Contact.first_exposure_at),
                  epoch(session, Contact.last_exposure_at),
                  epoch(session, Contact.last_exposure_on), Contact.preset)
    for condition in member(session, Contact.resident_id, residents):
        rows += session.execute(stmt.where(condition)).all()
    rows.sort(key=lambda r: r[0])
    data = int_matrix([r[:7] for r in rows], 7)
    return ContactStates(data[:, 0], data[:, 1], data[:, 2], data[:, 3] == 1, data[:, 4],
                         data[:, 5], (data[:, 6] // 86_400).astype("datetime64[D]"),
                         np.asarray([r[7] for r in rows], dtype=object))


def contacts_under_other_preset(session: Session, preset: str,
                                residents: IntArray | None) -> IntArray:
    """Active contacts (among residents, or all) whose plan was made under another preset."""
    stmt = select(Contact.resident_id).where(Contact.status == ACTIVE, Contact.preset != preset)
    if residents is None:
        found = list(session.scalars(stmt))
    else:
        found = []
        for condition in member(session, Contact.resident_id, residents):
            found += session.scalars(stmt.where(condition)).all()
    return np.unique(np.asarray(found, dtype=np.int64))


def withdraw_evidence(session: Session, ids: Sequence[int], at: datetime) -> None:
    """Mark evidence rows withdrawn."""
    for condition in member(session, ContactEvidence.id, ids):
        session.execute(update(ContactEvidence).where(condition)
                        .values(status=WITHDRAWN, withdrawn_at=at))


def isolations(session: Session) -> tuple[IntArray, IntArray]:
    """(resident, isolated at) of every active contact."""
    if is_postgres(session):
        resident, at = pg_columns(session, "contact", [("resident_id", "int4"),
                                                        ("isolated_at", "timestamp")],
                                   "WHERE status = 'active'")
        return resident, at
    rows = session.execute(select(Contact.resident_id, epoch(session, Contact.isolated_at))
                           .where(Contact.status == ACTIVE)).all()
    data = int_matrix(rows, 2)
    return data[:, 0], data[:, 1]


def contact_counts(session: Session) -> dict[str, int]:
    """Active contacts per tier."""
    rows = session.execute(select(Contact.tier, func.count()).where(
        Contact.status == ACTIVE).group_by(Contact.tier)).all()
    return {str(t): int(n) for t, n in rows}


def delete_follow_up(session: Session, residents: Sequence[int] | IntArray) -> None:
    """Forget the follow-up plans of residents."""
    for condition in member(session, FollowUpTest.resident_id, residents):
        session.execute(sa.delete(FollowUpTest).where(condition))


def last_runs(session: Session, *, limit: int) -> Sequence[TracingRun]:
    """Tracing runs, newest first."""
    return session.scalars(select(TracingRun).order_by(TracingRun.started_at.desc(),
                                                       TracingRun.id.desc())
                           .limit(limit)).all()
