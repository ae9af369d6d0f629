"""Vectorised reading and validation of lab batches, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from epidesk.kit.bulk import text_values
from epidesk.kit.reports import line_of
from epidesk.testing import engine, rules
from epidesk.testing.ingest import engine as checks
from epidesk.testing.tubes import engine as tubes
from tests.testing.batches import NOW, csv_bytes, pool, preset, single

RESIDENTS = checks.resident_bitmap(np.arange(1, 101))
SIZES = [5, 10, 20]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def checked(content: bytes, file_format: str = "csv") -> engine.ParsedBatch:
    batch = engine.parse(checks.read_table(content, file_format), file_format)
    checks.validate(batch, residents=RESIDENTS, pool_sizes=SIZES, now=NOW, zone=SHANGHAI)
    return batch


def kinds(batch: engine.ParsedBatch) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for f in batch.findings:
        out.setdefault(f.kind, []).extend(line_of(r) for r in f.rows.tolist())
    for p in batch.file_problems:
        out.setdefault(p.kind, []).append(p.line)
    return out


def test_a_good_batch_has_no_problem():
    rows = [*pool("P1", [1, 2, 3, 4, 5]), single("S1", 6, outcome="positive", ct=(20.0, 21.5))]
    batch = checked(csv_bytes(rows))
    assert kinds(batch) == {}
    assert batch.rows == 6 and batch.tubes == 2
    assert batch.genes == ("orf1ab", "n")
    assert batch.members().tolist() == [5, 1]
    assert batch.first_row.tolist() == [0, 5]
    assert batch.local_time(5, "collected_at").date() == date(2026, 11, 21)
    assert batch.collected_at[0] == np.datetime64("2026-11-21T00:00:00", "us")


def test_every_value_problem_is_found_on_its_line():
    rows = [
        single("A", 1),
        single("B", 999, tube_type="box"),
        single("C", 2, outcome="maybe", collected="yesterday"),
        single("D", 3, ct=(0.0, 51.0), outcome="positive"),
        {**single("E", 4), "pool_size": "one", "resident_id": ""},
        single("F", 5, outcome="positive"),
        single("G", 6, collected="2026-11-21T08:00:00", result="2027-01-01T00:00:00+08:00"),
        single("H", 7, collected="2026-11-21T09:00:00+08:00",
               result="2026-11-21T08:00:00+08:00"),
        single("X" * 33, 8),
    ]
    found = kinds(checked(csv_bytes(rows)))
    assert found["unknown_resident"] == [3]
    assert found["unknown_tube_type"] == [3]
    assert found["unknown_outcome"] == [4]
    assert found["bad_time"] == [4, 8]
    assert found["ct_out_of_range"] == [5, 5]
    assert found["bad_integer"] == [6]
    assert found["missing_value"] == [6]
    assert found["positive_without_ct"] == [7]
    assert found["time_in_future"] == [8]
    assert found["result_before_collection"] == [9]
    assert found["too_long"] == [10, 10]


def test_pools_must_match_their_lines_and_the_preset():
    rows = (pool("P1", [1, 2, 3, 4], size=5) + pool("P2", [5, 6, 7, 8, 9, 10, 11, 12], size=8)
            + pool("P3", [13, 14, 15, 16, 16]))
    batch = checked(csv_bytes(rows))
    found = kinds(batch)
    assert found["pool_size_mismatch"] == [2]
    assert found["pool_size_not_validated"] == [6]
    assert found["resident_twice_in_tube"] == [18]
    message = {f.kind: f.message(int(f.rows[0])) for f in batch.findings}
    assert message["pool_size_mismatch"] == ("tube 'P1': the tube is declared a pool of 5 but "
                                             "has 4 sample lines")
    assert "validated: 5, 10, 20" in message["pool_size_not_validated"]


def test_lines_of_one_tube_must_agree():
    rows = pool("P1", [1, 2, 3, 4, 5], outcome="positive", ct=(20.0, 22.0))
    rows[3]["ct_n"] = 23.0
    rows[4]["lab"] = "Another lab"
    batch = checked(csv_bytes(rows))
    found = kinds(batch)
    assert sorted(found["tube_disagreement"]) == [5, 6]
    texts = sorted(f.message(int(r)) for f in batch.findings for r in f.rows)
    assert texts == ["tube 'P1': ct_n differs from line 2", "tube 'P1': lab differs from line 2"]


def test_columns_are_checked_first():
    content = b"sample_id,tube_id,ct_x\nA,T,30\n"
    batch = checked(content)
    assert kinds(batch)["unknown_column"] == [1]
    missing = {p.column for p in batch.file_problems if p.kind == "missing_column"}
    assert missing == set(rules.REQUIRED_COLUMNS) - {"sample_id", "tube_id"}
    assert kinds(checked(b"sample_id,tube_id\n"))["empty_file"] == [0]


def test_duplicate_sample_ids_name_the_first_line():
    rows = [single("A", 1), single("B", 2), single("A", 3, tube="T9")]
    finding = checks.duplicate_samples(checked(csv_bytes(rows)))
    assert finding is not None
    assert finding.rows.tolist() == [2]
    assert finding.message(2) == "sample id 'A' is also on line 2"


def test_the_report_is_capped_but_counts_everything():
    rows = [single(f"S{i}", 1000 + i) for i in range(250)]
    batch = checked(csv_bytes(rows))
    report = checks.report(batch, limit=100)
    assert report.counts == {"unknown_resident": 250}
    assert len(report.problems) == 100 and report.truncated
    assert [p.line for p in report.problems[:3]] == [2, 3, 4]
    assert report.problems[0].problem == "no registered resident has the id 1000"


def test_vectorised_reading_matches_the_plain_rule():
    rng = np.random.default_rng(5)
    n = 300
    cts = rng.choice([np.nan, 15.0, 29.9, 30.0, 34.9, 35.0, 40.0], size=(n, 2))
    outcomes = rng.choice(list(rules.OUTCOMES), size=n)
    rows = [single(f"S{i}", 1 + i % 100, outcome=str(outcomes[i]),
                   ct=(None if np.isnan(cts[i, 0]) else float(cts[i, 0]),
                       None if np.isnan(cts[i, 1]) else float(cts[i, 1])))
            for i in range(n)]
    for case in (preset(), preset(require="any"), preset(per_gene_ct_below={"n": 30.0})):
        rule = case.cases.positivity
        batch = engine.parse(checks.read_table(csv_bytes(rows), "csv"), "csv")
        read = tubes.read_outcomes(batch, rule)
        for i in range(n):
            expected = rules.read_outcome(
                str(outcomes[i]), {"orf1ab": float(cts[i, 0]), "n": float(cts[i, 1])},
                ("orf1ab", "n"), rule)
            assert rules.OUTCOMES[read[i]] == expected, (i, cts[i], outcomes[i])


def test_parquet_with_typed_columns(tmp_path: Path):
    utc = pa.timestamp("us", tz="UTC")
    table = pa.table({
        "sample_id": ["A", "B"], "tube_id": ["P", "P"], "tube_type": ["pooled", "pooled"],
        "pool_size": pa.array([5, 5], pa.int32()), "resident_id": pa.array([1, 2], pa.int64()),
        "collected_at": pa.array([datetime(2026, 11, 21, 1, tzinfo=UTC)] * 2, utc),
        "collection_site": ["gate", "gate"], "lab": ["Lab", "Lab"],
        "result_at": pa.array([datetime(2026, 11, 21, 9, tzinfo=UTC)] * 2, utc),
        "outcome": ["negative", "negative"], "ct_n": pa.array([None, None], pa.float32()),
    })
    path = tmp_path / "b.parquet"
    pq.write_table(table, path)
    content = path.read_bytes()
    assert checks.file_format_of("b.bin", content[:4]) == "parquet"
    batch = checked(content, "parquet")
    assert kinds(batch) == {"pool_size_mismatch": [2]}
    assert batch.resident_id.tolist() == [1, 2]
    assert batch.local_time(0, "result_at") == datetime(2026, 11, 21, 9, tzinfo=UTC)


def test_parquet_times_without_zone_are_refused(tmp_path: Path):
    rows = csv_bytes([single("A", 1)])
    table = checks.read_table(rows, "csv")
    naive = table.set_column(table.column_names.index("collected_at"), "collected_at",
                             pa.array([datetime(2026, 11, 21, 1)], pa.timestamp("us")))
    path = tmp_path / "naive.parquet"
    pq.write_table(naive, path)
    assert kinds(checked(path.read_bytes(), "parquet"))["bad_time"] == [2]


def test_unreadable_bytes():
    with pytest.raises(checks.UnreadableBatch):
        checks.read_table(b"PAR1 not really parquet", "parquet")


def test_char_matrix_round_trips_text():
    values = pa.array(["S1", "long-sample-17", "", "王秀英"])
    assert text_values(tubes.char_matrix(values)) == ["S1", "long-sample-17", "", "王秀英"]
    same = pa.array(["AB", "CD"])
    assert tubes.char_matrix(same).lengths is None


def test_write_batch_writes_what_the_reader_reads(tmp_path: Path):
    columns = {
        "sample_id": ["A"], "tube_id": ["T"], "tube_type": ["single"], "pool_size": [1],
        "resident_id": [1],
        "collected_at": np.array(["2026-11-21T01:00"], dtype="datetime64[us]"),
        "collection_site": ["gate"], "lab": ["Lab"],
        "result_at": np.array(["2026-11-21T09:00"], dtype="datetime64[us]"),
        "outcome": ["negative"],
    }
    for name in ("b.csv", "b.parquet"):
        path = engine.write_batch(tmp_path / name, columns)
        content = path.read_bytes()
        batch = checked(content, checks.file_format_of(name, content[:4]))
        assert kinds(batch) == {}, name
        assert batch.result_at[0] == np.datetime64("2026-11-21T09:00", "us")


def test_tubes_whose_lines_are_interleaved_are_grouped_all_the_same():
    p1 = pool("P1", [1, 2, 3, 4, 5])
    p2 = pool("P2", [6, 7, 8, 9, 9])
    p2[2]["lab"] = "Elsewhere"
    together = checked(csv_bytes(p1 + p2))
    mixed_rows = [r for pair in zip(p1, p2, strict=True) for r in pair]
    mixed = checked(csv_bytes(mixed_rows))
    assert together.contiguous and not mixed.contiguous
    assert mixed.tubes == 2 and mixed.members().tolist() == [5, 5]
    assert tubes.tube_collected_at(mixed).tolist() == tubes.tube_collected_at(
        together).tolist()
    found = kinds(mixed)
    assert found == {"tube_disagreement": [7], "resident_twice_in_tube": [11]}
    assert kinds(together) == {"tube_disagreement": [9], "resident_twice_in_tube": [11]}


def test_sizes_and_ids_below_one_are_reported():
    rows = [{**single("A", 1), "pool_size": 0}, {**single("B", 2), "pool_size": -1},
            single("C", -4)]
    found = kinds(checked(csv_bytes(rows)))
    assert found == {"pool_size_mismatch": [2, 3], "unknown_resident": [4]}


def test_columns_read_in_several_chunks():
    table = checks.read_table(csv_bytes([single("A", 1), single("B", 2), single("C", 3)]),
                              "csv")
    times = table.column("collected_at").to_pylist()
    times[2] = "later"
    chunked = table.set_column(
        table.column_names.index("collected_at"), "collected_at",
        pa.chunked_array([pa.array(times[:1]), pa.array(times[1:])]))
    batch = engine.parse(chunked, "csv")
    checks.validate(batch, residents=RESIDENTS, pool_sizes=SIZES, now=NOW, zone=SHANGHAI)
    assert kinds(batch) == {"bad_time": [4]}
    assert batch.local_time(1, "collected_at").isoformat() == "2026-11-21T08:00:00+08:00"
