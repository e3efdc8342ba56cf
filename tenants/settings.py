"""The one settings object, read from `RESONANCE_*` environment variables.

It lives in `tenants` because that is the lowest package that needs it (`api` imports `tenants`,
never the other way round).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


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


_PERIOD_UNITS = {"s": 1, "m": 60, "h": 3600}


def _period_seconds(text: str) -> float | None:
    """`15m` → 900.0; `h` alone means one hour; None when it is not a positive number of s, m or h."""
    number, unit = text[:-1].strip() or "1", text[-1:]
    if unit not in _PERIOD_UNITS or not number.isdigit() or int(number) < 1:
        return None
    return float(int(number) * _PERIOD_UNITS[unit])


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}.") from None


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

OAUTH_CLIENTS_ENV = "RESONANCE_OAUTH_CLIENTS"
TOKEN_ENDPOINT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
"""How a confidential client authenticates at the token endpoint (RFC 6749 section 2.3.1; names from RFC 7591)."""
_OAUTH_CLIENT_KEYS = frozenset(
    {"client_id", "client_secret", "authorize_url", "token_url", "token_endpoint_auth_method", "scopes"}
)


@dataclass(frozen=True)
class OAuthAppConfig:
    """The OAuth 2.0 client (app) registered with one network, from `RESONANCE_OAUTH_CLIENTS`."""

    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    """None for a public client (PKCE only); never logged or returned."""
    authorize_url: str | None = None
    """Overrides the connector's authorization endpoint (a local server in tests, a self-hosted network)."""
    token_url: str | None = None
    """Overrides the connector's token endpoint."""
    token_endpoint_auth_method: str = "client_secret_basic"  # noqa: S105 - a method name, not a secret
    """`client_secret_basic` (HTTP Basic, the default RFC 6749 recommends) or `client_secret_post` (in the body).

    A connector whose network only takes the secret in the body (`OAuthConfig.client_auth="body"`) gets it
    there whatever this says."""
    scopes: tuple[str, ...] | None = None
    """Overrides the scopes the connector asks for (e.g. an app not yet approved for some of them)."""


def _is_http_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def _oauth_client(connector_id: str, entry: Any) -> OAuthAppConfig:
    """One entry of `RESONANCE_OAUTH_CLIENTS`; messages name keys, never a value (it may be a secret)."""
    where = f"{OAUTH_CLIENTS_ENV} entry {connector_id!r}"
    if not isinstance(entry, dict):
        raise SettingsError(f'{where} must be an object such as {{"client_id": "...", "client_secret": "..."}}.')
    unknown = sorted(set(entry) - _OAUTH_CLIENT_KEYS)
    if unknown:
        raise SettingsError(
            f"{where} has unknown key(s) {', '.join(unknown)}; the keys are {', '.join(sorted(_OAUTH_CLIENT_KEYS))}."
        )
    client_id = entry.get("client_id")
    if not isinstance(client_id, str) or not client_id.strip():
        raise SettingsError(f"{where} has no client_id: set it to the client ID the network gave your app.")
    secret = entry.get("client_secret")
    if secret is not None and (not isinstance(secret, str) or not secret):
        raise SettingsError(f"{where} has an empty or non-string client_secret; remove it for a public client.")
    for key in ("authorize_url", "token_url"):
        if entry.get(key) is not None and not _is_http_url(entry[key]):
            raise SettingsError(f"{where} has a {key} that is not an http:// or https:// URL.")
    method = entry.get("token_endpoint_auth_method", "client_secret_basic")
    if method not in TOKEN_ENDPOINT_AUTH_METHODS:
        raise SettingsError(
            f"{where} has token_endpoint_auth_method {method!r}; use client_secret_basic or client_secret_post."
        )
    scopes = entry.get("scopes")
    if scopes is not None and (
        not isinstance(scopes, list) or not all(isinstance(scope, str) and scope for scope in scopes)
    ):
        raise SettingsError(f"{where} has scopes that are not a list of non-empty strings.")
    return OAuthAppConfig(
        client_id=client_id.strip(),
        client_secret=secret,
        authorize_url=entry.get("authorize_url"),
        token_url=entry.get("token_url"),
        token_endpoint_auth_method=method,
        scopes=tuple(scopes) if scopes is not None else None,
    )


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
    """Whether `serve` also runs the background jobs (syncs, webhooks, usage reporting) in its own process."""

    task_engine: str = field(default_factory=lambda: _env("RESONANCE_TASK_ENGINE", "auto"))
    """What runs background jobs: `postgresql` (procrastinate, jobs in the database), `in-process` (memory), or
    `auto`: `postgresql` on a PostgreSQL database, else `in-process`."""

    network_concurrency: str = field(default_factory=lambda: _env("RESONANCE_NETWORK_CONCURRENCY", "16"))
    """The most syncs of one network at once across every worker: a number for every network, and `network=n`
    pairs for some (`instagram=4,x=2,16`)."""

    network_rate: str = field(default_factory=lambda: _env("RESONANCE_NETWORK_RATE", ""))
    """The most requests to a network per period across every worker, as `network=requests/period` pairs
    (`instagram=200/1h,x=900/15m`; periods in s, m or h). Unnamed networks are paced only by their own
    rate-limit headers."""

    dispatch_seconds: float = field(default_factory=lambda: _env_float("RESONANCE_DISPATCH_SECONDS", 10.0))
    """How often the periodic dispatch queues what is due (scheduled syncs, retries of deliveries, usage to report)."""

    page_size_max: int = field(default_factory=lambda: _env_int("RESONANCE_PAGE_SIZE_MAX", 200))
    """The largest page a list endpoint returns."""

    import_max_rows: int = field(default_factory=lambda: _env_int("RESONANCE_IMPORT_MAX_ROWS", 10000))
    """The most mentions one `POST /v1/clients/{client_id}/mentions` import may hold (more is a 413)."""

    connector_base_urls: str = field(default_factory=lambda: _env("RESONANCE_CONNECTOR_BASE_URLS", ""))
    """`id=url` pairs, comma-separated: call these API base URLs instead of the networks' own."""

    egress_allow: str = field(default_factory=lambda: _env("RESONANCE_EGRESS_ALLOW", ""))
    """Hosts (`mastodon.internal.example`, `*.corp.example`) and networks (`10.20.0.0/16`), comma-separated, that
    connectors may reach besides the public internet: self-hosted instances on a private network. The hosts of
    `RESONANCE_CONNECTOR_BASE_URLS` are allowed without being listed here."""

    metrics_cache_seconds: int = field(default_factory=lambda: _env_int("RESONANCE_METRICS_CACHE_SECONDS", 5))
    """How long a process may answer a metrics read from its cache after another process changed the data."""

    alert_lookback_days: int = field(default_factory=lambda: _env_int("RESONANCE_ALERT_LOOKBACK_DAYS", 3))
    """How many days (today included, in each client's time zone) alert rules are evaluated over after a sync."""

    log_level: str = field(default_factory=lambda: _env("RESONANCE_LOG_LEVEL", "INFO"))
    """Python logging level name."""

    log_format: str = field(default_factory=lambda: _env("RESONANCE_LOG_FORMAT", "auto"))
    """`json` (one object per line, for log collectors), `console` (one readable line per record), or `auto`:
    console when stderr is a terminal, JSON otherwise."""

    metrics_port: int = field(default_factory=lambda: _env_int("RESONANCE_METRICS_PORT", 9100))
    """The port of the Prometheus endpoint (`GET /metrics`, `GET /health`), separate from the API's; 0: none."""

    metrics_host: str = field(default_factory=lambda: _env("RESONANCE_METRICS_HOST", "0.0.0.0"))  # noqa: S104
    """The interface the metrics endpoint listens on (every interface, for a scraper in the cluster)."""

    tracing: str = field(default_factory=lambda: _env("RESONANCE_TRACING", ""))
    """`otlp` (spans to the OTLP/HTTP endpoint of the standard `OTEL_EXPORTER_OTLP_*` variables), `console`
    (spans printed, for a developer) or `off`; unset: `otlp` when `OTEL_EXPORTER_OTLP_ENDPOINT` or
    `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, else off."""

    public_url: str = field(default_factory=lambda: _env("RESONANCE_PUBLIC_URL", "http://127.0.0.1:8000"))
    """The service's external base URL; OAuth redirects come back to `{public_url}/v1/oauth/callback`."""

    oauth_clients: str = field(default_factory=lambda: _env(OAUTH_CLIENTS_ENV, ""), repr=False)
    """JSON object of OAuth clients by connector id (see `oauth_client_configs`); holds secrets, never shown."""

    webhook_allow_private_urls: bool = field(
        default_factory=lambda: _env_bool("RESONANCE_WEBHOOK_ALLOW_PRIVATE_URLS", False)
    )
    """Whether webhook endpoints may be private, loopback or link-local addresses (tests, a private network)."""

    billing_enabled: bool = field(default_factory=lambda: _env_bool("RESONANCE_BILLING", True))
    """Whether API requests are rate-limited by plan and metered (off only for measurements and private installs)."""

    plans_config: str = field(default_factory=lambda: _env("RESONANCE_PLANS", ""))
    """The plans on sale: a path to a JSON file, or the JSON itself; empty for the built-in plans."""

    default_plan: str = field(default_factory=lambda: _env("RESONANCE_DEFAULT_PLAN", "starter"))
    """The plan of an agency that has not subscribed to another one."""

    billing_grace_days: int = field(default_factory=lambda: _env_int("RESONANCE_BILLING_GRACE_DAYS", 7))
    """How many days a `past_due` subscription keeps full access before the agency becomes read-only."""

    redis_url: str = field(default_factory=lambda: _env("RESONANCE_REDIS_URL", ""), repr=False)
    """Redis shared by every API process for rate limits (scaled mode); empty: each process counts in memory."""

    redis_key_prefix: str = field(default_factory=lambda: _env("RESONANCE_REDIS_PREFIX", "resonance:"))
    """Prefix of every Redis key Resonance writes (several deployments, or tests, may share one Redis)."""

    rate_limit_headers_from: float = field(default_factory=lambda: _env_float("RESONANCE_RATE_LIMIT_HEADERS_FROM", 0.5))
    """The share of its per-minute request limit an agency has used in the window from which accepted responses
    carry the `RateLimit` headers (0: on every response); refused (429) responses always carry them."""

    stripe_api_key: str = field(default_factory=lambda: _env("RESONANCE_STRIPE_API_KEY", ""), repr=False)
    """Stripe secret key; empty: billing runs in local mode (ledger, quotas and usage API, nothing sent)."""

    stripe_api_base: str = field(default_factory=lambda: _env("RESONANCE_STRIPE_API_BASE", ""))
    """Another base URL for Stripe's API (a local or test server); empty for https://api.stripe.com."""

    stripe_webhook_secret: str = field(default_factory=lambda: _env("RESONANCE_STRIPE_WEBHOOK_SECRET", ""), repr=False)
    """The signing secret (`whsec_…`) of the Stripe webhook endpoint that calls `POST /v1/stripe/webhook`."""

    mail_url: str = field(default_factory=lambda: _env("RESONANCE_MAIL_URL", "console:"), repr=False)
    """Where the portal's e-mails go: `console:` (the log), `file:///dir` (one .eml file each) or
    `smtp://user:password@host:587` (`smtps://` for TLS from the start; STARTTLS is used when offered)."""
    mail_from: str = field(default_factory=lambda: _env("RESONANCE_MAIL_FROM", "Resonance <no-reply@localhost>"))
    """The From address of the portal's e-mails."""

    @property
    def production(self) -> bool:
        """True when running as a production service."""
        return self.environment == "production"

    @property
    def stripe_enabled(self) -> bool:
        """True when usage is reported to Stripe and subscriptions are sold through it (else local mode)."""
        return bool(self.stripe_api_key)

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
        if self.log_format not in {"auto", "json", "console"}:
            raise SettingsError(f"RESONANCE_LOG_FORMAT must be auto, json or console, got {self.log_format!r}.")
        if not 0 <= self.metrics_port <= 65535:
            raise SettingsError("RESONANCE_METRICS_PORT must be a TCP port (1-65535), or 0 for no metrics endpoint.")
        if self.tracing not in {"", "off", "otlp", "console"}:
            raise SettingsError(f"RESONANCE_TRACING must be off, otlp or console, got {self.tracing!r}.")
        if self.environment not in {"development", "production", "test"}:
            raise SettingsError(f"RESONANCE_ENV must be development, production or test, got {self.environment!r}.")
        if not (self.database_url.startswith("sqlite") or self.database_url.startswith("postgres")):
            raise SettingsError(
                "RESONANCE_DATABASE_URL must start with sqlite:/// or postgresql://, "
                f"got a URL starting with {self.database_url.split(':', 1)[0]!r}."
            )
        self.base_url_overrides()
        if not _is_http_url(self.public_url):
            raise SettingsError(
                "RESONANCE_PUBLIC_URL must be the service's external base URL, such as https://resonance.example.com."
            )
        self.oauth_client_configs()
        if self.sync_concurrency < 1:
            raise SettingsError("RESONANCE_SYNC_CONCURRENCY must be at least 1.")
        if self.billing_grace_days < 0:
            raise SettingsError("RESONANCE_BILLING_GRACE_DAYS must be 0 or more.")
        if self.stripe_api_base and not _is_http_url(self.stripe_api_base):
            raise SettingsError(
                "RESONANCE_STRIPE_API_BASE must be an http:// or https:// URL, such as http://127.0.0.1:12111."
            )
        if self.task_engine not in ("auto", "postgresql", "in-process"):
            raise SettingsError(
                f"RESONANCE_TASK_ENGINE must be auto, postgresql or in-process, not {self.task_engine!r}."
            )
        if self.task_engine == "postgresql" and not self.database_url.startswith("postgresql"):
            raise SettingsError("RESONANCE_TASK_ENGINE=postgresql needs a PostgreSQL RESONANCE_DATABASE_URL.")
        self.network_limits()
        self.network_rates()
        if self.dispatch_seconds <= 0:
            raise SettingsError("RESONANCE_DISPATCH_SECONDS must be more than 0.")
        if self.tasks_on_postgresql and not (
            float(self.dispatch_seconds).is_integer() and 60 % int(self.dispatch_seconds) == 0
        ):
            raise SettingsError(
                "RESONANCE_DISPATCH_SECONDS must be a whole number of seconds dividing 60 (1, 2, 5, 10, 15, 30 or 60) "
                "when jobs run on PostgreSQL."
            )
        if not 0 <= self.rate_limit_headers_from <= 1:
            raise SettingsError(
                "RESONANCE_RATE_LIMIT_HEADERS_FROM must be a share between 0 (headers on every response) and 1, "
                "such as 0.5."
            )
        if not self.mail_url.startswith(("console:", "file://", "smtp://", "smtps://")):
            raise SettingsError(
                "RESONANCE_MAIL_URL must be console:, file:///a/directory or smtp://user:password@host:587."
            )
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError("RESONANCE_REDIS_URL must start with redis://, rediss:// or unix://.")

    def network_limits(self) -> tuple[int, dict[str, int]]:
        """(the limit of every network, the limits of the networks named) from `RESONANCE_NETWORK_CONCURRENCY`."""
        default, limits = 16, {}
        for item in filter(None, (part.strip() for part in self.network_concurrency.split(","))):
            network, sep, number = item.rpartition("=")
            if not number.strip().isdigit() or int(number) < 1 or (sep and not network.strip()):
                raise SettingsError(
                    "RESONANCE_NETWORK_CONCURRENCY must be a number of syncs at once for every network and "
                    f"network=number pairs, such as instagram=4,x=2,16; {item!r} is neither."
                )
            if sep:
                limits[network.strip()] = int(number)
            else:
                default = int(number)
        return default, limits

    def network_rates(self) -> dict[str, tuple[int, float]]:
        """(requests, period in seconds) by network from `RESONANCE_NETWORK_RATE`; `SettingsError` naming a bad pair."""
        rates: dict[str, tuple[int, float]] = {}
        for item in filter(None, (part.strip() for part in self.network_rate.split(","))):
            network, _, rate = item.partition("=")
            requests, _, period = rate.strip().partition("/")
            seconds = _period_seconds(period.strip())
            if not network.strip() or not requests.strip().isdigit() or int(requests) < 1 or seconds is None:
                raise SettingsError(
                    "RESONANCE_NETWORK_RATE must be network=requests/period pairs, the period a number of s, m or h, "
                    f"such as instagram=200/1h,x=900/15m; {item!r} is not."
                )
            rates[network.strip()] = (int(requests), seconds)
        return rates

    @property
    def tasks_on_postgresql(self) -> bool:
        """Whether background jobs run on procrastinate in the database (else in the process's memory)."""
        if self.task_engine == "auto":
            return self.database_url.startswith("postgresql")
        return self.task_engine == "postgresql"

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

    def oauth_client_configs(self) -> dict[str, OAuthAppConfig]:
        """`RESONANCE_OAUTH_CLIENTS` by connector id, or `SettingsError` naming the variable and the problem.

        The value is a JSON object such as `{"x": {"client_id": "...", "client_secret": "..."}}`; each entry
        may also set `authorize_url`, `token_url`, `token_endpoint_auth_method` and `scopes`.
        """
        raw = self.oauth_clients.strip()
        if not raw:
            return {}
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as error:
            raise SettingsError(
                f"{OAUTH_CLIENTS_ENV} is not valid JSON ({error.msg} at character {error.pos}); set it to an object "
                'such as {"x": {"client_id": "...", "client_secret": "..."}}.'
            ) from None
        if not isinstance(parsed, dict):
            raise SettingsError(
                f'{OAUTH_CLIENTS_ENV} must be a JSON object by connector id, such as {{"x": {{"client_id": "..."}}}}.'
            )
        return {str(connector_id): _oauth_client(str(connector_id), entry) for connector_id, entry in parsed.items()}

    def sqlite_path(self) -> Path | None:
        """The SQLite file, when the database is SQLite."""
        if not self.database_url.startswith("sqlite"):
            return None
        return Path(self.database_url.split(":///", 1)[1]) if ":///" in self.database_url else None


def load_settings() -> Settings:
    """Read the settings from the environment now."""
    return Settings()
