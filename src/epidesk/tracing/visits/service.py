"""Use cases of visit logs: import a file whole through the kit's lifecycle (validated
whole, rejected whole with a report, the same file twice changes nothing), list logs,
and generate synthetic visits."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from epidesk.db import is_postgres
from epidesk.errors import ConflictError, NotFoundError, ValidationFailedError
from epidesk.kit import bulk, clock
from epidesk.kit.imports import (
    ACCEPTED,
    Progress,
    Unreadable,
    listed_problems,
    problem_counts,
    run_import,
    unreadable_problem,
)
from epidesk.kit.merges import follow_merges
from epidesk.kit.reports import Finding, Report
from epidesk.people import repository as people
from epidesk.people.columns import repository as people_columns
from epidesk.tracing import repository as tracing_repository
from epidesk.tracing.models import VisitLog
from epidesk.tracing.retrace import service as retrace
from epidesk.tracing.rules import MAX_LIST, local_midnight, moment_of, seconds_of
from epidesk.tracing.visits import engine, repository
from epidesk.tracing.visits.engine import ParsedVisits


@dataclass
class VisitImport:
    """The outcome of importing one visit log (the kit's `Imported`, named for logs)."""

    log: VisitLog
    already_imported: bool
    report: Report = field(default_factory=Report)

    @property
    def accepted(self) -> bool:
        """True when the log's visits are (or were already) stored."""
        return self.log.status == ACCEPTED


def _stamps(seconds: NDArray[np.int64]) -> NDArray[np.datetime64]:
    return np.asarray(seconds, dtype=np.int64).astype("datetime64[s]")


class VisitLogImporter:
    """The visit log format for the kit's import lifecycle."""

    def find(self, session: Session, digest: str) -> VisitLog | None:
        """The log of an earlier import of the same file."""
        return repository.log_by_digest(session, digest)

    def new_record(self, digest: str) -> VisitLog:
        """A new log record."""
        return VisitLog(digest=digest, attempts=0)

    def read(self, session: Session, content: bytes, filename: str,
             step: Callable[..., None]) -> ParsedVisits:
        """Parse the whole CSV file."""
        step("read", 0)
        try:
            table = engine.read_visit_log(content)
        except engine.UnreadableVisitLog as exc:
            raise Unreadable(str(exc), exc.line, exc.column) from exc
        parsed = engine.parse_visits(table)
        step("read")
        return parsed

    def unreadable(self, message: str, line: int = 0, column: str = "") -> Report:
        """The report of a file that is not a readable CSV file."""
        return engine.visit_report(None, file_problems=[
            unreadable_problem("CSV", message, line, column)])

    def validate(self, session: Session, parsed: ParsedVisits, now: datetime) -> Report:
        """Every problem of the log, residents and venues checked against the registry; a
        line naming a record merged into another is the survivor's."""
        parsed.resident_id = follow_merges(parsed.resident_id, *people.merge_pointers(session))
        engine.validate_visits(
            parsed, residents=engine.bitmap(people_columns.resident_ids(session)),
            venues=engine.bitmap(people_columns.venue_ids(session)), now=seconds_of(now))
        return Report() if parsed.ok else engine.visit_report(parsed)

    def write(self, session: Session, parsed: ParsedVisits, record: VisitLog, now: datetime,
              step: Callable[..., None]) -> None:
        """Describe the log on its record and write its visits."""
        record.rows = parsed.rows
        record.residents = len(np.unique(parsed.resident_id))
        record.venues = len(np.unique(parsed.venue_id))
        record.first_visit_at = moment_of(int(parsed.started_at.min()))
        record.last_visit_at = moment_of(int(parsed.ended_at.max()))
        session.add(record)
        session.flush()
        tracing_repository.write_rows(session, tracing_repository.tracing_table("venue_visit"), {
            "resident_id": parsed.resident_id,
            "venue_id": parsed.venue_id,
            "started_at": _stamps(parsed.started_at),
            "ended_at": _stamps(parsed.ended_at),
            "log_id": np.full(parsed.rows, record.id, dtype=np.int64),
        }, progress=step)
        # Visits inside a traced case's window make it due for classifying again.
        retrace.after_visits(session, log_id=record.id, venue=parsed.venue_id,
                             start=parsed.started_at, end=parsed.ended_at, now=now)

    def conflicts(self, session: Session, parsed: ParsedVisits) -> Report | None:
        """The lines whose visits were imported before from another file."""
        # The unique index on (resident, venue, arrival) finds them while writing.
        found = repository.existing_visits(session, parsed.resident_id, parsed.venue_id,
                                           parsed.started_at)
        if not len(found[0]):
            return None
        rows = engine.rows_of_visits(parsed, *found)
        finding = Finding("visit_exists", "started_at", rows,
                          lambda r: "this visit was already imported from another file")
        return engine.visit_report(parsed, [finding])

    def rejected(self, record: VisitLog, parsed: ParsedVisits | None) -> None:
        """A rejected log holds no visits."""
        record.rows = parsed.rows if parsed else 0
        record.residents = record.venues = 0
        record.first_visit_at = record.last_visit_at = None


def import_visits(session: Session, *, content: bytes, filename: str, received_by: str,
                  now: datetime | None = None, progress: Progress | None = None
                  ) -> VisitImport:
    """Validate a visit log whole, then store its visits, or record why it was rejected.

    An accepted file sent again changes nothing; a rejected one writes only its
    rejection record (with the report), never part of its visits.
    """
    done = run_import(session, VisitLogImporter(), content=content, filename=filename,
                      received_by=received_by, now=now, progress=progress)
    log = done.record
    return VisitImport(log=log, already_imported=done.already_imported, report=done.report)


def import_visits_file(session: Session, *, path: str | Path, received_by: str,
                       now: datetime | None = None, progress: Progress | None = None
                       ) -> VisitImport:
    """Import a visit log CSV from disk; see import_visits."""
    source = Path(path)
    try:
        content = source.read_bytes()
    except OSError as exc:
        raise NotFoundError(f"cannot read {source}: {exc.strerror}") from exc
    return import_visits(session, content=content, filename=source.name,
                         received_by=received_by, now=now, progress=progress)


def get_visit_log(session: Session, *, log_id: int) -> VisitLog:
    """A visit log by id, or NotFoundError."""
    found = repository.visit_log(session, log_id)
    if found is None:
        raise NotFoundError(f"no visit log {log_id}")
    return found


def list_visit_logs(session: Session, *, limit: int = 50, offset: int = 0
                    ) -> Sequence[VisitLog]:
    """Visit logs, newest first."""
    if not 1 <= limit <= MAX_LIST:
        raise ValidationFailedError(f"limit must be between 1 and {MAX_LIST}")
    return repository.visit_logs(session, limit=limit, offset=offset)


def log_problems(log: VisitLog) -> list[dict[str, Any]]:
    """The listed problems of a rejected log."""
    return listed_problems(log)


def log_problem_counts(log: VisitLog) -> dict[str, int]:
    """How many problems of each kind a rejected log had."""
    return problem_counts(log)


# ------------------------------------------------------------------ synthetic visits


@dataclass(frozen=True)
class SynthesizedVisits:
    """What synthesize_visits wrote."""

    visits: int
    first_day: date
    days: int
    seed: int
    seconds: float


def synthesize_visits(session: Session, *, days: int = 14, seed: int = 1,
                      first_day: date | None = None, progress: Progress | None = None
                      ) -> SynthesizedVisits:
    """Generate venue visits of every resident over `days` days and write them.

    The same seed, first day and city give the same visits. On PostgreSQL an empty
    visit table has its indexes rebuilt once after the load.
    """
    if not 1 <= days <= 366:
        raise ValidationFailedError(f"days must be between 1 and 366, not {days}")
    started = time.perf_counter()
    first = first_day or (clock.city_today() - timedelta(days=days))
    residents, communities = people_columns.residents_with_community(session)
    venue_id, venue_community, kinds = people_columns.venues_with_kind(session)
    if not len(residents) or not len(venue_id):
        raise ConflictError("the database holds no residents or no venues: build a city first")
    table = tracing_repository.tracing_table("venue_visit")
    fresh = repository.visit_count(session) == 0
    suspended = (bulk.suspend_constraints(session, [table]) if fresh and is_postgres(session)
                 else None)
    if suspended is not None:
        bulk.tune_session_for_bulk_load(session)
    written = 0
    total = len(residents)
    done = 0
    chunk = 1_000_000
    for resident, venue, start, end in engine.synthetic_visits(
            residents, communities, engine.VenueTable(venue_id, venue_community, kinds),
            first_day=local_midnight(first, clock.city_zone()), days=days, seed=seed,
            chunk=chunk):
        written += tracing_repository.write_rows(session, table, {
            "resident_id": resident, "venue_id": venue, "started_at": _stamps(start),
            "ended_at": _stamps(end)})
        done = min(total, done + chunk)
        if progress is not None:
            progress("visits", done, total)
    if suspended is not None:
        suspended.restore(session, progress=progress)
    session.flush()
    return SynthesizedVisits(visits=written, first_day=first, days=days, seed=seed,
                             seconds=round(time.perf_counter() - started, 3))
