"""Uploads are bounded by work (rows, decoded memory) as well as bytes; Parquet files with
nested columns are refused with a report naming the column; the command line has no limit."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.config import get_settings
from epidesk.kit.imports import Unreadable, nested_column, parquet_outline
from epidesk.testing.ingest import service as ingesting
from epidesk.testing.models import LabBatch
from epidesk.tracing.models import VisitLog
from tests.factories import tiny_city
from tests.testing.batches import NOW, csv_bytes, pool, preset, single
from tests.tracing.helpers import visit_csv

PROBLEM = "application/problem+json"


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Upload limits of 20 rows and 64 KiB decoded, for one test."""
    monkeypatch.setenv("EPIDESK_UPLOAD_MAX_ROWS", "20")
    monkeypatch.setenv("EPIDESK_UPLOAD_MAX_MEMORY_BYTES", str(64 * 2**10))
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("EPIDESK_UPLOAD_MAX_ROWS")
    monkeypatch.delenv("EPIDESK_UPLOAD_MAX_MEMORY_BYTES")
    get_settings.cache_clear()


def _parquet(table: pa.Table) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def _batch_table(rows: list[dict[str, object]]) -> pa.Table:
    return pacsv.read_csv(io.BytesIO(csv_bytes(rows)))


def _count(db: Session, model: type) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _lines(db: Session, n: int) -> list[dict[str, object]]:
    city = tiny_city(db)
    people = [r.id for r in city.residents.values()]
    return [single(f"S{i}", people[i % len(people)]) for i in range(n)]


def test_a_parquet_outline_comes_from_the_footer() -> None:
    table = pa.table({"a": pa.array(np.arange(1000)), "b": pa.array([[1, 2]] * 1000),
                      "c": pa.array([{"x": 1}] * 1000)})
    outline = parquet_outline(_parquet(table))
    assert outline.rows == 1000
    assert outline.nested == ("b", "c")
    assert outline.decoded_bytes > 8000
    refusal = nested_column(outline, "lab batch")
    assert refusal is not None and refusal.column == "b" and "(and 1 more)" in str(refusal)
    with pytest.raises(Unreadable):
        parquet_outline(b"PAR1 not a parquet file PAR1")


@pytest.mark.parametrize("nested", [pa.array([["RS-1"]] * 3),
                                    pa.array([{"code": "RS-1"}] * 3),
                                    pa.array([[("k", "v")]] * 3,
                                             type=pa.map_(pa.string(), pa.string()))],
                         ids=["list", "struct", "map"])
def test_a_parquet_batch_with_a_nested_column_is_rejected_naming_it(
        client: TestClient, db: Session, nested: pa.Array) -> None:
    table = _batch_table(_lines(db, 3))
    table = table.set_column(table.column_names.index("lab"), "lab", nested)
    r = client.post("/api/testing/batches",
                    files={"file": ("round.parquet", _parquet(table), "application/octet-stream")})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["problems"][0]["column"] == "lab"
    assert "holds lists or records" in body["problems"][0]["problem"]
    # The command line reads the file the same way and refuses it the same way.
    result = ingesting.ingest_batch(db, content=_parquet(table), filename="round.parquet",
                                    received_by="lab", preset=preset(), now=NOW)
    assert not result.accepted
    assert result.report.problems[0].column == "lab"


def test_a_lab_csv_over_the_row_limit_is_refused_before_it_is_read(
        client: TestClient, db: Session, limits: None) -> None:
    before = _count(db, LabBatch)
    rows = _lines(db, 21)
    r = client.post("/api/testing/batches",
                    files={"file": ("round.csv", csv_bytes(rows), "text/csv")})
    assert r.status_code == 413
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["limit"] == 20 and body["setting"] == "EPIDESK_UPLOAD_MAX_ROWS"
    assert "more than 20 lines" in body["detail"]
    assert "epidesk ingest results" in body["detail"]
    assert _count(db, LabBatch) == before
    # At the limit, the file goes through.
    ok = client.post("/api/testing/batches",
                     files={"file": ("round.csv", csv_bytes(rows[:20]), "text/csv")})
    assert ok.status_code == 201, ok.text


def test_the_command_line_has_no_row_limit(db: Session, limits: None) -> None:
    rows = _lines(db, 25)
    result = ingesting.ingest_batch(db, content=csv_bytes(rows), filename="round.csv",
                                    received_by="lab", preset=preset(), now=NOW)
    assert result.accepted, result.report


def test_a_parquet_file_over_the_row_limit_is_refused_from_its_footer(
        client: TestClient, db: Session, limits: None) -> None:
    table = _batch_table(_lines(db, 21))
    r = client.post("/api/testing/batches",
                    files={"file": ("round.parquet", _parquet(table), "application/octet-stream")})
    assert r.status_code == 413
    assert "holds 21 rows, more than 20" in r.json()["detail"]
    assert _count(db, LabBatch) == 0


def test_a_parquet_file_whose_columns_take_too_much_memory_is_refused(
        client: TestClient, db: Session, limits: None) -> None:
    rows = _lines(db, 10)
    for row in rows:
        row["collection_site"] = "x" * 10_000  # compresses to almost nothing
    data = _parquet(_batch_table(rows))
    assert len(data) < 64 * 2**10
    # The footer counts the text once (dictionary-encoded); reading repeats it per row.
    assert parquet_outline(data).decoded_bytes < 64 * 2**10
    r = client.post("/api/testing/batches",
                    files={"file": ("round.parquet", data, "application/octet-stream")})
    assert r.status_code == 413
    body = r.json()
    assert body["setting"] == "EPIDESK_UPLOAD_MAX_MEMORY_BYTES"
    assert "once decoded" in body["detail"]


def test_a_small_parquet_file_of_two_million_rows_is_refused_at_once(
        client: TestClient, db: Session) -> None:
    n = 2_000_000
    table = pa.table({"sample_id": pa.array(np.zeros(n, dtype=np.int64)),
                      "resident_id": pa.array(np.ones(n, dtype=np.int64))})
    data = _parquet(table)
    assert len(data) < 3 * 2**20
    started = time.perf_counter()
    r = client.post("/api/testing/batches",
                    files={"file": ("round.parquet", data, "application/octet-stream")})
    seconds = time.perf_counter() - started
    assert r.status_code == 413
    assert f"holds {n:,} rows" in r.json()["detail"]
    assert seconds < 5, seconds
    assert _count(db, LabBatch) == 0


def test_a_visit_log_over_the_row_limit_is_refused(
        client: TestClient, db: Session, limits: None) -> None:
    city = tiny_city(db)
    person = next(iter(city.residents.values())).id
    rows = [[person, 1, f"2026-11-20T{h:02d}:00:00+08:00", f"2026-11-20T{h:02d}:30:00+08:00"]
            for h in range(22)]
    r = client.post("/api/tracing/visit-logs",
                    files={"file": ("visits.csv", visit_csv(rows), "text/csv")})
    assert r.status_code == 413
    assert "epidesk ingest visits" in r.json()["detail"]
    assert _count(db, VisitLog) == 0


def test_pages_refuse_the_same_way(client: TestClient, db: Session, limits: None) -> None:
    r = client.post("/testing/batches",
                    files={"file": ("round.csv", csv_bytes(_lines(db, 21)), "text/csv")},
                    headers={"accept": "text/html"})
    # The form's CSRF check answers first for a bearer caller; the limit is checked before
    # anything is read, and never reaches a server error.
    assert r.status_code in (403, 413)


def test_a_100000_sample_lab_csv_fits_the_body_limit(anon_client: TestClient) -> None:
    people = list(range(1, 10_001))
    rows = [line for t in range(10_000) for line in
            pool(f"T{t:08d}", people[t % 1000 * 10: t % 1000 * 10 + 10],
                 prefix=f"S{t:08d}")]
    data = csv_bytes(rows)
    assert len(rows) == 100_000
    limit = get_settings().max_body_bytes
    assert len(data) < limit <= 64 * 2**20, (len(data), limit)
    # Read whole (not refused for its size): the signed-out caller is refused after.
    r = anon_client.post("/api/testing/batches", files={"file": ("round.csv", data, "text/csv")})
    assert r.status_code == 401
    over = anon_client.post("/api/testing/batches",
                            files={"file": ("round.csv", b"x" * (limit + 1), "text/csv")})
    assert over.status_code == 413
    assert over.headers["content-type"] == PROBLEM
    assert f"{limit:,} bytes" in over.json()["detail"]
