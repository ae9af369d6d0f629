"""`epidesk supplies ...` on a committed database: depots, receipts, batches, overdue."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epidesk.cli import app
from epidesk.db import make_engine
from epidesk.migrate import upgrade
from tests.factories import tiny_city


def test_depots_receipts_and_batches_from_the_command_line(
        fresh_database, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    url = fresh_database("sqlite")
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        city = tiny_city(session)
        district = city.districts[0].id
        session.commit()
    engine.dispose()
    monkeypatch.setenv("EPIDESK_DATABASE_URL", url)
    from epidesk.config import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    made = runner.invoke(app, ["supplies", "add-depot", "C1", "City depot", "--district",
                               str(district)])
    assert made.exit_code == 0, made.output
    receipt = tmp_path / "r.csv"
    receipt.write_text("depot,item,lot,expires_on,quantity\nC1,masks,M1,2030-01-01,50\n")
    booked = runner.invoke(app, ["supplies", "receive", str(receipt), "--json"])
    assert booked.exit_code == 0 and json.loads(booked.stdout)["counts"] == {"lines": 1}
    bad = tmp_path / "b.csv"
    bad.write_text("depot,item,lot,expires_on,quantity\nZZ,masks,M1,2030-01-01,50\n")
    rejected = runner.invoke(app, ["supplies", "receive", str(bad), "--json"])
    assert rejected.exit_code == 1
    assert json.loads(rejected.stdout)["problem_counts"] == {"unknown_depot": 1}
    helped = runner.invoke(app, ["supplies", "receive", "--help"])
    assert "Exit codes: 0 the file was accepted" in " ".join(helped.output.split())
    shown = runner.invoke(app, ["supplies", "depots"])
    assert "masks" in shown.output and "50" in shown.output
    built = runner.invoke(app, ["supplies", "batches", "--build"])
    assert built.exit_code == 0 and "0 batches" in built.output
    late = runner.invoke(app, ["supplies", "overdue", "--json"])
    assert json.loads(late.stdout) == {"households": []}
