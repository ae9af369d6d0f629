"""A facility-list import killed with SIGKILL while it writes leaves the database as before.

The import runs as its own `epidesk quarantine facilities import` process, killed once it
has begun writing (see tests/killing.py); the facilities and rooms are then as they were,
and the same file is accepted whole afterwards.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.db import make_engine
from epidesk.migrate import upgrade
from epidesk.quarantine.facilities import service as lists
from epidesk.quarantine.models import Facility, FacilityList, Room
from tests.factories import tiny_city
from tests.killing import kill_while_writing
from tests.quarantine.helpers import NOW, csv_of, facility_line

# Rooms enough (40,000) that the embedded database's page cache spills into its
# write-ahead log while the import is still writing, where the kill is aimed; a list
# that fits the cache reaches the log only at its commit.
FACILITIES = 200
ROOMS_EACH = 200


def _counts(session: Session) -> tuple[int, int, int]:
    return (session.scalar(select(func.count(Facility.id))) or 0,
            session.scalar(select(func.count(Room.id))) or 0,
            session.scalar(select(func.count(FacilityList.id))) or 0)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_facility_import_killed_while_writing_leaves_the_database_as_before(
        backend: str, fresh_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = fresh_database(backend)
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        t = tiny_city(session)
        c, d = t.city.code, t.districts[0].code
        first = csv_of([facility_line("OLD", c, d, "1")])
        assert lists.import_list(session, content=first, filename="old.csv",
                                 received_by="test", now=NOW).accepted
        session.commit()
        before = _counts(session)
    engine.dispose()
    big = tmp_path / "big.csv"
    big.write_bytes(csv_of([facility_line(f"F{f:04d}", c, d, str(r))
                            for f in range(FACILITIES) for r in range(ROOMS_EACH)]))

    kill_while_writing(url, ["quarantine", "facilities", "import", str(big)])

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            assert _counts(session) == before
            again = lists.import_list_file(session, path=big, received_by="test", now=NOW)
            assert again.accepted and not again.already_imported
            assert (again.record.facilities, again.record.rooms) == (
                FACILITIES, FACILITIES * ROOMS_EACH)
            session.rollback()
    finally:
        engine.dispose()
