"""The person's record: every domain's panel, within the reader's permissions and area."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.auth.models import AuditEntry
from tests.tracing.helpers import Scene, scene


@pytest.fixture
def s(client: TestClient, db: Session) -> Scene:
    made = scene(db)
    assert client.post("/api/tracing/runs", json={}).status_code == 201
    return made


def panels(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["key"]: p["data"] for p in body["panels"]}


def test_a_cases_record_shows_the_case_and_a_contacts_record_its_cases(
        client: TestClient, s: Scene) -> None:
    case_person = client.get(f"/api/people/{s.id('wang_xiulan')}").json()
    shown = panels(case_person)
    assert [c["id"] for c in shown["cases"]["cases"]] == [s.case.id]
    assert shown["testing"]["resident_id"] == s.id("wang_xiulan")
    assert "tracing" not in shown  # the case is nobody's contact
    contact = panels(client.get(f"/api/people/{s.id('li_na')}").json())
    assert contact["tracing"]["tier"] == "close"
    assert contact["tracing"]["cases"] == [{"case_id": s.case.id}]
    assert contact["tracing"]["follow_up"] and contact["tracing"]["missed"] >= 0
    assert contact["cases"]["cases"] == []


def test_the_page_shows_the_panels_with_links(client: TestClient, s: Scene) -> None:
    page = client.get(f"/people/{s.id('li_na')}", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert 'id="panel-tracing"' in page.text and "close contact" in page.text
    assert f'href="/cases/{s.case.id}"' in page.text
    assert f'href="/tracing/contacts/{s.id("li_na")}"' in page.text
    case_page = client.get(f"/people/{s.id('wang_xiulan')}", headers={"accept": "text/html"})
    assert 'id="panel-cases"' in case_page.text
    assert f'href="/cases/{s.case.id}"' in case_page.text


def test_a_reader_without_medical_permission_sees_no_medical_panel(
        anon_client: TestClient, bearer, s: Scene) -> None:  # type: ignore[no-untyped-def]
    worker = bearer("worker", ["community_worker"])
    body = anon_client.get(f"/api/people/{s.id('li_na')}", headers=worker).json()
    assert body["id"] == s.id("li_na") and body["panels"] == []


def test_a_case_outside_the_readers_area_is_not_named(
        anon_client: TestClient, bearer, db: Session, s: Scene) -> None:  # type: ignore[no-untyped-def]
    case_community = s.city.residents["wang_xiulan"].community_id
    outside = [k for k in ("li_na", "chen_jing", "zhao_lei", "wang_fang", "li_qiang")
               if s.city.residents[k].community_id != case_community]
    assert outside, "the scene needs a contact living in another community"
    key = outside[0]
    reader = bearer("epi", ["epidemiologist"], "community", s.city.residents[key].community_id)
    body = anon_client.get(f"/api/people/{s.id(key)}", headers=reader).json()
    tracing = panels(body)["tracing"]
    assert tracing["cases"] == [{"case_id": None}]
    page = anon_client.get(f"/people/{s.id(key)}", headers={**reader, "accept": "text/html"})
    assert "a case outside your area" in page.text
    assert f'href="/cases/{s.case.id}"' not in page.text


def test_every_panel_read_is_in_the_audit_log(client: TestClient, db: Session, s: Scene) -> None:
    client.get(f"/api/people/{s.id('li_na')}")
    kinds = set(db.scalars(select(AuditEntry.record_type).where(
        AuditEntry.person_id == s.id("li_na"))))
    assert {"resident", "testing_history", "resident_cases", "contact"} <= kinds
