"""Every answer carries the security headers; 405 says what is allowed; cookie API calls need
the session's CSRF token while bearer-token calls do not."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from epidesk.kit.security import CONTENT_SECURITY_POLICY, docs_policy
from tests.auth.test_pages import csrf_of, sign_in
from tests.conftest import TEST_PASSWORD
from tests.test_routes import ALL_ROUTES, _concrete

PROBLEM = "application/problem+json"
EXTRA_PATHS = [("GET", "/static/epidesk.css"), ("GET", "/openapi.json"), ("GET", "/docs"),
               ("GET", "/redoc"), ("GET", "/no/such/page"), ("DELETE", "/signin")]


def assert_secured(response, path: str) -> None:  # type: ignore[no-untyped-def]
    """The headers every answer must carry, whatever its status."""
    h = response.headers
    assert h["x-frame-options"] == "DENY", path
    assert h["x-content-type-options"] == "nosniff", path
    assert h["referrer-policy"] == "same-origin", path
    policy = h["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, path
    # The test client speaks https, as a deployment behind TLS does.
    assert h["strict-transport-security"].startswith("max-age="), path
    if path.startswith(("/static/", "/assets/")):
        # Static files may be kept, never personal data; pinned libraries for a day.
        assert h["cache-control"] in ("no-cache", "public, max-age=86400"), path
    else:
        assert h["cache-control"] == "no-store", path
        if path not in ("/docs", "/redoc"):
            assert policy == CONTENT_SECURITY_POLICY, path
            directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
            assert directives["script-src"] == directives["style-src"] == "'self'", path


@pytest.mark.parametrize(("method", "path"), ALL_ROUTES + EXTRA_PATHS)
def test_every_answer_carries_the_security_headers(
        client: TestClient, method: str, path: str) -> None:
    for accept in ("application/json", "text/html"):
        response = client.request(method, _concrete(path), headers={"accept": accept})
        assert_secured(response, path)


def test_plain_http_gets_no_hsts(anon_client: TestClient) -> None:
    plain = TestClient(anon_client.app, base_url="http://testserver")
    response = plain.get("/")
    assert "strict-transport-security" not in response.headers
    assert response.headers["cache-control"] == "no-store"


def test_docs_allow_only_their_own_inline_scripts_by_hash() -> None:
    policy = docs_policy(b"<script src='/a.js'></script><script>start()</script>")
    assert "script-src 'self' 'sha256-" in policy
    assert policy.count("'sha256-") == 1
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("PUT", "/signin", {"GET", "POST"}),
    ("DELETE", "/api/auth/tokens", {"GET", "POST"}),
    ("POST", "/api/people/1", {"GET"}),
])
def test_method_not_allowed_says_what_is(client: TestClient, method: str, path: str,
                                         allowed: set[str]) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    assert set(response.headers["allow"].split(", ")) == allowed
    page = client.request(method, path, headers={"accept": "text/html"})
    assert page.status_code == 405 and set(page.headers["allow"].split(", ")) == allowed


def test_cookie_session_api_posts_need_the_csrf_header(
        anon_client: TestClient, make_user, bearer) -> None:  # type: ignore[no-untyped-def]
    make_user("ann")
    assert sign_in(anon_client, "ann", TEST_PASSWORD).status_code == 303
    token = csrf_of(anon_client.get("/account").text)
    body = {"name": "from the page", "days": 1}
    refused = anon_client.post("/api/auth/tokens", json=body)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == PROBLEM
    assert "X-CSRF-Token" in refused.json()["detail"]
    forged = anon_client.post("/api/auth/tokens", json=body, headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    # Reads need no token; a post carrying the session's token goes through.
    assert anon_client.get("/api/auth/tokens").status_code == 200
    sent = anon_client.post("/api/auth/tokens", json=body, headers={"X-CSRF-Token": token})
    assert sent.status_code == 201, sent.text
    anon_client.cookies.clear()
    by_token = anon_client.post("/api/auth/tokens", json=body, headers=bearer("bob"))
    assert by_token.status_code == 201, by_token.text
