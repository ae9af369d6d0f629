"""Settings for every part of Epidesk, read from the environment (prefix EPIDESK_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite:///./epidesk.db"


def repository_node_modules() -> Path:
    """The `node_modules` folder of the source checkout (`make assets` installs it there)."""
    return Path(__file__).resolve().parents[2] / "node_modules"


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
    sqlite_write_wait_seconds: float = Field(
        default=30.0, gt=0,
        description="How long a write on the embedded database waits for another to finish",
    )
    cookie_secure: bool = Field(
        default=True, description="Send session cookies over HTTPS only (and localhost)"
    )
    require_totp_for_administrators: bool = Field(
        default=True,
        description="Administrators must sign in with a one-time code (TOTP); until they "
                    "set one up they reach only /account/totp, and their API tokens are refused",
    )
    secret_key: str | None = Field(
        default=None,
        description="Key that encrypts stored secrets (one-time code secrets): a Fernet key, "
                    "32 url-safe base64-encoded bytes; when unset, the key file is used",
    )
    secret_key_file: Path = Field(
        default=Path("./epidesk-secret.key"),
        description="File holding the key when EPIDESK_SECRET_KEY is unset; created with "
                    "permissions 0600 at first use",
    )
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    max_body_bytes: int = Field(
        default=32 * 2**20, gt=0,
        description="Largest accepted request body (a 100,000-sample lab CSV is about 16 MiB)",
    )
    upload_max_rows: int = Field(
        default=500_000, gt=0,
        description="Most rows (lines) one uploaded file may hold; larger rounds go through "
                    "the command line (epidesk ingest results|visits), which has no limit",
    )
    upload_max_memory_bytes: int = Field(
        default=256 * 2**20, gt=0,
        description="Most memory the decoded columns of one uploaded file may take "
                    "(from a Parquet file's footer, before reading it)",
    )
    retention_days: int = Field(
        default=365, description="Days after which resolved records are deleted or pseudonymised"
    )
    supplies_overdue_days: int = Field(
        default=3, ge=1, le=60,
        description="Days without a delivery after which a restricted household counts as "
                    "overdue on the command centre",
    )
    inspection_valid_days: int = Field(
        default=14, gt=0, le=365,
        description="Days a passing facility inspection stays valid: a facility whose latest "
                    "inspection is older takes no new placements until inspected again",
    )
    transfer_grace_minutes: int = Field(
        default=30, ge=0, le=24 * 60,
        description="Minutes after a vehicle's expected arrival before anyone on it not yet "
                    "checked in at the facility raises an alert",
    )
    thread_switch_ms: float = Field(
        default=1.0, ge=0.1, le=100.0,
        description="How long (ms) a thread may hold Python's interpreter lock before the "
                    "server's event loop can take it: staff pages computing in worker "
                    "threads then delay the cached public answers by at most this much",
    )
    transfer_driver_hours: int = Field(
        default=12, ge=0, le=7 * 24,
        description="Hours before departure within which a manifest (and any return home "
                    "not yet left) without a driver's name and phone is flagged",
    )
    trajectory_days: int = Field(
        default=14, ge=1, le=60,
        description="Days after its last exposure that a public trajectory entry is deleted "
                    "from the pages and from every open-data file",
    )
    trajectory_min_cases: int = Field(
        default=3, ge=1,
        description="Fewest cases behind a day's public trajectories: with fewer, none is "
                    "published (every entry would be one person's)",
    )
    publication_dir: Path | None = Field(
        default=None,
        description="Folder to which each publication also writes its trajectory files "
                    "(none: served from the database only); the purge rewrites them",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses of reverse proxies whose X-Forwarded-For is believed (none)",
    )
    assets_dir: Path = Field(
        default_factory=repository_node_modules,
        description="Folder of the installed browser libraries (npm's node_modules)",
    )
    hotline_number: str = Field(
        default="12345", min_length=1, max_length=32,
        description="The hotline residents call with questions or to contest a decision "
                    "(printed on every letter)",
    )
    public_small_count: int = Field(
        default=5, ge=3, le=100,
        description="Public figures below city level from 1 to this minus one are shown "
                    "as \"<N\" (zero as 0)",
    )
    timezone: str = Field(
        default="Asia/Shanghai",
        description="The city's time zone (IANA name): local days, windows and page times",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"EPIDESK_TIMEZONE {value!r} is not an IANA time zone (e.g. Asia/Shanghai)"
            ) from exc
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
