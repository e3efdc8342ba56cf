"""Settings come from RESONANCE_* variables; a wrong one is refused with a sentence naming it."""

from __future__ import annotations

import os

import pytest

from tenants.database import driver_url
from tenants.settings import DEV_SECRET_KEY, SettingsError, load_settings


@pytest.fixture(autouse=True)
def no_resonance_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts from an environment with no RESONANCE_* variable at all."""
    for name in list(os.environ):
        if name.startswith("RESONANCE_"):
            monkeypatch.delenv(name)


def test_defaults_run_embedded_on_sqlite_in_development() -> None:
    settings = load_settings()
    settings.validate()

    assert settings.environment == "development"
    assert settings.database_url.startswith("sqlite:///")
    assert settings.secret_keys == [DEV_SECRET_KEY]
    assert settings.sync_concurrency == 4


def test_production_without_a_secret_key_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_ENV", "production")
    settings = load_settings()

    with pytest.raises(SettingsError, match="RESONANCE_SECRET_KEY") as raised:
        settings.validate()

    assert "RESONANCE_ENV=production" in str(raised.value)
    with pytest.raises(SettingsError, match="RESONANCE_SECRET_KEY"):
        _ = settings.secret_keys


def test_production_with_blank_secret_keys_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_ENV", "production")
    monkeypatch.setenv("RESONANCE_SECRET_KEY", " , ")

    with pytest.raises(SettingsError, match="RESONANCE_SECRET_KEY"):
        load_settings().validate()


def test_production_with_secret_keys_uses_them_newest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_ENV", "production")
    monkeypatch.setenv("RESONANCE_SECRET_KEY", "new-key, old-key")
    settings = load_settings()

    settings.validate()

    assert settings.secret_keys == ["new-key", "old-key"]
    assert DEV_SECRET_KEY not in settings.secret_keys


@pytest.mark.parametrize(
    "url", ["mysql://user@db/resonance", "redis://localhost/0", "/var/lib/resonance.db", "resonance.db"]
)
def test_a_database_url_with_an_unsupported_scheme_is_refused(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_DATABASE_URL", url)

    with pytest.raises(SettingsError, match="RESONANCE_DATABASE_URL") as raised:
        load_settings().validate()

    assert "sqlite:///" in str(raised.value)
    assert "postgresql://" in str(raised.value)


@pytest.mark.parametrize("url", ["sqlite:///data/resonance.db", "postgresql://app@db/resonance", "postgres://db/r"])
def test_sqlite_and_postgresql_urls_are_accepted(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_DATABASE_URL", url)

    load_settings().validate()


@pytest.mark.parametrize("value", ["four", "4.5", "4 workers"])
def test_a_non_integer_sync_concurrency_names_the_variable(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_SYNC_CONCURRENCY", value)

    with pytest.raises(SettingsError, match="RESONANCE_SYNC_CONCURRENCY") as raised:
        load_settings()

    assert repr(value) in str(raised.value)


def test_a_sync_concurrency_below_one_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_SYNC_CONCURRENCY", "0")

    with pytest.raises(SettingsError, match="RESONANCE_SYNC_CONCURRENCY"):
        load_settings().validate()


def test_an_unknown_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_ENV", "staging")

    with pytest.raises(SettingsError, match="RESONANCE_ENV"):
        load_settings().validate()


def test_a_boolean_setting_that_is_not_a_boolean_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_SCHEDULER", "sometimes")

    with pytest.raises(SettingsError, match="RESONANCE_SCHEDULER"):
        load_settings()


def test_settings_are_read_when_loaded_not_when_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_SYNC_CONCURRENCY", "12")
    monkeypatch.setenv("RESONANCE_SCHEDULER", "off")

    settings = load_settings()

    assert settings.sync_concurrency == 12
    assert settings.scheduler_enabled is False


@pytest.mark.parametrize(
    ("url", "asynchronous", "expected"),
    [
        ("sqlite:///x", True, "sqlite+aiosqlite:///x"),
        ("sqlite:///x", False, "sqlite:///x"),
        ("sqlite:////var/lib/resonance.db", True, "sqlite+aiosqlite:////var/lib/resonance.db"),
        ("postgresql://u@h/db", True, "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", False, "postgresql+psycopg://u@h/db"),
        ("postgres://u:p@h:5433/db", True, "postgresql+psycopg://u:p@h:5433/db"),
        ("postgresql+asyncpg://u@h/db", True, "postgresql+psycopg://u@h/db"),
    ],
)
def test_driver_url_names_the_driver_we_use(url: str, asynchronous: bool, expected: str) -> None:
    assert driver_url(url, asynchronous=asynchronous) == expected


@pytest.mark.parametrize(("url", "message"), [("mysql://u@h/db", "unsupported"), ("resonance.db", "no scheme")])
def test_driver_url_refuses_other_databases(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        driver_url(url, asynchronous=True)
