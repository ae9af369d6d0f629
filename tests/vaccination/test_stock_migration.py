"""The migration that moves vaccination's own stock table into the depots' movement log
carries every row: a site stocked before it holds the same lots after it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from epidesk.db import make_engine
from epidesk.migrate import alembic_config, current_revision, upgrade
from tests.factories import tiny_city

AT = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
ROWS = [  # site, product, lot, expiry, kind, quantity, reason, other site
    (1, "coronavac", "A1", date(2027, 1, 1), "receipt", 100, "", None),
    (1, "coronavac", "A1", date(2027, 1, 1), "use", -1, "", None),
    (1, "coronavac", "A1", date(2027, 1, 1), "transfer_out", -30, "", 2),
    (2, "coronavac", "A1", date(2027, 1, 1), "transfer_in", 30, "", 1),
    (2, "coronavac", "A1", date(2027, 1, 1), "adjustment", -2, "vial broken", None),
    (2, "bbibp-corv", "B7", date(2026, 12, 1), "receipt", 40, "", None),
]


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_old_stock_rows_become_depot_movements_and_lots(fresh_database,  # type: ignore[no-untyped-def]
                                                         backend_name: str) -> None:
    from alembic import command

    engine = make_engine(fresh_database(backend_name))
    try:
        upgrade(engine)
        with Session(engine) as session:
            city = tiny_city(session)
            district = city.districts[0].id
            session.commit()
        command.downgrade(alembic_config(engine), "0025")
        with engine.begin() as conn:
            for site_id, code in ((1, "S-ONE"), (2, "S-TWO")):
                conn.execute(text(
                    "INSERT INTO vaccination_site (id, code, name, district_id, address, "
                    "stations, doses_per_station_hour, active) VALUES (:i, :c, :c, :d, 'Road', "
                    "2, 10, :t)"), {"i": site_id, "c": code, "d": district, "t": True})
            # A supplies depot already using the second site's code is linked, not doubled.
            conn.execute(text("INSERT INTO supply_depot (code, name, district_id) "
                              "VALUES ('S-TWO', 'Store two', :d)"), {"d": district})
            for site_id, product, lot, expiry, kind, quantity, reason, other in ROWS:
                conn.execute(text(
                    "INSERT INTO vaccination_stock_movement (site_id, product, lot, expiry, "
                    "kind, quantity, reason, other_site_id, at, recorded_by) VALUES (:s, :p, "
                    ":l, :e, :k, :q, :r, :o, :a, 'nurse')"),
                    {"s": site_id, "p": product, "l": lot, "e": expiry, "k": kind,
                     "q": quantity, "r": reason, "o": other, "a": AT})
        upgrade(engine)
        assert current_revision(engine) >= "0026"  # this migration and any after it
        with engine.connect() as conn:
            depots = dict(conn.execute(text(
                "SELECT s.code, d.kind FROM vaccination_site s "
                "JOIN supply_depot d ON d.id = s.depot_id AND d.code = s.code")).all())
            lots = sorted(tuple(r) for r in conn.execute(text(
                "SELECT d.code, l.item, l.lot, l.expires_on, l.on_hand FROM supply_stock_lot l "
                "JOIN supply_depot d ON d.id = l.depot_id")).all())
            log = sorted(tuple(r) for r in conn.execute(text(
                "SELECT d.code, m.kind, m.quantity, m.reason, m.actor, m.on_day "
                "FROM supply_stock_movement m JOIN supply_depot d ON d.id = m.depot_id"
            )).all())
        assert depots == {"S-ONE": "vaccination_site", "S-TWO": "supplies"}
        assert [(c, i, lot, str(e), n) for c, i, lot, e, n in lots] == [
            ("S-ONE", "vaccine:coronavac", "A1", "2027-01-01", 69),
            ("S-TWO", "vaccine:bbibp-corv", "B7", "2026-12-01", 40),
            ("S-TWO", "vaccine:coronavac", "A1", "2027-01-01", 28)]
        assert [x[:5] for x in log] == [
            ("S-ONE", "issue", -1, "vaccination dose", "nurse"),
            ("S-ONE", "receipt", 100, "", "nurse"),
            ("S-ONE", "transfer", -30, "transfer", "nurse"),
            ("S-TWO", "adjustment", -2, "vial broken", "nurse"),
            ("S-TWO", "receipt", 40, "", "nurse"),
            ("S-TWO", "transfer", 30, "transfer", "nurse")]
        assert {str(x[5]) for x in log} == {"2026-03-01"}  # 10:00 in the city
    finally:
        engine.dispose()
