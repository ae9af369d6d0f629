"""Auth API: bearer tokens, who-am-I, the audit log for auditors."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.auth import service

PROBLEM = "application/problem+json"


def test_me_needs_credentials(anon_client: TestClient) -> None:
    r = anon_client.get("/api/auth/me")
    assert r.status_code == 401
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["title"] == "Not signed in"


def test_me_with_a_token(anon_client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    r = anon_client.get("/api/auth/me", headers=bearer("ann", ["vaccinator"], "city"))
    assert r.status_code == 200
    assert r.json()["roles"] == ["vaccinator"]


def test_unknown_malformed_revoked_and_expired_tokens(
    anon_client: TestClient, bearer, db: Session  # type: ignore[no-untyped-def]
) -> None:
    for header in ("Bearer epd_00000000_nope", "Bearer ", "Basic dXNlcjpwYXNz"):
        r = anon_client.get("/api/auth/me", headers={"Authorization": header})
        assert r.status_code == 401, header
        assert r.headers["content-type"] == PROBLEM
    headers = bearer("ann")
    token_id = anon_client.get("/api/auth/tokens", headers=headers).json()[0]["id"]
    assert anon_client.delete(f"/api/auth/tokens/{token_id}", headers=headers).status_code == 200
    r = anon_client.get("/api/auth/me", headers=headers)
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]


def test_token_lifecycle_over_the_api(client: TestClient) -> None:
    r = client.post("/api/auth/tokens", json={"name": "nightly export", "days": 7})
    assert r.status_code == 201
    secret = r.json()["secret"]
    listed = client.get("/api/auth/tokens").json()
    assert any(t["name"] == "nightly export" for t in listed)
    assert all("secret" not in t for t in listed)
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200
    bad = client.post("/api/auth/tokens", json={"name": "", "days": 1000})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == PROBLEM
    assert {tuple(e["loc"]) for e in bad.json()["errors"]} == {("body", "name"), ("body", "days")}


def test_cannot_revoke_someone_elses_token(anon_client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    ann = bearer("ann")
    bob = bearer("bob")
    ann_token = anon_client.get("/api/auth/tokens", headers=ann).json()[0]["id"]
    r = anon_client.delete(f"/api/auth/tokens/{ann_token}", headers=bob)
    assert r.status_code == 404


def test_audit_log_is_for_auditors(anon_client: TestClient, bearer, db: Session) -> None:  # type: ignore[no-untyped-def]
    service.record_access(db, principal=None, action="read", record_type="resident",
                          record_id=5, person_id=5, route="GET /x", address="a",
                          purpose="hotline call")
    worker = bearer("carl", ["community_worker"])
    r = anon_client.get("/api/audit", headers=worker)
    assert r.status_code == 403
    assert "audit.read" in r.json()["detail"]
    auditor = bearer("dora", ["auditor"])
    r = anon_client.get("/api/audit", params={"person_id": 5}, headers=auditor)
    assert r.status_code == 200
    assert [e["purpose"] for e in r.json()] == ["hotline call"]
    csv = anon_client.get("/api/audit.csv", params={"person_id": 5}, headers=auditor)
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert "hotline call" in csv.text
    assert anon_client.get("/api/audit", params={"limit": 0}, headers=auditor).status_code == 422


def test_oversized_and_malformed_bodies(client: TestClient) -> None:
    r = client.post("/api/auth/tokens", content=b"{not json", headers={"content-type":
                                                                         "application/json"})
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM
    r = client.post("/api/auth/tokens", content=b"x" * (33 * 2**20),
                    headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.headers["content-type"] == PROBLEM
