"""`epidesk quarantine placement` on a committed SQLite database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epidesk import db as dbmod
from epidesk.cli import app
from epidesk.migrate import upgrade
from epidesk.quarantine.models import RoomAssignment
from epidesk.tracing.runs import service as runs
from tests.quarantine.helpers import inspect, load_facilities
from tests.tracing.helpers import NOW, preset, scene

runner = CliRunner()


@pytest.fixture
def city_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite file with the traced scene's orders and inspected facilities."""
    from epidesk.quarantine.orders import service as orders

    url = f"sqlite:///{tmp_path}/placement.db"
    engine = dbmod.make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        s = scene(session)
        runs.run_tracing(session, actor="investigator", preset=preset(), now=NOW)
        orders.sync_orders(session, actor="officer", preset=preset(), now=NOW)
        ids = load_facilities(session, s.city)
        for code in ids:
            inspect(session, ids[code], on=min(date.today(), date(2026, 11, 21)))
        session.commit()
    engine.dispose()
    monkeypatch.setenv("EPIDESK_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    dbmod.reset_engine()
    yield url
    monkeypatch.undo()
    dbmod.reset_engine()


def _assignments() -> int:
    with dbmod.session_scope() as session:
        return int(session.scalar(select(func.count(RoomAssignment.id))) or 0)


def test_run_show_and_commit(city_db: str) -> None:
    ran = runner.invoke(app, ["quarantine", "placement", "run", "--day", "2026-11-22",
                              "--json"])
    assert ran.exit_code == 0, ran.output
    figures = json.loads(ran.output)
    assert figures["state"] == "proposed" and figures["placed_people"] >= 1
    assert _assignments() == 0
    shown = runner.invoke(app, ["quarantine", "placement", "show", str(figures["id"])])
    assert shown.exit_code == 0 and "gap" in shown.output and "H1" in shown.output
    done = runner.invoke(app, ["quarantine", "placement", "commit", str(figures["id"])])
    assert done.exit_code == 0 and "committed" in done.output
    assert _assignments() >= figures["placed_people"]
    again = runner.invoke(app, ["quarantine", "placement", "commit", str(figures["id"])])
    assert again.exit_code == 1 and "is committed" in again.output


def test_bad_input_is_a_usage_error(city_db: str) -> None:
    bad = runner.invoke(app, ["quarantine", "placement", "run", "--day", "yesterday"])
    assert bad.exit_code == 2 and "--day" in bad.output
    missing = runner.invoke(app, ["quarantine", "placement", "show", "999"])
    assert missing.exit_code == 1 and "no placement run 999" in missing.output
