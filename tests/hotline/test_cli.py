"""`epidesk hotline ...` and `epidesk messages ...` against a migrated SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epidesk import db as dbmod
from epidesk.cli import app
from epidesk.hotline import service
from epidesk.hotline.models import Ticket
from epidesk.messages.models import OutboundMessage
from epidesk.migrate import upgrade
from tests.factories import tiny_city

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    found = f"sqlite:///{tmp_path}/hotline.db"
    engine = dbmod.make_engine(found)
    upgrade(engine)
    with Session(engine) as session:
        city = tiny_city(session)
        resident = next(r for r in city.residents.values() if r.phone)
        resident.birth_date = resident.birth_date.replace(year=1990)
        ticket = service.file_ticket(session, service.NewTicket(
            channel="phone", category="medical_emergency", description="chest pain",
            resident_id=resident.id), actor="t",
            at=datetime.now(UTC) - timedelta(minutes=100))
        service.respond(session, ticket=ticket, note="ambulance sent", actor="t")
        session.commit()
    engine.dispose()
    monkeypatch.setenv("EPIDESK_DATABASE_URL", found)
    monkeypatch.setenv("EPIDESK_MESSAGES_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("COLUMNS", "200")
    dbmod.reset_engine()
    yield found
    monkeypatch.undo()
    dbmod.reset_engine()


def test_escalate_is_idempotent_and_the_queue_shows_it(url: str, tmp_path: Path) -> None:
    first = runner.invoke(app, ["hotline", "escalate"])
    assert first.exit_code == 0, first.output
    assert "to supervisor: 1" in first.output
    again = runner.invoke(app, ["hotline", "escalate"])
    assert "to supervisor: 0" in again.output and "to command centre: 0" in again.output
    listed = runner.invoke(app, ["hotline", "list", "--escalated"])
    assert "medical_emergency" in listed.output
    with dbmod.session_scope() as session:
        reference = session.scalars(select(Ticket.reference)).one()
    shown = runner.invoke(app, ["hotline", "show", reference])
    assert "chest pain" in shown.output and "escalated" in shown.output
    assert runner.invoke(app, ["hotline", "show", "00000-00000"]).exit_code == 1
    refused = runner.invoke(app, ["hotline", "targets", "supplies", "--first-response", "60",
                                  "--resolution", "5"])
    assert refused.exit_code == 1 and "resolution_minutes" in refused.output
    stats = runner.invoke(app, ["hotline", "stats", "--refresh"])
    assert stats.exit_code == 0 and "medical_emergency" in stats.output


def test_dispatch_writes_the_ticket_update_to_the_outbox(url: str, tmp_path: Path) -> None:
    sent = runner.invoke(app, ["messages", "dispatch"])
    assert sent.exit_code == 0, sent.output
    assert "sent: 1" in sent.output
    lines = [json.loads(x) for f in (tmp_path / "outbox").iterdir()
             for x in f.read_text().splitlines()]
    assert len(lines) == 1 and "ambulance sent" in lines[0]["text"]
    assert "sent: 0" in runner.invoke(app, ["messages", "dispatch"]).output
    with dbmod.session_scope() as session:
        assert session.scalars(select(OutboundMessage.state)).all() == ["sent"]
    status = runner.invoke(app, ["messages", "status"])
    assert "sms" in status.output and "sent" in status.output
