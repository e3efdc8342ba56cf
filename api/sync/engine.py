# Over 400 lines on purpose: one run (validate, batch, checkpoint in the same transaction) reads best in one place.
"""The sync engine: runs one connector for one account over a window and persists what it yields.

Every record is validated; a bad one is rejected with an error naming the connector, the record
and the field, and the run ends `partial`. Records are written in batches with idempotent upserts;
a `Checkpoint` is stored in the same transaction as the records before it (at most every
`checkpoint_seconds`), so a run that crashes resumes from its last stored checkpoint and never
loses or duplicates anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, cast

import msgspec
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlmodel import col

from api.accounts.models import SocialAccount
from api.billing.metering import mention_key, record_facts, record_usage
from api.oauth.flow import connector_client
from api.oauth.renewal import renew_for_sync
from api.observability.metrics import connector_failed
from api.sentiment import analyse_mention_rows, analyzer_for, warm_up
from api.sentiment.stored_labels import carry_stored_labels, stored_labels
from api.sync import store
from api.sync.models import SyncRun
from api.sync.pacing import NetworkPacing
from api.webhooks import events as webhook_events
from plugins.registry import Registry
from plugins.sdk import (
    AccountRef,
    AuthenticationError,
    Checkpoint,
    Connector,
    EgressPolicy,
    Mention,
    MetricPoint,
    Post,
    RateLimitedError,
    Record,
    RecordRejected,
    RecordValidator,
    Window,
)
from tenants.credentials import CredentialVault
from tenants.database import Database
from tenants.ids import new_id, utcnow
from tenants.settings import Settings

logger = logging.getLogger("resonance.sync")

DEFAULT_BACKFILL_DAYS = 30
MAX_REJECTIONS_KEPT = 50


class StorageError(RuntimeError):
    """Writing a batch to the database failed: our failure, not the connector's."""


@dataclass
class _Batch:
    metrics: dict[tuple[str, date], dict[str, Any]] = field(default_factory=dict)
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)
    mentions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.metrics) + len(self.posts) + len(self.mentions)


@dataclass
class _Counts:
    metrics: int = 0
    posts: int = 0
    mentions: int = 0
    rejected: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)


def default_window(state: Mapping[str, Any], settings: Mapping[str, Any], today: date) -> Window:
    """From the last checkpoint (or the backfill horizon on a first sync) to today."""
    last_day = state.get("last_day")
    since: date | None = None
    if isinstance(last_day, str):
        try:
            since = date.fromisoformat(last_day)
        except ValueError:
            since = None
    if since is None or since > today:
        backfill = settings.get("backfill_days", DEFAULT_BACKFILL_DAYS)
        days = backfill if isinstance(backfill, int) and backfill > 0 else DEFAULT_BACKFILL_DAYS
        since = today - timedelta(days=days - 1)
    return Window(since=since, until=today)


class RunContext:
    """Everything one run needs, read once at its start."""

    def __init__(
        self, run: SyncRun, account: SocialAccount, connector: type[Connector], credentials: dict[str, Any]
    ) -> None:
        self.tenant_id = run.tenant_id
        self.run_id = run.id
        self.account_id = account.id
        self.client_id = account.client_id
        self.connector = connector
        # Only a run over the default window moves the account's resume point: an explicit window's
        # checkpoints say nothing about the days after the resume point (nor before the window).
        self.resumable = run.window_since is None or run.window_until is None
        if run.window_since is not None and run.window_until is not None:
            self.window = Window(since=run.window_since, until=run.window_until)
            self.state: dict[str, Any] = {}
        else:
            self.state = dict(account.sync_state)
            self.window = default_window(self.state, account.sync_settings, utcnow().date())
        self.account = AccountRef(
            handle=account.handle,
            external_id=account.external_id,
            kind="competitor" if account.kind == "competitor" else "owned",
            credentials=credentials,
            settings=dict(account.sync_settings),
        )
        self.validator = RecordValidator(connector, self.window)


class SyncEngine:
    """Runs claimed sync runs to completion."""

    def __init__(
        self,
        database: Database,
        registry: Registry,
        vault: CredentialVault,
        *,
        timeout_seconds: float = 600,
        interval: timedelta = timedelta(hours=6),
        batch_size: int = 5000,
        checkpoint_seconds: float = 1.0,
        base_urls: Mapping[str, str] | None = None,
        settings: Settings | None = None,
        egress: EgressPolicy | None = None,
        pacing: NetworkPacing | None = None,
    ) -> None:
        self.database = database
        self.registry = registry
        self.analyzer = analyzer_for(registry)
        """Labels every mention before it is stored: a plugin's (first result wins) or the default."""
        self.vault = vault
        self.timeout_seconds = timeout_seconds
        self.interval = interval
        self.batch_size = batch_size
        self.checkpoint_seconds = checkpoint_seconds
        """At most this long between storing a checkpoint and the records before it."""
        self.base_urls = dict(base_urls or {})
        """Operator overrides of connectors' API base URLs, by connector id."""
        self.egress = egress or EgressPolicy()
        """Where connectors may connect besides the public internet (the operator's allowed hosts)."""
        self.pacing = pacing or NetworkPacing(None, {})
        """Admits the requests to the networks whose rate the operator limits, at one pace for every worker."""
        self.settings = settings
        """For the OAuth clients that renew expiring access tokens before a run (none without settings)."""
        self.on_data_changed: Callable[[uuid.UUID], None] = lambda _tenant_id: None
        """Called with the tenant after a batch is stored (the app drops its cached metrics reads)."""
        self.on_run_finished: Callable[[uuid.UUID, uuid.UUID], Awaitable[None]] | None = None
        """Awaited with the tenant and the account after a run that succeeded or stored records (the app
        evaluates the client's alert rules); its failures are logged and never change the run."""

    async def execute(self, tenant_id: uuid.UUID, run_id: uuid.UUID) -> str:
        """Run the (already claimed) sync run and return its final status."""
        started = time.monotonic()
        context = await self._prepare(tenant_id, run_id)
        if isinstance(context, str):
            return context
        counts = _Counts()
        batch = _Batch()
        # The newest checkpoint not yet stored. It is written with the next batch rather than at once:
        # the records before it are in that batch or an earlier one, so resuming from it loses nothing,
        # and a connector that checkpoints every day does not cost a transaction a day.
        pending_state: dict[str, Any] | None = None
        last_flush = time.monotonic()
        error: BaseException | None = None
        connector = context.connector(base_url=self.base_urls.get(context.connector.id), egress=self.egress)
        # The operator's OAuth app, for a connector that refreshes its token mid-run: given to the
        # instance, never merged into the credentials (so never stored with refreshed ones).
        connector.oauth_client = connector_client(context.connector, self.settings)
        if self.pacing.limits(connector.id):
            connector.pacer = self.pacing
        try:
            async with asyncio.timeout(self.timeout_seconds):
                index = 0
                fetched = cast(
                    AsyncGenerator[Record, None], connector.fetch(context.account, context.window, context.state)
                )
                async with contextlib.aclosing(fetched) as records:
                    async for item in records:
                        index += 1
                        if isinstance(item, Checkpoint):
                            pending_state = self._checkpoint_state(item)
                        else:
                            self._accept(context, item, index, batch, counts)
                        due = time.monotonic() - last_flush >= self.checkpoint_seconds
                        if len(batch) >= self.batch_size or (pending_state is not None and due):
                            await self._flush(context, batch, counts, state=pending_state)
                            batch, pending_state, last_flush = _Batch(), None, time.monotonic()
        except TimeoutError as timeout:
            error = timeout
        except OperationalError:  # the database went away (a restart): see `_flush`
            raise
        except Exception as raised:  # a connector's failure ends its own run only
            error = raised
        try:
            await self._flush(context, batch, counts, state=pending_state)
        except OperationalError:
            raise
        except Exception as flush_error:
            error = error or flush_error
        if connector.refreshed_credentials is not None:
            await self._store_credentials(context, connector.refreshed_credentials)
        status = await self._finish(context, counts, error, time.monotonic() - started)
        if status != "failed" or counts.metrics or counts.posts or counts.mentions:
            await self._after_run(context)
        return status

    async def _after_run(self, context: RunContext) -> None:
        if self.on_run_finished is None:
            return
        try:
            await self.on_run_finished(context.tenant_id, context.account_id)
        except Exception:  # what runs after a sync never undoes it
            logger.exception("sync %s: the after-run hook failed", context.run_id)

    async def _store_credentials(self, context: RunContext, credentials: dict[str, Any]) -> None:
        """Keep tokens a connector refreshed during the run, encrypted like any credentials."""
        async with self.database.tenant_session(context.tenant_id) as session:
            await session.execute(
                update(SocialAccount)
                .where(col(SocialAccount.tenant_id) == context.tenant_id, col(SocialAccount.id) == context.account_id)
                .values(credentials_encrypted=self.vault.encrypt(credentials))
            )

    def _checkpoint_state(self, checkpoint: Checkpoint) -> dict[str, Any]:
        if not isinstance(checkpoint.state, dict):
            raise TypeError("Checkpoint.state must be a dict")
        return dict(checkpoint.state)

    async def _prepare(self, tenant_id: uuid.UUID, run_id: uuid.UUID) -> RunContext | str:
        async with self.database.tenant_session(tenant_id) as session:
            run = await session.get(SyncRun, (tenant_id, run_id))
            if run is None:
                return "missing"
            account = await session.get(SocialAccount, (tenant_id, run.account_id))
            failure: str | None = None
            connector = self.registry.connector(account.network) if account else None
            credentials: dict[str, Any] = {}
            if account is None:
                failure = "the account was deleted before the sync ran"
            elif connector is None:
                failure = f"no installed connector provides network {account.network!r}"
            else:
                try:
                    credentials = self.vault.decrypt(account.credentials_encrypted)
                except ValueError as error:
                    failure = str(error)
            if failure is not None or account is None or connector is None:
                run.status, run.error, run.finished_at = "failed", failure, utcnow()
                await webhook_events.sync_failed(session, run, account)
                return "failed"
            context = RunContext(run, account, connector, credentials)
            run.window_since, run.window_until = context.window.since, context.window.until
        return await self._refresh_tokens(context)

    async def _refresh_tokens(self, context: RunContext) -> RunContext | str:
        """Renew an OAuth access token about to expire (stored encrypted, outside any transaction).

        A refresh the network refuses ends the run through `_finish` like any refused credentials, which
        marks the account `needs_reauth`.
        """
        if self.settings is None:
            return context
        try:
            credentials = await renew_for_sync(
                self.database,
                self.vault,
                self.settings,
                tenant_id=context.tenant_id,
                account_id=context.account_id,
                connector=context.connector,
                credentials=context.account.credentials,
            )
        except Exception as error:
            return await self._finish(context, _Counts(), error, 0.0)
        context.account = msgspec.structs.replace(context.account, credentials=credentials)
        return context

    def _reject(self, context: RunContext, counts: _Counts, index: int, kind: str, error: RecordRejected) -> None:
        counts.rejected += 1
        message = f"connector {context.connector.id}: record #{index} ({kind}): field {error.field_name} {error}"
        if len(counts.rejections) < MAX_REJECTIONS_KEPT:
            counts.rejections.append({"record": index, "type": kind, "field": error.field_name, "message": message})
        logger.warning("sync %s rejected a record: %s", context.run_id, message)

    def _accept(self, context: RunContext, item: object, index: int, batch: _Batch, counts: _Counts) -> None:
        kind = type(item).__name__
        try:
            if isinstance(item, MetricPoint):
                row = self._metric_row(context, item)
                batch.metrics[(row["metric"], row["day"])] = row
            elif isinstance(item, Post):
                post = self._post_row(context, item)
                batch.posts[post["external_id"]] = post
            elif isinstance(item, Mention):
                mention = self._mention_row(context, item)
                batch.mentions[mention["external_id"]] = mention
            else:
                raise RecordRejected("type", f"{kind} is not a record type of plugins.sdk")
        except RecordRejected as error:
            self._reject(context, counts, index, kind, error)

    def _metric_row(self, context: RunContext, point: MetricPoint) -> dict[str, Any]:
        declaration, value = context.validator.metric(point)
        return {
            "tenant_id": context.tenant_id,
            "account_id": context.account_id,
            "metric": declaration.canonical,
            "day": point.day,
            "value": value,
            "native_metric": point.native_metric,
            "quality": point.quality,
            "fetched_at": utcnow(),
            "sync_run_id": context.run_id,
        }

    def _post_row(self, context: RunContext, post: Post) -> dict[str, Any]:
        return {
            "tenant_id": context.tenant_id,
            "id": new_id(),
            "account_id": context.account_id,
            **context.validator.post(post),
            "fetched_at": utcnow(),
        }

    def _mention_row(self, context: RunContext, mention: Mention) -> dict[str, Any]:
        return {
            "tenant_id": context.tenant_id,
            "id": new_id(),
            "client_id": context.client_id,
            "account_id": context.account_id,
            "source": context.connector.id,
            **context.validator.mention(mention),
            "fetched_at": utcnow(),
        }

    async def _flush(
        self, context: RunContext, batch: _Batch, counts: _Counts, *, state: dict[str, Any] | None
    ) -> None:
        if not len(batch) and state is None:
            return
        try:
            if batch.mentions:
                await self._analyse(context, list(batch.mentions.values()))
            await self._write(context, batch, counts, state)
            if batch.metrics:
                self.on_data_changed(context.tenant_id)
        except OperationalError:
            # The database went away (restarted, unreachable), not the run's data: the run is not ended as failed
            # but left claimed, like one whose worker died, and taken over from its last checkpoint once its
            # heartbeat is stale; as when the run could not even be read or ended for the same reason.
            logger.warning("sync %s lost the database; it is taken over later", context.run_id, exc_info=True)
            raise
        except Exception as error:
            logger.exception("sync %s could not store a batch", context.run_id)
            raise StorageError(
                f"storing the records failed ({type(error).__name__}); the next run resumes from the last checkpoint"
            ) from error

    async def warm_up(self) -> None:
        """Load the sentiment analyser's models in a thread, before the first sync needs them."""
        await asyncio.to_thread(warm_up, self.analyzer)

    async def _analyse(self, context: RunContext, rows: list[dict[str, Any]]) -> None:
        """Label the mentions that need it: new ones, and stored ones whose text changed or that have no label."""
        async with self.database.tenant_session(context.tenant_id) as session:
            keys = [(row["source"], row["external_id"]) for row in rows]
            stored = await stored_labels(session, context.client_id, keys)
        to_analyse = carry_stored_labels(rows, stored)
        if to_analyse:
            # CPU-bound (about 0.1 to 0.5 ms a mention): off the event loop, which may be serving requests.
            await asyncio.to_thread(analyse_mention_rows, self.analyzer, to_analyse)

    async def _write(self, context: RunContext, batch: _Batch, counts: _Counts, state: dict[str, Any] | None) -> None:
        async with self.database.tenant_session(context.tenant_id) as session:
            await store.upsert_metric_points(session, list(batch.metrics.values()))
            await store.upsert_posts(session, list(batch.posts.values()))
            await store.upsert_mentions(session, list(batch.mentions.values()))
            await record_facts(  # billed with the batch, in its transaction: each mention once, ever
                session,
                meter="mentions_analysed",
                facts=[
                    (mention_key(context.client_id, row["source"], row["external_id"]), context.client_id, 1)
                    for row in batch.mentions.values()
                ],
            )
            counts.metrics += len(batch.metrics)
            counts.posts += len(batch.posts)
            counts.mentions += len(batch.mentions)
            if state is not None and context.resumable:
                await session.execute(
                    update(SocialAccount)
                    .where(
                        col(SocialAccount.tenant_id) == context.tenant_id,
                        col(SocialAccount.id) == context.account_id,
                    )
                    .values(sync_state=state)
                )
            await session.execute(
                update(SyncRun)
                .where(col(SyncRun.tenant_id) == context.tenant_id, col(SyncRun.id) == context.run_id)
                .values(
                    heartbeat_at=utcnow(),
                    metrics_count=counts.metrics,
                    posts_count=counts.posts,
                    mentions_count=counts.mentions,
                    rejected_count=counts.rejected,
                )
            )

    def _describe_failure(self, context: RunContext, error: BaseException) -> str:
        if isinstance(error, TimeoutError):
            return (
                f"connector {context.connector.id} did not finish within {self.timeout_seconds:g} s; "
                "the run was stopped and will resume from its last checkpoint"
            )
        if isinstance(error, StorageError):
            return str(error)
        return f"connector {context.connector.id} raised {type(error).__name__}: {error}"

    async def _finish(self, context: RunContext, counts: _Counts, error: BaseException | None, elapsed: float) -> str:
        now = utcnow()
        if error is not None:
            status = "failed"
        elif counts.rejected:
            status = "partial"
        else:
            status = "succeeded"
        message = self._describe_failure(context, error) if error is not None else None
        if error is not None:
            logger.warning("sync %s failed: %s", context.run_id, message)
            if not isinstance(error, StorageError):  # ours, not the connector's
                connector_failed(context.connector.id, error)
        elif counts.rejected:
            message = f"{counts.rejected} record(s) rejected; see rejections"
        async with self.database.tenant_session(context.tenant_id) as session:
            run = await session.get(SyncRun, (context.tenant_id, context.run_id))
            account = await session.get(SocialAccount, (context.tenant_id, context.account_id))
            if run is not None:
                run.status, run.finished_at, run.error = status, now, message
                run.duration_ms = int(elapsed * 1000)
                run.metrics_count, run.posts_count = counts.metrics, counts.posts
                run.mentions_count, run.rejected_count = counts.mentions, counts.rejected
                run.rejections = counts.rejections
                if status == "failed":
                    await webhook_events.sync_failed(session, run, account)
            if run is not None and status != "failed":
                await record_usage(
                    session, meter="syncs", quantity=1, key=f"sync_run:{run.id}", client_id=context.client_id
                )
                await record_usage(
                    session,
                    meter="tracked_accounts",
                    quantity=1,
                    key=f"tracked_account:{context.account_id}:{now.date().isoformat()}",
                    client_id=context.client_id,
                )
            if account is not None:
                account.next_sync_at = now + self.interval
                if isinstance(error, AuthenticationError):
                    newly = account.status != "needs_reauth"
                    account.status = "needs_reauth"
                    account.status_reason = f"{context.connector.id} refused the credentials: {error}"
                    if newly:
                        await webhook_events.account_needs_reauth(session, account)
                elif isinstance(error, RateLimitedError) and error.retry_after:
                    account.next_sync_at = now + timedelta(seconds=error.retry_after)
                if error is None:
                    account.last_synced_at = now
        return status
