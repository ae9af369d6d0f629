"""Backups restore: every table's rows and the audit log come back, still append-only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError

from epidesk import db as dbmod
from epidesk.db import make_engine
from epidesk.errors import BackupError
from epidesk.kit.backup import backup, file_format, restore, table_names
from epidesk.migrate import upgrade
from tests.conftest import BACKENDS, TEST_PASSWORD
from tests.test_cli import epidesk

AUDIT_COLUMNS = "*"  # every column: ids, times, who, what, where and why


def _populated(url: str) -> None:
    """A small synthetic city, three users and audit entries, committed."""
    from epidesk.auth import service as auth
    from epidesk.synth.city.service import build_city

    engine = make_engine(url)
    upgrade(engine)
    with dbmod.session_scope(dbmod.sessionmaker(bind=engine)) as session:
        build_city(session, people=500, seed=11)
        for name in ("ann", "bob", "chen"):
            auth.create_user(session, username=name, display_name=name.title(),
                             password=TEST_PASSWORD)
        auth.grant_role(session, username="ann", role="administrator", granted_by="test")
        ann = auth.principal_of(auth.get_user(session, "ann"))
        for person in (3, 1, 2):
            auth.record_access(session, principal=ann, action="read", record_type="resident",
                               record_id=person, person_id=person, route="GET /people/{id}",
                               address="10.0.0.7", purpose="case investigation")
    engine.dispose()


def _snapshot(engine: Engine) -> tuple[dict[str, int], list[tuple[object, ...]]]:
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                  for t in table_names(engine)}
        audit = [tuple(r) for r in conn.execute(
            text(f"SELECT {AUDIT_COLUMNS} FROM audit_entry ORDER BY id"))]
    return counts, audit


@pytest.fixture(params=BACKENDS)
def source(request: pytest.FixtureRequest, fresh_database: Callable[[str], str]) -> str:
    """A committed, populated database on each backend."""
    url = fresh_database(request.param)
    _populated(url)
    return url


def test_backup_restores_every_row_and_the_append_only_audit_log(
        source: str, fresh_database: Callable[[str], str], tmp_path: Path) -> None:
    backend = make_engine(source).dialect.name
    copy = tmp_path / "epidesk.backup"
    done = backup(source, copy)
    assert done.size > 0 and file_format(copy) == backend
    target = fresh_database(backend)
    restore(target, copy)

    original, restored = make_engine(source), make_engine(target)
    counts, audit = _snapshot(original)
    assert counts["resident"] >= 500 and counts["auth_user"] == 3 and len(audit) == 3
    assert _snapshot(restored) == (counts, audit)
    assert [row[7] for row in audit] == [3, 1, 2]  # person_id, in the order written
    with restored.connect() as conn:
        for statement in ("UPDATE audit_entry SET username = 'someone'",
                          "DELETE FROM audit_entry"):
            with pytest.raises(DatabaseError, match="append-only"):
                conn.execute(text(statement))
            conn.rollback()
    assert _snapshot(restored)[1] == audit
    original.dispose()
    restored.dispose()


def test_restore_refuses_a_database_that_holds_tables_unless_forced(
        source: str, tmp_path: Path) -> None:
    copy = tmp_path / "epidesk.backup"
    backup(source, copy)
    with pytest.raises(BackupError, match=r"is not empty .* pass --force"):
        restore(source, copy)
    restore(source, copy, force=True)
    engine = make_engine(source)
    assert _snapshot(engine)[0]["auth_user"] == 3
    engine.dispose()


def test_missing_or_foreign_files_are_named(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/empty.db"
    with pytest.raises(BackupError, match="does not exist"):
        restore(url, tmp_path / "nothing.backup")
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    with pytest.raises(BackupError, match="is not an Epidesk backup"):
        restore(url, junk)
    dump = tmp_path / "pg.backup"
    dump.write_bytes(b"PGDMP\x01\x0e\x00")
    with pytest.raises(BackupError, match=r"PostgreSQL custom-format dump .*, but the "
                                          "configured database is sqlite"):
        restore(url, dump)


def test_cli_backs_up_and_refuses_a_non_empty_target(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    copy = tmp_path / "copy.db"
    done = epidesk("db", "backup", str(copy), database_url=url)
    assert done.returncode == 0, done.stderr
    assert file_format(copy) == "sqlite"
    refused = epidesk("db", "restore", str(copy), database_url=url)
    assert refused.returncode == 1
    assert "is not empty" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    restored = epidesk("db", "restore", str(copy), database_url=f"sqlite:///{tmp_path}/new.db")
    assert restored.returncode == 0, restored.stderr
