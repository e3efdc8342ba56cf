"""The service's background work as jobs: what each job does, and the dispatch that queues what is due.

Jobs, each idempotent because its handler claims its ledger row first:

- `sync.run` (queue `sync`): one sync run (`SyncWorker.run_one`), holding a slot of its network
  (`network_slots`): with none free, it waits in the queue a moment and tries again.
- `webhooks.deliver` (queue `webhooks`): one attempt of one delivery (`WebhookWorker.deliver_one`).
- `billing.report_usage` (queue `billing`): an agency's unreported usage to Stripe (`UsageReporter.report_tenant`).
- `tasks.dispatch` (queue `schedule`), also periodic: queues a run for every account due a scheduled sync,
  then a job for every claimable run, due delivery and agency with usage to report. Each is deferred with its
  subject as queueing key, so one job waits per subject however often dispatch runs, and whatever was left
  when a process died or a deferral was lost is queued again at the next tick.

A request that makes work (a sync asked for, an account connected, a redelivery) kicks a dispatch once it has
committed, so the work starts within a moment rather than at the next tick.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from api.billing.usage_reporting import UsageReporter
from api.sync.worker import SyncWorker
from api.tasks.engine import Catalogue, Job, Periodic, TaskEngine
from api.tasks.network_slots import NetworkSlots
from api.webhooks.delivery import WebhookWorker
from tenants import system
from tenants.database import Database
from tenants.ids import utcnow

logger = logging.getLogger("resonance.tasks")

SYNC_RUN = "sync.run"
DELIVER = "webhooks.deliver"
REPORT_USAGE = "billing.report_usage"
DISPATCH = "tasks.dispatch"

QUEUES = ("sync", "webhooks", "billing", "schedule")
"""Every queue; `resonance worker --queue` picks among them."""

BUSY_RETRY_SECONDS = 2.0
"""How long a sync whose network has no free slot waits in the queue before it tries again."""

DISPATCH_SECONDS = 10
"""How often the periodic dispatch runs: the longest a due item waits when no request kicked it."""


class BackgroundWork:
    """The catalogue of jobs over the sync, webhook and usage workers, and the engine that runs them."""

    def __init__(
        self,
        database: Database,
        sync: SyncWorker,
        webhooks: WebhookWorker,
        usage: UsageReporter,
        engine_factory: Callable[[Catalogue], TaskEngine],
        *,
        slots: NetworkSlots | None = None,
        schedule_syncs: bool = True,
        dispatch_seconds: float = DISPATCH_SECONDS,
    ) -> None:
        self.database = database
        self.sync = sync
        self.webhooks = webhooks
        self.usage = usage
        self.schedule_syncs = schedule_syncs
        self.slots = slots or NetworkSlots(database, {}, 16)
        """Each network's syncs at once, across every worker (RESONANCE_NETWORK_CONCURRENCY)."""
        self.catalogue = Catalogue(
            jobs=(
                Job(SYNC_RUN, "sync", self.run_sync, max_attempts=3),
                Job(DELIVER, "webhooks", self.deliver, max_attempts=3),
                Job(REPORT_USAGE, "billing", self.report_usage, max_attempts=3),
                Job(DISPATCH, "schedule", self.dispatch_job, max_attempts=1),
            ),
            periodic=(Periodic("tasks.dispatch_tick", dispatch_seconds, self.dispatch),),
        )
        self.engine = engine_factory(self.catalogue)

    # ------------------------------------------------------------------------------------------------ jobs

    async def run_sync(self, tenant_id: str, run_id: str) -> None:
        agency, run = uuid.UUID(tenant_id), uuid.UUID(run_id)
        network = await self.sync.network_of(agency, run)
        if network is None:  # it ended: this job came twice
            return
        async with self.slots.hold(network) as held:
            if held:
                await self.sync.run_one(agency, run)
                return
        logger.debug("sync %s waits: %s has %d syncs running", run_id, network, self.slots.limit(network))
        await self.engine.defer(
            SYNC_RUN, {"tenant_id": tenant_id, "run_id": run_id}, key=f"sync_run:{run_id}", delay=BUSY_RETRY_SECONDS
        )

    async def deliver(self, tenant_id: str, delivery_id: str) -> None:
        await self.webhooks.deliver_one(uuid.UUID(tenant_id), uuid.UUID(delivery_id))

    async def report_usage(self, tenant_id: str) -> None:
        agency = uuid.UUID(tenant_id)
        while await self.usage.report_tenant(agency):  # batch after batch, until nothing of it is due
            pass

    async def dispatch_job(self) -> None:
        await self.dispatch()

    # ------------------------------------------------------------------------------------------------ queueing

    async def dispatch(self) -> int:
        """Queue a job for everything due now; returns how many jobs were queued (not already waiting)."""
        queued = 0
        if self.schedule_syncs:
            for tenant_id, run_id in await self.sync.enqueue_due():
                queued += await self.defer_sync(tenant_id, run_id)
        for tenant_id, run_id in await self.sync.claimable():
            queued += await self.defer_sync(tenant_id, run_id)
        async with self.database.system_session() as session:
            deliveries = await system.due_webhook_deliveries(session, self.webhooks.clock(), 500)
        for tenant_id, delivery_id in deliveries:
            args = {"tenant_id": str(tenant_id), "delivery_id": str(delivery_id)}
            queued += await self.engine.defer(DELIVER, args, key=f"webhook_delivery:{delivery_id}")
        if self.usage.backend.online:
            async with self.database.system_session() as session:
                agencies = await system.usage_to_report(session, utcnow(), 500)
            for agency in agencies:
                queued += await self.engine.defer(REPORT_USAGE, {"tenant_id": str(agency)}, key=f"usage:{agency}")
        return queued

    async def defer_sync(self, tenant_id: uuid.UUID, run_id: uuid.UUID) -> bool:
        args = {"tenant_id": str(tenant_id), "run_id": str(run_id)}
        return await self.engine.defer(SYNC_RUN, args, key=f"sync_run:{run_id}")

    async def kick(self) -> None:
        """Queue a dispatch now: called once a request that made work has committed."""
        try:
            await self.engine.defer(DISPATCH, {}, key=DISPATCH)
        except Exception:  # the periodic dispatch picks the work up anyway
            logger.warning("could not queue a dispatch; the next periodic one will", exc_info=True)
