"""An appeal ends with the investigator's decision, and the decision flows: tracing
records it, the quarantine order resting on the classification is withdrawn, shortened
or replaced with the appeal as its reason, and supplies' restricted households follow."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.hotline import service as hotline
from epidesk.hotline.appeals import service as appeals
from epidesk.hotline.appeals.rules import AppealAnswer
from epidesk.hotline.models import Ticket
from epidesk.quarantine.models import QuarantineOrder
from epidesk.quarantine.orders import service as orders
from epidesk.supplies import repository as supplies_repository
from epidesk.supplies import service as supplies
from epidesk.tracing import repository as tracing
from epidesk.tracing.models import ContactDecision
from epidesk.tracing.runs import service as runs
from epidesk.zoning import service as zoning
from tests.quarantine.scene import traced
from tests.tracing.helpers import NOW, Scene, preset
from tests.zoning.scene import day
from tests.zoning.scene import scene as zoning_scene

DAY = date(2026, 11, 24)


def _appeal(db: Session, resident_id: int, category: str = "classification_appeal") -> Ticket:
    return hotline.file_ticket(db, hotline.NewTicket(
        channel="phone", category=category, resident_id=resident_id,
        description="I was never near that person"), actor="op")


def _orders(db: Session, resident_id: int) -> list[QuarantineOrder]:
    db.expire_all()
    return sorted(orders.orders_of_resident(db, resident_id=resident_id), key=lambda o: o.id)


def _household(s: Scene, key: str) -> int:
    return s.city.residents[key].household_id


def test_a_withdrawn_classification_withdraws_the_order_and_lifts_the_household(
        db: Session) -> None:
    s, _ = traced(db)
    li = s.id("li_qiang")
    [order] = _orders(db, li)
    assert (order.category, order.form, order.state) == ("sub_close_contact", "home", "active")
    household = _household(s, "li_qiang")
    assert supplies.restricted_households(db, DAY)[household][0] == "home_order"
    supplies.sync_roster(db, day=DAY)
    ticket = _appeal(db, li)
    done = appeals.end_appeal(db, ticket=ticket, actor="dr_li", now=NOW, answer=AppealAnswer(
        outcome="changed", tier="none",
        reason="the shift roster shows he worked elsewhere that week"))
    # Tracing: the classification is withdrawn by a decision that names the appeal.
    contact = tracing.contact_of(db, li)
    assert contact is not None and contact.status == "withdrawn"
    decision = db.get(ContactDecision, done.decision_id)
    assert decision is not None and decision.kind == "withdrawn"
    assert decision.source == f"appeal {ticket.reference}"
    # Quarantine: the order is withdrawn with the appeal as its reason.
    [order] = _orders(db, li)
    assert order.state == "withdrawn"
    assert ticket.reference in (order.withdrawal_reason or "")
    assert "worked elsewhere" in (order.withdrawal_reason or "")
    assert done.orders["withdrawn"] == 1
    # Supplies: the household is no longer restricted; the roster ends it.
    assert household not in supplies.restricted_households(db, DAY)
    assert supplies.sync_roster(db, day=DAY)["ended"] >= 1
    row = next(r for r in supplies_repository.roster(db) if r.household_id == household)
    assert row.restricted_until == DAY
    # The ticket: resolved as changed, the reason shown to whoever follows it.
    assert (ticket.status, ticket.outcome) == ("resolved", "changed")
    followed = hotline.follow(db, reference=ticket.reference)
    assert followed is not None and followed.resolution_note.startswith("the shift roster")
    # A later run and sync leave the decision standing.
    runs.run_tracing(db, actor="investigator", preset=preset(), now=NOW + timedelta(hours=1))
    again = orders.sync_orders(db, actor="officer", preset=preset(),
                               now=NOW + timedelta(hours=1))
    assert tracing.contact_of(db, li).status == "withdrawn"  # type: ignore[union-attr]
    assert not again.made and [o.state for o in _orders(db, li)] == ["withdrawn"]


def test_a_new_end_date_shortens_the_order_keeping_the_earlier_end(db: Session) -> None:
    s, _ = traced(db)
    chen = s.id("chen_jie")
    [order] = _orders(db, chen)
    planned = order.end_on
    household = _household(s, "chen_jie")
    shorter = planned - timedelta(days=3)
    assert household in supplies.restricted_households(db, shorter + timedelta(days=1))
    ticket = _appeal(db, chen)
    appeals.end_appeal(db, ticket=ticket, actor="dr_li", now=NOW, answer=AppealAnswer(
        outcome="changed", end_on=shorter, reason="the review board released him early"))
    [order] = _orders(db, chen)
    assert (order.state, order.end_on) == ("active", shorter)
    change = order.changes[-1]
    assert (change.kind, change.previous_end_on, change.end_on) == ("shortened", planned,
                                                                     shorter)
    assert ticket.reference in change.reason
    assert household in supplies.restricted_households(db, shorter)
    assert household not in supplies.restricted_households(db, shorter + timedelta(days=1))
    # A later sync keeps the decided end.
    orders.sync_orders(db, actor="officer", preset=preset(), now=NOW + timedelta(hours=1),
                       everyone=True)
    assert _orders(db, chen)[0].end_on == shorter


def test_a_close_contact_changed_to_sub_close_gets_a_home_order_instead(db: Session) -> None:
    s, _ = traced(db)
    na = s.id("li_na")
    [before] = _orders(db, na)
    assert (before.category, before.form) == ("close_contact", "centralized")
    ticket = _appeal(db, na)
    appeals.end_appeal(db, ticket=ticket, actor="dr_li", now=NOW, answer=AppealAnswer(
        outcome="changed", tier="sub_close", reason="different shift from the case"))
    old, new = _orders(db, na)
    assert old.state == "superseded" and ticket.reference in (old.withdrawal_reason or "")
    assert (new.state, new.category, new.form) == ("active", "sub_close_contact", "home")


def test_a_confirmed_decision_changes_no_order_and_an_appeal_withdrawn_decides_nothing(
        db: Session) -> None:
    s, _ = traced(db)
    fang = s.id("wang_fang")
    [order] = _orders(db, fang)
    version = order.version
    first = _appeal(db, fang)
    done = appeals.end_appeal(db, ticket=first, actor="dr_li", now=NOW, answer=AppealAnswer(
        outcome="confirmed", reason="she cared for the case daily"))
    assert done.decision_id is not None and done.orders["changed"] == 0
    assert _orders(db, fang)[0].version == version
    second = _appeal(db, fang)
    done = appeals.end_appeal(db, ticket=second, actor="op", now=NOW, answer=AppealAnswer(
        outcome="withdrawn", reason="the resident withdrew the appeal by phone"))
    assert done.decision_id is None and second.outcome == "withdrawn"
    assert db.scalar(select(func.count()).select_from(ContactDecision)) == 1


def test_the_api_checks_the_whole_answer_and_the_investigators_permission(
        db: Session, client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    s, _ = traced(db)
    li = s.id("li_qiang")
    ticket = _appeal(db, li)
    url = f"/api/hotline/tickets/{ticket.id}/appeal"
    shown = client.get(f"/api/hotline/tickets/{ticket.id}").json()
    evidence = shown["evidence"]["tracing"]
    assert evidence["tier"] == "sub_close" and evidence["evidence"]
    assert {e["rule"] for e in evidence["evidence"]} and evidence["evidence"][0]["start"]
    for body, field in (
            ({"outcome": "changed", "reason": "no change given"}, "tier"),
            ({"outcome": "changed", "tier": "none", "end_on": "2026-11-30", "reason": "x"},
             "end_on"),
            ({"outcome": "changed", "end_on": "2026-11-01", "reason": "before it"}, "end_on"),
            ({"outcome": "confirmed", "tier": "close", "reason": "x"}, "tier"),
            ({"outcome": "changed", "tier": "neighbour", "reason": "x"}, "tier"),
            ({"outcome": "changed", "tier": "close"}, "reason")):
        bad = client.post(url, json=body)
        assert bad.status_code == 422, (body, bad.text)
        assert field in bad.text
        assert bad.headers["content-type"].startswith("application/problem+json")
    db.expire_all()
    assert db.get(Ticket, ticket.id).status == "open"  # type: ignore[union-attr]
    assert db.scalar(select(func.count()).select_from(ContactDecision)) == 0
    assert tracing.contact_of(db, li).status == "active"  # type: ignore[union-attr]
    # A hotline operator may not decide on a classification...
    operator = bearer("op", ["hotline_operator"])
    refused = client.post(url, headers=operator, json={"outcome": "changed", "tier": "none",
                                                       "reason": "x"})
    assert refused.status_code == 403 and "tracing.run" in refused.text
    # ...but may record that the resident withdrew the appeal.
    withdrawn = client.post(url, headers=operator, json={
        "outcome": "withdrawn", "reason": "withdrawn by the resident"})
    assert withdrawn.status_code == 200 and withdrawn.json()["outcome"] == "withdrawn"
    assert withdrawn.json()["appeal"]["decision_id"] is None
    again = client.post(url, json={"outcome": "confirmed", "reason": "x"})
    assert again.status_code == 409


def test_the_page_shows_the_evidence_and_its_form_ends_the_appeal(
        db: Session, client: TestClient) -> None:
    s, _ = traced(db)
    li = s.id("li_qiang")
    ticket = _appeal(db, li)
    client.get("/signin")
    page = client.get(f"/hotline/staff/tickets/{ticket.id}", headers={"Accept": "text/html"})
    assert 'id="appeal-evidence"' in page.text and 'id="appeal-form"' in page.text
    assert "contacts.close_settings" in page.text or "contacts." in page.text
    token = client.cookies.get("epidesk_presession") or ""
    bad = client.post(f"/hotline/staff/tickets/{ticket.id}/appeal", data={
        "csrf_token": token, "outcome": "changed", "tier": "", "reason": "no change"})
    assert bad.status_code == 422 and "a changed decision needs" in bad.text
    assert db.scalar(select(func.count()).select_from(ContactDecision)) == 0
    done = client.post(f"/hotline/staff/tickets/{ticket.id}/appeal", data={
        "csrf_token": token, "outcome": "changed", "tier": "none",
        "reason": "worked elsewhere that week"})
    assert done.status_code == 303
    page = client.get(f"/hotline/staff/tickets/{ticket.id}", headers={"Accept": "text/html"})
    assert "decision changed" in page.text and 'id="appeal-form"' not in page.text
    assert [o.state for o in _orders(db, li)] == ["withdrawn"]


def test_a_zone_appeal_shows_the_zone_and_a_change_narrows_it(db: Session,
                                                              client: TestClient) -> None:
    city, _ = zoning_scene(db)
    zoning.recompute(db, actor="test", day=day(0))
    resident = city.residents["wang_xiuying"]
    ticket = _appeal(db, resident.id, "zone_question")
    shown = client.get(f"/api/hotline/tickets/{ticket.id}").json()
    zones = shown["evidence"]["zone_evidence"]["zones"]
    assert {z["level"] for z in zones} >= {"high"}
    zone = next(z for z in zones if z["level"] == "high")
    assert zone["rule"] and zone["history"] and zone["cases"] == 1
    page = client.get(f"/hotline/staff/tickets/{ticket.id}", headers={"Accept": "text/html"})
    assert f'data-zone="{zone["id"]}"' in page.text and 'name="to_key"' in page.text
    restricted = supplies.restricted_households(db, day(1))
    outside = [h.id for h in city.households.values()
               if h.id in restricted and h.id != resident.household_id]
    bad = client.post(f"/api/hotline/tickets/{ticket.id}/appeal", json={
        "outcome": "changed", "zone_id": zone["id"], "reason": "only her building"})
    assert bad.status_code == 422 and "zone_id" in bad.text
    unit = city.units[0]  # Willow Court building 1, unit 1: the Wangs' home, not the Chens'
    done = client.post(f"/api/hotline/tickets/{ticket.id}/appeal", json={
        "outcome": "changed", "zone_id": zone["id"], "to_key": f"unit:{unit.id}",
        "reason": "only her stairwell was shared with the case"})
    assert done.status_code == 200, done.text
    assert done.json()["outcome"] == "changed"
    history = zoning.zone_history(db, zone_id=zone["id"])
    assert ticket.reference in (history[-1].reason or "")
    after = supplies.restricted_households(db, day(1))
    assert resident.household_id in after
    assert city.households["chen"].id in outside
    assert city.households["chen"].id not in after

