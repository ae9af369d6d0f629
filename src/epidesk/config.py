"""Settings for every part of Epidesk, read from the environment (prefix EPIDESK_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite:///./epidesk.db"


class Settings(BaseSettings):
    """All configuration: one object, environment variables prefixed with EPIDESK_."""

    model_config = SettingsConfigDict(env_prefix="EPIDESK_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_SQLITE_URL,
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    preset: str = Field(default="cn-9th-2022", description="Active protocol preset")
    preset_dirs: list[Path] = Field(
        default_factory=list, description="Extra folders holding user preset files"
    )
    sql_echo: bool = False
    cookie_secure: bool = Field(
        default=True, description="Send session cookies over HTTPS only (and localhost)"
    )
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    max_body_bytes: int = Field(default=10 * 2**20, description="Largest accepted request body")
    retention_days: int = Field(
        default=365, description="Days after which resolved records are deleted or pseudonymised"
    )
    host: str = "127.0.0.1"
    port: int = 8000


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
