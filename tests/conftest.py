"""Shared fixtures: both database backends, rolled-back sessions, API client, browser.

Every test that takes `db` runs twice: on SQLite and on a throwaway PostgreSQL
cluster started here. In CI (CI=true) a missing PostgreSQL or Chromium fails the
run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from epidesk import db as dbmod
from epidesk import pgcluster
from epidesk.db import make_engine
from epidesk.migrate import upgrade

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
    except Exception as exc:  # noqa: BLE001
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


@pytest.fixture
def client(db: Session) -> Iterator[TestClient]:
    """An API/page client whose requests use the test's rolled-back session."""
    from epidesk.app import create_app

    app = create_app()

    def override() -> Iterator[Session]:
        yield db
        db.flush()

    app.dependency_overrides[dbmod.request_session] = override
    with TestClient(app, raise_server_exceptions=True) as c:
        yield c


# ---------------------------------------------------------------- live server + browser


@pytest.fixture(scope="session")
def live_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A committed SQLite database holding a small synthetic city, for browser tests."""
    from epidesk.synth.service import build_city

    path = Path(tmp_path_factory.mktemp("live")) / "live.db"
    url = f"sqlite:///{path}"
    eng = make_engine(url)
    upgrade(eng)
    with dbmod.session_scope(dbmod.sessionmaker(bind=eng)) as session:
        build_city(session, people=3000, seed=7)
    eng.dispose()
    return url


@pytest.fixture(scope="session")
def live_server(live_database: str) -> Iterator[str]:
    """The platform served by uvicorn in a thread on a free port; yields its base URL."""
    import uvicorn

    os.environ["EPIDESK_DATABASE_URL"] = live_database
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
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh browser page (own context: no cookies shared between tests)."""
    context = browser.new_context()
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
