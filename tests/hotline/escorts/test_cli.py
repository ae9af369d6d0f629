"""`epidesk hotline escorts ...` against a migrated SQLite file: dispatch from a ticket,
the hand-off once, back home, a refusal that writes nothing, a plan and the board."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epidesk import db as dbmod
from epidesk.cli import app
from epidesk.hotline import service
from epidesk.hotline.models import EscortTrip, Ticket
from epidesk.kit import clock
from epidesk.migrate import upgrade
from epidesk.quarantine.models import QuarantineOrder
from tests.factories import tiny_city

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Li Na's household under a home-quarantine order; a medical-emergency ticket for her
    and one for Wang Fang, whose household is free."""
    found = f"sqlite:///{tmp_path}/escorts.db"
    engine = dbmod.make_engine(found)
    upgrade(engine)
    with Session(engine) as session:
        city = tiny_city(session)
        now, today = clock.now(), clock.city_today()
        li = city.residents["li_na"]
        session.add(QuarantineOrder(
            resident_id=li.id, household_id=li.household_id, kind="quarantine",
            category="close_contact", basis="contact", basis_id=0, form="home", preset="t",
            rule="t", rule_values="{}", counted_from=today, start_on=today - timedelta(days=1),
            end_on=today + timedelta(days=13), monitoring_until=None, test_days="[]",
            state="active", version=1, created_at=now, updated_at=now, created_by="t"))
        for who in ("li_na", "wang_fang"):
            service.file_ticket(session, service.NewTicket(
                channel="phone", category="medical_emergency", description="bleeding",
                resident_id=city.residents[who].id), actor="t")
        session.commit()
    engine.dispose()
    monkeypatch.setenv("EPIDESK_DATABASE_URL", found)
    monkeypatch.setenv("COLUMNS", "200")
    dbmod.reset_engine()
    yield found
    monkeypatch.undo()
    dbmod.reset_engine()


CREW = ["--vehicle", "Ambulance 3", "--driver", "Liu Yang", "--driver-phone", "13600000001",
        "--escort", "Nurse Sun"]


def test_a_trip_from_dispatch_to_home(url: str) -> None:
    with dbmod.session_scope() as session:
        li, fang = session.scalars(select(Ticket.id).order_by(Ticket.id)).all()
    refused = runner.invoke(app, ["hotline", "escorts", "dispatch", str(fang), "--destination",
                                  "No. 1 Hospital", "--arrives-in", "30", *CREW])
    assert refused.exit_code == 1 and "not under a stay-home zone" in refused.output
    sent = runner.invoke(app, ["hotline", "escorts", "dispatch", str(li), "--destination",
                               "No. 1 Hospital", "--arrives-in", "30", *CREW])
    assert sent.exit_code == 0, sent.output
    assert "dispatched" in sent.output and "Ambulance 3" in sent.output
    with dbmod.session_scope() as session:
        trip = session.scalars(select(EscortTrip.id)).one()
    first = runner.invoke(app, ["hotline", "escorts", "handoff", str(trip), "--received-by",
                                "Dr Wang"])
    again = runner.invoke(app, ["hotline", "escorts", "handoff", str(trip), "--received-by",
                                "Dr Li"])
    assert first.exit_code == again.exit_code == 0
    assert "nothing changed" in again.output and "to Dr Wang" in again.output
    board = runner.invoke(app, ["hotline", "escorts", "board"])
    assert board.exit_code == 0 and "handed_off" in board.output
    back = runner.invoke(app, ["hotline", "escorts", "back", str(trip)])
    assert back.exit_code == 0 and "returned" in back.output


def test_a_plan_and_the_daily_schedule(url: str) -> None:
    with dbmod.session_scope() as session:
        li = session.scalars(select(Ticket.resident_id).order_by(Ticket.id)).first()
    today = clock.city_today()
    made = runner.invoke(app, [
        "hotline", "escorts", "plan", str(li), "--kind", "dialysis", "--facility",
        "Renal unit", "--from", today.isoformat(), "--until",
        (today + timedelta(days=20)).isoformat(), "--departs", "07:30", "--arrives", "08:00",
        "--back", "12:00", "--weekdays", "1,2,3,4,5,6,7"])
    assert made.exit_code == 0, made.output
    assert "scheduled 8" in made.output  # today and the seven days after
    again = runner.invoke(app, ["hotline", "escorts", "schedule", "--days", "7"])
    assert again.exit_code == 0 and "scheduled: 0" in again.output
    bad = runner.invoke(app, [
        "hotline", "escorts", "plan", str(li), "--kind", "massage", "--facility", "x",
        "--from", today.isoformat(), "--until", today.isoformat(), "--departs", "07:30",
        "--arrives", "08:00", "--back", "12:00", "--weekdays", "1"])
    assert bad.exit_code == 1 and "kind" in bad.output
