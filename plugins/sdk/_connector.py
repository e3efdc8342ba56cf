"""The connector interface every network plugin implements."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import date
from typing import Any, ClassVar, Literal

import httpx
import msgspec

from plugins.sdk._http import ConnectorHttp
from plugins.sdk._records import AccountRef, Record, Window

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

    def __init__(self, *, base_url: str | None = None, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url or self.default_base_url
        self.transport = transport
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
            network=self.id, base_url=self.base_url, allowed_base_urls=allowed, transport=self.transport, **options
        )

    async def check(self, credentials: Mapping[str, Any]) -> None:
        """Raise `AuthenticationError` when the credentials are refused; return when they work."""
        raise NotImplementedError(f"connector {self.id!r} does not implement check()")

    def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        """Yield the account's records for the window, resuming from `state` (empty on a first run)."""
        raise NotImplementedError(f"connector {self.id!r} does not implement fetch()")

    @classmethod
    def declared(cls) -> dict[str, MetricDeclaration]:
        """The declared native metrics, by native name."""
        return {declaration.native: declaration for declaration in cls.metrics}
