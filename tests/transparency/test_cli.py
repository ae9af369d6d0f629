"""`epidesk transparency ...` against a migrated SQLite file holding the tiny city and cases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epidesk import db as dbmod
from epidesk.cli import app
from epidesk.migrate import upgrade
from epidesk.transparency.deps import page_cache
from tests.factories import tiny_city
from tests.transparency.scene import DAY, add_cases

runner = CliRunner()


@pytest.fixture
def city_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path}/public.db"
    engine = dbmod.make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        city = tiny_city(session)
        add_cases(session, city, district=0, reported=DAY, n=6)
        session.commit()
    engine.dispose()
    monkeypatch.setenv("EPIDESK_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    dbmod.reset_engine()
    page_cache.clear()
    yield url
    monkeypatch.undo()
    dbmod.reset_engine()


def test_publish_twice_then_list(city_db: str) -> None:
    first = runner.invoke(app, ["transparency", "publish", "--day", DAY.isoformat(), "--json"])
    assert first.exit_code == 0, first.output
    answer = json.loads(first.output)
    assert answer["created"] and answer["version"] == 1 and answer["day"] == DAY.isoformat()
    again = runner.invoke(app, ["transparency", "publish", "--day", DAY.isoformat()])
    assert again.exit_code == 0
    assert "unchanged since version 1: nothing written" in again.output
    listed = runner.invoke(app, ["transparency", "list"])
    assert listed.exit_code == 0 and "1 publications" in listed.output
    assert DAY.isoformat() in listed.output


def test_a_bad_day_is_a_usage_error_naming_it(city_db: str) -> None:
    bad = runner.invoke(app, ["transparency", "publish", "--day", "21-11-2026"])
    assert bad.exit_code == 2
    assert "--day" in bad.output and "21-11-2026" in bad.output
    listed = runner.invoke(app, ["transparency", "list"])
    assert "0 publications" in listed.output
