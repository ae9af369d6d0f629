"""Zoning's pages: the public list without script, the lookup in two languages, staff."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.policy.service import get_preset
from epidesk.zoning import service
from tests.zoning.scene import day, scene


def test_public_and_staff_pages(db: Session, client: TestClient, anon_client: TestClient
                                ) -> None:
    city, case = scene(db)
    service.recompute(db, actor="test", preset=get_preset("cn-9th-2022"), day=day(0))
    page = anon_client.get("/zones?lang=zh")
    assert page.status_code == 200 and "高风险区" in page.text and "柳园小区" in page.text
    assert f"case {case.id}" not in page.text
    english = anon_client.get("/zones", headers={"accept-language": "en"})
    assert "High risk" in english.text and "Stay at home" in english.text
    found = anon_client.get("/zones/lookup", params={
        "community": "柳园小区", "building": "1", "unit": "1", "flat": "201", "lang": "zh"})
    assert found.status_code == 200 and "居家不出户" in found.text
    unknown = anon_client.get("/zones/lookup", params={
        "community": "Nowhere", "building": "1", "unit": "1", "flat": "101"})
    assert unknown.status_code == 404 and "No such address" in unknown.text
    staff = client.get("/zones/staff")
    assert staff.status_code == 200 and "Restricted resident-days so far" in staff.text
    assert f"compound {city.communities[0].id}" in staff.text
    zone = service.active_zones(db, preset=get_preset("cn-9th-2022"))[0]
    detail = client.get(f"/zones/staff/{zone.id}")
    assert detail.status_code == 200 and "History" in detail.text
    round_page = client.get(f"/zones/staff/{zone.id}/round")
    assert round_page.status_code == 200 and "王秀英" in round_page.text
