"""Shared fixtures: both database backends, rolled-back sessions, API client, browser.

Every test that takes `db` runs twice: on SQLite and on a throwaway PostgreSQL
cluster started here. In CI (CI=true) a missing PostgreSQL or Chromium fails the
run instead of skipping.
"""

from __future__ import annotations

import os

# pytest-xdist workers inherit COLUMNS=80; a rich Console created at import would keep
# that width for good. Without it, consoles follow COLUMNS as each test sets it.
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)
# The fixtures sign administrators in with a password alone; the tests of one-time codes
# turn the requirement on themselves (the `totp_required` fixture).
os.environ["EPIDESK_REQUIRE_TOTP_FOR_ADMINISTRATORS"] = "false"
# Stored secrets are sealed under this key (a fixed test key), so that no test writes a
# key file into the working folder; tests of the key file unset it themselves.
os.environ["EPIDESK_SECRET_KEY"] = "dGVzdC1rZXktZm9yLWVwaWRlc2stc2VhbGVkLXNlY3I="

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from epidesk import db as dbmod
from epidesk.auth import service as _auth_service
from epidesk.db import make_engine
from epidesk.migrate import upgrade
from epidesk_dev import pgcluster

# Passwords are hashed with argon2's cheapest parameters in the tests: the production
# parameters cost a good part of a second per hash, and nearly every test makes a user.
# Hashing and verifying are the same calls either way.
_auth_service._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("EPIDESK_CHROMIUM", "/usr/bin/chromium")
BACKENDS = ["sqlite", "postgresql"]


def unavailable(reason: str) -> None:
    """Skip locally, fail in CI: nothing may be skipped there."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pgcluster.Cluster]:
    """One throwaway PostgreSQL cluster for the whole run."""
    try:
        pgcluster.find_bindir()
    except Exception as exc:
        unavailable(str(exc))
    cluster = pgcluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def fresh_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[object]:
    """A factory of empty databases (URL strings) on a backend: fresh_database(backend)."""
    counter = iter(range(10_000))

    def make(backend: str) -> str:
        n = next(counter)
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('sqlite')}/test{n}.db"
        cluster: pgcluster.Cluster = request.getfixturevalue("pg_cluster")
        return cluster.create_database(f"test{n}")

    yield make


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, fresh_database) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """A migrated database on each backend, shared by the run's tests."""
    url = fresh_database(request.param)
    eng = make_engine(url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def backend(engine: Engine) -> str:
    """The name of the backend under test."""
    return str(engine.dialect.name)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint",
                      expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        if outer.is_active:
            outer.rollback()
        connection.close()


TEST_PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_user(db: Session):  # type: ignore[no-untyped-def]
    """Create a user with roles over an area: make_user("ann", ["auditor"], "community", 3)."""
    from epidesk.auth import service as auth

    def make(username: str, roles: list[str] | tuple[str, ...] = ("administrator",),
             scope_kind: str = "city", scope_id: int | None = None):  # type: ignore[no-untyped-def]
        user = auth.create_user(db, username=username, display_name=username.title(),
                                password=TEST_PASSWORD)
        for role in roles:
            auth.grant_role(db, username=username, role=role, scope_kind=scope_kind,
                            scope_id=scope_id, granted_by="test")
        return user

    return make


@pytest.fixture
def totp_required(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """EPIDESK_REQUIRE_TOTP_FOR_ADMINISTRATORS=true for one test (the live server too)."""
    from epidesk.config import get_settings

    monkeypatch.setenv("EPIDESK_REQUIRE_TOTP_FOR_ADMINISTRATORS", "true")
    get_settings.cache_clear()
    yield
    monkeypatch.setenv("EPIDESK_REQUIRE_TOTP_FOR_ADMINISTRATORS", "false")
    get_settings.cache_clear()


@pytest.fixture
def bearer(db: Session, make_user):  # type: ignore[no-untyped-def]
    """Authorization headers for a new user: bearer("ann", ["auditor"], "community", 3)."""
    from epidesk.auth import service as auth

    def headers(username: str, roles: list[str] | tuple[str, ...] = ("administrator",),
                scope_kind: str = "city", scope_id: int | None = None) -> dict[str, str]:
        user = make_user(username, roles, scope_kind, scope_id)
        token = auth.create_token(db, user_id=user.id, name="tests")
        return {"Authorization": f"Bearer {token.secret}"}

    return headers


@pytest.fixture(scope="session")
def shared_app():  # type: ignore[no-untyped-def]
    """One application for the run's clients: FastAPI prepares each route's parameters on
    its first request, which costs seconds over all the routes, so an application is made
    once per worker and each test only overrides its database session."""
    from epidesk.app import create_app

    return create_app()


@pytest.fixture
def anon_client(db: Session, shared_app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """A client with no credentials whose requests use the test's rolled-back session."""
    app = shared_app

    def override() -> Iterator[Session]:
        yield db
        db.flush()

    app.dependency_overrides[dbmod.request_session] = override
    # https, so that Secure cookies are sent back as a browser would.
    try:
        with TestClient(app, base_url="https://testserver", raise_server_exceptions=True,
                        follow_redirects=False) as c:
            # Staff pages are asserted in English; tests of the language choice set their own.
            c.headers["Accept-Language"] = "en"
            yield c
    finally:
        app.dependency_overrides.clear()


@pytest.fixture
def client(anon_client: TestClient, bearer) -> TestClient:  # type: ignore[no-untyped-def]
    """A client signed in (bearer token) as a city-wide administrator."""
    anon_client.headers.update(bearer("test-admin"))
    return anon_client


# ---------------------------------------------------------------- live server + browser


@pytest.fixture(scope="session")
def live_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A committed SQLite database holding a small synthetic city, for browser tests."""
    from epidesk.synth.city.service import build_city

    path = Path(tmp_path_factory.mktemp("live")) / "live.db"
    url = f"sqlite:///{path}"
    eng = make_engine(url)
    upgrade(eng)
    from epidesk.auth import service as auth

    with dbmod.session_scope(dbmod.sessionmaker(bind=eng)) as session:
        build_city(session, people=3000, seed=7)
        auth.create_user(session, username="admin", display_name="Admin", password=TEST_PASSWORD)
        auth.grant_role(session, username="admin", role="administrator", granted_by="test")
    eng.dispose()
    return url


@pytest.fixture(scope="session")
def live_server(live_database: str) -> Iterator[str]:
    """The platform served by uvicorn in a thread on a free port; yields its base URL."""
    import uvicorn

    os.environ["EPIDESK_DATABASE_URL"] = live_database
    # Chromium accepts Secure cookies from 127.0.0.1 (a secure context) but plain http
    # clients in the same tests do not; the cookie flags are tested with TestClient.
    os.environ["EPIDESK_COOKIE_SECURE"] = "false"
    dbmod.reset_engine()
    from epidesk.app import create_app

    port = pgcluster.free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    os.environ.pop("EPIDESK_DATABASE_URL", None)
    os.environ.pop("EPIDESK_COOKIE_SECURE", None)
    dbmod.reset_engine()


CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's headless Chromium driven by Playwright (no browser download)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        unavailable(f"Chromium not found at {CHROMIUM} (make system-deps installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def anon_page(browser, live_server: str) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh browser page with no session (own context: no cookies shared)."""
    context = browser.new_context(base_url=live_server)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


@pytest.fixture
def page(anon_page, live_server: str):  # type: ignore[no-untyped-def]
    """A browser page signed in as the live server's administrator through the form."""
    anon_page.goto(f"{live_server}/signin")
    anon_page.fill("#username", "admin")
    anon_page.fill("#password", TEST_PASSWORD)
    anon_page.click("button[type=submit]")
    anon_page.wait_for_load_state()
    assert "/signin" not in anon_page.url, "sign-in failed in the browser"
    return anon_page
