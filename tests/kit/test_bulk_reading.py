"""Every id of a table read at once on PostgreSQL: ascending, a chunk at a time, whatever
the gaps, as many as there are."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from epidesk.db import make_engine
from epidesk.kit.bulk import reading


@pytest.mark.parametrize("count", [0, 1, 8, 9, 17])
def test_every_id_comes_ascending_a_chunk_at_a_time(
        fresh_database, monkeypatch: pytest.MonkeyPatch, count: int  # type: ignore[no-untyped-def]
        ) -> None:
    monkeypatch.setattr(reading, "GROUP_BITS", 3)  # chunks of 8 ids
    engine = make_engine(fresh_database("postgresql"))
    rng = np.random.default_rng(count)
    # Gaps, a negative id and the smallest int4 there is, written in no order.
    ids = sorted({-(2**31), -5, *rng.choice(10_000, size=count, replace=False).tolist()}
                 )[:count]
    try:
        with Session(engine) as session:
            session.execute(sa.text("CREATE TABLE counted (id integer PRIMARY KEY)"))
            for i in rng.permutation(ids).tolist():
                session.execute(sa.text("INSERT INTO counted VALUES (:i)"), {"i": i})
            got = reading.pg_ids(session, "counted")
            by_rows = reading.pg_columns(session, "counted", [("id", "int4")])[0]
    finally:
        engine.dispose()
    assert got.dtype == np.int64
    assert got.tolist() == ids == sorted(by_rows.tolist())
