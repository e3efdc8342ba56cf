"""The outbox that reports the usage ledger to Stripe as Billing Meter Events, each fact counted once.

The ledger (`usage_events`) stays append-only. What has been reported is kept beside it, one
`meter_event_deliveries` row per ledger row: a ledger row without one is waiting to be sent. Each
fact is sent with a deterministic `identifier` derived from the agency and the fact's own key, so
a repeated send (a retry, a worker killed between Stripe's answer and our record of it, two workers
on the same row) is refused by Stripe as a duplicate, which is proof that it was counted, and
recorded as sent.

A pass, per agency with a Stripe customer and something to send:

1. claim up to `batch_size` rows in one transaction: a row never tried gets a delivery row, a row
   due for a retry has its attempt counted, and either way `next_attempt_at` moves a lease ahead, so
   concurrent workers never send the same row at once and a worker that dies leaves the lease to
   run out;
2. send them, `concurrency` at a time;
3. record each outcome: `sent`; `retrying` after a network error, 429, 5xx, a refused API key or a
   clock ahead of Stripe's, with exponential backoff and jitter (`retry_delay`); `too_old` for a
   fact older than Stripe accepts (35 days, checked before sending, and Stripe's own refusal):
   logged as a warning, counted by `resonance billing reconcile` and shown to the agency by
   GET /v1/usage; `rejected` for any other refusal, with Stripe's message kept.

Retries combine two layers: the SDK retries a dropped connection or a 5xx once at once, with the
same Idempotency-Key (`REPORTER_NETWORK_RETRIES` in `api/billing/stripe_backend.py`), and the
outbox retries anything still failing later, with backoff from 30 s to an hour, until Stripe takes
the fact or it becomes too old. An agency without a Stripe customer gets nothing sent: its usage
waits in the ledger until checkout creates its customer (a background loop does not create
customers for agencies that never chose to subscribe), and is then sent if it is recent enough.
In local mode (`api/billing/backend.py`) nothing is sent at all.

Stripe promises identifier uniqueness for at least 24 hours: a fact sent, then left unrecorded by
a crash, and not retried within a day (every reporter stopped that long) could be counted twice.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.billing.backend import REJECTED, RETRYING, SENT, TOO_OLD, UNREPORTED, BillingBackend, MeterEvent, ReportOutcome
from api.billing.meter_events import MeterEventDelivery, meter_event_identifier
from api.billing.metering import UsageEvent
from api.billing.subscriptions import subscription_row
from api.observability.metrics import set_stripe_reporting_lag, usage_event_reported
from tenants import system
from tenants.database import Database
from tenants.ids import utcnow

__all__ = ["MeterEventDelivery", "ReportSummary", "UsageReporter", "retry_delay"]  # the model's home is meter_events

logger = logging.getLogger("resonance.billing")

MAX_AGE: Final = timedelta(days=35)
"""Stripe takes meter events "within the past 35 calendar days"."""
LEASE: Final = timedelta(minutes=2)
"""How long a claimed row may take to be sent before another worker may send it again."""
RETRY_BASE: Final = timedelta(seconds=30)
RETRY_CAP: Final = timedelta(hours=1)
JITTER: Final = 0.2
"""Each wait is multiplied by a random factor between 1 - JITTER and 1 + JITTER."""


def retry_delay(attempt: int, factor: float = 1.0) -> timedelta:
    """The wait after failed attempt number `attempt` (1-based): 30 s doubling up to an hour, times `factor`."""
    base: timedelta = min(RETRY_BASE * (2 ** min(attempt - 1, 16)), RETRY_CAP)
    return base * factor


@dataclass
class _Row:
    usage_event_id: uuid.UUID
    meter: str
    quantity: int
    idempotency_key: str
    occurred_at: datetime
    attempt: int
    identifier: str


@dataclass
class ReportSummary:
    """What one pass did, in ledger rows."""

    sent: int = 0
    duplicates: int = 0
    """Of `sent`: rows Stripe already had (sent before a crash or by another worker)."""
    retrying: int = 0
    too_old: int = 0
    rejected: int = 0
    tenants: set[uuid.UUID] = field(default_factory=set)
    failed_tenants: set[uuid.UUID] = field(default_factory=set)
    """Agencies whose pass raised (logged); the others went on."""

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.too_old + self.rejected

    def add(self, outcome: ReportOutcome) -> None:
        if outcome.status == SENT:
            self.sent += 1
            self.duplicates += outcome.duplicate
        elif outcome.status == RETRYING:
            self.retrying += 1
        elif outcome.status == TOO_OLD:
            self.too_old += 1
        else:
            self.rejected += 1


def _upsert_module(session: AsyncSession) -> Any:
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


class UsageReporter:
    """Sends the ledger to the billing backend: `report_tenant` is the `billing.report_usage` job, `report_pending`
    sends everything due (the CLI and tests).

    In local mode (a backend not `online`) a pass sends nothing and the usage stays in the ledger.
    """

    def __init__(
        self,
        database: Database,
        backend: BillingBackend,
        *,
        clock: Callable[[], datetime] = utcnow,
        batch_size: int = 100,
        concurrency: int = 8,
        lease: timedelta = LEASE,
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.backend = backend
        self.clock = clock
        """Injected by tests to step through the backoff and the age limit without waiting."""
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.lease = lease
        self.rng = rng or random.Random()  # jitter, not a secret
        self._waiting_since: dict[uuid.UUID, datetime] = {}
        """By agency reported to: when its oldest usage not yet sent occurred (the Stripe reporting lag metric)."""

    # ------------------------------------------------------------------------------------------------ passes

    async def report_pending(self, on_progress: Callable[[int], None] | None = None) -> ReportSummary:
        """Send everything due now, agency by agency, until nothing is left; returns what was done.

        `on_progress` is called with the number of rows attempted after each batch.
        """
        summary = ReportSummary()
        if not self.backend.online:
            return summary
        while True:
            async with self.database.system_session() as session:
                due = await system.usage_to_report(session, self.clock(), 100)
            progressed = False
            for tenant_id in due:
                if tenant_id in summary.failed_tenants:
                    continue
                try:
                    claimed = await self.report_tenant(tenant_id, summary)
                except Exception:  # one agency's trouble (a database error, a bug) must not stop the others
                    logger.exception("usage reporting for tenant %s failed; the others go on", tenant_id)
                    summary.failed_tenants.add(tenant_id)
                    continue
                if claimed:
                    progressed = True
                    summary.tenants.add(tenant_id)
                    if on_progress is not None:
                        on_progress(summary.attempted)
            if not progressed:
                for tenant_id in summary.tenants:  # once per agency and pass: the query reads its unsent ledger
                    await self._note_waiting(tenant_id)
                oldest = min(self._waiting_since.values(), default=None)
                set_stripe_reporting_lag((self.clock() - oldest).total_seconds() if oldest else 0.0)
                return summary

    async def retry_rejected(self, tenant_id: uuid.UUID | None = None) -> int:
        """Put the usage Stripe rejected back in line, due now, for every agency with a Stripe customer or only
        `tenant_id`: for after the cause is fixed (a meter created, a customer restored). Returns how many rows.
        A row keeps its identifier, so Stripe still counts each fact once; one now too old becomes `too_old`."""
        if tenant_id is None:
            async with self.database.system_session() as session:
                tenants = await system.stripe_customers(session, 100_000)
        else:
            tenants = [tenant_id]
        deliveries = MeterEventDelivery.__table__  # type: ignore[attr-defined]
        now = self.clock()
        moved = 0
        for agency in tenants:
            async with self.database.tenant_session(agency) as session:
                result = await session.execute(
                    update(deliveries)
                    .where(deliveries.c.tenant_id == agency, deliveries.c.status == REJECTED)
                    .values(status=RETRYING, next_attempt_at=now, updated_at=now)
                )
                moved += int(result.rowcount)  # type: ignore[attr-defined]
        return moved

    async def report_tenant(self, tenant_id: uuid.UUID, summary: ReportSummary | None = None) -> int:
        """Claim, send and record one batch of an agency's due rows; returns how many were claimed."""
        summary = summary if summary is not None else ReportSummary()
        customer, rows = await self._claim(tenant_id)
        if not rows or customer is None:
            return 0
        slots = asyncio.Semaphore(self.concurrency)
        throttled = asyncio.Event()
        outcomes: dict[uuid.UUID, ReportOutcome] = {}

        async def send(row: _Row) -> None:
            async with slots:
                if throttled.is_set():
                    outcomes[row.usage_event_id] = ReportOutcome(RETRYING, "not sent: Stripe rate-limited this pass")
                    return
                outcome = await self._send(tenant_id, customer, row)
                if outcome.throttled:
                    throttled.set()
                outcomes[row.usage_event_id] = outcome

        await asyncio.gather(*(send(row) for row in rows))
        await self._record(tenant_id, rows, outcomes)
        for row in rows:
            outcome = outcomes[row.usage_event_id]
            summary.add(outcome)
            usage_event_reported(outcome.status)
            if outcome.status in UNREPORTED:
                logger.warning(
                    "usage not reported to Stripe (%s): tenant %s, meter %s, quantity %d, occurred at %s: %s",
                    outcome.status,
                    tenant_id,
                    row.meter,
                    row.quantity,
                    row.occurred_at.isoformat(),
                    outcome.error,
                )
        return len(rows)

    # ------------------------------------------------------------------------------------------------ steps

    async def _claim(self, tenant_id: uuid.UUID) -> tuple[str | None, list[_Row]]:
        now = self.clock()
        lease_end = now + self.lease
        ledger = UsageEvent.__table__  # type: ignore[attr-defined]
        deliveries = MeterEventDelivery.__table__  # type: ignore[attr-defined]
        columns = (ledger.c.id, ledger.c.meter, ledger.c.quantity, ledger.c.idempotency_key, ledger.c.occurred_at)
        async with self.database.tenant_session(tenant_id) as session:
            subscription = await subscription_row(session, tenant_id)
            customer = subscription.stripe_customer_id if subscription is not None else None
            if not customer:
                return None, []  # no Stripe customer yet: the usage waits in the ledger
            joined = ledger.outerjoin(
                deliveries,
                and_(deliveries.c.tenant_id == ledger.c.tenant_id, deliveries.c.usage_event_id == ledger.c.id),
            )
            due = (
                await session.execute(
                    select(*columns, deliveries.c.attempts)
                    .select_from(joined)
                    .where(
                        ledger.c.tenant_id == tenant_id,
                        deliveries.c.status == RETRYING,
                        deliveries.c.next_attempt_at <= now,
                    )
                    .order_by(deliveries.c.next_attempt_at)
                    .limit(self.batch_size)
                )
            ).all()
            fresh = (
                await session.execute(
                    select(*columns)
                    .select_from(joined)
                    .where(ledger.c.tenant_id == tenant_id, deliveries.c.usage_event_id.is_(None))
                    .order_by(ledger.c.occurred_at, ledger.c.id)
                    .limit(self.batch_size - len(due))
                )
            ).all()
            facts = {row.id: row for row in [*due, *fresh]}
            claimed: dict[uuid.UUID, int] = {}
            if due:
                # A compare-and-set: a row another worker claimed in the meantime has moved its lease ahead.
                moved = await session.execute(
                    update(deliveries)
                    .where(
                        deliveries.c.tenant_id == tenant_id,
                        deliveries.c.usage_event_id.in_([row.id for row in due]),
                        deliveries.c.status == RETRYING,
                        deliveries.c.next_attempt_at <= now,
                    )
                    .values(attempts=deliveries.c.attempts + 1, next_attempt_at=lease_end, updated_at=now)
                    .returning(deliveries.c.usage_event_id, deliveries.c.attempts)
                )
                claimed.update({row[0]: row[1] for row in moved.all()})
            if fresh:
                insert = (
                    _upsert_module(session)
                    .insert(deliveries)
                    .values(
                        [
                            {
                                "tenant_id": tenant_id,
                                "usage_event_id": row.id,
                                "identifier": meter_event_identifier(tenant_id, row.idempotency_key),
                                "status": RETRYING,
                                "attempts": 1,
                                "next_attempt_at": lease_end,
                                "updated_at": now,
                            }
                            for row in fresh
                        ]
                    )
                    .on_conflict_do_nothing(index_elements=["tenant_id", "usage_event_id"])
                    .returning(deliveries.c.usage_event_id)
                )
                claimed.update({row[0]: 1 for row in (await session.execute(insert)).all()})
        rows = [
            _Row(
                usage_event_id=event_id,
                meter=facts[event_id].meter,
                quantity=facts[event_id].quantity,
                idempotency_key=facts[event_id].idempotency_key,
                occurred_at=facts[event_id].occurred_at,
                attempt=attempt,
                identifier=meter_event_identifier(tenant_id, facts[event_id].idempotency_key),
            )
            for event_id, attempt in claimed.items()
        ]
        rows.sort(key=lambda row: row.occurred_at)
        return customer, rows

    async def _note_waiting(self, tenant_id: uuid.UUID) -> None:
        """Remember when the agency's oldest usage still to send (never tried, or to retry) occurred."""
        ledger = UsageEvent.__table__  # type: ignore[attr-defined]
        deliveries = MeterEventDelivery.__table__  # type: ignore[attr-defined]
        joined = ledger.outerjoin(
            deliveries, and_(deliveries.c.tenant_id == ledger.c.tenant_id, deliveries.c.usage_event_id == ledger.c.id)
        )
        waiting = or_(deliveries.c.usage_event_id.is_(None), deliveries.c.status == RETRYING)
        async with self.database.tenant_session(tenant_id) as session:
            statement = select(func.min(ledger.c.occurred_at)).select_from(joined)
            oldest = await session.scalar(statement.where(ledger.c.tenant_id == tenant_id, waiting))
        if oldest is None:
            self._waiting_since.pop(tenant_id, None)
        else:
            self._waiting_since[tenant_id] = oldest

    async def _send(self, tenant_id: uuid.UUID, customer: str, row: _Row) -> ReportOutcome:
        if row.occurred_at < self.clock() - MAX_AGE:
            return ReportOutcome(TOO_OLD, f"not sent: older than the {MAX_AGE.days} days Stripe accepts")
        outcome = await self.backend.report_usage(
            MeterEvent(
                meter=row.meter,
                customer=customer,
                quantity=row.quantity,
                identifier=row.identifier,
                occurred_at=row.occurred_at,
            )
        )
        if outcome.duplicate:
            logger.info("meter event %s of tenant %s was already counted by Stripe", row.identifier, tenant_id)
        return outcome

    async def _record(self, tenant_id: uuid.UUID, rows: list[_Row], outcomes: dict[uuid.UUID, ReportOutcome]) -> None:
        now = self.clock()
        deliveries = MeterEventDelivery.__table__  # type: ignore[attr-defined]
        values = []
        for row in rows:
            outcome = outcomes[row.usage_event_id]
            retry_at = None
            if outcome.status == RETRYING:
                retry_at = now + retry_delay(row.attempt, self.rng.uniform(1 - JITTER, 1 + JITTER))
            values.append(
                {
                    "b_tenant": tenant_id,
                    "b_event": row.usage_event_id,
                    "b_attempt": row.attempt,
                    "b_status": outcome.status,
                    "b_next": retry_at,
                    "b_error": outcome.error,
                    "b_reported": now if outcome.status == SENT else None,
                    "b_updated": now,
                }
            )
        statement = (
            update(deliveries)
            .where(
                deliveries.c.tenant_id == bindparam("b_tenant"),
                deliveries.c.usage_event_id == bindparam("b_event"),
                deliveries.c.status == RETRYING,
                # Only the attempt this worker claimed: a lease taken over by another worker is theirs.
                deliveries.c.attempts == bindparam("b_attempt"),
            )
            .values(
                status=bindparam("b_status"),
                next_attempt_at=bindparam("b_next"),
                last_error=bindparam("b_error"),
                reported_at=bindparam("b_reported"),
                updated_at=bindparam("b_updated"),
            )
        )
        async with self.database.tenant_session(tenant_id) as session:
            await session.execute(statement.execution_options(synchronize_session=False), values)
