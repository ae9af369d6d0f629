"""Bulk writing: binary COPY on PostgreSQL and executemany on SQLite give the same rows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from epidesk.kit import bulk
from epidesk.kit.bulk import Categorical, CharMatrix, Joined, Nullable, pgcopy, sqlite


def scratch_table(session: Session, name: str = "bulk_scratch") -> sa.Table:
    """A table of every supported type, created inside the test's transaction."""
    table = sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("small", sa.SmallInteger, nullable=False),
        sa.Column("big", sa.BigInteger, nullable=False),
        sa.Column("ratio", sa.Float, nullable=False),
        sa.Column("flag", sa.Boolean, nullable=False),
        sa.Column("day", sa.Date, nullable=True),
        sa.Column("at", sa.DateTime, nullable=True),
        sa.Column("label", sa.String(40), nullable=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("score", sa.Integer, nullable=True),
    )
    table.create(session.connection())
    return table


def read(session: Session, table: sa.Table) -> list[tuple[Any, ...]]:
    """All rows ordered by id, as SQLAlchemy returns them."""
    return [tuple(r) for r in session.execute(sa.select(table).order_by(table.c.id))]


def test_round_trip_of_every_type(db: Session) -> None:
    table = scratch_table(db)
    days = np.array(["1999-12-31", "2000-01-01", "1900-02-28", "2026-11-22"],
                    dtype="datetime64[D]")
    stamps = np.array(["2000-01-01T00:00:00.000001", "1970-01-01T00:00:00",
                       "2026-11-22T15:58:33.5", "1999-12-31T23:59:59"], dtype="datetime64[us]")
    written = bulk.copy_rows(db, table, {
        "id": np.array([1, 2, 3, 4], dtype=np.int32),
        "small": np.array([-32768, 0, 7, 32767], dtype=np.int16),
        "big": np.array([-(2**62), -1, 0, 2**62], dtype=np.int64),
        "ratio": np.array([-1.5, 0.0, 1e-300, 116.123456]),
        "flag": np.array([True, False, True, False]),
        "day": Nullable(days, np.array([False, False, False, True])),
        "at": Nullable(stamps, np.array([False, True, False, False])),
        "label": Categorical(("王秀英", "Zhao Lei", ""), np.array([0, 1, -1, 2])),
        "note": CharMatrix(np.frombuffer(b"abcdefgh", dtype=np.uint8).reshape(4, 2).copy(),
                           lengths=np.array([2, 1, 0, 2])),
        "score": Nullable(np.array([-5, 0, 5, 9], dtype=np.int32),
                          np.array([False, False, True, False])),
    })
    assert written == 4
    assert read(db, table) == [
        (1, -32768, -(2**62), -1.5, True, date(1999, 12, 31),
         datetime(2000, 1, 1, 0, 0, 0, 1), "王秀英", "ab", -5),
        (2, 0, -1, 0.0, False, date(2000, 1, 1), None, "Zhao Lei", "c", 0),
        (3, 7, 0, 1e-300, True, date(1900, 2, 28), datetime(2026, 11, 22, 15, 58, 33, 500000),
         None, "", None),
        (4, 32767, 2**62, 116.123456, False, None, datetime(1999, 12, 31, 23, 59, 59), "",
         "gh", 9),
    ]


def test_joined_text_with_unicode_parts_and_nulls(db: Session) -> None:
    table = scratch_table(db)
    n = 5
    surname = Categorical(("王", "欧阳", "Li"), np.array([0, 1, 2, 0, 1]))
    given = Categorical(("秀英", "", "娜"), np.array([0, 1, 2, -1, 0]))
    zero = np.zeros(n, dtype=np.int64)
    bulk.copy_rows(db, table, {
        "id": np.arange(1, n + 1),
        "small": zero, "big": zero, "ratio": zero.astype(float), "flag": zero.astype(bool),
        # A NULL part makes the whole text NULL, as || does in SQL.
        "label": Joined((surname, Categorical.constant(" · ", n), given),
                        null=np.array([False, False, False, False, True])),
        "note": Joined((surname, Categorical(("秀英", "", "娜"), np.array([0, 1, 2, 1, 0])))),
    })
    rows = read(db, table)
    assert [r[7] for r in rows] == ["王 · 秀英", "欧阳 · ", "Li · 娜", None, None]
    assert [r[8] for r in rows] == ["王秀英", "欧阳", "Li娜", "王", "欧阳秀英"]


def test_null_in_a_not_null_column_is_refused(db: Session) -> None:
    table = scratch_table(db)
    zero = np.zeros(1, dtype=np.int64)
    with pytest.raises(sa.exc.IntegrityError), db.begin_nested():
        bulk.copy_rows(db, table, {
            "id": np.array([1]), "small": zero, "big": zero, "ratio": zero.astype(float),
            "flag": zero.astype(bool), "note": Categorical(("x",), np.array([-1])),
        })


def test_many_rows_in_several_chunks(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pgcopy, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(sqlite, "SQLITE_BATCH_ROWS", 1000)
    table = scratch_table(db)
    n = 5000
    ids = np.arange(1, n + 1)
    reports: list[tuple[str, int, int]] = []
    bulk.copy_rows(db, table, {
        "id": ids, "small": (ids % 100).astype(np.int16), "big": ids * 3, "ratio": ids / 7,
        "flag": ids % 2 == 0,
        "day": np.datetime64("2020-01-01") + ids,
        "label": Categorical(tuple(str(i) for i in range(10)), ids % 10),
        "note": Joined((Categorical(("n",), np.zeros(n, dtype=np.int8)),
                        Categorical(tuple(str(i) for i in range(n + 1)), ids))),
    }, progress=lambda *a: reports.append(a))
    assert reports[-1] == ("bulk_scratch", n, n)
    assert len(reports) > 1
    rows = read(db, table)
    assert len(rows) == n
    assert rows[-1][:6] == (n, n % 100, 3 * n, pytest.approx(n / 7), True,
                            date(2020, 1, 1) + timedelta(days=n))
    assert rows[1234][7:9] == ("5", "n1235")


def test_encoder_chunks_do_not_change_the_stream() -> None:
    ids = np.arange(100, dtype=np.int64)
    text = Categorical(("a", "bb", "数据"), ids % 3)
    nullable = Nullable(ids.astype(np.float64), ids % 5 == 0)
    one = b"".join(bulk.encode_copy_binary([ids, text, nullable], ["int8", "text", "float8"]))
    many = b"".join(bulk.encode_copy_binary([ids, text, nullable], ["int8", "text", "float8"],
                                            chunk_rows=7))
    assert one == many
    assert one.startswith(b"PGCOPY\n\xff\r\n\x00")
    assert one.endswith(b"\xff\xff")
    # First row: 3 fields; int8 0; text "a"; NULL float.
    first = one[19:19 + 2 + 12 + 5 + 4]
    assert first == (b"\x00\x03" + b"\x00\x00\x00\x08" + b"\x00" * 8
                     + b"\x00\x00\x00\x01a" + b"\xff\xff\xff\xff")


def test_columns_must_match_the_table(db: Session) -> None:
    table = scratch_table(db)
    with pytest.raises(ValueError, match="missing columns"):
        bulk.copy_rows(db, table, {"id": np.array([1])})
    with pytest.raises(ValueError, match="different lengths"):
        zero = np.zeros(2, dtype=np.int64)
        bulk.copy_rows(db, table, {
            "id": np.array([1]), "small": zero, "big": zero, "ratio": zero.astype(float),
            "flag": zero.astype(bool), "note": Categorical.constant("x", 2),
        })
    with pytest.raises(TypeError, match="text column"):
        list(bulk.encode_copy_binary([np.array([1])], ["text"]))


def test_suspended_keys_and_indexes_come_back_identical(db: Session, backend: str) -> None:
    from epidesk.synth.city.service import city_tables

    tables = city_tables()

    def catalog() -> list[tuple[Any, ...]]:
        if backend != "postgresql":
            return [tuple(r) for r in db.execute(sa.text(
                "SELECT type, name, sql FROM sqlite_master ORDER BY name"))]
        constraints = db.execute(sa.text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated "
            "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace "
            "ORDER BY 1, 2"))
        indexes = db.execute(sa.text(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() ORDER BY 1, 2"))
        return [tuple(r) for r in constraints] + [tuple(r) for r in indexes]

    before = catalog()
    suspended = bulk.suspend_constraints(db, tables)
    if backend == "postgresql":
        assert len(suspended.statements) > 40
        remaining = db.execute(sa.text(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'resident'")).scalar_one()
        assert remaining == 0
    else:
        assert suspended.statements == []
    steps: list[int] = []
    suspended.restore(db, progress=lambda _label, done, _total: steps.append(done))
    assert catalog() == before
    assert steps == list(range(1, len(steps) + 1))


def test_rows_that_break_a_key_are_refused_by_the_end_of_the_load(db: Session) -> None:
    table = scratch_table(db)
    zero = np.zeros(2, dtype=np.int64)
    # SQLite checks the key on insert; PostgreSQL when the suspended key comes back.
    with pytest.raises(sa.exc.IntegrityError), db.begin_nested():
        suspended = bulk.suspend_constraints(db, [table])
        bulk.copy_rows(db, table, {
            "id": np.array([1, 1]), "small": zero, "big": zero, "ratio": zero.astype(float),
            "flag": zero.astype(bool), "note": Categorical.constant("dup", 2),
        })
        suspended.restore(db)
    assert read(db, table) == []


def test_text_values_of_every_text_form() -> None:
    chars = np.frombuffer("秀英ab".encode(), dtype=np.uint8).reshape(1, -1)
    assert bulk.text_values(CharMatrix(chars)) == ["秀英ab"]
    assert bulk.text_values(CharMatrix(np.zeros((2, 0), dtype=np.uint8),
                                       null=np.array([True, False]))) == [None, ""]
    joined = Joined((Categorical(("a", "b"), np.array([0, -1])), Categorical.constant("!", 2)))
    assert bulk.text_values(joined) == ["a!", None]


def parent_and_child(session: Session) -> tuple[sa.Table, sa.Table]:
    """Two scratch tables, the second referencing the first, with an index."""
    metadata = sa.MetaData()
    parent = sa.Table("bulk_parent", metadata,
                      sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("code", sa.String(8), nullable=False, unique=True))
    child = sa.Table("bulk_child", metadata,
                     sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("parent_id", sa.ForeignKey("bulk_parent.id"), nullable=False,
                               index=True))
    metadata.create_all(session.connection())
    return parent, child


def family(parents: int, children: int, orphan: bool = False) -> bulk.TableSource:
    yield "bulk_parent", {"id": np.arange(1, parents + 1),
                          "code": Categorical(tuple(f"P{i}" for i in range(parents)),
                                              np.arange(parents))}
    refs = np.arange(children) % parents + 1
    if orphan:
        refs[-1] = parents + 5
    yield "bulk_child", {"id": np.arange(1, children + 1), "parent_id": refs}


def test_load_tables_writes_every_table_and_restores_keys(db: Session, backend: str) -> None:
    parent, child = parent_and_child(db)
    indexes = {"postgresql": "SELECT count(*) FROM pg_indexes WHERE tablename LIKE 'bulk_%'",
               "sqlite": "SELECT count(*) FROM sqlite_master WHERE tbl_name LIKE 'bulk_%'"}
    before = db.execute(sa.text(indexes[backend])).scalar_one()
    calls: list[tuple[str, int, int]] = []
    report = bulk.load_tables(db, [parent, child], family(50, 1000),
                              progress=lambda *a: calls.append(a))
    assert report.rows == {"bulk_parent": 50, "bulk_child": 1000}
    assert ("bulk_child", 1000, 1000) in calls
    assert db.execute(sa.text(indexes[backend])).scalar_one() == before
    assert db.execute(sa.select(sa.func.count()).select_from(child)).scalar_one() == 1000


def test_rows_inserted_after_load_tables_get_new_ids(db: Session) -> None:
    parent, child = parent_and_child(db)
    bulk.load_tables(db, [parent, child], family(5, 20))
    db.execute(parent.insert().values(code="NEW"))
    assert db.execute(sa.select(parent.c.id).where(parent.c.code == "NEW")).scalar_one() == 6


def test_load_tables_refuses_rows_that_break_a_foreign_key(db: Session) -> None:
    parent, child = parent_and_child(db)
    with pytest.raises(sa.exc.IntegrityError), db.begin_nested():
        bulk.load_tables(db, [parent, child], family(5, 20, orphan=True))
    assert read(db, parent) == []


def test_load_tables_passes_on_the_source_error(db: Session) -> None:
    parent, child = parent_and_child(db)

    def broken() -> bulk.TableSource:
        yield from list(family(3, 3))[:1]
        raise RuntimeError("generator broke")

    with pytest.raises(RuntimeError, match="generator broke"), db.begin_nested():
        bulk.load_tables(db, [parent, child], broken())
    with pytest.raises(ValueError, match="not being loaded"), db.begin_nested():
        bulk.load_tables(db, [parent], family(3, 3))
    assert read(db, parent) == []


def test_load_tables_keeps_rows_already_there(db: Session) -> None:
    parent, child = parent_and_child(db)
    db.execute(parent.insert().values(id=1000, code="OLD"))
    bulk.load_tables(db, [parent, child], family(10, 30))
    assert db.execute(sa.select(parent.c.code).where(parent.c.id == 1000)).scalar_one() == "OLD"
    assert db.execute(sa.select(sa.func.count()).select_from(parent)).scalar_one() == 11
