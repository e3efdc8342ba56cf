"""The one settings object, read from `RESONANCE_*` environment variables.

It lives in `tenants` because that is the lowest package that needs it (`api` imports `tenants`,
never the other way round).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


class SettingsError(ValueError):
    """A setting is missing or wrong; the message says which one and what to set."""


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}.") from None


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}.")


DEV_SECRET_KEY = "resonance-development-secret-key-do-not-use-in-production"  # noqa: S105 - marked as such


@dataclass(frozen=True)
class Settings:
    """Everything configurable about a Resonance process."""

    environment: str = field(default_factory=lambda: _env("RESONANCE_ENV", "development"))
    """`development` (default) or `production`; production refuses to start without a secret key."""

    database_url: str = field(default_factory=lambda: _env("RESONANCE_DATABASE_URL", "sqlite:///resonance.db"))
    """Where the data lives: `sqlite:///path` (embedded default) or `postgresql://user@host/db`."""

    migration_database_url: str = field(default_factory=lambda: _env("RESONANCE_MIGRATION_DATABASE_URL", ""))
    """Connection that owns the tables and runs migrations; defaults to `database_url`."""

    secret_key: str = field(default_factory=lambda: _env("RESONANCE_SECRET_KEY", ""))
    """Encrypts stored credentials; comma-separate several keys to rotate (the first encrypts)."""

    sync_concurrency: int = field(default_factory=lambda: _env_int("RESONANCE_SYNC_CONCURRENCY", 4))
    """How many syncs one process runs at once."""

    sync_timeout_seconds: int = field(default_factory=lambda: _env_int("RESONANCE_SYNC_TIMEOUT", 600))
    """A sync still running after this many seconds is stopped and marked failed."""

    sync_interval_minutes: int = field(default_factory=lambda: _env_int("RESONANCE_SYNC_INTERVAL_MINUTES", 360))
    """How often the scheduler syncs each active account."""

    scheduler_enabled: bool = field(default_factory=lambda: _env_bool("RESONANCE_SCHEDULER", True))
    """Whether `serve` runs the in-process sync worker (embedded mode)."""

    page_size_max: int = field(default_factory=lambda: _env_int("RESONANCE_PAGE_SIZE_MAX", 200))
    """The largest page a list endpoint returns."""

    connector_base_urls: str = field(default_factory=lambda: _env("RESONANCE_CONNECTOR_BASE_URLS", ""))
    """`id=url` pairs, comma-separated: call these API base URLs instead of the networks' own."""

    log_level: str = field(default_factory=lambda: _env("RESONANCE_LOG_LEVEL", "INFO"))
    """Python logging level name."""

    @property
    def production(self) -> bool:
        """True when running as a production service."""
        return self.environment == "production"

    @property
    def secret_keys(self) -> list[str]:
        """The encryption keys, newest first; the development key outside production."""
        keys = [key.strip() for key in self.secret_key.split(",") if key.strip()]
        if keys:
            return keys
        if self.production:
            raise SettingsError(
                "RESONANCE_SECRET_KEY is not set: set it to a long random string "
                "(for example the output of `python -c 'import secrets; print(secrets.token_urlsafe(48))'`) "
                "before starting Resonance with RESONANCE_ENV=production."
            )
        return [DEV_SECRET_KEY]

    def validate(self) -> None:
        """Raise `SettingsError` with a sentence naming the setting when something is unusable."""
        _ = self.secret_keys
        if self.environment not in {"development", "production", "test"}:
            raise SettingsError(f"RESONANCE_ENV must be development, production or test, got {self.environment!r}.")
        if not (self.database_url.startswith("sqlite") or self.database_url.startswith("postgres")):
            raise SettingsError(
                "RESONANCE_DATABASE_URL must start with sqlite:/// or postgresql://, "
                f"got a URL starting with {self.database_url.split(':', 1)[0]!r}."
            )
        self.base_url_overrides()
        if self.sync_concurrency < 1:
            raise SettingsError("RESONANCE_SYNC_CONCURRENCY must be at least 1.")

    def base_url_overrides(self) -> dict[str, str]:
        """`RESONANCE_CONNECTOR_BASE_URLS` as a dict, or `SettingsError` naming the bad pair."""
        overrides: dict[str, str] = {}
        for pair in filter(None, (item.strip() for item in self.connector_base_urls.split(","))):
            connector_id, sep, url = pair.partition("=")
            if not sep or not connector_id.strip() or not url.strip().startswith(("http://", "https://")):
                raise SettingsError(
                    f"RESONANCE_CONNECTOR_BASE_URLS has {pair!r}; write it as connector_id=https://host/path, "
                    "comma-separated."
                )
            overrides[connector_id.strip()] = url.strip()
        return overrides

    def sqlite_path(self) -> Path | None:
        """The SQLite file, when the database is SQLite."""
        if not self.database_url.startswith("sqlite"):
            return None
        return Path(self.database_url.split(":///", 1)[1]) if ":///" in self.database_url else None


def load_settings() -> Settings:
    """Read the settings from the environment now."""
    return Settings()
