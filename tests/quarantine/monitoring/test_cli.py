"""`epidesk quarantine monitoring` and `epidesk quarantine transfers edit` on a committed
SQLite database holding people released and home."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epidesk import db as dbmod
from epidesk.cli import app
from epidesk.kit import clock
from epidesk.migrate import upgrade
from epidesk.quarantine.models import HomeCheck, TransferManifest, TransferManifestChange
from tests.quarantine.monitoring.home import at, home_scene

runner = CliRunner()


@pytest.fixture
def home_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """A migrated SQLite file with one person home under monitoring, one on the way; the
    clock on the day after the first came home."""
    url = f"sqlite:///{tmp_path}/home.db"
    engine = dbmod.make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        h = home_scene(session)
        found = {"home": h.order.resident_id, "away": h.away.resident_id,
                 "manifest": h.manifest.id, "seats": h.manifest.seats}
        day = h.home_on + timedelta(days=1)
        session.commit()
    engine.dispose()
    moment = at(day)
    monkeypatch.setattr(clock, "now", lambda: moment)
    monkeypatch.setenv("EPIDESK_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    dbmod.reset_engine()
    yield found
    monkeypatch.undo()
    dbmod.reset_engine()


def test_list_record_and_clear(home_db: dict[str, int]) -> None:
    home, away = home_db["home"], home_db["away"]
    listed = runner.invoke(app, ["quarantine", "monitoring", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.stdout)
    assert (row["resident_id"], row["state"]) == (home, "missed")
    refused = runner.invoke(app, ["quarantine", "monitoring", "record", str(away),
                                  "--method", "visit", "--temperature", "36.5"])
    assert refused.exit_code == 1 and "not home yet" in str(refused.exception)
    bad = runner.invoke(app, ["quarantine", "monitoring", "record", str(home), "--method",
                              "visit", "--symptom", "sneezing"])
    assert bad.exit_code == 1 and "not a symptom" in str(bad.exception)
    flagged = runner.invoke(app, ["quarantine", "monitoring", "record", str(home),
                                  "--method", "phone", "--temperature", "38.2",
                                  "--symptom", "cough"])
    assert flagged.exit_code == 0, flagged.output
    assert "flagged: needs a test" in flagged.output
    needs = runner.invoke(app, ["quarantine", "monitoring", "list", "--state", "needs_test"])
    assert str(home) in needs.output and "1 under home monitoring (needs_test)" in needs.output
    missing = runner.invoke(app, ["quarantine", "monitoring", "record", str(home),
                                  "--method", "phone", "--not-reached", "no answer"])
    assert missing.exit_code == 0 and "not reached" in missing.output
    cleared = runner.invoke(app, ["quarantine", "monitoring", "clear", str(home),
                                  "--reason", "chronic cough, seen by the doctor"])
    assert cleared.exit_code == 0 and "1 flag(s) cleared" in cleared.output
    again = runner.invoke(app, ["quarantine", "monitoring", "clear", str(home),
                                "--reason", "again"])
    assert "nothing changed" in again.output
    with dbmod.session_scope() as session:
        checks = list(session.scalars(select(HomeCheck).order_by(HomeCheck.id)))
        assert [(c.reached, c.flagged, c.cleared_by is not None) for c in checks] == [
            (True, True, True), (False, False, False)]
    wrong = runner.invoke(app, ["quarantine", "monitoring", "list", "--state", "late"])
    assert wrong.exit_code == 1 and "not a state" in str(wrong.exception)


def test_transfers_edit_sets_the_driver_of_a_return_home(home_db: dict[str, int]) -> None:
    manifest = str(home_db["manifest"])
    flagged = runner.invoke(app, ["quarantine", "transfers", "list", "--no-driver"])
    assert flagged.exit_code == 0 and "(no driver)" in flagged.output
    refused = runner.invoke(app, ["quarantine", "transfers", "edit", manifest,
                                  "--driver-name", "Zhang Wei", "--driver-phone", "call me"])
    assert refused.exit_code == 1 and "not a phone number" in str(refused.exception)
    too_few = runner.invoke(app, ["quarantine", "transfers", "edit", manifest, "--seats", "1"])
    assert too_few.exit_code == 1 and "2 people are on board" in str(too_few.exception)
    done = runner.invoke(app, ["quarantine", "transfers", "edit", manifest, "--vehicle",
                               "Lu Q-88", "--driver-name", "Zhang Wei", "--driver-phone",
                               "139 0000 1111", "--note", "side gate"])
    assert done.exit_code == 0, done.output
    assert "driver_name: '' -> 'Zhang Wei'" in done.output
    assert "driver Zhang Wei, 139 0000 1111; note: side gate" in done.output
    with dbmod.session_scope() as session:
        m = session.get(TransferManifest, home_db["manifest"])
        assert m is not None and (m.vehicle, m.seats) == ("Lu Q-88", home_db["seats"])
        logged = [c.field for c in session.scalars(select(TransferManifestChange))]
        assert logged == ["vehicle", "driver_name", "driver_phone", "note"]
    listed = runner.invoke(app, ["quarantine", "transfers", "list", "--no-driver"])
    assert "Lu Q-88" not in listed.output
