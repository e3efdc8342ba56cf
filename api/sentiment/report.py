"""The sentiment report: mentions per label and net sentiment per period, with the extremes."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.content.models import StoredMention
from api.sentiment.periods import Granularity, local_day_bounds, period_start, period_starts
from api.sentiment.provenance import Provenance
from api.sentiment.schemas import LabelledBy, SentimentPeriod, SentimentTotals

LABELS = ("positive", "negative", "neutral")


def net_sentiment(positive: int, negative: int, total: int) -> float | None:
    """(positive - negative) ÷ total, rounded to 4 places; None when there is nothing to divide by."""
    if total == 0:
        return None
    return round((positive - negative) / total, 4)


@dataclass(frozen=True)
class MentionFilter:
    """Which of a client's mentions a report covers."""

    client_id: uuid.UUID
    first: date
    last: date
    zone: ZoneInfo
    account_id: uuid.UUID | None = None
    network: str | None = None
    language: str | None = None

    def where(self) -> list[Any]:
        """The SQL conditions of this filter."""
        start, end = local_day_bounds(self.first, self.last, self.zone)
        conditions: list[Any] = [
            StoredMention.client_id == self.client_id,
            col(StoredMention.published_at) >= start,
            col(StoredMention.published_at) < end,
        ]
        if self.account_id is not None:
            conditions.append(StoredMention.account_id == self.account_id)
        if self.network is not None:
            conditions.append(StoredMention.source == self.network)
        if self.language is not None:
            conditions.append(StoredMention.language == self.language)
        return conditions


async def label_counts(
    session: AsyncSession, selection: MentionFilter, granularity: Granularity
) -> tuple[list[SentimentPeriod], SentimentTotals]:
    """Counts per label in every period of the window (empty periods included), and over the window."""
    statement = select(col(StoredMention.published_at), col(StoredMention.sentiment_label)).where(*selection.where())
    per_period: dict[date, Counter[str]] = {
        start: Counter() for start in period_starts(selection.first, selection.last, granularity)
    }
    unlabelled = 0
    for published_at, label in (await session.execute(statement)).all():
        if label not in LABELS:
            unlabelled += 1
            continue
        local_day = published_at.astimezone(selection.zone).date()
        per_period[period_start(local_day, granularity)][label] += 1
    periods = []
    overall: Counter[str] = Counter()
    for start, counts in per_period.items():
        overall.update(counts)
        total = sum(counts[label] for label in LABELS)
        periods.append(
            SentimentPeriod(
                period_start=start,
                positive=counts["positive"],
                negative=counts["negative"],
                neutral=counts["neutral"],
                total=total,
                net_sentiment=net_sentiment(counts["positive"], counts["negative"], total),
            )
        )
    total = sum(overall[label] for label in LABELS)
    totals = SentimentTotals(
        positive=overall["positive"],
        negative=overall["negative"],
        neutral=overall["neutral"],
        total=total,
        net_sentiment=net_sentiment(overall["positive"], overall["negative"], total),
        unlabelled=unlabelled,
    )
    return periods, totals


async def extremes(session: AsyncSession, selection: MentionFilter, label: str, top: int) -> list[StoredMention]:
    """The `top` mentions with `label` and the most extreme score; ties go to the newest, then the lowest id."""
    score = col(StoredMention.sentiment_score)
    statement = (
        select(StoredMention)
        .where(*selection.where(), StoredMention.sentiment_label == label)
        .order_by(
            score.desc() if label == "positive" else score.asc(),
            col(StoredMention.published_at).desc(),
            col(StoredMention.id).asc(),
        )
        .limit(top)
    )
    return list((await session.scalars(statement)).all())


async def labelled_by(session: AsyncSession, selection: MentionFilter, current: Provenance) -> list[LabelledBy]:
    """The analysers that gave the selected mentions their labels, with their counts, most first."""
    analyzer, version = col(StoredMention.sentiment_analyzer), col(StoredMention.sentiment_version)
    count = func.count()
    statement = (
        select(analyzer, version, count)
        .where(*selection.where(), col(StoredMention.sentiment_label).is_not(None))
        .group_by(analyzer, version)
    )
    rows = sorted((await session.execute(statement)).all(), key=lambda row: (-row[2], row[0] or "", row[1] or ""))
    return [
        LabelledBy(
            analyzer=name,
            version=release,
            mentions=mentions,
            current=(name, release) == (current.analyzer, current.version),
        )
        for name, release, mentions in rows
    ]
