"""Open311 GeoReport v2: the specification's fields, filters, filing, and no personal field
for anonymous callers or staff outside their area."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.hotline import service
from epidesk.hotline.open311.rules import PERSONAL_KEYS
from tests.factories import tiny_city

# GeoReport v2's fields of a service and of a service request.
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type",
                  "keywords", "group"}
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name",
                  "service_code", "agency_responsible", "service_notice",
                  "requested_datetime", "updated_datetime", "expected_datetime", "media_url"}


def test_services_in_json_and_xml_and_a_definition(db: Session, anon_client: TestClient
                                                  ) -> None:
    services = anon_client.get("/open311/v2/services.json").json()
    assert {s["service_code"] for s in services} >= {"medical_emergency", "supplies"}
    assert all(set(s) == SERVICE_FIELDS for s in services)
    assert all(s["type"] in ("realtime", "batch", "blackbox") for s in services)
    xml = anon_client.get("/open311/v2/services.xml")
    assert xml.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(xml.text)
    assert root.tag == "services" and len(root.findall("service")) == len(services)
    definition = anon_client.get("/open311/v2/services/quarantine_conditions.json").json()
    assert definition["attributes"][0]["code"] == "facility_id"
    assert anon_client.get("/open311/v2/services/gossip.json").status_code == 422


def test_filing_and_following_requests(db: Session, anon_client: TestClient) -> None:
    filed = anon_client.post("/open311/v2/requests.json", json={
        "service_code": "supplies", "description": "no food since Monday",
        "lat": 35.4, "long": 116.6, "address_string": "3 Pine Road", "first_name": "Li",
        "last_name": "Ming", "phone": "13800000011"})
    assert filed.status_code == 201, filed.text
    answer = filed.json()[0]
    rid = answer["service_request_id"]
    assert "Reference" in answer["service_notice"]
    one = anon_client.get(f"/open311/v2/requests/{rid}.json").json()[0]
    assert set(one) == REQUEST_FIELDS
    assert one["status"] == "open" and one["agency_responsible"] == "Citizen hotline"
    assert one["requested_datetime"].endswith("+00:00")
    assert one["expected_datetime"] > one["requested_datetime"]
    text = anon_client.get("/open311/v2/requests.json").text
    for private in ("no food since Monday", "Pine Road", "Ming", "13800000011", "35.4", "116.6"):
        assert private not in text
    closed = anon_client.get("/open311/v2/requests.json", params={"status": "closed"}).json()
    assert closed == []
    by_code = anon_client.get("/open311/v2/requests.json",
                              params={"service_code": "supplies",
                                      "service_request_id": rid}).json()
    assert [r["service_request_id"] for r in by_code] == [rid]
    assert anon_client.get("/open311/v2/requests/2147483000.json").status_code == 404
    bad = anon_client.post("/open311/v2/requests.json", json={"service_code": "supplies",
                                                               "description": "x", "lat": 91})
    assert bad.status_code == 422 and "lat" in bad.text


def test_staff_see_personal_fields_only_inside_their_area(db: Session, anon_client: TestClient,
                                                          bearer) -> None:  # type: ignore[no-untyped-def]
    city = tiny_city(db)
    inside = next(r for r in city.residents.values()
                  if r.community_id == city.communities[0].id)
    outside = next(r for r in city.residents.values()
                   if r.community_id == city.communities[1].id)
    mine = service.file_ticket(db, service.NewTicket(
        channel="phone", category="supplies", description="inside need",
        resident_id=inside.id, address_text="inside address"), actor="t")
    theirs = service.file_ticket(db, service.NewTicket(
        channel="phone", category="supplies", description="outside need",
        resident_id=outside.id, address_text="outside address"), actor="t")
    headers = bearer("op", ["hotline_operator"], "community", city.communities[0].id)
    key = headers["Authorization"].removeprefix("Bearer ")
    rows = {r["service_request_id"]: r for r in anon_client.get(
        "/open311/v2/requests.json", params={"api_key": key}).json()}
    assert rows[str(mine.id)]["description"] == "inside need"
    assert not set(PERSONAL_KEYS) & set(rows[str(theirs.id)])
    assert "outside" not in str(rows[str(theirs.id)])
    refused = anon_client.get("/open311/v2/requests.json", params={"api_key": "nonsense"})
    assert refused.status_code == 401
