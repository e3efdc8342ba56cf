"""The connector interface every network plugin implements."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar, Final, Literal

import httpx
import msgspec

from resonance_sdk._egress import EgressPolicy
from resonance_sdk._errors import BadResponseError
from resonance_sdk._http import ConnectorHttp
from resonance_sdk._pacing import RequestPacer
from resonance_sdk._records import AccountRef, Record, Window

Capability = Literal["account_metrics", "posts", "mentions", "public_data"]
"""What a connector can fetch; `public_data` means it can track accounts the agency does not own."""


class MetricDeclaration(msgspec.Struct, frozen=True, kw_only=True):
    """One native metric a connector yields and the canonical metric it feeds.

    `valid_from`/`valid_until` say when the network offers it; `replaced_by` names the native metric
    that took over when the network deprecated this one (e.g. Meta's `page_impressions_unique` →
    `page_total_media_view_unique`), so a series can be followed across the change.
    """

    native: str
    canonical: str
    unit: str
    description: str = ""
    valid_from: date | None = None
    valid_until: date | None = None
    replaced_by: str | None = None


class OAuthConfig(msgspec.Struct, frozen=True, kw_only=True):
    """How an agency connects an account through the network's OAuth 2.0 authorization-code flow."""

    authorize_url: str
    token_url: str
    scopes: tuple[str, ...] = ()
    pkce: bool = True
    scope_separator: str = " "
    extra_authorize_params: dict[str, str] = {}
    client_id_param: str = "client_id"
    """The parameter naming the app in the authorize and token requests (TikTok says `client_key`)."""
    client_auth: Literal["basic", "body"] = "basic"
    """How the app authenticates at the token endpoint: HTTP Basic (RFC 6749 §2.3.1) or form fields."""


class OAuthClient(msgspec.Struct, frozen=True, kw_only=True):
    """The operator's OAuth app for a network (from `RESONANCE_OAUTH_CLIENTS`), as a connector sees it.

    Resonance sets it on the connector instance (`Connector.oauth_client`) when the operator configured
    one, so the connector can exchange or refresh tokens itself. It is never part of an account's
    credentials: do not copy it into `refreshed_credentials` or into what `credentials_from_oauth` returns.
    """

    client_id: str
    client_secret: str | None = None
    """None for a public client (PKCE only)."""

    def __repr__(self) -> str:
        secret = "None" if self.client_secret is None else "'***'"
        return f"OAuthClient(client_id={self.client_id!r}, client_secret={secret})"


OAUTH_TOKEN_FIELDS: Final[Mapping[str, Mapping[str, Any]]] = {
    "expires_at": {
        "type": "string",
        "format": "date-time",
        "title": "Access token expiry",
        "description": "When the access token expires (ISO 8601, UTC); Resonance renews it shortly before.",
    },
    "scope": {
        "type": "string",
        "title": "Granted scopes",
        "description": "The scopes the network granted, separated as the network separates them.",
    },
    "token_type": {
        "type": "string",
        "title": "Token type",
        "description": "The type of the access token, as the network issued it (Bearer).",
    },
}
"""The JSON Schema properties of the token fields OAuth onboarding stores next to a connector's own.

Merge them into `credentials_schema["properties"]` (`{**OAUTH_TOKEN_FIELDS, "access_token": …}`) so that
credentials shaped by `Connector.credentials_from_oauth` validate, even with `additionalProperties: false`.
"""


def oauth_token_credentials(token: Mapping[str, Any], *, network: str, now: datetime | None = None) -> dict[str, Any]:
    """Credentials from an OAuth token response (RFC 6749 section 5.1): the default of `credentials_from_oauth`.

    `access_token`; `refresh_token` when the network gave one; `expires_at`, ISO 8601 UTC to the second,
    computed from `expires_in` when the network says (`now` defaults to the current time); `scope` when
    the response has one (a list is joined with spaces); `token_type`, `Bearer` when unsaid.
    Private to the SDK: the application's token renewal shapes its answers with it too.
    """
    access_token = token.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise BadResponseError(f"{network}: the token response holds no access_token")
    credentials: dict[str, Any] = {"access_token": access_token}
    refresh_token = token.get("refresh_token")
    if isinstance(refresh_token, str) and refresh_token:
        credentials["refresh_token"] = refresh_token
    expires_at = _expires_at(token.get("expires_in"), now or datetime.now(UTC))
    if expires_at is not None:
        credentials["expires_at"] = expires_at
    scope = token.get("scope")
    if isinstance(scope, list):
        scope = " ".join(str(item) for item in scope)
    if isinstance(scope, str):
        credentials["scope"] = scope
    token_type = token.get("token_type")
    credentials["token_type"] = token_type if isinstance(token_type, str) and token_type else "Bearer"
    return credentials


def _expires_at(expires_in: Any, now: datetime) -> str | None:
    if isinstance(expires_in, bool):
        return None
    try:
        seconds = float(expires_in) if expires_in is not None and expires_in != "" else None
    except (TypeError, ValueError):
        return None
    if seconds is None or not 0 < seconds < 1e10:
        return None
    return (now.astimezone(UTC) + timedelta(seconds=seconds)).isoformat(timespec="seconds")


class Connector:
    """Base class of a connector: declare the class attributes, implement `check` and `fetch`.

    An instance is made per use with the API base URL to call, so tests and operators can point
    it at a local server.
    """

    id: ClassVar[str]
    name: ClassVar[str]
    version: ClassVar[str]
    metrics: ClassVar[tuple[MetricDeclaration, ...]] = ()
    credentials_schema: ClassVar[Mapping[str, Any]] = {"type": "object", "properties": {}}
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    default_base_url: ClassVar[str | None] = None
    oauth: ClassVar[OAuthConfig | None] = None
    """Set when accounts are connected through OAuth rather than with credentials typed in."""
    other_base_urls: ClassVar[tuple[str, ...]] = ()
    """Other hosts the connector may call (e.g. an OAuth token endpoint, a second API host)."""
    oauth_client: OAuthClient | None = None
    """The operator's OAuth app for this network, when one is configured: set by Resonance on the instance
    before `credentials_from_oauth` and before each `fetch`, for connectors that exchange or refresh tokens
    themselves. Never stored with the account."""
    pacer: RequestPacer | None = None
    """The deployment's pace for this network's requests, shared by every worker: set by Resonance before each
    `fetch` when the operator limits the network's request rate; `http()` hands it to the client."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        oauth_client: OAuthClient | None = None,
        egress: EgressPolicy | None = None,
    ) -> None:
        self.base_url = base_url or self.default_base_url
        self.transport = transport
        self.oauth_client = oauth_client
        self.egress = (egress or EgressPolicy()).trusting([base_url])
        """Where this connector's HTTP client may connect beyond the public internet: the operator's allowed
        hosts, and the base URL given here (an operator's or a test's override, never a tenant's host)."""
        self.refreshed_credentials: dict[str, Any] | None = None
        """Set by a connector that refreshed its tokens; the engine stores them (encrypted)."""

    @property
    def overridden(self) -> bool:
        """True when the base URL was replaced (tests, self-hosted instances)."""
        return self.base_url != self.default_base_url

    def base_for(self, declared: str) -> str:
        """The base URL to use for one of the declared hosts: under an override, the override itself."""
        return self.base_url or declared if self.overridden else declared

    def http(self, **options: Any) -> ConnectorHttp:
        """The SDK's HTTP client for this connector: its base URL (or the override) and declared hosts only.

        With a base URL override (tests, self-hosted instances) the other hosts are reached under the
        override too, so a local server can stand in for all of them.
        """
        if not self.base_url:
            raise ValueError(f"connector {self.id!r} has no base URL; pass base_url=")
        allowed = () if self.overridden else self.other_base_urls
        return ConnectorHttp(
            network=self.id,
            base_url=self.base_url,
            allowed_base_urls=allowed,
            transport=self.transport,
            egress=self.egress,
            **({"pacer": self.pacer} | options),
        )

    @classmethod
    def account_urls(cls, account: AccountRef) -> dict[str, str]:
        """The URLs that the account's own fields make this connector call, keyed by the field naming each.

        A connector whose hosts a tenant chooses (a Mastodon instance in the handle or in
        `settings.instance_url`, a Bluesky `credentials.pds_url`, a feed URL) returns them here, e.g.
        `{"handle": "https://mastodon.social"}`; Resonance checks each against the deployment's egress
        policy when the account is created or changed, and refuses it with an error naming the field.
        Raise `ConnectorError` when a field is not a usable URL. The default is a connector whose hosts are
        all its own (`{}`).
        """
        return {}

    async def check(self, credentials: Mapping[str, Any]) -> None:
        """Raise `AuthenticationError` when the credentials are refused; return when they work."""
        raise NotImplementedError(f"connector {self.id!r} does not implement check()")

    def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        """Yield the account's records for the window, resuming from `state` (empty on a first run)."""
        raise NotImplementedError(f"connector {self.id!r} does not implement fetch()")

    async def credentials_from_oauth(self, token: Mapping[str, Any], *, account: AccountRef) -> dict[str, Any]:
        """The credentials to store for `account`, from the answer of the network's token endpoint.

        Called once by OAuth onboarding, after the authorization code was exchanged. `token` is the token
        response (its `scope` filled in with the requested scopes when the network does not repeat them);
        `account` is the account being connected (no credentials yet; `external_id` when reconnecting).
        `self.oauth_client` holds the operator's app, and the base URL override applies.

        The default returns `access_token`, `refresh_token` (when given), `expires_at` (ISO 8601 UTC, from
        `expires_in`), `scope` and `token_type`. Override it when the network's token is not what `fetch`
        reads (exchange it, look up the account's id, keep a field of the response); the result must match
        `credentials_schema`. Raise a `ConnectorError` (without secrets in its message) to refuse the
        connection, e.g. when the user who consented does not manage the account.
        """
        return oauth_token_credentials(token, network=self.id)

    @classmethod
    def declared(cls) -> dict[str, MetricDeclaration]:
        """The declared native metrics, by native name."""
        return {declaration.native: declaration for declaration in cls.metrics}
