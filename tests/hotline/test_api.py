"""The hotline's API: staff tickets with audit and scope, the public filing and following
(nothing personal, unknown and malformed references alike, rate-limited), bad input."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.auth.models import AuditEntry, AuditPerson
from epidesk.hotline.models import Ticket
from tests.factories import tiny_city

PERSONAL = ("contact_name", "contact_phone", "address_text", "lat", "lon", "resident_id",
            "description")


def test_a_resident_files_and_follows_without_an_account(db: Session, anon_client: TestClient
                                                        ) -> None:
    filed = anon_client.post("/api/public/hotline/tickets", json={
        "category": "supplies", "description": "no formula for the baby",
        "contact_name": "Zhang Min", "contact_phone": "13900000002",
        "address_text": "Building 3, unit 2"})
    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert body["status"] == "open" and body["targets"]["first_response_minutes"] == 60
    assert not set(PERSONAL) & set(body)
    followed = anon_client.get(f"/api/public/hotline/tickets/{body['reference'].lower()}")
    assert followed.status_code == 200 and followed.json()["reference"] == body["reference"]
    assert "Zhang Min" not in followed.text and "13900000002" not in followed.text
    unknown = anon_client.get("/api/public/hotline/tickets/00000-00000")
    malformed = anon_client.get("/api/public/hotline/tickets/not-a-reference")
    assert unknown.status_code == malformed.status_code == 404
    assert unknown.json()["detail"] == malformed.json()["detail"]


def test_bad_public_input_is_refused_naming_the_field(db: Session, anon_client: TestClient
                                                     ) -> None:
    for body, field in (({"category": "gossip", "description": "x"}, "category"),
                        ({"category": "other", "description": ""}, "description"),
                        ({"category": "other", "description": "x", "contact_phone": "call me"},
                         "contact_phone")):
        answer = anon_client.post("/api/public/hotline/tickets", json=body)
        assert answer.status_code == 422 and field in answer.text
    assert db.scalar(select(Ticket.id)) is None


def test_filing_is_rate_limited(db: Session, anon_client: TestClient) -> None:
    body = {"category": "information", "description": "when does the zone end?"}
    statuses = [anon_client.post("/api/public/hotline/tickets", json=body).status_code
                for _ in range(6)]
    assert statuses == [201] * 5 + [429]


def test_staff_work_a_ticket_and_every_read_is_audited(db: Session, client: TestClient
                                                      ) -> None:
    city = tiny_city(db)
    resident = city.residents["wang_xiulan"]
    made = client.post("/api/hotline/tickets", json={
        "channel": "community_worker", "category": "medical_emergency",
        "description": "needs dialysis tomorrow", "resident_id": resident.id,
        "contact_name": "王秀兰"})
    assert made.status_code == 201, made.text
    ticket = made.json()
    assert ticket["community_id"] == resident.community_id
    listed = client.get("/api/hotline/tickets")
    assert [t["id"] for t in listed.json()] == [ticket["id"]]
    entry = db.scalars(select(AuditEntry).where(AuditEntry.record_type == "hotline_queue")).one()
    people = db.scalars(select(AuditPerson.person_id).where(AuditPerson.entry_id == entry.id))
    assert list(people) == [resident.id]
    answered = client.post(f"/api/hotline/tickets/{ticket['id']}/responses",
                           json={"note": "an escorted trip is being arranged"})
    assert answered.json()["status"] == "answered"
    up = client.post(f"/api/hotline/tickets/{ticket['id']}/escalate", json={"note": "urgent"})
    assert up.json()["escalation"] == 1
    done = client.post(f"/api/hotline/tickets/{ticket['id']}/resolve",
                       json={"note": "taken to the dialysis centre"})
    assert done.json()["status"] == "resolved" and done.json()["resolved_at"]
    again = client.post(f"/api/hotline/tickets/{ticket['id']}/resolve", json={"note": "again"})
    assert again.status_code == 422 and "status" in again.text


def test_targets_are_set_by_supervisors_only(db: Session, client: TestClient,
                                            anon_client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    changed = client.put("/api/hotline/targets/supplies",
                         json={"first_response_minutes": 30, "resolution_minutes": 720})
    assert changed.status_code == 200
    assert {"code": "supplies", "first_response_minutes": 30,
            "resolution_minutes": 720} in changed.json()
    bad = client.put("/api/hotline/targets/supplies",
                     json={"first_response_minutes": 30, "resolution_minutes": 10})
    assert bad.status_code == 422 and "resolution_minutes" in bad.text
    anon_client.headers.update(bearer("op", ["hotline_operator"]))
    refused = anon_client.put("/api/hotline/targets/supplies",
                              json={"first_response_minutes": 1, "resolution_minutes": 2})
    assert refused.status_code == 403
    public = anon_client.get("/api/public/hotline/categories").json()
    assert {"code": "supplies", "first_response_minutes": 30,
            "resolution_minutes": 720} in public


def test_the_command_centre_tile_counts_overdue_tickets(db: Session, client: TestClient
                                                       ) -> None:
    from datetime import UTC, datetime, timedelta

    from epidesk.hotline import service

    late = service.file_ticket(db, service.NewTicket(
        channel="phone", category="medical_emergency", description="fell down"), actor="t",
        at=datetime.now(UTC) - timedelta(minutes=8))
    service.file_ticket(db, service.NewTicket(channel="sms", category="information",
                                              description="when?"), actor="t")
    service.escalate_due(db)
    assert late.escalation == 1
    tiles = client.get("/api/overview").text
    assert '"hotline.overdue"' in tiles and '"with_supervisor":1' in tiles.replace(" ", "")
    assert '"unresolved":2' in tiles.replace(" ", "")


def test_the_persons_record_shows_tickets_and_messages_audited(db: Session, client: TestClient
                                                              ) -> None:
    from epidesk.hotline import service

    city = tiny_city(db)
    resident = city.residents["wang_xiulan"]
    ticket = service.file_ticket(db, service.NewTicket(
        channel="phone", category="supplies", description="rice", resident_id=resident.id),
        actor="t")
    service.respond(db, ticket=ticket, note="delivery tomorrow", actor="op")
    record = client.get(f"/api/people/{resident.id}").text
    assert ticket.reference in record and '"hotline.ticket_update"' in record
    kinds = set(db.scalars(select(AuditEntry.record_type).where(
        AuditEntry.record_id == str(resident.id))))
    assert {"resident_tickets", "resident_messages"} <= kinds
