"""API-key authentication: the tenant comes from the key, never from the path or the body."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import update
from sqlmodel import col

from api.errors import Forbidden, Unauthorized
from api.services import services_of
from api.singleflight import SingleFlight
from tenants import api_keys, system
from tenants.audit import Actor
from tenants.database import Database
from tenants.ids import utcnow
from tenants.models import ApiKey

SCOPE_ORDER = {"read": 0, "write": 1, "admin": 2}
"""The ranked scopes: each covers the ones below it."""
GRANTED_BY_ADMIN = frozenset({"webhooks"})
"""Scopes outside the ranking: a key has one when it was created with it, or with `admin`."""
SCOPE_MEANINGS = {
    "read": "read the agency's data",
    "write": "also change clients, accounts, syncs, analytics inputs and alerts",
    "admin": "everything, including API keys, billing and webhook endpoints",
    "webhooks": "manage webhook endpoints (create, delete, test, redeliver) without `admin`; "
    "pair it with `read` to list them",
}
"""What each scope allows, as the OpenAPI document and the CLI state it."""
logger = logging.getLogger(__name__)
LAST_USED_RESOLUTION = timedelta(minutes=1)
"""`last_used_at` is written at most this often per key, so reads do not turn into writes."""

CACHE_SECONDS = 5.0
"""How long a process trusts a key it has looked up; revocation reaches other processes within this."""
REFRESH_AHEAD_SECONDS = 1.0
"""A key used in the last second of its entry is looked up again in the background, so that under steady
traffic no request waits for the lookup while the entry never outlives `CACHE_SECONDS`."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the tenant, the key, what the key may do and, for a key limited to one client, which."""

    tenant_id: uuid.UUID
    key_id: uuid.UUID
    key_name: str
    scopes: frozenset[str]
    client_id: uuid.UUID | None = None
    """The one client of the agency this key sees (None: the whole agency); see `api/client_keys.py`."""

    def sees_client(self, client_id: uuid.UUID) -> bool:
        """Whether the key may see the client: every lookup of a client's object asks this, and answers a 404 when
        not, exactly as for another agency's object."""
        return self.client_id is None or self.client_id == client_id

    def allows(self, scope: str) -> bool:
        """True when one of the key's scopes covers `scope` (admin > write > read; admin covers `webhooks`)."""
        needed = SCOPE_ORDER.get(scope)
        if needed is None:
            return scope in self.scopes or "admin" in self.scopes
        return any(SCOPE_ORDER.get(have, -1) >= needed for have in self.scopes)

    def actor(self, request_id: str | None = None) -> Actor:
        """The audit actor for changes made with this key."""
        return Actor(label=f"api_key:{self.key_name}", api_key_id=self.key_id, request_id=request_id)


@dataclass
class _Cached:
    principal: Principal
    expires: float


class KeyCache:
    """Per-process memo of recently seen keys, by hash."""

    def __init__(self) -> None:
        self._entries: dict[str, _Cached] = {}
        self._last_used_written: dict[uuid.UUID, float] = {}
        self.lookups: SingleFlight[str, Principal | None] = SingleFlight()
        self._refreshing: set[asyncio.Task[None]] = set()

    def last_used_due(self, key_id: uuid.UUID) -> bool:
        """Whether `last_used_at` of the key is due to be written (without claiming the write)."""
        return time.monotonic() - self._last_used_written.get(key_id, -1e9) >= LAST_USED_RESOLUTION.total_seconds()

    def due_for_last_used(self, key_id: uuid.UUID) -> bool:
        """True at most once per `LAST_USED_RESOLUTION` per key, whatever the cache does meanwhile."""
        now = time.monotonic()
        if now - self._last_used_written.get(key_id, -1e9) < LAST_USED_RESOLUTION.total_seconds():
            return False
        self._last_used_written[key_id] = now
        return True

    def get(self, key_hash: str) -> _Cached | None:
        entry = self._entries.get(key_hash)
        if entry is None or entry.expires < time.monotonic():
            return None
        return entry

    def due_for_refresh(self, key_hash: str, entry: _Cached) -> bool:
        """True when `entry` is in its last `REFRESH_AHEAD_SECONDS` and no lookup of it is running."""
        return entry.expires - time.monotonic() < REFRESH_AHEAD_SECONDS and self.lookups.pending(key_hash) is None

    def refresh(self, key_hash: str, lookup: Callable[[], Awaitable[Principal | None]]) -> None:
        """Look the key up again in the background: keep the fresh principal, or forget a revoked key."""

        async def refresh() -> None:
            principal = await self.lookups.run(key_hash, lookup)
            if principal is None:
                self._entries.pop(key_hash, None)
            else:
                self.put(key_hash, principal)

        task = asyncio.get_running_loop().create_task(refresh())
        self._refreshing.add(task)
        task.add_done_callback(self._refreshed)

    def _refreshed(self, task: asyncio.Task[None]) -> None:
        self._refreshing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("refreshing a cached API key failed: %s", type(task.exception()).__name__)

    def put(self, key_hash: str, principal: Principal) -> _Cached:
        entry = _Cached(principal=principal, expires=time.monotonic() + CACHE_SECONDS)
        self._entries[key_hash] = entry
        return entry

    def forget_key(self, key_id: uuid.UUID) -> None:
        """Drop a key at once (on revocation in this process)."""
        for key_hash, entry in list(self._entries.items()):
            if entry.principal.key_id == key_id:
                del self._entries[key_hash]

    def forget_tenant(self, tenant_id: uuid.UUID) -> None:
        """Drop at once every key of an agency (erased, in this process)."""
        for key_hash, entry in list(self._entries.items()):
            if entry.principal.tenant_id == tenant_id:
                del self._entries[key_hash]

    def forget_client(self, tenant_id: uuid.UUID, client_id: uuid.UUID) -> None:
        """Drop at once the keys limited to a client (deleted with it, in this process)."""
        for key_hash, entry in list(self._entries.items()):
            if entry.principal.tenant_id == tenant_id and entry.principal.client_id == client_id:
                del self._entries[key_hash]


def presented_key(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The well-formed API key a request presents in its raw ASGI headers, else `Unauthorized` saying what is wrong.

    The one rule for picking the credential, used by the authentication middleware and by the cached metrics fast
    path alike, so that both always agree: the key comes as `Authorization: Bearer …` or `X-API-Key: …`; both may be
    sent only when they carry the same key, and each at most once. A request that presents anything else (another
    scheme, an empty or malformed key, two different keys) is refused whatever else it carries, rather than
    trusting whichever header comes first.
    """
    authorization: bytes | None = None
    api_key: bytes | None = None
    for name, value in headers:
        if name == b"authorization":
            if authorization is not None:
                raise Unauthorized("The request has two Authorization headers; send the API key in one only.")
            authorization = value
        elif name == b"x-api-key":
            if api_key is not None:
                raise Unauthorized("The request has two X-API-Key headers; send the API key in one only.")
            api_key = value
    bearer: str | None = None
    if authorization is not None:
        scheme, _, rest = authorization.decode("latin-1").strip().partition(" ")
        if not scheme:
            raise Unauthorized("The Authorization header is empty; send the key as 'Authorization: Bearer rsn_live_…'.")
        if scheme.lower() != "bearer":
            raise Unauthorized(
                f"The Authorization header uses the {scheme!r} scheme; "
                "send the key as 'Authorization: Bearer rsn_live_…'."
            )
        bearer = rest.strip()
        if not bearer:
            raise Unauthorized(
                "The Authorization header has no key after 'Bearer'; send 'Authorization: Bearer rsn_live_…'."
            )
    header_key = None if api_key is None else api_key.decode("latin-1").strip()
    if bearer is not None and header_key is not None and bearer != header_key:
        raise Unauthorized(
            "The Authorization and X-API-Key headers carry two different keys; send one key, in one of them."
        )
    secret = bearer if bearer is not None else header_key
    if not secret:
        raise Unauthorized(
            "No API key was sent. Send it as 'Authorization: Bearer rsn_live_…' "
            "(sign up with POST /v1/signup to get one)."
        )
    if not api_keys.is_well_formed(secret):
        raise Unauthorized(
            "The API key is malformed (wrong prefix, length or checksum). "
            "Copy the whole key, starting with rsn_live_, into the Authorization: Bearer header."
        )
    return secret


async def _lookup_key(database: Database, key_hash: str) -> Principal | None:
    async with database.system_session() as session:
        found = await system.find_api_key(session, key_hash)
    if found is None:
        return None
    tenant_id, key_id = found
    async with database.tenant_session(tenant_id) as session:
        key = await session.get(ApiKey, (tenant_id, key_id))
    if key is None or key.revoked_at is not None:
        return None
    return Principal(
        tenant_id=tenant_id, key_id=key_id, key_name=key.name, scopes=frozenset(key.scopes), client_id=key.client_id
    )


async def authenticate_key(database: Database, cache: KeyCache, secret: str) -> Principal:
    """The principal of `secret` (a well-formed key: see `presented_key`), or `Unauthorized` saying what is wrong."""
    key_hash = api_keys.hash_key(secret)
    cached = cache.get(key_hash)
    if cached is None:
        # Concurrent requests with the same key share one lookup when the cached entry has expired.
        principal = await cache.lookups.run(key_hash, lambda: _lookup_key(database, key_hash))
        if principal is None:
            raise Unauthorized("The API key is unknown or has been revoked. Create a new key and use it instead.")
        cached = cache.put(key_hash, principal)
    elif cache.due_for_refresh(key_hash, cached):
        cache.refresh(key_hash, lambda: _lookup_key(database, key_hash))
    if cache.due_for_last_used(cached.principal.key_id):
        principal = cached.principal
        async with database.tenant_session(principal.tenant_id) as session:
            await session.execute(
                update(ApiKey)
                .where(col(ApiKey.tenant_id) == principal.tenant_id, col(ApiKey.id) == principal.key_id)
                .values(last_used_at=utcnow())
            )
    return cached.principal


class ApiKeyMiddleware(AbstractAuthenticationMiddleware):
    """Authenticates every request outside the excluded paths (health, signup, docs)."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        secret = presented_key(connection.scope["headers"])
        services = services_of(connection.app.state)
        principal = await authenticate_key(services.database, services.key_cache, secret)
        return AuthenticationResult(user=principal, auth=principal.key_id)


def _covering(scope: str) -> list[str]:
    """The scopes a key may have to pass `require(scope)`, `scope` first."""
    if scope in GRANTED_BY_ADMIN:
        return [scope, "admin"]
    return [name for name, rank in SCOPE_ORDER.items() if rank >= SCOPE_ORDER[scope]]


def require(scope: str) -> Any:
    """A guard that lets the request through only when the key has `scope` (or a scope that covers it)."""
    others = " or ".join(f"'{name}'" for name in _covering(scope)[1:])
    advice = f"Use a key created with scopes including '{scope}'" + (f" (or {others})." if others else ".")

    # A coroutine: Litestar runs a plain function guard in a worker thread, which costs more than the check.
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
        principal = connection.user
        if not isinstance(principal, Principal) or not principal.allows(scope):
            raise Forbidden(f"This API key does not have the '{scope}' scope needed here. {advice}")

    guard.__name__ = f"require_{scope}"
    return guard
