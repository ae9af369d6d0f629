"""Hand-made unreadable files: the report names the line (and column) and says what is wrong."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from epidesk.testing.ingest import service as ingesting
from epidesk.tracing.visits import service as visits
from tests.factories import TinyCity, tiny_city
from tests.test_cli import epidesk
from tests.testing.batches import COLUMNS, NOW, csv_bytes, preset, single


@pytest.fixture
def city(db: Session) -> TinyCity:
    return tiny_city(db)


def problem(db: Session, content: bytes) -> tuple[int, str, str]:
    result = ingesting.ingest_batch(db, content=content, filename="b.csv", received_by="lab",
                                    preset=preset(), now=NOW)
    assert not result.accepted
    [found] = result.report.problems
    assert found.kind == "unreadable_file"
    return found.line, found.column, found.problem


def test_a_line_with_too_many_values_is_named(db: Session, city: TinyCity):
    who = city.residents["li_na"].id
    lines = csv_bytes([single("S1", who), single("S2", who), single("S3", who)]).splitlines()
    lines[3] += b",extra"  # line 4: 13 values under a 12-column header
    line, column, text = problem(db, b"\n".join(lines) + b"\n")
    assert line == 4 and column == ""
    assert "line 4 has 13 values, the header has 12" in text


def test_a_line_with_too_few_values_names_the_first_missing_column(db: Session,
                                                                   city: TinyCity):
    who = city.residents["li_na"].id
    lines = csv_bytes([single("S1", who), single("S2", who)]).splitlines()
    lines[2] = b",".join(lines[2].split(b",")[:10])  # line 3 stops before ct_orf1ab
    line, column, text = problem(db, b"\n".join(lines) + b"\n")
    assert (line, column) == (3, COLUMNS[10])
    assert "line 3 has 10 values, the header has 12" in text


def test_a_non_utf8_line_is_named(db: Session, city: TinyCity):
    who = city.residents["li_na"].id
    lines = csv_bytes([single("S1", who), single("S2", who)]).splitlines()
    lines[2] = lines[2].replace(b"Willow Court gate", "Willow Court 门".encode("gb18030"))
    line, _column, text = problem(db, b"\n".join(lines) + b"\n")
    assert line == 3
    assert "line 3: byte 0xc3" in text and "not UTF-8" in text


def test_a_visit_log_line_with_too_many_values_is_named(db: Session, city: TinyCity):
    content = (b"resident_id,venue_id,started_at,ended_at\n"
               b"1,1,2026-11-19T10:00:00+08:00,2026-11-19T11:00:00+08:00\n"
               b"1,1,2026-11-19T12:00:00+08:00,2026-11-19T13:00:00+08:00,9\n")
    result = visits.import_visits(db, content=content, filename="v.csv",
                                  received_by="investigator", now=NOW)
    assert not result.accepted
    [found] = result.report.problems
    assert found.line == 3 and "line 3 has 5 values, the header has 4" in found.problem


def test_a_malformed_at_option_is_one_clear_line(tmp_path):
    url = f"sqlite:///{tmp_path}/cli.db"
    result = epidesk("trace", "record-exposure", "1", "2", "--at", "yesterday",
                     database_url=url)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "--at 'yesterday' is not an ISO 8601 time" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
