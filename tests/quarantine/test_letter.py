"""The resident's letter reads the order (kit.orders): its stages, end and tests as they
stand, an end moved with a reason included; without an order in force or released (a
withdrawn one) it falls back to tracing's follow-up plan."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.kit import i18n
from epidesk.kit.orders import governing_order
from epidesk.quarantine.models import QuarantineOrder
from epidesk.quarantine.orders import service as orders
from epidesk.tracing.contacts import service as contacts
from tests.quarantine.scene import traced
from tests.tracing.helpers import NOW, Scene

HTML = {"accept": "text/html"}


def _order(db: Session, s: Scene, key: str) -> QuarantineOrder:
    return next(o for o in orders.orders_of_resident(db, resident_id=s.id(key))
                if o.state == "active")


def test_the_kit_finds_the_order_governing_a_resident(db: Session) -> None:
    s, _ = traced(db)
    o = _order(db, s, "li_na")
    with i18n.using("en"):
        found = governing_order(db, resident_id=s.id("li_na"))
    assert found is not None and found.order_id == o.id and found.end_on == o.end_on
    assert [st.place for st in found.stages] == ["centralized", "home_health_monitoring"]
    assert found.stages[-1].end == o.monitoring_until
    assert "cn-9th-2022" in found.explanation
    assert governing_order(db, resident_id=s.id("zhao_lei")) is None


def test_an_extended_order_changes_what_the_letter_says(db: Session,
                                                        client: TestClient) -> None:
    s, _ = traced(db)
    o = _order(db, s, "li_na")
    url = f"/api/tracing/contacts/{s.id('li_na')}/letter"
    before = client.get(url).json()
    assert (before["order_id"], before["end_on"]) == (o.id, "2026-12-01")
    orders.change_end(db, order_id=o.id, end_on=date(2026, 11, 30),
                      reason="a household member tested positive", actor="officer", now=NOW)
    after = client.get(url).json()
    assert after["order_version"] == 2
    assert [(st["place"], st["start"], st["end"]) for st in after["stages"]] == [
        ("centralized quarantine", "2026-11-22", "2026-11-30"),
        ("home health monitoring", "2026-12-01", "2026-12-03")]
    assert after["end_on"] == "2026-12-03"
    assert after["end_changes"] == [{"previous_end_on": "2026-11-28", "end_on": "2026-11-30",
                                     "reason": "a household member tested positive"}]
    page = client.get(f"/tracing/contacts/{s.id('li_na')}/letter?lang=en", headers=HTML).text
    assert "December 3, 2026" in page and "a household member tested positive" in page
    assert f"quarantine order {o.id} (version 2)" in page
    chinese = client.get(f"/tracing/contacts/{s.id('li_na')}/letter?lang=zh",
                         headers=HTML).text
    assert "2026年12月3日" in chinese and f"隔离令 {o.id}" in chinese


def test_a_withdrawn_order_falls_back_to_the_follow_up_plan(db: Session) -> None:
    s, _ = traced(db)
    o = _order(db, s, "li_na")
    orders.change_end(db, order_id=o.id, end_on=date(2026, 11, 30), reason="late result",
                      actor="officer", now=NOW)
    o.state, o.withdrawal_reason = "withdrawn", "evidence withdrawn"
    db.flush()
    with i18n.using("en"):
        letter = contacts.resident_letter(db, resident_id=s.id("li_na"))
    assert letter.order is None
    assert letter.end_on == date(2026, 12, 1)
    assert [st.place for st in letter.stages] == ["centralized quarantine",
                                                  "home health monitoring"]


def test_the_orders_notice_explains_its_rule_end_changes_and_delivery(
        db: Session, client: TestClient) -> None:
    s, _ = traced(db)
    o = _order(db, s, "li_na")
    orders.change_end(db, order_id=o.id, end_on=date(2026, 11, 30),
                      reason="a household member tested positive", actor="officer", now=NOW)
    orders.record_delivery(db, order_id=o.id, method="on_behalf", received_by="Li Qiang",
                           relation="husband", actor="officer", delivered_at=NOW)
    page = client.get(f"/quarantine/orders/{o.id}/notice?lang=en", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert '<html lang="en">' in text and '<body class="document">' in text
    assert "cn-9th-2022" in text and "quarantine.categories.close_contact" in text
    assert "The end moved from November 28, 2026 to November 30, 2026: a household member " \
           "tested positive" in text
    assert "to someone on their behalf" in text
    assert "received by Li Qiang, husband" in text
    chinese = client.get(f"/quarantine/orders/{o.id}/notice?lang=zh", headers=HTML).text
    assert '<html lang="zh-Hans">' in chinese and "2026年11月30日" in chinese
    assert client.get(f"/quarantine/orders/{o.id}/notice?lang=fr",
                      headers=HTML).status_code == 422
    order_page = client.get(f"/quarantine/orders/{o.id}", headers=HTML).text
    assert f'href="/quarantine/orders/{o.id}/notice"' in order_page


def test_an_order_resting_on_an_earlier_classification_waits_for_its_update(
        db: Session) -> None:
    """A later exposure reclassifies the contact before the orders' sync runs: the letter
    gives the new plan, not the order's stale dates, and reads the order again once the
    sync has moved it."""
    from datetime import timedelta

    from sqlalchemy import select

    from epidesk.tracing.models import Contact
    from tests.quarantine.scene import preset

    s, _ = traced(db)
    o = _order(db, s, "li_na")
    contact = db.scalars(select(Contact).where(Contact.resident_id == s.id("li_na"))).one()
    later = contact.last_exposure_on + timedelta(days=2)
    contact.last_exposure_on = later
    db.flush()
    with i18n.using("en"):
        stale = contacts.resident_letter(db, resident_id=s.id("li_na"))
    assert stale.order is None and stale.last_exposure_on == later
    assert stale.end_on == o.monitoring_until + timedelta(days=2)
    # The direct change wrote no contact event: the sync is asked to look at everyone.
    orders.sync_orders(db, actor="officer", preset=preset(), now=NOW, everyone=True)
    with i18n.using("en"):
        synced = contacts.resident_letter(db, resident_id=s.id("li_na"))
    assert synced.order is not None and synced.order.counted_from == later
    assert synced.end_on == stale.end_on
