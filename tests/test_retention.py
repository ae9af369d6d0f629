"""Retention: resolved records past the period are deleted or pseudonymised; dry run by default."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.auth import service
from epidesk.auth.models import ApiToken, AuditEntry, SignInAttempt, WebSession
from epidesk.db import make_engine
from epidesk.errors import AuthenticationError, ValidationFailedError
from epidesk.kit import retention
from epidesk.migrate import upgrade

NOW = datetime(2026, 6, 1, tzinfo=UTC)
PASSWORD = "a long enough passphrase"


def count(db: Session, model: type) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def history(db: Session) -> None:
    user = service.create_user(db, username="ann", display_name="Ann", password=PASSWORD)
    old, recent = NOW - timedelta(days=400), NOW - timedelta(days=10)
    for moment in (old, recent):
        service.sign_in(db, username="ann", password=PASSWORD, address="10.0.0.9", at=moment)
        with pytest.raises(AuthenticationError):
            service.sign_in(db, username="ann", password="wrong password!", address="10.0.0.9",
                            at=moment)
        token = service.create_token(db, user_id=user.id, name="t").token
        token.expires_at = moment
    service.record_access(db, principal=None, action="read", record_type="resident",
                          record_id=1, person_id=1, route="GET /x", address="a")
    db.flush()


@pytest.mark.usefixtures("history")
def test_dry_run_counts_but_changes_nothing(db: Session) -> None:
    outcomes = retention.run(db, days=365, now=NOW)
    assert {o.policy: o.records for o in outcomes} == {
        "auth.sessions": 1, "auth.tokens": 1, "auth.sign_in_attempts": 2,
        "transparency.trajectories": 0}
    assert count(db, WebSession) == 2 and count(db, ApiToken) == 2


@pytest.mark.usefixtures("history")
def test_apply_deletes_and_pseudonymises_only_old_resolved_records(db: Session) -> None:
    retention.run(db, days=365, now=NOW, dry_run=False)
    assert count(db, WebSession) == 1
    assert count(db, ApiToken) == 1
    attempts = db.scalars(select(SignInAttempt).order_by(SignInAttempt.at)).all()
    assert [(a.username, a.address) for a in attempts] == [
        ("(removed)", "(removed)"), ("(removed)", "(removed)"),
        ("ann", "10.0.0.9"), ("ann", "10.0.0.9")]
    assert count(db, AuditEntry) == 1  # the audit log is kept
    # A second run finds nothing more to do.
    assert all(o.records == 0 for o in retention.run(db, days=365, now=NOW))


def test_period_must_be_positive(db: Session) -> None:
    with pytest.raises(ValidationFailedError, match="at least 1 day"):
        retention.run(db, days=0, now=NOW)


def test_cli_is_a_dry_run_by_default(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/r.db"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    env = {**os.environ, "EPIDESK_DATABASE_URL": url, "COLUMNS": "200"}
    cmd = [sys.executable, "-c", "from epidesk.cli import main; main()", "retention", "run"]
    dry = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert "Dry run" in dry.stdout and "nothing was changed" in dry.stdout
    applied = subprocess.run([*cmd, "--apply", "--days", "30"], capture_output=True, text=True,
                             env=env, timeout=60)
    assert applied.returncode == 0 and "Applied" in applied.stdout
    bad = subprocess.run([*cmd, "--days", "0"], capture_output=True, text=True, env=env,
                         timeout=60)
    assert bad.returncode == 1 and "at least 1 day" in bad.stderr
