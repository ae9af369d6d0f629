"""Registering people the resident register does not know: service, API and scope."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.cases.models import CaseEpisode
from epidesk.cases.service import ingest_results
from epidesk.errors import ValidationFailedError
from epidesk.people.models import Household, HouseholdMembership, Resident
from epidesk.people.registry import service
from epidesk.people.registry.rules import Registration, registration_problems
from epidesk.people.rules import IdType, RegistrationKind
from tests.factories import TinyCity, tiny_city
from tests.testing.batches import NOW, csv_bytes, preset, single

TODAY = date.today()
PROBLEM = "application/problem+json"


def traveller(**changes: Any) -> Registration:
    base = dict(kind=RegistrationKind.TRAVELLER, name="欧阳娜", name_latin="Ouyang Na",
                sex="F", birth_date=date(1991, 3, 3), id_type=IdType.PASSPORT,
                id_number="E12345678", phone="13700000001", has_smartphone=True,
                source="east station checkpoint", member_from=TODAY - timedelta(days=2))
    base.update(changes)
    return Registration(**base)  # type: ignore[arg-type]


def free_address(t: TinyCity, community: int = 0) -> int:
    """An address of a community where no household lives."""
    taken = {h.address_id for h in t.households.values()}
    return next(a.id for a in t.addresses
                if a.community_id == t.communities[community].id and a.id not in taken)


def body(t: TinyCity, **changes: Any) -> dict[str, Any]:
    found = {"kind": "traveller", "name": "欧阳娜", "name_latin": "Ouyang  Na", "sex": "F",
             "birth_date": "1991-03-03", "id_type": "passport", "id_number": "e1234-5678",
             "phone": "137 0000 0001", "has_smartphone": True,
             "source": "east station checkpoint", "household_id": t.households["wang"].id,
             "member_from": (TODAY - timedelta(days=2)).isoformat()}
    found.update(changes)
    return found


def test_the_rules_name_every_wrong_field():
    wrong = traveller(kind=RegistrationKind.MIGRANT_WORKER, name=" ", name_latin="欧阳",
                      sex="X", id_number=None, phone="12", source=" ",
                      member_from=TODAY + timedelta(days=1))
    fields = [f for f, _ in registration_problems(wrong, today=TODAY)]
    assert fields == ["name", "name_latin", "sex", "id_number", "phone", "source",
                      "member_from"]
    assert registration_problems(traveller(), today=TODAY) == []
    newborn = traveller(kind=RegistrationKind.NEWBORN, id_number=None,
                        birth_date=TODAY - timedelta(days=400), member_from=TODAY)
    assert [f for f, _ in registration_problems(newborn, today=TODAY)] == ["birth_date"]
    card = traveller(id_type=IdType.ID_CARD, id_number="12345")
    assert [f for f, _ in registration_problems(card, today=TODAY)] == ["id_number"]


def test_a_newborn_without_a_number_joins_a_household(db: Session):
    t = tiny_city(db)
    baby = service.register_person(
        db, registration=traveller(kind=RegistrationKind.NEWBORN, name="王小宝",
                                   name_latin="Wang Xiaobao", birth_date=TODAY,
                                   id_number=None, phone=None, member_from=TODAY,
                                   source="maternity ward"),
        household_id=t.households["wang"].id, actor="nurse")
    assert baby.id_number is None and baby.registration_kind == "newborn"
    assert baby.name_search == "wang xiaobao" and baby.registered_by == "nurse"
    assert baby.community_id == t.households["wang"].community_id
    stays = db.scalars(select(HouseholdMembership)
                       .where(HouseholdMembership.resident_id == baby.id)).all()
    assert [(s.household_id, s.start_date, s.end_date) for s in stays] == [
        (t.households["wang"].id, TODAY, None)]
    # Two newborns without a number are two people.
    twin = service.register_person(
        db, registration=traveller(kind=RegistrationKind.NEWBORN, name="王小贝",
                                   name_latin="Wang Xiaobei", birth_date=TODAY,
                                   id_number=None, phone=None, member_from=TODAY,
                                   source="maternity ward"),
        household_id=t.households["wang"].id, actor="nurse")
    assert twin.id != baby.id


def test_a_new_household_at_a_free_address(db: Session):
    t = tiny_city(db)
    address = free_address(t)
    worker = service.register_person(
        db, registration=traveller(kind=RegistrationKind.MIGRANT_WORKER,
                                   id_type=IdType.ID_CARD, id_number="11010119900101123X"),
        address_id=address, home_suitable=True, actor="worker")
    household = db.get(Household, worker.household_id)
    assert household is not None and household.address_id == address
    assert household.home_suitable is True
    with pytest.raises(ValidationFailedError) as taken:
        service.register_person(db, registration=traveller(id_number="E7654321"),
                                address_id=address, actor="worker")
    assert taken.value.extra["errors"][0]["loc"] == ["body", "address_id"]


def test_a_document_number_in_use_is_refused_and_nothing_is_written(db: Session):
    t = tiny_city(db)
    zhao = t.residents["zhao_lei"]
    before = db.scalar(select(Resident.id).order_by(Resident.id.desc()).limit(1))
    with pytest.raises(ValidationFailedError) as found:
        service.register_person(db, registration=traveller(
            kind=RegistrationKind.MIGRANT_WORKER, id_type=IdType.ID_CARD,
            id_number=zhao.id_number), household_id=t.households["wang"].id, actor="w")
    assert found.value.extra["errors"][0]["loc"] == ["body", "id_number"]
    assert db.scalar(select(Resident.id).order_by(Resident.id.desc()).limit(1)) == before


def test_register_through_the_api_then_find_and_open_the_person(client: TestClient,
                                                                db: Session):
    t = tiny_city(db)
    r = client.post("/api/people", json=body(t))
    assert r.status_code == 201, r.text
    person = r.json()
    assert person["registration_kind"] == "traveller"
    assert person["registration"] == "traveller"
    assert person["id_type_label"] == "passport"
    assert person["id_number"] == "E12345678" and person["phone"] == "13700000001"
    assert person["name_latin"] == "Ouyang Na"
    assert person["registered_by"] == "test-admin"
    found = client.get("/api/people", params={"q": "ouyang"}).json()
    assert [p["id"] for p in found["items"]] == [person["id"]]
    page = client.get(f"/people/{person['id']}", headers={"accept": "text/html"})
    assert "traveller" in page.text and "east station checkpoint" in page.text


@pytest.mark.parametrize(("changes", "field"), [
    ({"kind": "tourist"}, "kind"),
    ({"sex": "x"}, "sex"),
    ({"birth_date": "yesterday"}, "birth_date"),
    ({"name_latin": "欧阳"}, "name_latin"),
    ({"kind": "migrant_worker", "id_number": None}, "id_number"),
    ({"household_id": 2147483000}, "household_id"),
    ({"household_id": None}, "household_id"),
    ({"member_from": "2999-01-01"}, "member_from"),
])
def test_bad_registrations_name_the_field_and_change_nothing(
        client: TestClient, db: Session, changes: dict[str, Any], field: str):
    t = tiny_city(db)
    count = len(db.scalars(select(Resident.id)).all())
    r = client.post("/api/people", json=body(t, **changes))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM
    assert field in [e["loc"][-1] for e in r.json()["errors"]], r.json()
    assert len(db.scalars(select(Resident.id)).all()) == count


def test_a_community_worker_registers_only_into_their_area(anon_client: TestClient,
                                                           db: Session, bearer):  # type: ignore[no-untyped-def]
    t = tiny_city(db)
    anon_client.headers.update(bearer("worker", ["community_worker"], "community",
                                      t.communities[0].id))
    outside = anon_client.post("/api/people", json=body(t, household_id=t.households["pine"].id))
    assert outside.status_code == 422
    assert outside.json()["errors"][0]["loc"] == ["body", "household_id"]
    away = anon_client.post("/api/people", json=body(t, household_id=None,
                                                      address_id=free_address(t, 1)))
    assert away.status_code == 422
    inside = anon_client.post("/api/people", json=body(t))
    assert inside.status_code == 201
    from epidesk.auth import service as auth

    entries = auth.search_audit(db, person_id=inside.json()["id"], username="worker")
    assert any(e.action == "create" for e in entries)


def test_a_registered_traveller_is_tested_and_becomes_a_case(db: Session):
    t = tiny_city(db)
    guest = service.register_person(db, registration=traveller(),
                                     household_id=t.households["wang"].id, actor="w")
    result = ingest_results(
        db, content=csv_bytes([single("S1", guest.id, outcome="positive", ct=(22, 24))]),
        filename="batch.csv", received_by="lab-clerk", preset=preset(), now=NOW)
    assert result.accepted, result.report.problems
    cases = db.scalars(select(CaseEpisode).where(CaseEpisode.resident_id == guest.id)).all()
    assert [c.status for c in cases] == ["active"]
    assert cases[0].community_id == t.households["wang"].community_id
    assert datetime.now(UTC) > NOW


def test_register_from_the_page(client: TestClient, db: Session):
    t = tiny_city(db)
    form = client.get("/people/new", params={"household_id": t.households["wang"].id},
                      headers={"accept": "text/html"})
    assert form.status_code == 200
    assert "migrant worker" in form.text and "travel permit (Hong Kong, Macao, Taiwan)" in form.text
    assert f'value="{t.households["wang"].id}"' in form.text
    client.get("/signin")
    fields = {k: str(v) for k, v in body(t).items() if k != "has_smartphone"}
    fields["csrf_token"] = client.cookies.get("epidesk_presession") or ""
    count = len(db.scalars(select(Resident.id)).all())
    bad = client.post("/people/new", data={**fields, "birth_date": "1991-13-45"})
    assert bad.status_code == 422
    assert "birth_date" in bad.text and 'value="Ouyang  Na"' in bad.text
    assert len(db.scalars(select(Resident.id)).all()) == count
    done = client.post("/people/new", data=fields)
    assert done.status_code == 303
    page = client.get(done.headers["location"], headers={"accept": "text/html"})
    assert "The person is registered." in page.text and "passport: E12345678" in page.text
