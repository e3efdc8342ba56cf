"""The service's background work as jobs: what each job does, and the dispatch that queues what is due.

Jobs, each idempotent because its handler claims its ledger row first:

- `sync.run` (queue `sync`): one sync run (`SyncWorker.run_one`), holding a slot of its network
  (`network_slots`): with none free, it waits in the queue a moment and tries again.
- `webhooks.deliver` (queue `webhooks`): one attempt of one delivery (`WebhookWorker.deliver_one`).
- `billing.report_usage` (queue `billing`): an agency's unreported usage to Stripe (`UsageReporter.report_tenant`).
- `reports.generate` (queue `reports`): one report asked for through the API (`ReportGenerator.generate`).
- `tasks.dispatch` (queue `schedule`), also periodic: queues a run for every account due a scheduled sync,
  then a job for every claimable run, due delivery, report to render and agency with usage to report. Each is
  deferred with its subject as queueing key, so one job waits per subject however often dispatch runs, and
  whatever was left when a process died or a deferral was lost is queued again at the next tick.

A request that makes work (a sync asked for, an account connected, a redelivery) kicks a dispatch once it has
committed, so the work starts within a moment rather than at the next tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence

from api.billing.usage_reporting import UsageReporter
from api.observability import job_finished, job_span, job_started, set_queue_depth, trace_carrier
from api.reports.generation import ReportGenerator
from api.sync.worker import SyncWorker
from api.tasks.engine import Catalogue, Handler, Job, Periodic, TaskEngine
from api.tasks.network_slots import NetworkSlots
from api.webhooks.delivery import WebhookWorker
from tenants import system
from tenants.database import Database
from tenants.ids import utcnow

logger = logging.getLogger("resonance.tasks")

SYNC_RUN = "sync.run"
DELIVER = "webhooks.deliver"
REPORT_USAGE = "billing.report_usage"
GENERATE_REPORT = "reports.generate"
DISPATCH = "tasks.dispatch"

QUEUES = ("sync", "webhooks", "billing", "reports", "schedule")
"""Every queue; `resonance worker --queue` picks among them."""

BUSY_RETRY_SECONDS = 2.0
"""How long a sync whose network has no free slot waits in the queue before it tries again."""

DISPATCH_SECONDS = 10
"""How often the periodic dispatch runs: the longest a due item waits when no request kicked it."""

DISPATCH_LIMIT = 2000
"""The most sync runs one dispatch looks at (the oldest first); the rest wait for the next tick."""

QUEUE_WATCH_SECONDS = 15.0
"""How often a process running jobs reads the queues' depth and age into its metrics."""

TRACE_KEYS = ("traceparent", "tracestate")
"""Job arguments that carry the trace of the request that deferred the job, not the job's own arguments."""


def observed(job: str, handler: Handler) -> Handler:
    """`handler` counted and timed in the job metrics, inside a span continuing the deferring request's trace."""

    async def run(**args: str) -> None:
        carrier = {key: args.pop(key) for key in TRACE_KEYS if key in args}
        job_started(job)
        started, outcome = time.perf_counter(), "failed"
        try:
            with job_span(job, carrier, **args):
                await handler(**args)
            outcome = "succeeded"
        finally:
            job_finished(job, time.perf_counter() - started, outcome)

    run.__name__ = job.replace(".", "_")
    return run


class BackgroundWork:
    """The catalogue of jobs over the sync, webhook and usage workers, and the engine that runs them."""

    def __init__(
        self,
        database: Database,
        sync: SyncWorker,
        webhooks: WebhookWorker,
        usage: UsageReporter,
        reports: ReportGenerator,
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
        self.reports = reports
        self.schedule_syncs = schedule_syncs
        self.slots = slots or NetworkSlots(database, {}, 16)
        """Each network's syncs at once, across every worker (RESONANCE_NETWORK_CONCURRENCY)."""
        self.catalogue = Catalogue(
            jobs=(
                Job(SYNC_RUN, "sync", observed(SYNC_RUN, self.run_sync), max_attempts=3),
                Job(DELIVER, "webhooks", observed(DELIVER, self.deliver), max_attempts=3),
                Job(REPORT_USAGE, "billing", observed(REPORT_USAGE, self.report_usage), max_attempts=3),
                Job(GENERATE_REPORT, "reports", observed(GENERATE_REPORT, self.generate_report), max_attempts=3),
                Job(DISPATCH, "schedule", observed(DISPATCH, self.dispatch), max_attempts=1),
            ),
            periodic=(
                Periodic("tasks.dispatch_tick", dispatch_seconds, observed("tasks.dispatch_tick", self.dispatch)),
            ),
        )
        self.engine = engine_factory(self.catalogue)

    # ------------------------------------------------------------------------------------------------ running

    async def run(self, stop: asyncio.Event, *, queues: Sequence[str] | None = None, concurrency: int = 4) -> None:
        """Run the jobs of `queues` (None: all) until `stop` is set, and keep the queue metrics current."""
        if queues is None or "sync" in queues:
            await self.sync.engine.warm_up()  # the first sync must not load the sentiment models
        watcher = asyncio.create_task(self.watch_queues(stop), name="queue-metrics")
        try:
            await self.engine.run(stop, queues=queues, concurrency=concurrency)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def close(self) -> None:
        """Release the engine's connections and this process's network slots."""
        await self.engine.close()
        await self.slots.close()

    async def watch_queues(self, stop: asyncio.Event, every: float = QUEUE_WATCH_SECONDS) -> None:
        """Every `every` seconds, each queue's waiting jobs and the age of its oldest into the metrics; once more,
        then out, when `stop` is set."""
        while True:
            try:
                for stats in await self.engine.stats():
                    set_queue_depth(stats.queue, stats.waiting, stats.oldest_seconds)
            except Exception:  # the database away for a moment: the next read tells
                logger.warning("could not read the job queues' depth", exc_info=True)
            if stop.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)

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
        await self._defer(
            SYNC_RUN, {"tenant_id": tenant_id, "run_id": run_id}, key=f"sync_run:{run_id}", delay=BUSY_RETRY_SECONDS
        )

    async def deliver(self, tenant_id: str, delivery_id: str) -> None:
        await self.webhooks.deliver_one(uuid.UUID(tenant_id), uuid.UUID(delivery_id))

    async def report_usage(self, tenant_id: str) -> None:
        agency = uuid.UUID(tenant_id)
        while await self.usage.report_tenant(agency):  # batch after batch, until nothing of it is due
            pass

    async def generate_report(self, tenant_id: str, report_id: str) -> None:
        await self.reports.generate(uuid.UUID(tenant_id), uuid.UUID(report_id))

    # ------------------------------------------------------------------------------------------------ queueing

    async def dispatch(self) -> int:
        """Queue a job for everything due now; returns how many jobs were queued (not already waiting).

        Each kind is queued on its own: one that fails (its query, a bug) is logged and the others still go."""
        queued = 0
        for kind, due in (
            ("scheduled syncs", self._scheduled_syncs),
            ("sync runs", self._claimable_syncs),
            ("webhook deliveries", self._due_deliveries),
            ("reports", self._claimable_reports),
            ("usage to report", self._usage_to_report),
        ):
            try:
                jobs = await due()
                waiting = await self.engine.waiting([key for _job, _args, key in jobs])
                for job, args, key in jobs:
                    if key not in waiting:  # one round trip for all, rather than a refused deferral each
                        queued += await self._defer(job, args, key=key)
            except Exception:
                logger.exception("dispatch could not queue the %s; the next dispatch tries again", kind)
        return queued

    async def _scheduled_syncs(self) -> list[tuple[str, dict[str, str], str]]:
        runs = await self.sync.enqueue_due() if self.schedule_syncs else []
        return [_sync_job(tenant_id, run_id) for tenant_id, run_id in runs]

    async def _claimable_syncs(self) -> list[tuple[str, dict[str, str], str]]:
        return [_sync_job(tenant_id, run_id) for tenant_id, run_id in await self.sync.claimable(DISPATCH_LIMIT)]

    async def _due_deliveries(self) -> list[tuple[str, dict[str, str], str]]:
        async with self.database.system_session() as session:
            due = await system.due_webhook_deliveries(session, self.webhooks.clock(), 500)
        return [
            (DELIVER, {"tenant_id": str(tenant_id), "delivery_id": str(delivery_id)}, f"webhook_delivery:{delivery_id}")
            for tenant_id, delivery_id in due
        ]

    async def _claimable_reports(self) -> list[tuple[str, dict[str, str], str]]:
        return [
            (GENERATE_REPORT, {"tenant_id": str(tenant_id), "report_id": str(report_id)}, f"report:{report_id}")
            for tenant_id, report_id in await self.reports.claimable()
        ]

    async def _usage_to_report(self) -> list[tuple[str, dict[str, str], str]]:
        if not self.usage.backend.online:
            return []
        async with self.database.system_session() as session:
            agencies = await system.usage_to_report(session, utcnow(), 500)
        return [(REPORT_USAGE, {"tenant_id": str(agency)}, f"usage:{agency}") for agency in agencies]

    async def defer_sync(self, tenant_id: uuid.UUID, run_id: uuid.UUID) -> bool:
        job, args, key = _sync_job(tenant_id, run_id)
        return await self._defer(job, args, key=key)

    async def kick(self) -> None:
        """Queue a dispatch now: called once a request that made work has committed."""
        try:
            await self._defer(DISPATCH, {}, key=DISPATCH)
        except Exception:  # the periodic dispatch picks the work up anyway
            logger.warning("could not queue a dispatch; the next periodic one will", exc_info=True)

    async def _defer(self, job: str, args: Mapping[str, str], *, key: str, delay: float = 0) -> bool:
        """Defer with the current trace, so the job's span continues the request's (or the dispatch's) trace."""
        return await self.engine.defer(job, {**args, **trace_carrier()}, key=key, delay=delay)


def _sync_job(tenant_id: uuid.UUID, run_id: uuid.UUID) -> tuple[str, dict[str, str], str]:
    return SYNC_RUN, {"tenant_id": str(tenant_id), "run_id": str(run_id)}, f"sync_run:{run_id}"
