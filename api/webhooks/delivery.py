"""Webhook delivery: claims a due delivery, signs and POSTs it, schedules its retry.

The `webhook_deliveries` table is the outbox: the task engine's `webhooks.deliver` job attempts one delivery
(`deliver_one`), and its dispatch queues one for every due delivery. A due delivery is claimed by a compare-and-set that
pushes its `next_attempt_at` a lease ahead and counts the attempt, so any number of workers share
the queue without sending a delivery twice at once; a worker that dies mid-attempt leaves the lease
to run out, and the delivery is tried again (receivers deduplicate on the event id).

A 2xx answer is success. Anything else (another status, a refused connection, no answer within
`TIMEOUT_SECONDS`, an address no longer allowed) is retried after `RETRY_DELAYS`, each stretched or
shrunk by up to 10 % at random so that a receiver coming back up is not hit by every retry at once:
1 min, 5 min, 30 min, 2 h, 5 h, 8 h and 8 h, about 24 hours in all over 8 attempts; then the
delivery is `failed` (it can still be redelivered through the API).
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import msgspec
from sqlalchemy import update
from sqlmodel import col

from api.webhooks.models import WebhookDelivery, WebhookEndpoint
from api.webhooks.signing import SIGNATURE_HEADER, signature_header
from api.webhooks.urls import AddressPolicy, UrlRefused, pinned_request
from tenants import system
from tenants.credentials import CredentialsError, CredentialVault
from tenants.database import Database
from tenants.ids import utcnow

logger = logging.getLogger("resonance.webhooks")

RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=8),
    timedelta(hours=8),
)
"""The wait after each failed attempt: growing about fivefold, capped at 8 hours; 23 h 36 min in all."""

MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.1
"""Each wait is multiplied by a random factor between 1 - JITTER and 1 + JITTER."""

TIMEOUT_SECONDS = 10.0
LEASE = timedelta(minutes=2)
"""How long a claimed attempt may take before another worker may try the delivery again."""

USER_AGENT = "Resonance-Webhooks/1.0"
EVENT_HEADER = "Resonance-Event"
EVENT_ID_HEADER = "Resonance-Event-Id"
DELIVERY_HEADER = "Resonance-Delivery"


def retry_delay(attempt: int, factor: float = 1.0) -> timedelta | None:
    """How long to wait after failed attempt number `attempt` (1-based), or None when it was the last."""
    if attempt >= MAX_ATTEMPTS:
        return None
    return RETRY_DELAYS[attempt - 1] * factor


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one attempt got: the receiver's status code, or why there was none."""

    status_code: int | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class _Claimed:
    tenant_id: uuid.UUID
    delivery_id: uuid.UUID
    attempt: int
    url: str
    secret: str | None
    payload: dict[str, Any]
    problem: str | None = None
    """Set when the attempt cannot be made at all (endpoint disabled, secret unreadable)."""


class WebhookWorker:
    """Sends due deliveries: `deliver_one` is the job, `deliver_due` sends all that is due (tests, `--once`)."""

    def __init__(
        self,
        database: Database,
        vault: CredentialVault,
        policy: AddressPolicy,
        *,
        clock: Callable[[], datetime] = utcnow,
        transport: httpx.AsyncBaseTransport | None = None,
        concurrency: int = 8,
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.vault = vault
        self.policy = policy
        self.clock = clock
        """Injected by tests to step through the retry schedule without sleeping."""
        self.transport = transport
        self.concurrency = concurrency
        self.rng = rng or random.Random()  # jitter, not a secret

    async def deliver_due(self, limit: int = 100) -> int:
        """Claim and attempt every delivery due now (up to `limit`); returns how many attempts were made."""
        now = self.clock()
        async with self.database.system_session() as session:
            due = await system.due_webhook_deliveries(session, now, limit)
        claimed = [item for tenant_id, delivery_id in due if (item := await self._claim(tenant_id, delivery_id))]
        if not claimed:
            return 0
        slots = asyncio.Semaphore(self.concurrency)
        async with self._client() as client:

            async def attempt(item: _Claimed) -> None:
                async with slots:
                    await self._attempt(client, item)

            await asyncio.gather(*(attempt(item) for item in claimed))
        return len(claimed)

    async def deliver_one(self, tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> bool:
        """The `webhooks.deliver` job: claim one due delivery and make one attempt; False when it was not due
        (delivered, failed for good, or leased by another worker)."""
        item = await self._claim(tenant_id, delivery_id)
        if item is None:
            return False
        async with self._client() as client:
            await self._attempt(client, item)
        return True

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self.transport,
            timeout=TIMEOUT_SECONDS,
            follow_redirects=False,
            trust_env=False,  # a proxy from the environment would bypass the address checks
            headers={"User-Agent": USER_AGENT},
        )

    async def _attempt(self, client: httpx.AsyncClient, item: _Claimed) -> None:
        outcome = DeliveryOutcome(error=item.problem) if item.problem else await self._send(client, item)
        await self._record(item, outcome)

    async def _claim(self, tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> _Claimed | None:
        now = self.clock()
        async with self.database.tenant_session(tenant_id) as session:
            delivery = await session.get(WebhookDelivery, (tenant_id, delivery_id))
            if delivery is None:
                return None
            attempt = delivery.attempts + 1
            moved = await session.execute(
                update(WebhookDelivery)
                .where(
                    col(WebhookDelivery.tenant_id) == tenant_id,
                    col(WebhookDelivery.id) == delivery_id,
                    col(WebhookDelivery.status) == "pending",
                    col(WebhookDelivery.attempts) == delivery.attempts,
                    col(WebhookDelivery.next_attempt_at) <= now,
                )
                .values(attempts=attempt, next_attempt_at=now + LEASE, last_attempt_at=now)
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                return None  # another worker took it first
            endpoint = await session.get(WebhookEndpoint, (tenant_id, delivery.endpoint_id))
            problem: str | None = None
            secret: str | None = None
            if endpoint is None or not endpoint.enabled:
                problem = "not sent: the endpoint is disabled"
            else:
                try:
                    secret = str(self.vault.decrypt(endpoint.secret_encrypted).get("secret", ""))
                except CredentialsError:
                    problem = "not sent: the signing secret cannot be decrypted with the configured keys"
            return _Claimed(
                tenant_id=tenant_id,
                delivery_id=delivery_id,
                attempt=attempt,
                url=endpoint.url if endpoint else "",
                secret=secret,
                payload=dict(delivery.payload),
                problem=problem,
            )

    async def _send(self, client: httpx.AsyncClient, item: _Claimed) -> DeliveryOutcome:
        try:
            _parts, addresses = await self.policy.addresses(item.url)
        except UrlRefused as refused:
            return DeliveryOutcome(error=f"not sent: {refused}"[:300])
        body = msgspec.json.encode(item.payload)
        url = httpx.URL(item.url)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature_header(item.secret or "", body, int(self.clock().timestamp())),
            EVENT_HEADER: str(item.payload.get("type", "")),
            EVENT_ID_HEADER: str(item.payload.get("id", "")),
            DELIVERY_HEADER: str(item.delivery_id),
        }
        error = "could not connect"
        for address in addresses:
            target, host, extensions = pinned_request(url, address)
            try:
                async with client.stream(
                    "POST", target, content=body, headers={**headers, **host}, extensions=extensions
                ) as response:
                    code = response.status_code
            except httpx.ConnectError:
                error = f"could not connect to {address}"
                continue
            except httpx.TimeoutException:
                return DeliveryOutcome(error=f"no answer within {TIMEOUT_SECONDS:g} s")
            except httpx.HTTPError as failure:
                return DeliveryOutcome(error=f"the request failed ({type(failure).__name__})")
            return DeliveryOutcome(
                status_code=code, error=None if 200 <= code < 300 else f"the receiver answered HTTP {code}"
            )
        return DeliveryOutcome(error=error)

    async def _record(self, item: _Claimed, outcome: DeliveryOutcome) -> None:
        now = self.clock()
        values: dict[str, Any] = {"last_status_code": outcome.status_code, "last_error": outcome.error}
        if outcome.succeeded:
            values.update(status="succeeded", delivered_at=now, next_attempt_at=None)
        else:
            delay = retry_delay(item.attempt, self.rng.uniform(1 - JITTER, 1 + JITTER))
            if delay is None:
                values.update(status="failed", next_attempt_at=None)
            else:
                values.update(next_attempt_at=now + delay)
            logger.info("webhook delivery %s attempt %d: %s", item.delivery_id, item.attempt, outcome.error)
        async with self.database.tenant_session(item.tenant_id) as session:
            await session.execute(
                update(WebhookDelivery)
                .where(
                    col(WebhookDelivery.tenant_id) == item.tenant_id,
                    col(WebhookDelivery.id) == item.delivery_id,
                    col(WebhookDelivery.status) == "pending",
                    # Only the attempt this worker claimed: a lease taken over by another worker is theirs.
                    col(WebhookDelivery.attempts) == item.attempt,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
