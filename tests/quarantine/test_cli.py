"""`epidesk quarantine` on a committed SQLite database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epidesk import db as dbmod
from epidesk.cli import app
from epidesk.migrate import upgrade
from tests.quarantine.helpers import csv_of, facility_line, standard_list
from tests.tracing.helpers import scene

runner = CliRunner()


@pytest.fixture
def city_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, object]]:
    """A migrated SQLite file holding the traced scene and a facility list file."""
    url = f"sqlite:///{tmp_path}/quarantine.db"
    engine = dbmod.make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        s = scene(session)
        (tmp_path / "sites.csv").write_bytes(standard_list(s.city))
        c, d = s.city.city.code, s.city.districts[0].code
        (tmp_path / "bad.csv").write_bytes(csv_of([
            facility_line("H1", c, d, "101"), facility_line("H1", c, d, "102", beds=0)]))
        found: dict[str, object] = {"dir": tmp_path, "chen_jing": s.id("chen_jing")}
        session.commit()
    engine.dispose()
    monkeypatch.setenv("EPIDESK_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    dbmod.reset_engine()
    yield found
    monkeypatch.undo()
    dbmod.reset_engine()


def test_import_list_show_and_reserve(city_db: dict[str, object]) -> None:
    folder = city_db["dir"]
    assert isinstance(folder, Path)
    done = runner.invoke(app, ["quarantine", "facilities", "import", str(folder / "sites.csv")])
    assert done.exit_code == 0, done.output
    assert "accepted, 4 facilities with 7 rooms" in done.output
    again = runner.invoke(app, ["quarantine", "facilities", "import", "--json",
                                str(folder / "sites.csv")])
    assert json.loads(again.stdout)["status"] == "already_imported"
    listed = runner.invoke(app, ["quarantine", "facilities", "list"])
    assert "H1" in listed.output and "never inspected" in listed.output
    shown = runner.invoke(app, ["quarantine", "facilities", "show", "H1"])
    assert shown.exit_code == 0 and "5 beds in 3 rooms" in shown.output
    reserve = runner.invoke(app, ["quarantine", "facilities", "reserve"])
    assert "20 rooms per 10,000" in reserve.output and "Rencheng" in reserve.output
    form = runner.invoke(app, ["quarantine", "facilities", "format"])
    assert "facility_code" in form.output and "room_number" in form.output


def test_a_bad_list_exits_1_with_the_report(city_db: dict[str, object]) -> None:
    folder = city_db["dir"]
    assert isinstance(folder, Path)
    done = runner.invoke(app, ["quarantine", "facilities", "import", "--json",
                               str(folder / "bad.csv")])
    assert done.exit_code == 1
    report = json.loads(done.stdout)
    assert report["status"] == "rejected"
    assert report["problems"][0]["line"] == 3 and report["problems"][0]["column"] == "beds"
    assert report["counts"] == {}


def test_sync_show_and_a_refused_release(city_db: dict[str, object]) -> None:
    assert runner.invoke(app, ["trace", "run"]).exit_code == 0
    synced = runner.invoke(app, ["quarantine", "orders", "sync"])
    assert synced.exit_code == 0, synced.output
    assert "made" in synced.output
    again = runner.invoke(app, ["quarantine", "orders", "sync"])
    assert again.exit_code == 0
    assert [line.split()[-1] for line in again.output.splitlines()
            if line.split() and line.split()[0] == "made"] == ["0"]
    with dbmod.session_scope() as session:
        from epidesk.quarantine.orders import service as orders

        resident = city_db["chen_jing"]
        assert isinstance(resident, int)
        order_id = orders.orders_of_resident(session, resident_id=resident)[0].id
    shown = runner.invoke(app, ["quarantine", "orders", "show", str(order_id)])
    assert "close_contact" in shown.output and "cn-9th-2022" in shown.output
    refused = runner.invoke(app, ["quarantine", "orders", "release", str(order_id)])
    assert refused.exit_code != 0
    assert "no result of the day-7 test" in str(refused.exception)
    changed = runner.invoke(app, ["quarantine", "orders", "change-end", str(order_id),
                                  "--end", "2026-12-30", "--reason", "flatmate positive"])
    assert changed.exit_code == 0 and "2026-12-30" in changed.output


def test_transfers_create_add_depart_check_in_missing_and_resolve(
        city_db: dict[str, object]) -> None:
    folder = city_db["dir"]
    assert isinstance(folder, Path)
    assert runner.invoke(app, ["trace", "run"]).exit_code == 0
    assert runner.invoke(app, ["quarantine", "orders", "sync"]).exit_code == 0
    assert runner.invoke(app, ["quarantine", "facilities", "import",
                               str(folder / "sites.csv")]).exit_code == 0
    with dbmod.session_scope() as session:
        from sqlalchemy import select

        from epidesk.quarantine.models import QuarantineOrder

        centralized = [o.resident_id for o in session.scalars(select(QuarantineOrder).where(
            QuarantineOrder.state == "active", QuarantineOrder.form == "centralized",
            QuarantineOrder.kind == "quarantine").order_by(QuarantineOrder.id))]
    first, second, third = centralized[:3]
    base = ["quarantine", "transfers", "create", "--vehicle", "Bus 5", "--seats", "2",
            "--facility", "H1", "--departs", "2026-11-22T10:00",
            "--expected", "2026-11-22T11:00", "--driver", "Wu", "--phone", "139"]
    unknown = runner.invoke(app, [*base, "--person", str(first), "--person", "2147483000"])
    assert unknown.exit_code == 1 and "no resident 2147483000" in str(unknown.exception)
    made = runner.invoke(app, [*base, "--person", str(first)])
    assert made.exit_code == 0, made.output
    manifest = made.output.split()[1]
    assert "1 of 2 seats" in made.output
    over = runner.invoke(app, ["quarantine", "transfers", "add", manifest,
                               "--person", str(second), "--person", str(third)])
    assert over.exit_code == 1 and "do not fit in 2 seats" in str(over.exception)
    added = runner.invoke(app, ["quarantine", "transfers", "add", manifest,
                                "--person", str(second)])
    assert added.exit_code == 0 and "2 of 2 seats" in added.output
    early = runner.invoke(app, ["quarantine", "transfers", "depart", manifest])
    assert early.exit_code == 1 and "nobody on manifest" in str(early.exception)
    assert runner.invoke(app, ["quarantine", "transfers", "check-out", manifest,
                               "--line", "1"]).exit_code == 0
    left = runner.invoke(app, ["quarantine", "transfers", "depart", manifest])
    assert left.exit_code == 0 and "departure recorded" in left.output
    stranger = runner.invoke(app, ["quarantine", "transfers", "check-in", manifest,
                                   "--person", str(third)])
    assert stranger.exit_code == 1 and "is not on manifest" in str(stranger.exception)
    arrived = runner.invoke(app, ["quarantine", "transfers", "check-in", manifest,
                                  "--person", str(first)])
    assert arrived.exit_code == 0 and "checked in" in arrived.output
    missing = runner.invoke(app, ["quarantine", "transfers", "missing", "--json"])
    alerts = json.loads(missing.stdout)
    assert [a["resident_id"] for a in alerts] == [second]
    silent = runner.invoke(app, ["quarantine", "transfers", "resolve",
                                 str(alerts[0]["line_id"]), "--reason", "hospital",
                                 "--note", " "])
    assert silent.exit_code == 1 and "say what happened" in str(silent.exception)
    done = runner.invoke(app, ["quarantine", "transfers", "resolve", str(alerts[0]["line_id"]),
                               "--reason", "hospital", "--note", "Fever at the bus door"])
    assert done.exit_code == 0 and "resolved (hospital)" in done.output
    assert json.loads(runner.invoke(app, ["quarantine", "transfers", "missing",
                                          "--json"]).stdout) == []
    shown = runner.invoke(app, ["quarantine", "transfers", "show", manifest])
    assert "arrived" in shown.output and "resolved" in shown.output
    listed = runner.invoke(app, ["quarantine", "transfers", "list"])
    assert "Bus 5" in listed.output and "to_facility" in listed.output
