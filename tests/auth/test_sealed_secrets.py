"""One-time code secrets are stored sealed under the secret key: never in clear, opened
only with the right key, sealed by the migration when they were stored before it."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.orm import Session

from epidesk.auth import service
from epidesk.auth.models import User
from epidesk.auth.totp import service as totp
from epidesk.config import get_settings
from epidesk.db import make_engine
from epidesk.errors import ConfigurationError
from epidesk.kit import sealing
from epidesk.migrate import alembic_config, upgrade

T0 = datetime(2026, 12, 8, 9, 0, 10, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def other_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Switch the process to another secret key (and back)."""
    monkeypatch.setenv("EPIDESK_SECRET_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_the_stored_secret_is_sealed_and_opens_to_the_one_shown(db: Session) -> None:
    user = service.create_user(db, username="ann", display_name="ann", password=PASSWORD)
    shown = totp.start_enrolment(db, user_id=user.id)
    stored = db.get(User, user.id)
    assert stored is not None and stored.totp_secret is not None
    assert shown.secret not in stored.totp_secret and stored.totp_secret.startswith("gAAAAA")
    assert sealing.open_sealed(stored.totp_secret) == shown.secret
    # The authenticator's codes are accepted through the sealed secret.
    service.confirm_totp(db, user_id=user.id, code=pyotp.TOTP(shown.secret).at(T0), at=T0)
    assert service.totp_enrolled(db, user_id=user.id)


def test_a_wrong_key_fails_clearly(db: Session, other_key: None) -> None:
    sealed = sealing.seal(SECRET, key=b"dGVzdC1rZXktZm9yLWVwaWRlc2stc2VhbGVkLXNlY3I=")
    with pytest.raises(ConfigurationError, match="not the key it was encrypted with"):
        sealing.open_sealed(sealed)
    with pytest.raises(ConfigurationError, match="not a Fernet key"):
        sealing.open_sealed(sealed, key=b"too short")
    # Altered text fails the same way, never opens to something else.
    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        sealing.open_sealed(sealed[:-4] + "AAAA",
                            key=b"dGVzdC1rZXktZm9yLWVwaWRlc2stc2VhbGVkLXNlY3I=")


def test_codes_of_a_secret_sealed_under_another_key_are_refused_clearly(db: Session) -> None:
    user = service.create_user(db, username="bo", display_name="bo", password=PASSWORD)
    user.totp_secret = sealing.seal(SECRET, key=Fernet.generate_key())
    db.flush()
    with pytest.raises(ConfigurationError, match="EPIDESK_SECRET_KEY"):
        totp.accept_code(db, user, pyotp.TOTP(SECRET).at(T0), T0)


def test_without_a_key_setting_a_key_file_is_made_once_readable_by_its_owner_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "keys" / "epidesk-secret.key"
    monkeypatch.delenv("EPIDESK_SECRET_KEY")
    monkeypatch.setenv("EPIDESK_SECRET_KEY_FILE", str(path))
    get_settings.cache_clear()
    try:
        sealed = sealing.seal(SECRET)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        key = path.read_bytes()
        assert sealing.open_sealed(sealed) == SECRET
        assert path.read_bytes() == key  # read again, not replaced
        assert sealing.open_sealed(sealed, key=key.strip()) == SECRET
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_the_migration_seals_secrets_stored_in_clear(  # type: ignore[no-untyped-def]
        fresh_database, backend_name: str) -> None:
    from alembic import command

    engine = make_engine(fresh_database(backend_name))
    try:
        upgrade(engine, "0009")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO auth_user (username, display_name, password_hash, disabled, "
                "created_at, password_changed_at, totp_secret) VALUES ('cy', 'cy', 'x', "
                ":f, :at, :at, :s)"), {"f": False, "at": T0, "s": SECRET})
        upgrade(engine)
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT totp_secret FROM auth_user")).scalar_one()
        assert stored != SECRET
        assert sealing.open_sealed(stored) == SECRET
        command.downgrade(alembic_config(engine), "0009")
        with engine.connect() as conn:
            back = conn.execute(text("SELECT totp_secret FROM auth_user")).scalar_one()
        assert back == SECRET
    finally:
        engine.dispose()
