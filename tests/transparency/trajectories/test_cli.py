"""`epidesk transparency trajectories publish|purge` and the retention job, on a
committed SQLite database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epidesk import db as dbmod
from epidesk.cli import app
from epidesk.config import get_settings
from epidesk.kit import retention
from epidesk.migrate import upgrade
from epidesk.transparency.trajectories.models import TrajectoryEntry
from tests.transparency.trajectories.scene import at, trajectories

runner = CliRunner()


@pytest.fixture
def city_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A migrated SQLite file with the trajectories scene (three cases, two places);
    the published files go to a folder of the test's own."""
    url = f"sqlite:///{tmp_path}/traj.db"
    engine = dbmod.make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        scene = trajectories(session)
        scene.visit("li_na", at(21, 9), at(21, 10))
        scene.visit("wang_fang", at(21, 9, 30), at(21, 10, 30))
        scene.visit("zhao_lei", at(21, 9, 15), at(21, 9, 45))
        session.commit()
    engine.dispose()
    folder = tmp_path / "public"
    monkeypatch.setenv("EPIDESK_DATABASE_URL", url)
    monkeypatch.setenv("EPIDESK_PUBLICATION_DIR", str(folder))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    dbmod.reset_engine()
    yield folder
    monkeypatch.undo()
    get_settings.cache_clear()
    dbmod.reset_engine()


def _entries() -> int:
    with dbmod.session_scope() as session:
        return int(session.scalar(select(func.count()).select_from(TrajectoryEntry)) or 0)


def test_publish_then_purge_from_the_command_line(city_db: Path) -> None:
    done = runner.invoke(app, ["transparency", "trajectories", "publish", "--day",
                               "2026-11-22"])
    assert done.exit_code == 0, done.output
    assert "2 entries published" in done.output
    latest = json.loads((city_db / "trajectories" / "trajectories.json").read_text())
    assert len(latest["rows"]) == 2
    counted = runner.invoke(app, ["transparency", "trajectories", "purge", "--day",
                                  "2026-12-03", "--dry-run"])
    assert counted.exit_code == 0 and "would delete 1 entries" in counted.output
    assert _entries() == 2
    purged = runner.invoke(app, ["transparency", "trajectories", "purge", "--day",
                                 "2026-12-03"])
    assert purged.exit_code == 0, purged.output
    assert "deleted 1 entries; files rewritten: 4, removed: 0" in purged.output
    assert _entries() == 1
    bad = runner.invoke(app, ["transparency", "trajectories", "purge", "--day", "soon"])
    assert bad.exit_code == 2 and "'soon' is not a date" in bad.output


def test_the_retention_job_purges_expired_trajectories(city_db: Path) -> None:
    assert runner.invoke(app, ["transparency", "trajectories", "publish", "--day",
                               "2026-11-22"]).exit_code == 0
    later = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)  # 2026-12-05 in the city
    with dbmod.session_scope() as session:
        dry = retention.run(session, days=365, now=later)
    assert {o.policy: o.records for o in dry}["transparency.trajectories"] == 2
    assert _entries() == 2
    with dbmod.session_scope() as session:
        retention.run(session, days=365, now=later, dry_run=False)
    assert _entries() == 0
    names = sorted(p.name for p in (city_db / "trajectories").iterdir())
    assert names == ["trajectories.csv", "trajectories.json"]
    assert json.loads((city_db / "trajectories" / "trajectories.json").read_text())[
        "rows"] == []
