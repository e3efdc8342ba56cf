# Over 400 lines on purpose: flows, stocks and rates share the definitions below and the driver computation.
"""Where an objective stands: value so far, pace, forecast, status, and what drags it when off track.

Independent of HTTP: the alerting code calls `objective_status` for its `objective_off_track` rule.

Definitions (days are whole calendar days; `as_of` = min(today, end); `elapsed` = days from start to as_of
included; `total` = days of the period):

- **flows** (metrics aggregated by `sum`: impressions, reactions…): value = Σ daily values from start to
  as_of (a day without data counts 0); expected by now = target × elapsed ÷ total; forecast = value ÷
  elapsed × total (the period-to-date daily average kept up to the end).
- **stocks** (aggregated by `last`: followers): the target is the level to reach. value = Σ over accounts of
  each one's latest value on or before as_of; baseline = Σ of each one's latest value on or before start
  (else its first in the period); expected by now = baseline + (target − baseline) × elapsed ÷ total;
  forecast = Σ over accounts of latest + daily trend × days left, the trend being the change over the
  last 14 days (from max(as_of − 14, start), or the account's first value after it) ÷ the days between.
- **engagement_rate**: Σ engagements ÷ Σ reach over the period to date (÷ Σ impressions when the scope
  has no reach); expected by now = target; forecast = the rate so far.

Status: `not_started` before start; `achieved` once an at-least target is reached (a flow cannot un-reach
it; a stock or rate is judged on its latest value), and for at-most targets when the period ends within
the limit; `missed` when the period ended short (or a flow already exceeded an at-most limit);
otherwise `on_track` when the forecast meets the target, `off_track` when it does not; `no_data` when a
stock or rate has no value yet.

Driver (when off track): each account gets a share of the objective — flows: its share of the metric
over the same number of days just before start (equal shares when there is none); stocks: its share of
the baseline; rates: its share of the denominator — and an expected-by-now amount from that share.
The driver is the account whose shortfall (expected − actual, or actual − expected for at-most
targets; for rates target × its denominator − its engagements) is the largest.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.metrics.models import StoredMetricPoint
from api.objectives.models import Objective
from api.roi.money import exact
from plugins.sdk import CanonicalMetric, built_in_metrics

ENGAGEMENT_RATE = "engagement_rate"
DERIVED_METRICS = (ENGAGEMENT_RATE,)
TREND_DAYS = 14
Kind = Literal["flow", "stock", "rate"]
Series = dict[tuple[uuid.UUID, str], list[tuple[date, Decimal]]]
"""(account, metric) → [(day, value)] by day."""
Status = Literal["not_started", "on_track", "off_track", "achieved", "missed", "no_data"]


@dataclass(frozen=True)
class Contribution:
    """One account's part of an objective: what it did against what its share called for."""

    account_id: uuid.UUID
    network: str
    handle: str
    share: Decimal
    actual: Decimal
    expected: Decimal
    shortfall: Decimal
    """Positive when the account is behind its share (over it, for at-most targets)."""


@dataclass(frozen=True)
class ObjectiveProgress:
    """An objective's standing on one day."""

    objective_id: uuid.UUID
    client_id: uuid.UUID
    metric: str
    kind: Kind
    direction: str
    target: Decimal
    start: date
    end: date
    as_of: date
    elapsed_days: int
    total_days: int
    value: Decimal | None
    baseline: Decimal | None
    expected_by_now: Decimal | None
    forecast: Decimal | None
    percent_of_target: Decimal | None
    status: Status
    contributions: list[Contribution]
    driver: Contribution | None
    denominator: str | None = None
    """For engagement_rate: `reach` or `impressions`."""

    @property
    def off_track(self) -> bool:
        """True when the forecast misses the target while there is still time."""
        return self.status == "off_track"

    @property
    def forecast_gap(self) -> Decimal | None:
        """forecast ÷ target − 1 (negative: short of an at-least target); None without both."""
        if self.forecast is None or self.target == 0:
            return None
        with exact():
            return self.forecast / self.target - 1

    @property
    def shortfall_ratio(self) -> Decimal | None:
        """How far the forecast falls short of the target, as a fraction of it (over it, for at-most targets);
        negative when it does better. None without a forecast or with a zero target."""
        gap = self.forecast_gap
        if gap is None:
            return None
        return gap if self.direction == "at_most" else -gap

    def off_track_beyond(self, tolerance: Decimal | float) -> bool:
        """Off track by more than `tolerance` (0.1: the forecast misses the target by more than 10 %)."""
        ratio = self.shortfall_ratio
        return self.status == "off_track" and ratio is not None and ratio > Decimal(str(tolerance))

    @property
    def summary(self) -> str:
        """One sentence on where the objective stands."""
        verb = "at least" if self.direction == "at_least" else "at most"
        text = (
            f"{self.metric} {verb} {_short(self.target)} by {self.end}: "
            f"{_short(self.value)} on {self.as_of}, forecast {_short(self.forecast)} ({self.status.replace('_', ' ')})"
        )
        if self.driver is not None:
            driver = self.driver
            text += f"; main driver {driver.network}/{driver.handle}, {_short(driver.shortfall)} behind its share"
        return text + "."


def _short(value: Decimal | None) -> str:
    if value is None:
        return "n/a"
    return f"{value.quantize(Decimal('0.01')).normalize():f}"


def _decimal(value: float) -> Decimal:
    """A stored float through its shortest decimal text, so sums carry no binary noise."""
    return Decimal(repr(float(value)))


def kind_of(metric: str, catalog: Mapping[str, CanonicalMetric]) -> Kind:
    """flow, stock or rate."""
    if metric in DERIVED_METRICS:
        return "rate"
    definition = catalog.get(metric)
    return "stock" if definition is not None and definition.aggregation == "last" else "flow"


async def _scope(session: AsyncSession, objective: Objective) -> list[SocialAccount]:
    statement = select(SocialAccount).where(
        col(SocialAccount.client_id) == objective.client_id, col(SocialAccount.kind) == "owned"
    )
    if objective.account_id is not None:
        statement = statement.where(col(SocialAccount.id) == objective.account_id)
    if objective.network is not None:
        statement = statement.where(col(SocialAccount.network) == objective.network)
    return list((await session.scalars(statement.order_by(col(SocialAccount.id)))).all())


async def _points(
    session: AsyncSession, accounts: list[SocialAccount], metrics: tuple[str, ...], first: date, last: date
) -> Series:
    """The points of days in [first, last]."""
    series: Series = defaultdict(list)
    if not accounts:
        return series
    statement = (
        sa_select(
            col(StoredMetricPoint.account_id),
            col(StoredMetricPoint.metric),
            col(StoredMetricPoint.day),
            col(StoredMetricPoint.value),
        )
        .where(
            col(StoredMetricPoint.account_id).in_([a.id for a in accounts]),
            col(StoredMetricPoint.metric).in_(metrics),
            col(StoredMetricPoint.day) >= first,
            col(StoredMetricPoint.day) <= last,
        )
        .order_by(col(StoredMetricPoint.day))
    )
    for account_id, metric, day, value in (await session.execute(statement)).all():
        series[(account_id, metric)].append((day, _decimal(value)))
    return series


def _contribution(
    account: SocialAccount, share: Decimal, actual: Decimal, expected: Decimal, at_most: bool
) -> Contribution:
    with exact():
        shortfall = actual - expected if at_most else expected - actual
    return Contribution(account.id, account.network, account.handle, share, actual, expected, shortfall)


def _shares(weights: dict[uuid.UUID, Decimal]) -> dict[uuid.UUID, Decimal]:
    total = sum(weights.values(), Decimal(0))
    with exact():
        if total > 0:
            return {key: weight / total for key, weight in weights.items()}
        return {key: Decimal(1) / len(weights) for key in weights} if weights else {}


def _flow(
    objective: Objective, accounts: list[SocialAccount], series: Series, as_of: date, elapsed: int, total: int
) -> tuple[Decimal, None, Decimal, Decimal, list[Contribution]]:
    before = objective.start - timedelta(days=total)
    actual: dict[uuid.UUID, Decimal] = {}
    previous: dict[uuid.UUID, Decimal] = {}
    with exact():
        for account in accounts:
            points = series.get((account.id, objective.metric), [])
            actual[account.id] = sum((v for d, v in points if objective.start <= d <= as_of), Decimal(0))
            previous[account.id] = sum((v for d, v in points if before <= d < objective.start), Decimal(0))
        value = sum(actual.values(), Decimal(0))
        expected = objective.target * elapsed / total
        forecast = value / elapsed * total
        shares = _shares(previous)
        at_most = objective.direction == "at_most"
        contributions = [
            _contribution(a, shares[a.id], actual[a.id], expected * shares[a.id], at_most) for a in accounts
        ]
    return value, None, expected, forecast, contributions


def _last_on_or_before(points: list[tuple[date, Decimal]], day: date) -> tuple[date, Decimal] | None:
    found = None
    for point in points:
        if point[0] > day:
            break
        found = point
    return found


def _stock(
    objective: Objective, accounts: list[SocialAccount], series: Series, as_of: date, elapsed: int, total: int
) -> tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None, list[Contribution]]:
    current: dict[uuid.UUID, Decimal] = {}
    baseline: dict[uuid.UUID, Decimal] = {}
    forecast: dict[uuid.UUID, Decimal] = {}
    with exact():
        for account in accounts:
            points = series.get((account.id, objective.metric), [])
            latest = _last_on_or_before(points, as_of)
            if latest is None:
                continue
            in_period = [p for p in points if p[0] >= objective.start]
            base = _last_on_or_before(points, objective.start) or (in_period[0] if in_period else latest)
            reference_day = max(as_of - timedelta(days=TREND_DAYS), objective.start)
            reference = _last_on_or_before(points, reference_day) or next(p for p in points if p[0] > reference_day)
            days = (latest[0] - reference[0]).days
            slope = (latest[1] - reference[1]) / days if days > 0 else Decimal(0)
            current[account.id] = latest[1]
            baseline[account.id] = base[1]
            forecast[account.id] = latest[1] + slope * (objective.end - latest[0]).days
        if not current:
            return None, None, None, None, []
        value = sum(current.values(), Decimal(0))
        start_level = sum(baseline.values(), Decimal(0))
        progress = Decimal(elapsed) / total
        expected = start_level + (objective.target - start_level) * progress
        shares = _shares(baseline)
        at_most = objective.direction == "at_most"
        contributions = [
            _contribution(
                a,
                shares[a.id],
                current[a.id],
                baseline[a.id] + (objective.target - start_level) * shares[a.id] * progress,
                at_most,
            )
            for a in accounts
            if a.id in current
        ]
    return value, start_level, expected, sum(forecast.values(), Decimal(0)), contributions


def _rate(
    objective: Objective, accounts: list[SocialAccount], series: Series, as_of: date
) -> tuple[Decimal | None, str, list[Contribution]]:
    def total(account: SocialAccount, metric: str) -> Decimal:
        return sum((v for d, v in series.get((account.id, metric), []) if objective.start <= d <= as_of), Decimal(0))

    with exact():
        reach = {a.id: total(a, "reach") for a in accounts}
        denominator = "reach" if sum(reach.values(), Decimal(0)) > 0 else "impressions"
        base = reach if denominator == "reach" else {a.id: total(a, "impressions") for a in accounts}
        engagements = {a.id: total(a, "engagements") for a in accounts}
        overall = sum(base.values(), Decimal(0))
        value = sum(engagements.values(), Decimal(0)) / overall if overall > 0 else None
        shares = _shares(base)
        at_most = objective.direction == "at_most"
        contributions = [
            _contribution(a, shares[a.id], engagements[a.id], objective.target * base[a.id], at_most) for a in accounts
        ]
    return value, denominator, contributions


def _status(
    kind: Kind, at_most: bool, value: Decimal | None, forecast: Decimal | None, target: Decimal, over: bool
) -> Status:
    if value is None or forecast is None:
        return "missed" if over else "no_data"
    if kind == "flow" and at_most and value > target:
        return "missed"
    if kind == "flow" and not at_most and value >= target:
        return "achieved"
    if over:
        met = value <= target if at_most else value >= target
        return "achieved" if met else "missed"
    if not at_most and value >= target:
        return "achieved"
    meets = forecast <= target if at_most else forecast >= target
    return "on_track" if meets else "off_track"


async def find_objective(session: AsyncSession, client_id: uuid.UUID, objective_id: uuid.UUID) -> Objective | None:
    """The client's objective in the session's tenant, or None."""
    statement = select(Objective).where(col(Objective.id) == objective_id, col(Objective.client_id) == client_id)
    return (await session.scalars(statement)).first()


async def objective_status(
    session: AsyncSession,
    objective: Objective,
    today: date,
    *,
    catalog: Mapping[str, CanonicalMetric] | None = None,
) -> ObjectiveProgress:
    """The objective's progress, forecast and status as of `today` (the client's day).

    `catalog` tells flows from stocks (the registry's `services.registry.metrics`; default: the built-in one).
    The session must be the objective's tenant session.
    """
    catalog = catalog if catalog is not None else built_in_metrics()
    kind = kind_of(objective.metric, catalog)
    total = (objective.end - objective.start).days + 1
    as_of = min(today, objective.end)
    elapsed = max((as_of - objective.start).days + 1, 0)
    accounts = await _scope(session, objective)
    at_most = objective.direction == "at_most"
    value: Decimal | None = None
    baseline: Decimal | None = None
    expected: Decimal | None = None
    forecast: Decimal | None = None
    denominator: str | None = None
    contributions: list[Contribution] = []
    status: Status = "not_started"
    if elapsed > 0:
        if kind == "flow":
            first = objective.start - timedelta(days=total)
            series = await _points(session, accounts, (objective.metric,), first, as_of)
            value, baseline, expected, forecast, contributions = _flow(
                objective, accounts, series, as_of, elapsed, total
            )
        elif kind == "stock":
            first = objective.start - timedelta(days=max(total, TREND_DAYS))
            series = await _points(session, accounts, (objective.metric,), first, as_of)
            value, baseline, expected, forecast, contributions = _stock(
                objective, accounts, series, as_of, elapsed, total
            )
        else:
            series = await _points(session, accounts, ("engagements", "reach", "impressions"), objective.start, as_of)
            value, denominator, contributions = _rate(objective, accounts, series, as_of)
            expected, forecast = objective.target, value
        status = _status(kind, at_most, value, forecast, objective.target, today > objective.end)
    with exact():
        percent = value / objective.target * 100 if value is not None and objective.target != 0 else None
    behind = [c for c in contributions if c.shortfall > 0] if status == "off_track" else []
    return ObjectiveProgress(
        objective_id=objective.id,
        client_id=objective.client_id,
        metric=objective.metric,
        kind=kind,
        direction=objective.direction,
        target=objective.target,
        start=objective.start,
        end=objective.end,
        as_of=as_of,
        elapsed_days=elapsed,
        total_days=total,
        value=value,
        baseline=baseline,
        expected_by_now=expected,
        forecast=forecast,
        percent_of_target=percent,
        status=status,
        contributions=contributions,
        driver=max(behind, key=lambda c: c.shortfall) if behind else None,
        denominator=denominator,
    )
