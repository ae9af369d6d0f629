"""Secrets stored encrypted (Fernet: AES-128-CBC with an HMAC-SHA256 tag).

The key comes from `EPIDESK_SECRET_KEY`, else from the key file
(`EPIDESK_SECRET_KEY_FILE`, default `./epidesk-secret.key`), which is created at first
use with permissions 0600. A value sealed under one key does not open under another:
`open_sealed` then raises ConfigurationError naming the setting, never returns garbage.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from epidesk.config import get_settings
from epidesk.errors import ConfigurationError

KEY_FILE_MODE = 0o600


def _read_key_file(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except OSError as exc:
        raise ConfigurationError(f"cannot read the secret key file {path}: {exc.strerror}"
                                 ) from exc


def _create_key_file(path: Path) -> bytes:
    """A new key written to a new file readable by its owner only."""
    key = Fernet.generate_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    except FileExistsError:
        # Another process created it first: use its key.
        return _read_key_file(path)
    except OSError as exc:
        raise ConfigurationError(f"cannot create the secret key file {path}: {exc.strerror}"
                                 ) from exc
    with os.fdopen(fd, "wb") as out:
        out.write(key + b"\n")
    return key


def secret_key() -> bytes:
    """The key that seals stored secrets: the setting, else the key file (made if missing)."""
    settings = get_settings()
    if settings.secret_key:
        return settings.secret_key.strip().encode()
    path = settings.secret_key_file
    return _read_key_file(path) if path.exists() else _create_key_file(path)


def _fernet(key: bytes | None) -> Fernet:
    key = key if key is not None else secret_key()
    try:
        return Fernet(key)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(
            "the secret key (EPIDESK_SECRET_KEY or its key file) is not a Fernet key: "
            "32 url-safe base64-encoded bytes, as `epidesk` writes to a new key file"
        ) from exc


def seal(text: str, *, key: bytes | None = None) -> str:
    """The text encrypted under the key (default: `secret_key()`), as ASCII."""
    return _fernet(key).encrypt(text.encode()).decode("ascii")


def open_sealed(token: str, *, key: bytes | None = None) -> str:
    """The text a sealed value holds; ConfigurationError when the key is not the one it
    was sealed with (or the value was altered)."""
    try:
        return _fernet(key).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise ConfigurationError(
            "a stored secret cannot be decrypted: the secret key (EPIDESK_SECRET_KEY or its "
            "key file) is not the key it was encrypted with"
        ) from exc
