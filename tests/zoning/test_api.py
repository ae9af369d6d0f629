"""Zoning's JSON routes: staff zones, changes with reasons, the public lookup; bad input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.auth.models import AuditEntry
from epidesk.policy.service import get_preset
from epidesk.zoning import service
from epidesk.zoning.models import ZoneChange
from tests.zoning.scene import day, scene

TEN = get_preset("cn-10-measures-2022")


@pytest.fixture
def ten_measures(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The 10 measures as the active preset, for this test only."""
    from epidesk.config import get_settings

    monkeypatch.setenv("EPIDESK_PRESET", TEN.name)
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_staff_see_zones_and_the_public_sees_no_flat(db: Session, client: TestClient,
                                                    ten_measures: None) -> None:
    _city, case = scene(db)
    service.recompute(db, actor="test", preset=TEN, day=day(0))
    zones = client.get("/api/zones").json()
    assert [z["area_kind"] for z in zones] == ["household"]
    detail = client.get(f"/api/zones/{zones[0]['id']}").json()
    assert [t["case_id"] for t in detail["triggers"]] == [case.id]
    public = client.get("/api/public/zones?lang=zh").json()
    assert public[0]["area"] == "building" and "本楼内有风险区" in public[0]["place"]
    assert "case_id" not in str(public) and "household" not in str(public)
    found = client.get("/api/public/zones/lookup", params={
        "community": "Willow Court", "building": 1, "unit": 1, "flat": "101"}).json()
    assert found["in_zone"] and found["zones"][0]["place"] == "a zone in this building"
    assert found["zones"][0]["planned_end"] == day(5).isoformat()
    neighbour = client.get("/api/public/zones/lookup", params={
        "community": "Willow Court", "building": 1, "unit": 1, "flat": "102"}).json()
    assert not neighbour["in_zone"]


def test_bad_input_is_refused_and_changes_nothing(db: Session, client: TestClient) -> None:
    city, _ = scene(db)
    service.recompute(db, actor="test", preset=get_preset("cn-9th-2022"), day=day(0))
    unknown = client.get("/api/zones?preset=no-such-preset")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    missing = client.get("/api/public/zones/lookup", params={
        "community": "Nowhere", "building": 1, "unit": 1, "flat": "101"})
    assert missing.status_code == 404 and missing.json()["title"]
    bad_flat = client.get("/api/public/zones/lookup", params={
        "community": "Willow Court", "building": 1, "unit": 1, "flat": "1x1"})
    assert bad_flat.status_code == 422
    zone = client.get("/api/zones").json()[0]
    before = db.scalar(select(func.count()).select_from(ZoneChange))
    no_reason = client.post(f"/api/zones/{zone['id']}/area",
                            json={"to": f"building:{city.buildings[0].id}", "reason": ""})
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    assert db.scalar(select(func.count()).select_from(ZoneChange)) == before


def test_a_zoning_officer_may_not_override(db: Session, client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    city, _ = scene(db)
    service.recompute(db, actor="test", preset=get_preset("cn-9th-2022"), day=day(0))
    zone = client.get("/api/zones").json()[0]
    officer = bearer("officer", ["zoning_officer"])
    refused = client.post(f"/api/zones/{zone['id']}/area", headers=officer, json={
        "to": f"building:{city.buildings[0].id}", "reason": "one building",
        "override_reason": "x", "category": "other"})
    assert refused.status_code == 403
    narrowed = client.post(f"/api/zones/{zone['id']}/area", headers=officer, json={
        "to": f"building:{city.buildings[0].id}", "reason": "one building"})
    # The 9th edition's compound is adjustable: narrowing to the case's building is allowed.
    assert narrowed.status_code == 200 and narrowed.json()["area_kind"] == "building"
    # The written reason is in the audit log with the change, beside who made it.
    entry = db.scalars(select(AuditEntry).where(
        AuditEntry.action == "update", AuditEntry.record_type == "zone",
        AuditEntry.record_id == str(zone["id"]))).one()
    assert entry.username == "officer" and entry.purpose == "reason: one building"
    elsewhere = client.post(f"/api/zones/{zone['id']}/area", headers=officer, json={
        "to": f"compound:{city.communities[1].id}", "reason": "wider"})
    assert elsewhere.status_code == 422 and "does not contain" in elsewhere.text
    done = client.post("/api/zones/step-down", json={"day": day(1).isoformat()})
    assert done.status_code == 200 and done.json()["zones_opened"] == 0
    before = client.get(f"/api/zones?day={day(-1).isoformat()}").json()
    assert before == []
    replayed = client.get(f"/api/zones?day={day(0).isoformat()}").json()
    assert {z["level"] for z in replayed} == {"high", "low"}
    cost = client.get(f"/api/zones/footprint?day={day(0).isoformat()}").json()
    assert cost["residents"]["high"] == 10
