"""A receipt import killed with SIGKILL while it writes leaves the depots as before.

The import runs as its own `epidesk supplies receive` process, killed once it has begun
writing (see tests/killing.py); the stock and the movement log are then compared with
what they held before, and the same file is booked whole afterwards.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from epidesk.db import make_engine
from epidesk.migrate import upgrade
from epidesk.supplies.depots import service as depots
from epidesk.supplies.models import StockLot, StockMovement, StockReceipt
from tests.factories import tiny_city
from tests.killing import kill_while_writing

LINES = 30_000


def _counts(session: Session) -> tuple[int, int, int, int]:
    return (int(session.scalar(sa.select(sa.func.count()).select_from(StockLot)) or 0),
            int(session.scalar(sa.select(sa.func.coalesce(sa.func.sum(StockLot.on_hand), 0)))
                or 0),
            int(session.scalar(sa.select(sa.func.count()).select_from(StockMovement)) or 0),
            int(session.scalar(sa.select(sa.func.count()).select_from(StockReceipt)) or 0))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_receipt_import_killed_while_writing_leaves_the_depots_as_before(
        backend: str, fresh_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = fresh_database(backend)
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        city = tiny_city(session)
        depots.create_depot(session, code="K1", name="Kill depot",
                            district_id=city.districts[0].id)
        depots.adjust(session, depot_id=1, item="masks", lot="OPEN", change=40,
                      reason="opening count", actor="test")
        session.commit()
        before = _counts(session)
    engine.dispose()
    path = tmp_path / "receipt.csv"
    path.write_text("depot,item,lot,expires_on,quantity\n" + "".join(
        f"K1,food_pack,LOT{n:06d},2030-01-01,{n % 90 + 1}\n" for n in range(LINES)))

    kill_while_writing(url, ["supplies", "receive", str(path)])

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            assert _counts(session) == before
            again = depots.import_receipts(session, content=path.read_bytes(),
                                           filename=path.name, received_by="test")
            assert again.accepted and not again.already_imported
            assert again.record.lines == LINES
            session.rollback()
    finally:
        engine.dispose()
