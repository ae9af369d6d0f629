"""Every query of the tracing domain.

The contact graph is read column by column: on PostgreSQL as binary arrays built by
the server (`array_send(array_agg(...))`, a million rows per value), so that tens of
millions of rows reach numpy without a Python object per row; on SQLite row by row.
Times leave the database as seconds since the epoch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from epidesk.cases.models import CaseEpisode, CaseEvent
from epidesk.db import is_postgres
from epidesk.geography.models import Address, Building, Community, Subdistrict, Unit
from epidesk.kit import bulk
from epidesk.kit.access import AreaPath
from epidesk.people.models import (
    ClassMembership,
    Household,
    HouseholdMembership,
    Resident,
    School,
    SchoolClass,
    Venue,
    WorkGroup,
    WorkGroupMembership,
    Workplace,
)
from epidesk.testing.models import Sample, Tube
from epidesk.tracing import rules
from epidesk.tracing.engine import GraphArrays
from epidesk.tracing.models import (
    Contact,
    ContactEvent,
    ContactEvidence,
    Exposure,
    FollowUpTest,
    TracedCase,
    TracingRun,
    VenueVisit,
    VisitLog,
)

IntArray = NDArray[np.int64]
CHUNK = 5_000
GROUP_BITS = 20
PG_EPOCH_SECONDS = 946_684_800
PG_DATE_INFINITY = 2**31 - 1
_ARRAY_HEADER = 20


def _driver(session: Session) -> Any:
    driver = session.connection().connection.driver_connection
    assert driver is not None
    return driver


def _chunks(values: Sequence[int], size: int = CHUNK) -> list[list[int]]:
    ordered = sorted(set(int(v) for v in values))
    return [ordered[i: i + size] for i in range(0, len(ordered), size)]


# ------------------------------------------------------------------ the graph


def _pg_columns(session: Session, table: str, columns: Sequence[tuple[str, str]],
                where: str = "", params: Mapping[str, Any] | None = None
                ) -> list[NDArray[Any]]:
    """Columns of a table as numpy arrays, via server-built binary arrays.

    Each column is (SQL expression, kind) with kind "int4", "date" or "timestamp"; no
    value may be NULL.
    """
    return _columns_on(_driver(session), table, columns, where, params)


def _columns_on(driver: Any, table: str, columns: Sequence[tuple[str, str]],
                where: str = "", params: Mapping[str, Any] | None = None
                ) -> list[NDArray[Any]]:
    selected = ", ".join(f"array_send(array_agg({expr}))" for expr, _ in columns)
    sql = (f"SELECT {selected} FROM {table} {where} "
           f"GROUP BY id >> {GROUP_BITS} ORDER BY id >> {GROUP_BITS}")
    wires = {"int4": ">i4", "date": ">i4", "timestamp": ">i8"}
    parts: list[list[NDArray[Any]]] = [[] for _ in columns]
    with driver.cursor(binary=True) as cursor:
        cursor.execute(sql, params or {})
        for row in cursor:
            for i, (value, (_expr, kind)) in enumerate(zip(row, columns, strict=True)):
                dtype = np.dtype([("length", ">i4"), ("value", wires[kind])])
                parts[i].append(np.frombuffer(value, dtype=dtype,
                                              offset=_ARRAY_HEADER)["value"])
    out: list[NDArray[Any]] = []
    for chunks, (_expr, kind) in zip(parts, columns, strict=True):
        raw = np.concatenate(chunks) if chunks else np.zeros(0, dtype=wires[kind])
        out.append(_seconds(raw, kind))
    return out


def _int_matrix(rows: Sequence[Any], width: int) -> NDArray[np.int64]:
    """Rows of integers as a matrix; plain tuples first, which numpy reads far faster
    than SQLAlchemy rows."""
    return np.asarray([tuple(r) for r in rows], dtype=np.int64).reshape(-1, width)


def _seconds(raw: NDArray[Any], kind: str) -> IntArray:
    if kind == "int4":
        return raw.astype(np.int64)
    if kind == "timestamp":
        return raw.astype(np.int64) // 1_000_000 + PG_EPOCH_SECONDS
    days = raw.astype(np.int64)
    offset = int(rules.CITY_UTC_OFFSET.total_seconds())
    seconds = (days * 86_400 + PG_EPOCH_SECONDS - offset).astype(np.int64)
    return np.where(days == PG_DATE_INFINITY, rules.FOREVER, seconds)


def _lite_columns(session: Session, sql: str, kinds: Sequence[str],
                  params: Mapping[str, Any] | None = None) -> list[IntArray]:
    rows = session.connection().exec_driver_sql(sql, tuple((params or {}).values())
                                                ).fetchall()
    offset = int(rules.CITY_UTC_OFFSET.total_seconds())
    out: list[IntArray] = []
    for i, kind in enumerate(kinds):
        values = [r[i] for r in rows]
        if kind == "date":
            out.append(np.asarray([rules.FOREVER if v is None else int(v) - offset
                                   for v in values], dtype=np.int64))
        else:
            out.append(np.asarray(values, dtype=np.int64).reshape(-1))
    return out


_LITE_SECONDS = "CAST(strftime('%s', {}) AS INTEGER)"


def max_visit_id(session: Session) -> int:
    """The largest visit id (0 without visits)."""
    return int(session.scalar(select(func.max(VenueVisit.id))) or 0)


_VISIT_COLUMNS = [("resident_id", "int4"), ("venue_id", "int4"), ("started_at", "timestamp"),
                  ("ended_at", "timestamp")]
_VISIT_RANGE = "WHERE id > %(after)s AND id <= %(up_to)s"


def visit_columns(session: Session, *, after: int, up_to: int
                  ) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """(resident, venue, start, end) of the visits with after < id <= up_to."""
    if is_postgres(session):
        r, v, s, e = _pg_columns(session, "venue_visit", _VISIT_COLUMNS, _VISIT_RANGE,
                                 {"after": after, "up_to": up_to})
        return r, v, s, e
    sec = _LITE_SECONDS
    r, v, s, e = _lite_columns(
        session, f"SELECT resident_id, venue_id, {sec.format('started_at')}, "
                 f"{sec.format('ended_at')} FROM venue_visit WHERE id > ? AND id <= ?",
        ("int", "int", "int", "int"), {"after": after, "up_to": up_to})
    return r, v, s, e


def _writes_pending(session: Session) -> bool:
    """Whether this PostgreSQL transaction has written anything yet."""
    return session.execute(sa.text("SELECT pg_current_xact_id_if_assigned()")).scalar() \
        is not None


def _visits_in_snapshot(engine: Any, snapshot: str, up_to: int) -> list[NDArray[Any]]:
    """The visits up to a watermark, read on a second connection in an exported snapshot."""
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        driver = conn.connection.driver_connection
        return _columns_on(driver, "venue_visit", _VISIT_COLUMNS, _VISIT_RANGE,
                           {"after": 0, "up_to": up_to})


def exposure_columns(session: Session) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """(id, resident a, resident b, at) of every unprotected recorded exposure."""
    rows = session.execute(select(Exposure.id, Exposure.resident_a_id, Exposure.resident_b_id,
                                  Exposure.at).where(Exposure.protected.is_(False))).all()
    ids = np.asarray([r[0] for r in rows], dtype=np.int64)
    a = np.asarray([r[1] for r in rows], dtype=np.int64)
    b = np.asarray([r[2] for r in rows], dtype=np.int64)
    at = np.asarray([rules.seconds_of(r[3]) for r in rows], dtype=np.int64)
    return ids, a, b, at


def graph_arrays(session: Session) -> GraphArrays:
    """Every column the contact graph is built from, read in one transaction.

    On PostgreSQL, when the transaction has written nothing yet, the visits are read on
    a second connection sharing its snapshot, while this one reads the memberships.
    """
    watermark = max_visit_id(session)
    if is_postgres(session) and not _writes_pending(session):
        snapshot = session.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(_visits_in_snapshot, session.get_bind().engine, snapshot,
                                  watermark)
            return _graph_arrays(session, watermark, pending)
    return _graph_arrays(session, watermark, None)


# Membership tables of the graph and the group each one's rows belong to.
_MEMBERSHIPS = (("household_membership", "household_id"),
                ("work_group_membership", "work_group_id"),
                ("class_membership", "school_class_id"))


def _graph_arrays(session: Session, watermark: int, pending: Future[list[NDArray[Any]]] | None
                  ) -> GraphArrays:
    if is_postgres(session):
        memberships = []
        for table, group in _MEMBERSHIPS:
            memberships.append(_pg_columns(session, table, [
                ("resident_id", "int4"), (group, "int4"), ("start_date", "date"),
                ("coalesce(end_date, 'infinity'::date)", "date")]))
    else:
        memberships = []
        for table, group in _MEMBERSHIPS:
            memberships.append(_lite_columns(
                session, f"SELECT resident_id, {group}, {_LITE_SECONDS.format('start_date')}, "
                         f"{_LITE_SECONDS.format('end_date')} FROM {table}",
                ("int", "int", "date", "date")))
    if pending is not None:
        r, v, st, en = pending.result()
        visits = (r, v, st, en)
    else:
        visits = visit_columns(session, after=0, up_to=watermark)
    exposures = exposure_columns(session)
    (hr, hg, hs, he), (wr, wg, ws, we), (cr, cg, cs, ce) = memberships
    # Both backends give the last day; a membership ends at the next local midnight.
    he = np.where(he == rules.FOREVER, he, he + 86_400)
    we = np.where(we == rules.FOREVER, we, we + 86_400)
    ce = np.where(ce == rules.FOREVER, ce, ce + 86_400)
    return GraphArrays(
        household_resident=hr, household_group=hg, household_start=hs, household_end=he,
        work_resident=wr, work_group=wg, work_start=ws, work_end=we,
        class_resident=cr, class_group=cg, class_start=cs, class_end=ce,
        exposure_id=exposures[0], exposure_a=exposures[1], exposure_b=exposures[2],
        exposure_at=exposures[3],
        visit_resident=visits[0], visit_venue=visits[1], visit_start=visits[2],
        visit_end=visits[3], visit_watermark=watermark,
    )


@dataclass(frozen=True)
class GraphStamp:
    """What must not change for a graph in memory to stay valid (besides new visits)."""

    households: tuple[int, int, int, int]
    work: tuple[int, int, int]
    classes: tuple[int, int, int]
    exposures: tuple[int, int]


def _stamp(session: Session, table: Any, *extra: Any) -> tuple[int, ...]:
    row = session.execute(select(func.count(), func.coalesce(func.max(table.id), 0),
                                 *[func.coalesce(func.sum(e), 0) for e in extra])).one()
    return tuple(int(v) for v in row)


def graph_stamp(session: Session) -> GraphStamp:
    """Counts, largest ids and sums of the membership tables and exposures.

    Household memberships also count the open ones, so that ending one is noticed.
    """
    return GraphStamp(
        households=_stamp(  # type: ignore[arg-type]
            session, HouseholdMembership,
            HouseholdMembership.household_id + HouseholdMembership.resident_id,
            sa.case((HouseholdMembership.end_date.is_(None), 1), else_=0)),
        work=_stamp(session, WorkGroupMembership,  # type: ignore[arg-type]
                    WorkGroupMembership.work_group_id + WorkGroupMembership.resident_id),
        classes=_stamp(session, ClassMembership,  # type: ignore[arg-type]
                       ClassMembership.school_class_id + ClassMembership.resident_id),
        exposures=_stamp(session, Exposure),  # type: ignore[arg-type]
    )


def visits_up_to(session: Session, watermark: int) -> int:
    """How many visits have an id up to the watermark."""
    return int(session.scalar(select(func.count()).select_from(VenueVisit)
                              .where(VenueVisit.id <= watermark)) or 0)


# ------------------------------------------------------------------ residents and venues


def resident_ids(session: Session) -> IntArray:
    """Every resident id."""
    if is_postgres(session):
        return _pg_columns(session, "resident", [("id", "int4")])[0]
    return _lite_columns(session, "SELECT id FROM resident", ("int",))[0]


def venue_ids(session: Session) -> IntArray:
    """Every venue id."""
    return np.asarray(session.scalars(select(Venue.id)).all(), dtype=np.int64)


def residents_with_community(session: Session) -> tuple[IntArray, IntArray]:
    """Every resident id with the community they live in, by id."""
    if is_postgres(session):
        ids, community = _pg_columns(session, "resident", [("id", "int4"),
                                                           ("community_id", "int4")])
    else:
        ids, community = _lite_columns(session, "SELECT id, community_id FROM resident",
                                       ("int", "int"))
    order = np.argsort(ids, kind="stable")
    return ids[order], community[order]


def venues_with_kind(session: Session) -> tuple[IntArray, IntArray, list[str]]:
    """Every venue: id, community and kind."""
    rows = session.execute(select(Venue.id, Venue.community_id, Venue.kind)
                           .order_by(Venue.id)).all()
    return (np.asarray([r[0] for r in rows], dtype=np.int64),
            np.asarray([r[1] for r in rows], dtype=np.int64), [r[2] for r in rows])


def residents_exist(session: Session, ids: Sequence[int]) -> set[int]:
    """Which of the ids are registered residents."""
    found: set[int] = set()
    for chunk in _chunks(ids):
        found.update(session.scalars(select(Resident.id).where(Resident.id.in_(chunk))))
    return found


def resident_area(session: Session, resident_id: int) -> AreaPath | None:
    """Where a resident lives."""
    row = session.execute(
        select(Resident.community_id, Community.subdistrict_id, Subdistrict.district_id)
        .join(Community, Community.id == Resident.community_id)
        .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
        .where(Resident.id == resident_id)).first()
    if row is None:
        return None
    return AreaPath(district_id=row[2], subdistrict_id=row[1], community_id=row[0])


def resident(session: Session, resident_id: int) -> Resident | None:
    """A resident by id."""
    return session.get(Resident, resident_id)


def residents_by_id(session: Session, ids: Sequence[int]) -> dict[int, Resident]:
    """Residents by id."""
    out: dict[int, Resident] = {}
    for chunk in _chunks(ids):
        out.update({r.id: r for r in session.scalars(select(Resident)
                                                     .where(Resident.id.in_(chunk)))})
    return out


def residents_in(session: Session, ids: Sequence[int], community_ids: Sequence[int] | None
                 ) -> set[int]:
    """Which of the residents live in the communities (all of them without a filter)."""
    if community_ids is None:
        return {int(i) for i in ids}
    found: set[int] = set()
    allowed = sorted(set(community_ids))
    for chunk in _chunks(ids):
        found.update(session.scalars(select(Resident.id).where(
            Resident.id.in_(chunk), Resident.community_id.in_(allowed))))
    return found


# ------------------------------------------------------------------ visit logs


def log_by_digest(session: Session, digest: str) -> VisitLog | None:
    """The visit log whose file had this SHA-256 digest."""
    return session.scalars(select(VisitLog).where(VisitLog.digest == digest)).first()


def visit_log(session: Session, log_id: int) -> VisitLog | None:
    """A visit log by id."""
    return session.get(VisitLog, log_id)


def visit_logs(session: Session, *, limit: int, offset: int) -> Sequence[VisitLog]:
    """Visit logs, newest first."""
    return session.scalars(select(VisitLog).order_by(VisitLog.received_at.desc(),
                                                     VisitLog.id.desc())
                           .limit(limit).offset(offset)).all()


def write_rows(session: Session, table: sa.Table, columns: Mapping[str, bulk.Column],
               progress: bulk.Progress | None = None) -> int:
    """Write rows given as columns (binary COPY on PostgreSQL)."""
    return bulk.copy_rows(session, table, columns, progress=progress)


def existing_visits(session: Session, resident: IntArray, venue: IntArray, start: IntArray
                    ) -> tuple[IntArray, IntArray, IntArray]:
    """Which of the (resident, venue, arrival) visits are already stored."""
    wanted = set(zip(resident.tolist(), venue.tolist(), start.tolist(), strict=True))
    found_r: list[int] = []
    found_v: list[int] = []
    found_s: list[int] = []
    for chunk in _chunks(resident.tolist()):
        rows = session.execute(select(VenueVisit.resident_id, VenueVisit.venue_id,
                                      VenueVisit.started_at)
                               .where(VenueVisit.resident_id.in_(chunk))).all()
        for r, v, s in rows:
            key = (r, v, rules.seconds_of(s))
            if key in wanted:
                found_r.append(key[0])
                found_v.append(key[1])
                found_s.append(key[2])
    return (np.asarray(found_r, dtype=np.int64), np.asarray(found_v, dtype=np.int64),
            np.asarray(found_s, dtype=np.int64))


def visit_count(session: Session) -> int:
    """How many visits are stored."""
    return int(session.scalar(select(func.count()).select_from(VenueVisit)) or 0)


def resident_visits(session: Session, resident_id: int, *, limit: int = 200
                    ) -> list[tuple[VenueVisit, Venue]]:
    """A resident's visits with their venues, newest first."""
    rows = session.execute(select(VenueVisit, Venue).join(Venue, Venue.id == VenueVisit.venue_id)
                           .where(VenueVisit.resident_id == resident_id)
                           .order_by(VenueVisit.started_at.desc()).limit(limit)).all()
    return [(v, p) for v, p in rows]


# ------------------------------------------------------------------ exposures


def exposures_of(session: Session, resident_id: int) -> Sequence[Exposure]:
    """Recorded exposures involving a resident, newest first."""
    return session.scalars(select(Exposure).where(
        (Exposure.resident_a_id == resident_id) | (Exposure.resident_b_id == resident_id))
        .order_by(Exposure.at.desc(), Exposure.id.desc())).all()


def exposure(session: Session, exposure_id: int) -> Exposure | None:
    """A recorded exposure by id."""
    return session.get(Exposure, exposure_id)


# ------------------------------------------------------------------ cases


@dataclass(frozen=True)
class CaseFacts:
    """What classification needs to know about a case."""

    id: int
    resident_id: int
    classification: str
    status: str
    sampling_date: date
    onset_date: date | None
    isolation_date: date | None


def _facts(rows: Sequence[Any]) -> list[CaseFacts]:
    return [CaseFacts(*row) for row in rows]


_CASE_COLUMNS = (CaseEpisode.id, CaseEpisode.resident_id, CaseEpisode.classification,
                 CaseEpisode.status, CaseEpisode.sampling_date, CaseEpisode.onset_date,
                 CaseEpisode.isolation_date)


def active_cases(session: Session) -> list[CaseFacts]:
    """Every active case."""
    return _facts(session.execute(select(*_CASE_COLUMNS).where(CaseEpisode.status == "active")
                                  .order_by(CaseEpisode.id)).all())


def cases_by_id(session: Session, ids: Sequence[int]) -> list[CaseFacts]:
    """The cases with these ids."""
    out: list[CaseFacts] = []
    for chunk in _chunks(ids):
        out += _facts(session.execute(select(*_CASE_COLUMNS)
                                      .where(CaseEpisode.id.in_(chunk))).all())
    return out


def case_event_head(session: Session) -> int:
    """The id of the newest case event (0 when there is none)."""
    return int(session.scalar(select(func.max(CaseEvent.id))) or 0)


def case_event_cursor(session: Session) -> int:
    """The newest case event a tracing run has followed (0 before the first run)."""
    return int(session.scalar(select(func.max(TracingRun.case_event_cursor))) or 0)


def cases_changed(session: Session, *, after: int, up_to: int) -> list[int]:
    """The cases with an event (reported, linked, reclassified, withdrawn) in (after, up_to]."""
    return list(session.scalars(
        select(CaseEvent.episode_id).where(CaseEvent.id > after, CaseEvent.id <= up_to)
        .distinct().order_by(CaseEvent.episode_id)))


def case_episode(session: Session, case_id: int) -> CaseEpisode | None:
    """A case by id."""
    return session.get(CaseEpisode, case_id)


def traced_cases(session: Session, case_ids: Sequence[int]) -> dict[int, TracedCase]:
    """The tracing records of cases."""
    out: dict[int, TracedCase] = {}
    for chunk in _chunks(case_ids):
        out.update({t.case_id: t for t in session.scalars(
            select(TracedCase).where(TracedCase.case_id.in_(chunk)))})
    return out


def cases_with_active_evidence(session: Session) -> set[int]:
    """Cases some active evidence still names."""
    return set(session.scalars(select(ContactEvidence.case_id).distinct()
                               .where(ContactEvidence.status == rules.ACTIVE)))


def cases_with_close_contacts(session: Session, residents: Sequence[int]) -> set[int]:
    """Cases whose active direct close evidence names any of the residents."""
    out: set[int] = set()
    for chunk in _chunks(residents):
        out.update(session.scalars(select(ContactEvidence.case_id).distinct().where(
            ContactEvidence.status == rules.ACTIVE, ContactEvidence.tier == rules.CLOSE,
            ContactEvidence.via_resident_id.is_(None), ContactEvidence.resident_id.in_(chunk))))
    return out


def close_contacts_of_cases(session: Session, case_ids: Sequence[int]) -> set[int]:
    """Residents that are active direct close contacts of any of the cases."""
    out: set[int] = set()
    for chunk in _chunks(case_ids):
        out.update(session.scalars(select(ContactEvidence.resident_id).distinct().where(
            ContactEvidence.status == rules.ACTIVE, ContactEvidence.tier == rules.CLOSE,
            ContactEvidence.via_resident_id.is_(None), ContactEvidence.case_id.in_(chunk))))
    return out


def _epoch(session: Session, column: Any) -> Any:
    if is_postgres(session):
        return sa.cast(func.extract("epoch", column), sa.BigInteger)
    return sa.cast(func.strftime("%s", column), sa.BigInteger)


def prior_first_exposures(session: Session, residents: Sequence[int],
                          excluded_cases: Sequence[int]) -> tuple[IntArray, IntArray]:
    """First exposure of residents as direct close contacts of cases outside a set."""
    excluded = sorted(set(excluded_cases))
    keys: list[int] = []
    values: list[int] = []
    for chunk in _chunks(residents):
        stmt = (select(ContactEvidence.resident_id,
                       func.min(_epoch(session, ContactEvidence.overlap_start)))
                .where(ContactEvidence.status == rules.ACTIVE,
                       ContactEvidence.tier == rules.CLOSE,
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


# ------------------------------------------------------------------ evidence


@dataclass(frozen=True)
class EvidenceArrays:
    """Stored evidence rows as columns (codes as in the engine, times in seconds)."""

    id: IntArray
    contact: IntArray
    case_id: IntArray
    tier: IntArray
    setting: IntArray
    place: IntArray
    via: IntArray
    start: IntArray
    end: IntArray

    def __len__(self) -> int:
        return len(self.id)


def _case_of(column: str, codes: Mapping[str, int]) -> str:
    branches = " ".join(f"WHEN '{name}' THEN {code}" for name, code in codes.items())
    return f"(CASE {column} {branches} END)"


def _evidence_where(session: Session, where: str, params: Mapping[str, Any]
                    ) -> EvidenceArrays:
    """Active evidence rows matching a condition (PostgreSQL syntax, %(name)s parameters)."""
    tiers, settings = rules.TIER_CODES, rules.SETTING_CODES
    if is_postgres(session):
        columns = _pg_columns(session, "contact_evidence", [
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
    sec = _LITE_SECONDS
    sql = (f"SELECT id, resident_id, case_id, {_case_of('tier', tiers)}, "
           f"{_case_of('setting', settings)}, place_id, coalesce(via_resident_id, -1), "
           f"{sec.format('overlap_start')}, {sec.format('overlap_end')} "
           f"FROM contact_evidence WHERE status = 'active' AND {lite}")
    rows = session.connection().exec_driver_sql(sql, tuple(values)).fetchall()
    data = _int_matrix(rows, 9)
    return EvidenceArrays(*(data[:, i] for i in range(9)))


def _ids(values: Sequence[int] | IntArray) -> list[int]:
    return sorted({int(v) for v in values})


def _no_evidence() -> EvidenceArrays:
    return EvidenceArrays(*(np.zeros(0, dtype=np.int64) for _ in range(9)))


def active_evidence_of_cases(session: Session, case_ids: Sequence[int]) -> EvidenceArrays:
    """Active evidence rows naming any of the cases."""
    if not len(case_ids):
        return _no_evidence()
    return _evidence_where(session, "case_id = ANY(%(cases)s)", {"cases": _ids(case_ids)})


def active_evidence_of_residents(session: Session, residents: Sequence[int] | IntArray,
                                 *, other_than_cases: Sequence[int] = ()) -> EvidenceArrays:
    """Active evidence rows of the contacts, leaving out the given cases' evidence."""
    if not len(residents):
        return _no_evidence()
    where = "resident_id = ANY(%(residents)s)"
    params: dict[str, list[int]] = {"residents": _ids(residents)}
    if other_than_cases:
        where += " AND NOT case_id = ANY(%(cases)s)"
        params["cases"] = _ids(other_than_cases)
    return _evidence_where(session, where, params)


@dataclass(frozen=True)
class ContactStates:
    """Stored contact records as columns, by resident."""

    resident: IntArray
    id: IntArray
    tier: IntArray
    active: NDArray[np.bool_]
    first: IntArray
    last: IntArray
    last_day: NDArray[np.datetime64]


def contact_states(session: Session, residents: IntArray) -> ContactStates:
    """The contact records of residents (sorted by resident)."""
    rows: list[Any] = []
    tier = sa.case((Contact.tier == rules.CLOSE, 1), else_=2)
    active = sa.case((Contact.status == rules.ACTIVE, 1), else_=0)
    stmt = select(Contact.resident_id, Contact.id, tier, active,
                  _epoch(session, Contact.first_exposure_at),
                  _epoch(session, Contact.last_exposure_at),
                  _epoch(session, Contact.last_exposure_on))
    for condition in _member(session, Contact.resident_id, residents):
        rows += session.execute(stmt.where(condition)).all()
    data = _int_matrix(rows, 7)
    data = data[np.argsort(data[:, 0], kind="stable")]
    return ContactStates(data[:, 0], data[:, 1], data[:, 2], data[:, 3] == 1, data[:, 4],
                         data[:, 5], (data[:, 6] // 86_400).astype("datetime64[D]"))


def _member(session: Session, column: Any, values: Sequence[int] | IntArray) -> list[Any]:
    """Conditions that together select rows whose column is one of the values."""
    ids = _ids(values)
    if not ids:
        return []
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import ARRAY

        return [column == sa.any_(sa.bindparam(None, ids, type_=ARRAY(sa.Integer)))]
    return [column.in_(ids[i: i + CHUNK]) for i in range(0, len(ids), CHUNK)]


def withdraw_evidence(session: Session, ids: Sequence[int], at: datetime) -> None:
    """Mark evidence rows withdrawn."""
    for condition in _member(session, ContactEvidence.id, ids):
        session.execute(update(ContactEvidence).where(condition)
                        .values(status=rules.WITHDRAWN, withdrawn_at=at))


def evidence_rows(session: Session, resident_id: int) -> Sequence[ContactEvidence]:
    """Every piece of evidence of a contact, active first, newest first."""
    return session.scalars(select(ContactEvidence)
                           .where(ContactEvidence.resident_id == resident_id)
                           .order_by(ContactEvidence.status, ContactEvidence.tier,
                                     ContactEvidence.overlap_start.desc(),
                                     ContactEvidence.id)).all()


def case_contact_rows(session: Session, case_id: int) -> list[tuple[int, str, str, int]]:
    """(resident, tier, setting, pieces) of the active evidence naming a case."""
    rows = session.execute(
        select(ContactEvidence.resident_id, ContactEvidence.tier, ContactEvidence.setting,
               func.count())
        .where(ContactEvidence.case_id == case_id, ContactEvidence.status == rules.ACTIVE)
        .group_by(ContactEvidence.resident_id, ContactEvidence.tier, ContactEvidence.setting)
    ).all()
    return [(int(r), str(t), str(s), int(n)) for r, t, s, n in rows]


# ------------------------------------------------------------------ contacts


def contacts_of(session: Session, residents: Sequence[int]) -> dict[int, Contact]:
    """Contact records of residents."""
    out: dict[int, Contact] = {}
    for chunk in _chunks(residents):
        out.update({c.resident_id: c for c in session.scalars(
            select(Contact).where(Contact.resident_id.in_(chunk)))})
    return out


def contact(session: Session, resident_id: int) -> Contact | None:
    """A resident's contact record."""
    return session.scalars(select(Contact).where(Contact.resident_id == resident_id)).first()


def isolations(session: Session) -> tuple[IntArray, IntArray]:
    """(resident, isolated at) of every active contact."""
    if is_postgres(session):
        resident, at = _pg_columns(session, "contact", [("resident_id", "int4"),
                                                        ("isolated_at", "timestamp")],
                                   "WHERE status = 'active'")
        return resident, at
    rows = session.execute(select(Contact.resident_id, _epoch(session, Contact.isolated_at))
                           .where(Contact.status == rules.ACTIVE)).all()
    data = _int_matrix(rows, 2)
    return data[:, 0], data[:, 1]


def update_contacts(session: Session, changes: Sequence[Mapping[str, Any]]) -> None:
    """Apply changes to contact records, each naming its resident."""
    for change in changes:
        values = {k: v for k, v in change.items() if k != "resident_id"}
        session.execute(update(Contact).where(Contact.resident_id == change["resident_id"])
                        .values(**values))


def contact_counts(session: Session) -> dict[str, int]:
    """Active contacts per tier."""
    rows = session.execute(select(Contact.tier, func.count()).where(
        Contact.status == rules.ACTIVE).group_by(Contact.tier)).all()
    return {str(t): int(n) for t, n in rows}


def contact_events(session: Session, resident_id: int) -> Sequence[ContactEvent]:
    """A contact's history, oldest first."""
    return session.scalars(select(ContactEvent).where(ContactEvent.resident_id == resident_id)
                           .order_by(ContactEvent.at, ContactEvent.id)).all()


def delete_follow_up(session: Session, residents: Sequence[int] | IntArray) -> None:
    """Forget the follow-up plans of residents."""
    for condition in _member(session, FollowUpTest.resident_id, residents):
        session.execute(sa.delete(FollowUpTest).where(condition))


def follow_up(session: Session, resident_id: int) -> Sequence[FollowUpTest]:
    """A contact's planned tests by day."""
    return session.scalars(select(FollowUpTest).where(FollowUpTest.resident_id == resident_id)
                           .order_by(FollowUpTest.due_on, FollowUpTest.id)).all()


def samples_between(session: Session, resident_id: int, start: datetime, end: datetime
                    ) -> list[tuple[Sample, Tube]]:
    """A resident's samples collected in [start, end), with their tubes."""
    rows = session.execute(select(Sample, Tube).join(Tube, Tube.id == Sample.tube_id).where(
        Sample.resident_id == resident_id, Sample.collected_at >= start,
        Sample.collected_at < end).order_by(Sample.collected_at)).all()
    return [(s, t) for s, t in rows]


def missed_tests(session: Session, *, before: date, community_ids: Sequence[int] | None,
                 limit: int, offset: int) -> list[tuple[FollowUpTest, Resident, Contact]]:
    """Planned tests of active contacts whose day passed without a sample, oldest first."""
    taken = (select(Sample.id).where(Sample.resident_id == FollowUpTest.resident_id,
                                     Sample.collected_at >= FollowUpTest.due_from,
                                     Sample.collected_at < FollowUpTest.due_until)
             .exists())
    # A contact who has become a case is followed as a case from its sampling day on.
    became_case = (select(CaseEpisode.id).where(CaseEpisode.resident_id == FollowUpTest.resident_id,
                                                CaseEpisode.status == "active",
                                                CaseEpisode.sampling_date <= FollowUpTest.due_on)
                   .exists())
    stmt = (select(FollowUpTest, Resident, Contact)
            .join(Contact, Contact.resident_id == FollowUpTest.resident_id)
            .join(Resident, Resident.id == FollowUpTest.resident_id)
            .where(Contact.status == rules.ACTIVE, FollowUpTest.due_on < before, ~taken,
                   ~became_case))
    if community_ids is not None:
        stmt = stmt.where(Resident.community_id.in_(sorted(set(community_ids))))
    rows = session.execute(stmt.order_by(FollowUpTest.due_on, FollowUpTest.id)
                           .limit(limit).offset(offset)).all()
    return [(t, r, c) for t, r, c in rows]


def active_case_of_residents(session: Session, residents: Sequence[int]) -> dict[int, date]:
    """The earliest sampling date of an active case of each resident that has one."""
    out: dict[int, date] = {}
    for chunk in _chunks(residents):
        for r, d in session.execute(select(CaseEpisode.resident_id,
                                           func.min(CaseEpisode.sampling_date))
                                    .where(CaseEpisode.status == "active",
                                           CaseEpisode.resident_id.in_(chunk))
                                    .group_by(CaseEpisode.resident_id)):
            out[int(r)] = d
    return out


# ------------------------------------------------------------------ places in words


def household_labels(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """Households as addresses: community, building, unit, flat."""
    out: dict[int, str] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(Household.id, Community.name, Building.number, Unit.number, Address.floor,
                   Address.door)
            .join(Address, Address.id == Household.address_id)
            .join(Unit, Unit.id == Address.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .join(Community, Community.id == Building.community_id)
            .where(Household.id.in_(chunk))).all()
        for hid, community, building, unit, floor, door in rows:
            out[int(hid)] = (f"{community}, building {building}, unit {unit}, "
                             f"flat {floor}{door:02d}")
    return out


def work_group_labels(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """Work groups with their workplaces."""
    out: dict[int, str] = {}
    for chunk in _chunks(ids):
        for gid, name, place in session.execute(
                select(WorkGroup.id, WorkGroup.name, Workplace.name)
                .join(Workplace, Workplace.id == WorkGroup.workplace_id)
                .where(WorkGroup.id.in_(chunk))):
            out[int(gid)] = f"{name}, {place}"
    return out


def class_labels(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """School classes with their schools."""
    out: dict[int, str] = {}
    for chunk in _chunks(ids):
        for cid, name, school in session.execute(
                select(SchoolClass.id, SchoolClass.name, School.name)
                .join(School, School.id == SchoolClass.school_id)
                .where(SchoolClass.id.in_(chunk))):
            out[int(cid)] = f"{name}, {school}"
    return out


def venue_labels(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """Venues by name."""
    out: dict[int, str] = {}
    for chunk in _chunks(ids):
        for vid, name in session.execute(select(Venue.id, Venue.name)
                                         .where(Venue.id.in_(chunk))):
            out[int(vid)] = str(name)
    return out


def exposures_by_id(session: Session, ids: Sequence[int]) -> dict[int, Exposure]:
    """Recorded exposures by id."""
    out: dict[int, Exposure] = {}
    for chunk in _chunks(ids):
        out.update({e.id: e for e in session.scalars(select(Exposure)
                                                     .where(Exposure.id.in_(chunk)))})
    return out


# ------------------------------------------------------------------ runs


def last_runs(session: Session, *, limit: int) -> Sequence[TracingRun]:
    """Tracing runs, newest first."""
    return session.scalars(select(TracingRun).order_by(TracingRun.started_at.desc(),
                                                       TracingRun.id.desc())
                           .limit(limit)).all()


def tracing_table(name: str) -> sa.Table:
    """A table of the tracing domain."""
    from epidesk.kit.domains import load_models

    return load_models().tables[name]


def recent_traced_cases(session: Session, *, community_ids: Sequence[int] | None, limit: int
                        ) -> Sequence[TracedCase]:
    """Cases as last traced, newest first (only cases reported in the communities)."""
    stmt = select(TracedCase).join(CaseEpisode, CaseEpisode.id == TracedCase.case_id)
    if community_ids is not None:
        stmt = stmt.where(CaseEpisode.community_id.in_(sorted(set(community_ids))))
    return session.scalars(stmt.order_by(TracedCase.traced_at.desc(), TracedCase.case_id.desc())
                           .limit(limit)).all()
