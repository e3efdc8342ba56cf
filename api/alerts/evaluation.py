"""Evaluating a client's alert rules: load its daily series, run the detectors, open alerts with cooldown.

What the detectors read from the database and what an opened alert shows is api/alerts/evidence.py.

Runs after every sync of one of the client's accounts (over the last `lookback_days` days, today
included, in the client's time zone) and on demand over a chosen range. Evaluating the same data twice
opens nothing new: one alert per rule and day at most (a unique key), and the cooldown around every
existing alert of the rule.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.alerts import detection
from api.alerts.baselines import DEFAULT_BASELINE_WEEKS, MentionSeries
from api.alerts.detection import Detection, Sensitivity
from api.alerts.evidence import MENTION_KINDS, account_filter, alert_evidence, mention_series, silence_detection
from api.alerts.lifecycle import EventCallback, no_event, open_alert
from api.alerts.models import Alert, AlertRule
from api.clients.models import Client
from tenants.audit import Actor
from tenants.database import Database
from tenants.ids import utcnow

logger = logging.getLogger("resonance.alerts")

SYSTEM_ACTOR = Actor(label="system:alert-evaluation")


@dataclass(frozen=True)
class ObjectiveVerdict:
    """What the objectives module says about one objective on one day."""

    objective_id: uuid.UUID
    off_track: bool
    summary: str
    """A sentence: where the objective stands against the pace it needs."""
    observed: float | None = None
    expected: float | None = None
    details: dict[str, Any] = field(default_factory=dict)


class ObjectiveChecker(Protocol):
    """Checks an objective for `objective_off_track` rules (the objectives module provides the real one)."""

    async def check(
        self, session: AsyncSession, *, client_id: uuid.UUID, objective_id: uuid.UUID, tolerance: float, day: date
    ) -> ObjectiveVerdict | None:
        """The objective's verdict on `day`, or None when there is no such objective of the client."""
        ...


class NoObjectives:
    """The checker used until objectives exist: it knows no objective, so these rules never fire."""

    async def check(
        self, session: AsyncSession, *, client_id: uuid.UUID, objective_id: uuid.UUID, tolerance: float, day: date
    ) -> ObjectiveVerdict | None:
        return None


@dataclass(frozen=True)
class Held:
    """A firing that opened no alert."""

    rule_id: uuid.UUID
    bucket: date
    reason: Literal["already_alerted", "cooldown"]


@dataclass
class Evaluation:
    """The outcome of evaluating one client's rules over a range of days."""

    client_id: uuid.UUID
    date_from: date
    date_to: date
    rules_evaluated: int = 0
    opened: list[Alert] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)


def local_today(client: Client, now: datetime | None = None) -> date:
    """Today in the client's time zone."""
    return (now or utcnow()).astimezone(ZoneInfo(client.timezone)).date()


class AlertEvaluator:
    """Evaluates rules; holds the event callback and the objective checker the app plugs in."""

    def __init__(
        self,
        database: Database,
        *,
        lookback_days: int = 3,
        on_event: EventCallback = no_event,
        objective_checker: ObjectiveChecker | None = None,
    ) -> None:
        self.database = database
        self.lookback_days = max(lookback_days, 1)
        self.on_event: EventCallback = on_event
        """Awaited as `on_event(session, event_type, data)` in the transaction of each alert change."""
        self.objective_checker: ObjectiveChecker = objective_checker or NoObjectives()
        self._locks: weakref.WeakValueDictionary[tuple[uuid.UUID, uuid.UUID], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def after_sync(self, tenant_id: uuid.UUID, account_id: uuid.UUID) -> None:
        """Evaluate the rules of the account's client over the last `lookback_days` days (the sync hook)."""
        async with self.database.tenant_session(tenant_id) as session:
            account = await session.get(SocialAccount, (tenant_id, account_id))
            client = await session.get(Client, (tenant_id, account.client_id)) if account else None
        if client is None:
            return
        # Two accounts of one client finishing their syncs together would evaluate the same rules and days
        # at once: in this process they take turns (the second sees the first's alerts); across processes
        # the unique key and a savepoint (on PostgreSQL) keep one alert per rule and day.
        async with self._client_lock(tenant_id, client.id), self.database.tenant_session(tenant_id) as session:
            client = await session.get(Client, (tenant_id, client.id))
            if client is None:
                return
            evaluation = await self.evaluate(session, client, actor=SYSTEM_ACTOR)
        if evaluation.opened:
            logger.info(
                "alerts: %d opened for client %s after a sync of account %s",
                len(evaluation.opened),
                client.id,
                account_id,
            )

    def _client_lock(self, tenant_id: uuid.UUID, client_id: uuid.UUID) -> asyncio.Lock:
        return self._locks.setdefault((tenant_id, client_id), asyncio.Lock())

    def default_range(self, client: Client) -> tuple[date, date]:
        """The last `lookback_days` days, today included, in the client's time zone."""
        today = local_today(client)
        return today - timedelta(days=self.lookback_days - 1), today

    async def evaluate(
        self,
        session: AsyncSession,
        client: Client,
        *,
        actor: Actor,
        date_from: date | None = None,
        date_to: date | None = None,
        rules: Sequence[AlertRule] | None = None,
    ) -> Evaluation:
        """Evaluate the client's enabled rules over `date_from`..`date_to` and open the alerts they call for."""
        default_from, default_to = self.default_range(client)
        date_to = date_to or default_to
        date_from = date_from or min(default_from, date_to)
        if rules is None:
            rules = list(
                (
                    await session.scalars(
                        select(AlertRule)
                        .where(AlertRule.client_id == client.id, col(AlertRule.enabled).is_(True))
                        .order_by(col(AlertRule.id))
                    )
                ).all()
            )
        evaluation = Evaluation(client_id=client.id, date_from=date_from, date_to=date_to, rules_evaluated=len(rules))
        zone = ZoneInfo(client.timezone)
        series = await mention_series(session, client, rules, date_from, date_to, zone)
        for rule in rules:
            detections = await self._detect(session, client, rule, series, date_from, date_to, zone)
            await self._open(session, client, rule, detections, zone, actor, evaluation)
        return evaluation

    async def _detect(
        self,
        session: AsyncSession,
        client: Client,
        rule: AlertRule,
        series: dict[uuid.UUID | None, MentionSeries],
        date_from: date,
        date_to: date,
        zone: ZoneInfo,
    ) -> list[Detection]:
        params = rule.params
        sensitivity: Sensitivity = rule.sensitivity  # type: ignore[assignment]
        if rule.kind in MENTION_KINDS:
            days = series[account_filter(rule)]
            weeks = int(params.get("baseline_weeks", DEFAULT_BASELINE_WEEKS))
            found: list[Detection] = []
            for day in detection.days_between(date_from, date_to):
                if rule.kind == "mention_spike":
                    found.append(
                        detection.detect_mention_spike(
                            days, day, sensitivity=sensitivity, min_mentions=int(params["min_mentions"]), weeks=weeks
                        )
                    )
                elif rule.kind == "negative_share_spike":
                    found.append(
                        detection.detect_negative_share_spike(
                            days,
                            day,
                            sensitivity=sensitivity,
                            min_negative=int(params["min_negative"]),
                            min_share_increase=float(params["min_share_increase"]),
                            weeks=weeks,
                        )
                    )
                else:
                    found.append(
                        detection.detect_sentiment_drop(
                            days,
                            day,
                            sensitivity=sensitivity,
                            min_mentions=int(params["min_mentions"]),
                            min_drop=float(params["min_drop"]),
                            weeks=weeks,
                        )
                    )
            return [item for item in found if item.fired]
        if rule.kind == "silence":
            silence = await silence_detection(session, client, rule, date_to, zone)
            return [silence] if silence.fired else []
        if rule.kind == "objective_off_track":
            verdict = await self.objective_checker.check(
                session,
                client_id=client.id,
                objective_id=uuid.UUID(str(params["objective_id"])),
                tolerance=float(params.get("tolerance", 0.1)),
                day=date_to,
            )
            if verdict is None or not verdict.off_track:
                return []
            return [
                Detection(
                    kind="objective_off_track",
                    day=date_to,
                    fired=True,
                    reason=verdict.summary,
                    observed=verdict.observed,
                    threshold=verdict.expected,
                    extra={"objective": {"id": str(verdict.objective_id), **verdict.details}},
                )
            ]
        return []

    async def _open(
        self,
        session: AsyncSession,
        client: Client,
        rule: AlertRule,
        detections: list[Detection],
        zone: ZoneInfo,
        actor: Actor,
        evaluation: Evaluation,
    ) -> None:
        if not detections:
            return
        detections.sort(key=lambda item: item.day)
        reach = timedelta(hours=rule.cooldown_hours) + timedelta(days=1)
        existing = set(
            (
                await session.scalars(
                    select(col(Alert.bucket)).where(
                        Alert.rule_id == rule.id,
                        col(Alert.bucket) >= detections[0].day - reach,
                        col(Alert.bucket) <= detections[-1].day + reach,
                    )
                )
            ).all()
        )
        for found in detections:
            if found.day in existing:
                evaluation.held.append(Held(rule.id, found.day, "already_alerted"))
                continue
            if detection.in_cooldown(found.day, existing, rule.cooldown_hours):
                evaluation.held.append(Held(rule.id, found.day, "cooldown"))
                continue
            evidence = await alert_evidence(session, client, rule, found, zone)
            existing.add(found.day)
            alert = await self._open_one(session, rule, found.day, evidence, actor)
            if alert is None:
                evaluation.held.append(Held(rule.id, found.day, "already_alerted"))
            else:
                evaluation.opened.append(alert)

    async def _open_one(
        self, session: AsyncSession, rule: AlertRule, bucket: date, evidence: dict[str, Any], actor: Actor
    ) -> Alert | None:
        """Open the alert, or None when another process opened it first (PostgreSQL: rolled back to a savepoint)."""
        if session.get_bind().dialect.name != "postgresql":
            # SQLite serialises writers; a concurrent duplicate fails the transaction on the unique key instead.
            return await open_alert(session, rule, bucket, evidence, actor=actor, on_event=self.on_event)
        try:
            async with session.begin_nested():
                return await open_alert(session, rule, bucket, evidence, actor=actor, on_event=self.on_event)
        except IntegrityError:
            return None
