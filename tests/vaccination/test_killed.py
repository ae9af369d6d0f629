"""A site-list import killed with SIGKILL while it writes leaves the database as before.

The import runs as its own `epidesk vaccination import-sites` process, killed once it has
begun writing (see tests/killing.py); the sites are then compared with what the database
held before, and the same file is accepted whole afterwards.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from epidesk.db import make_engine
from epidesk.migrate import upgrade
from epidesk.vaccination.models import Site, SiteHours, SiteList
from epidesk.vaccination.sites import service
from epidesk.vaccination.sites.engine import write_sites_csv
from tests.factories import tiny_city
from tests.killing import kill_while_writing

SITES = 40_000


def _counts(session: Session) -> tuple[int, int, int]:
    return tuple(int(session.scalar(sa.select(sa.func.count()).select_from(m)) or 0)
                 for m in (Site, SiteHours, SiteList))  # type: ignore[return-value]


def _list(path: Path, district: str, prefix: str, n: int) -> Path:
    week = {d: "08:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    path.write_bytes(write_sites_csv([
        {"code": f"{prefix}{i}", "name": f"site {i}", "district": district,
         "address": f"{i} Road", "stations": "4", "doses_per_station_hour": "30", **week}
        for i in range(n)]))
    return path


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_site_import_killed_while_writing_leaves_the_database_as_before(
        backend: str, fresh_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = fresh_database(backend)
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        district = tiny_city(session).districts[0].code
        first = _list(tmp_path / "first.csv", district, "A", 50)
        assert service.import_sites_file(session, path=first, received_by="test").accepted
        session.commit()
        before = _counts(session)
    engine.dispose()
    second = _list(tmp_path / "second.csv", district, "B", SITES)

    kill_while_writing(url, ["vaccination", "import-sites", str(second)])

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            assert _counts(session) == before
            again = service.import_sites_file(session, path=second, received_by="test")
            assert again.accepted and not again.already_imported
            assert again.record.created == SITES
            assert _counts(session) == (50 + SITES, 7 * (50 + SITES), 2)
            session.rollback()
    finally:
        engine.dispose()
