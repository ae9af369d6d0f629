"""Appeals: the investigator sees the evidence behind the decision, within their
permissions, and the appeal ends with an outcome and a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.cases.models import CaseEpisode
from epidesk.hotline import service
from epidesk.tracing.runs import service as tracing
from tests.factories import tiny_city


def _traced(db: Session) -> tuple[object, int]:
    city = tiny_city(db)
    person = city.residents["wang_xiulan"]
    today = datetime.now(UTC).date()
    case = CaseEpisode(
        resident_id=person.id, classification="asymptomatic", status="active",
        sampling_date=today - timedelta(days=3), onset_date=None,
        isolation_date=today - timedelta(days=2), reported_on=today - timedelta(days=2),
        diagnosed_at=datetime.now(UTC), recorded_at=datetime.now(UTC),
        asymptomatic_on=today - timedelta(days=2), confirmed_on=None,
        district_id=city.districts[0].id, community_id=person.community_id, imported=False)
    db.add(case)
    db.flush()
    tracing.run_tracing(db, actor="test")
    return city, city.residents["wang_xiuying"].id


def test_an_appeal_shows_the_contact_evidence_and_ends_with_an_outcome(
        db: Session, client: TestClient, anon_client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    _, contact = _traced(db)
    ticket = service.file_ticket(db, service.NewTicket(
        channel="phone", category="classification_appeal", resident_id=contact,
        description="I was not at home that week"), actor="op")
    found = client.get(f"/api/hotline/tickets/{ticket.id}").json()
    assert found["evidence"]["tracing"]["tier"] == "close"
    page = client.get(f"/hotline/staff/tickets/{ticket.id}")
    assert "Evidence behind the decision appealed" in page.text and "Contact tracing" in page.text
    # An operator without the permission to read medical details sees no evidence.
    anon_client.headers.update(bearer("op", ["hotline_operator"]))
    plain = anon_client.get(f"/api/hotline/tickets/{ticket.id}").json()
    assert "tracing" not in plain["evidence"]
    bad = client.post(f"/api/hotline/tickets/{ticket.id}/resolve",
                      json={"note": "x", "outcome": "maybe"})
    assert bad.status_code == 422 and "outcome" in bad.text
    # An appeal's outcome is given where the decision is recorded, not by resolving.
    bypass = client.post(f"/api/hotline/tickets/{ticket.id}/resolve",
                         json={"note": "x", "outcome": "changed"})
    assert bypass.status_code == 422 and f"/api/hotline/tickets/{ticket.id}/appeal" in bypass.text
    # The operator passes the appeal to an investigator, who confirms the decision.
    investigator = bearer("dr_li", ["hotline_operator", "epidemiologist"])
    done = client.post(f"/api/hotline/tickets/{ticket.id}/appeal", headers=investigator, json={
        "reason": "the household record shows her at home; classification stands",
        "outcome": "confirmed"})
    assert done.json()["outcome"] == "confirmed" and done.json()["status"] == "resolved"
    followed = anon_client.get(f"/api/public/hotline/tickets/{ticket.reference}").json()
    assert followed["outcome"] == "confirmed"
    assert "classification stands" in followed["updates"][-1]["note"]
