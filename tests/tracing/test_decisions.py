"""An investigator's decisions on a classification: kept with who, when and why, shown in
the contact's record, held against later runs until a new exposure, refused whole on bad
input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError, ValidationFailedError
from epidesk.tracing.contacts import repository as contacts_repository
from epidesk.tracing.contacts import service as contacts_service
from epidesk.tracing.decisions import rules as decision_rules
from epidesk.tracing.decisions import service as decisions
from epidesk.tracing.exposures import service as exposures_service
from epidesk.tracing.models import Contact, ContactDecision, ContactEvent
from epidesk.tracing.runs import service as runs_service
from tests.tracing.helpers import NOW, Scene, preset, scene
from tests.tracing.test_pages import browser, csrf_of

__all__ = ["browser"]


@pytest.fixture
def s(db: Session) -> Scene:
    found = scene(db)
    runs_service.run_tracing(db, actor="investigator", preset=preset(), now=NOW)
    return found


def run(db: Session, hours: int) -> None:
    runs_service.run_tracing(db, actor="investigator", preset=preset(),
                             now=NOW + timedelta(hours=hours))


def contact(db: Session, resident_id: int) -> Contact:
    db.expire_all()
    return db.scalars(select(Contact).where(Contact.resident_id == resident_id)).one()


def events(db: Session, resident_id: int) -> list[ContactEvent]:
    return list(db.scalars(select(ContactEvent).where(ContactEvent.resident_id == resident_id)
                           .order_by(ContactEvent.id)))


def test_a_changed_tier_is_kept_with_who_when_and_why_and_holds_against_runs(
        db: Session, s: Scene) -> None:
    chen = s.id("chen_jing")
    assert contact(db, chen).tier == "close"
    decided = decisions.decide(db, resident_id=chen, kind="changed", tier="sub_close",
                               reason="the market's cameras show her at the far stalls",
                               actor="dr_li", now=NOW + timedelta(hours=1))
    record = contact(db, chen)
    assert (record.tier, record.status) == ("sub_close", "active")
    assert (decided.previous_tier, decided.tier, decided.decided_by) == (
        "close", "sub_close", "dr_li")
    assert decided.ended_at is None
    # The follow-up plan is the sub-close one now.
    assert [t.category for t in contacts_repository.follow_up(db, chen)] == [
        "sub_close_contact"] * len(contacts_repository.follow_up(db, chen))
    assert events(db, chen)[-1].kind == "changed"
    assert "far stalls" in (events(db, chen)[-1].note or "")
    # The contact's record shows the decision.
    detail = contacts_service.contact_detail(db, resident_id=chen, preset=preset())
    assert [d.reason for d in detail.decisions] == [decided.reason]
    seen = len(events(db, chen))
    run(db, 2)
    assert contact(db, chen).tier == "sub_close"
    assert len(events(db, chen)) == seen
    assert db.get(ContactDecision, decided.id).ended_at is None  # type: ignore[union-attr]


def test_a_new_exposure_ends_the_decision(db: Session, s: Scene) -> None:
    fang = s.id("wang_fang")
    decided = decisions.decide(db, resident_id=fang, kind="withdrawn",
                               reason="she wore full protective equipment", actor="dr_li",
                               now=NOW + timedelta(hours=1))
    record = contact(db, fang)
    assert record.status == "withdrawn" and record.withdrawn_at is not None
    assert not list(contacts_repository.follow_up(db, fang))
    run(db, 2)
    assert contact(db, fang).status == "withdrawn"
    # Later care, unprotected: a new exposure ends the decision.
    exposures_service.record_exposure(
        db, resident_a=s.id("wang_xiulan"), resident_b=fang,
        at=datetime(2026, 11, 21, 1, 0, tzinfo=UTC), setting="carer", place="Pine Court",
        recorded_by="investigator", preset=preset(), now=NOW + timedelta(hours=3))
    run(db, 4)
    record = contact(db, fang)
    assert (record.status, record.tier) == ("active", "close")
    db.expire_all()
    ended = db.get(ContactDecision, decided.id)
    assert ended is not None and ended.ended_at is not None
    assert ended.ended_reason == decision_rules.NEW_EXPOSURE
    assert events(db, fang)[-1].kind == "reinstated"


def test_a_new_end_date_is_kept_and_a_further_decision_ends_the_first(
        db: Session, s: Scene) -> None:
    wei = s.id("wang_wei")
    last = contact(db, wei).last_exposure_on
    first = decisions.decide(db, resident_id=wei, kind="changed", end_on=last + timedelta(days=3),
                             reason="released early on the review board's advice",
                             actor="dr_li", source="appeal HX7K2-M9PQ4")
    assert contact(db, wei).decided_end_on == last + timedelta(days=3)
    second = decisions.decide(db, resident_id=wei, kind="confirmed", reason="reviewed again",
                              actor="dr_wu")
    db.expire_all()
    assert db.get(ContactDecision, first.id).ended_reason == decision_rules.FURTHER  # type: ignore[union-attr]
    assert db.get(ContactDecision, second.id).ended_at is None  # type: ignore[union-attr]
    assert contact(db, wei).decided_end_on == last + timedelta(days=3)
    assert "appeal HX7K2-M9PQ4" in (events(db, wei)[-2].note or "")


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"kind": "changed", "tier": "household", "reason": "x"}, "tier"),
    ({"kind": "changed", "end_on": date(2026, 11, 1), "reason": "x"}, "end_on"),
    ({"kind": "changed", "tier": "sub_close", "reason": "  "}, "reason"),
    ({"kind": "changed", "reason": "nothing new"}, "tier"),
    ({"kind": "changed", "tier": "close", "reason": "the same"}, "tier"),
    ({"kind": "overturned", "reason": "x"}, "kind"),
    ({"kind": "confirmed", "tier": "sub_close", "reason": "x"}, "kind"),
])
def test_bad_decisions_are_refused_whole(db: Session, s: Scene, kwargs: dict[str, Any],
                                         field: str) -> None:
    chen = s.id("chen_jing")
    before = (contact(db, chen).tier, len(events(db, chen)),
              len(contacts_repository.follow_up(db, chen)))
    with pytest.raises(ValidationFailedError) as caught:
        decisions.decide(db, resident_id=chen, actor="dr_li", **kwargs)
    assert caught.value.extra["field"] == field
    assert field in caught.value.detail
    assert (contact(db, chen).tier, len(events(db, chen)),
            len(contacts_repository.follow_up(db, chen))) == before
    assert db.scalar(select(func.count()).select_from(ContactDecision)) == 0


def test_no_decision_on_someone_never_classified(db: Session, s: Scene) -> None:
    with pytest.raises(NotFoundError):
        decisions.decide(db, resident_id=s.id("zhao_lei"), kind="withdrawn", reason="x",
                         actor="dr_li")


# ------------------------------------------------------------------ API and page


def test_the_api_records_a_decision_and_refuses_bad_input_naming_the_field(
        client: TestClient, db: Session, s: Scene) -> None:
    chen = s.id("chen_jing")
    bad = client.post(f"/api/tracing/contacts/{chen}/decisions",
                      json={"kind": "changed", "tier": "neighbour", "reason": "x"})
    assert bad.status_code == 422 and "tier" in bad.text
    bad = client.post(f"/api/tracing/contacts/{chen}/decisions",
                      json={"kind": "changed", "end_on": "2026-11-01", "reason": "too early"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert "end_on" in bad.text
    bad = client.post(f"/api/tracing/contacts/{chen}/decisions",
                      json={"kind": "withdrawn", "reason": ""})
    assert bad.status_code == 422 and "reason" in bad.text
    assert db.scalar(select(func.count()).select_from(ContactDecision)) == 0
    made = client.post(f"/api/tracing/contacts/{chen}/decisions",
                       json={"kind": "changed", "end_on": "2026-11-26",
                             "reason": "reviewed the market's cameras"})
    assert made.status_code == 201, made.text
    assert made.json()["end_on"] == "2026-11-26" and made.json()["kind"] == "changed"
    shown = client.get(f"/api/tracing/contacts/{chen}").json()
    assert shown["decided_end_on"] == "2026-11-26"
    assert [d["reason"] for d in shown["decisions"]] == ["reviewed the market's cameras"]
    assert shown["events"][-1]["kind"] == "changed"


def test_the_contact_page_shows_decisions_and_its_form_records_one(
        browser: TestClient, s: Scene) -> None:
    fang = s.id("wang_fang")
    page = browser.get(f"/tracing/contacts/{fang}")
    assert 'id="decide"' in page.text and "No investigator has decided" in page.text
    token = csrf_of(page.text)
    bad = browser.post(f"/tracing/contacts/{fang}/decisions",
                       data={"csrf_token": token, "kind": "withdrawn", "reason": ""})
    assert bad.status_code == 422 and "a decision needs a reason" in bad.text
    done = browser.post(f"/tracing/contacts/{fang}/decisions",
                        data={"csrf_token": token, "kind": "withdrawn",
                              "reason": "full protective equipment throughout"})
    assert done.status_code == 303
    page = browser.get(f"/tracing/contacts/{fang}").text
    assert "classification withdrawn" in page
    assert "full protective equipment throughout" in page
    assert 'data-holds="yes"' in page


def test_a_reader_without_the_investigators_permission_gets_no_form(
        anon_client: TestClient, bearer, s: Scene) -> None:  # type: ignore[no-untyped-def]
    anon_client.headers.update(bearer("nurse", ["vaccinator"]))
    page = anon_client.get(f"/tracing/contacts/{s.id('wang_fang')}")
    assert page.status_code == 200 and 'id="decide"' not in page.text
    refused = anon_client.post(f"/api/tracing/contacts/{s.id('wang_fang')}/decisions",
                               json={"kind": "withdrawn", "reason": "x"})
    assert refused.status_code == 403


def test_a_confirmed_contact_whose_cases_are_all_withdrawn_is_withdrawn_and_says_why(
        db: Session, s: Scene) -> None:
    from tests.tracing.helpers import withdraw

    chen = s.id("chen_jing")
    decided = decisions.decide(db, resident_id=chen, kind="confirmed", reason="stands",
                               actor="dr_li", now=NOW + timedelta(hours=1))
    withdraw(db, s.case)
    runs_service.run_tracing(db, actor="investigator", preset=preset(),
                             now=NOW + timedelta(hours=2), case_ids=[s.case.id])
    assert contact(db, chen).status == "withdrawn"
    ended = db.get(ContactDecision, decided.id)
    assert ended is not None and ended.ended_reason == decision_rules.NO_EVIDENCE
