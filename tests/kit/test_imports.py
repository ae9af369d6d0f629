"""The imported-file lifecycle, with a small format of its own on both backends.

A file of "code,value" lines: validated whole, rejected whole with a report, accepted
once, and a code already stored (a unique key) turned into report lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from epidesk.kit.imports import (
    ACCEPTED,
    REJECTED,
    ImportedFile,
    Unreadable,
    listed_problems,
    problem_counts,
    run_import,
    unreadable_problem,
)
from epidesk.kit.reports import FileFormat, Problem, Report, line_of, report_of

NOW = datetime(2022, 9, 5, 8, 0, tzinfo=UTC)
FORMAT = FileFormat(columns=("code", "value"),
                    kinds={"unreadable_file": "", "missing_value": "", "code_exists": ""})


class Fake(DeclarativeBase):
    pass


class FakeFile(ImportedFile, Fake):
    __tablename__ = "kit_test_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rows: Mapped[int] = mapped_column(Integer, default=0)


class FakeRow(Fake):
    __tablename__ = "kit_test_row"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    value: Mapped[str] = mapped_column(String(16))


Parsed = list[tuple[str, str]]


class FakeImporter:
    def find(self, session: Session, digest: str) -> FakeFile | None:
        return session.scalar(select(FakeFile).where(FakeFile.digest == digest))

    def new_record(self, digest: str) -> FakeFile:
        return FakeFile(digest=digest, attempts=0, rows=0)

    def read(self, session: Session, content: bytes, filename: str,
             step: Callable[..., None]) -> Parsed:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Unreadable(str(exc)) from exc
        return [tuple(line.split(",", 1)) for line in text.splitlines()[1:]]  # type: ignore[misc]

    def unreadable(self, message: str, line: int = 0, column: str = "") -> Report:
        return report_of([unreadable_problem("CSV", message, line, column)], file_format=FORMAT)

    def validate(self, session: Session, parsed: Parsed, now: datetime) -> Report:
        return report_of([Problem(line_of(i), "value", "missing_value", "no value")
                          for i, (_, value) in enumerate(parsed) if not value],
                         file_format=FORMAT)

    def write(self, session: Session, parsed: Parsed, record: FakeFile, now: datetime,
              step: Callable[..., None]) -> None:
        record.rows = len(parsed)
        session.add_all(FakeRow(code=c, value=v) for c, v in parsed)
        session.flush()

    def conflicts(self, session: Session, parsed: Parsed) -> Report | None:
        taken = set(session.scalars(select(FakeRow.code).where(
            FakeRow.code.in_([c for c, _ in parsed]))))
        if not taken:
            return None
        return report_of([Problem(line_of(i), "code", "code_exists", f"{c} exists")
                          for i, (c, _) in enumerate(parsed) if c in taken], file_format=FORMAT)

    def rejected(self, record: FakeFile, parsed: Parsed | None) -> None:
        record.rows = len(parsed) if parsed else 0


@pytest.fixture
def session(db: Session) -> Iterator[Session]:
    Fake.metadata.create_all(db.connection())
    yield db


def _import(session: Session, content: bytes) -> object:
    return run_import(session, FakeImporter(), content=content, filename="f.csv",
                      received_by="ann", now=NOW)


def _stored(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(FakeRow)) or 0)


def test_a_good_file_is_written_once_and_recognised_when_sent_again(session: Session) -> None:
    content = b"code,value\na,1\nb,2\n"
    first = _import(session, content)
    assert first.accepted and not first.already_imported  # type: ignore[attr-defined]
    record = first.record  # type: ignore[attr-defined]
    assert (record.status, record.rows, record.attempts, record.received_by) == \
        (ACCEPTED, 2, 1, "ann")
    again = _import(session, content)
    assert again.already_imported and again.record.id == record.id  # type: ignore[attr-defined]
    assert _stored(session) == 2


def test_a_bad_file_is_rejected_whole_with_its_report(session: Session) -> None:
    content = b"code,value\na,1\nb,\nc,\n"
    result = _import(session, content)
    assert not result.accepted  # type: ignore[attr-defined]
    record = result.record  # type: ignore[attr-defined]
    assert record.status == REJECTED and record.problem_count == 2 and record.rows == 3
    assert [p["line"] for p in listed_problems(record)] == [3, 4]
    assert problem_counts(record) == {"missing_value": 2}
    assert _stored(session) == 0
    # Sent again, the same record counts a second attempt.
    assert _import(session, content).record.attempts == 2  # type: ignore[attr-defined]


def test_an_unreadable_file_is_one_problem(session: Session) -> None:
    result = _import(session, b"\xff\xfe not text")
    assert not result.accepted  # type: ignore[attr-defined]
    [problem] = listed_problems(result.record)  # type: ignore[attr-defined]
    assert problem["kind"] == "unreadable_file" and problem["line"] == 0


def test_a_unique_key_conflict_becomes_report_lines_and_writes_nothing(session: Session) -> None:
    assert _import(session, b"code,value\na,1\n").accepted  # type: ignore[attr-defined]
    result = _import(session, b"code,value\nz,9\na,2\n")
    assert not result.accepted  # type: ignore[attr-defined]
    assert [(p["line"], p["kind"]) for p in listed_problems(result.record)] == \
        [(3, "code_exists")]  # type: ignore[attr-defined]
    assert _stored(session) == 1
