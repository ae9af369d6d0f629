"""Importing a facility list through the kit's lifecycle: validated whole, rejected whole
with a report by line and column, written once in one savepoint, the same file twice
changing nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from epidesk.kit.imports import (
    ACCEPTED,
    Progress,
    listed_problems,
    problem_counts,
    run_import,
    unreadable_problem,
)
from epidesk.kit.reports import FILE_LINE, Report
from epidesk.quarantine import repository
from epidesk.quarantine.facilities import repository as list_repository
from epidesk.quarantine.facilities import rules
from epidesk.quarantine.facilities.rules import ParsedList
from epidesk.quarantine.models import FacilityList


@dataclass
class ListImport:
    """The outcome of importing one facility list."""

    record: FacilityList
    already_imported: bool
    report: Report = field(default_factory=Report)

    @property
    def accepted(self) -> bool:
        """True when the list's facilities are (or were already) stored."""
        return self.record.status == ACCEPTED


@dataclass
class _Parsed:
    rows: ParsedList
    cities: dict[str, int]
    districts: dict[str, tuple[int, int]]


class FacilityListImporter:
    """The facility-list format for the kit's import lifecycle."""

    def find(self, session: Session, digest: str) -> FacilityList | None:
        """The record of an earlier import of the same file."""
        return repository.list_by_digest(session, digest)

    def new_record(self, digest: str) -> FacilityList:
        """A new list record."""
        return FacilityList(digest=digest, attempts=0)

    def read(self, session: Session, content: bytes, filename: str,
             step: Callable[..., None]) -> _Parsed:
        """Read and check the whole file against the known cities and districts."""
        step("read", 0)
        cities = repository.city_codes(session)
        districts = repository.district_codes(session)
        parsed = rules.parse_list(content, cities=cities, districts=districts)
        step("read")
        return _Parsed(parsed, cities, districts)

    def unreadable(self, message: str, line: int = FILE_LINE, column: str = "") -> Report:
        """The report of a file that is not a readable CSV file."""
        return rules.report([unreadable_problem("CSV", message, line, column)])

    def validate(self, session: Session, parsed: _Parsed, now: datetime) -> Report:
        """Every problem found while reading."""
        return rules.report(parsed.rows.problems)

    def write(self, session: Session, parsed: _Parsed, record: FacilityList, now: datetime,
              step: Callable[..., None]) -> None:
        """Describe the list on its record and write its facilities and rooms."""
        record.rows = parsed.rows.rows
        record.facilities = len(parsed.rows.facilities)
        record.rooms = parsed.rows.rooms
        session.add(record)
        session.flush()
        record.added, record.changed = list_repository.save_facilities(
            session, list(parsed.rows.facilities.values()), list_id=record.id,
            cities=parsed.cities, districts=parsed.districts, now=now)
        step("facility")

    def conflicts(self, session: Session, parsed: _Parsed) -> Report | None:
        """No unique key of a list can clash once it is checked (codes update)."""
        return None

    def rejected(self, record: FacilityList, parsed: _Parsed | None) -> None:
        """A rejected list holds nothing."""
        record.rows = parsed.rows.rows if parsed else 0
        record.facilities = record.rooms = record.added = record.changed = 0


def import_list(session: Session, *, content: bytes, filename: str, received_by: str,
                now: datetime | None = None, progress: Progress | None = None) -> ListImport:
    """Validate a facility list whole, then store it, or record why it was rejected."""
    done = run_import(session, FacilityListImporter(), content=content, filename=filename,
                      received_by=received_by, now=now, progress=progress)
    return ListImport(record=done.record, already_imported=done.already_imported,
                      report=done.report)


def import_list_file(session: Session, *, path: str | Path, received_by: str,
                     now: datetime | None = None, progress: Progress | None = None
                     ) -> ListImport:
    """Import a facility list from a file."""
    file = Path(path)
    return import_list(session, content=file.read_bytes(), filename=file.name,
                       received_by=received_by, now=now, progress=progress)


def list_problems(record: FacilityList) -> list[dict[str, Any]]:
    """The problems listed on a rejected list's record."""
    return listed_problems(record)


def list_problem_counts(record: FacilityList) -> dict[str, int]:
    """How many problems of each kind a rejected list had."""
    return problem_counts(record)
