"""The aspect report: per topic (price, service, delivery, …), a client's mentions by sentiment label, and the
share of the window's negative mentions each topic carries; counted in SQL over the mentions' `aspects` lists."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import case, distinct, func, literal, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.auth import Principal
from api.content.models import StoredMention
from api.metrics.window import AskedDays
from api.sentiment.aspect_schemas import (
    AspectCounts,
    AspectDefinition,
    AspectPeriod,
    AspectPeriodCounts,
    AspectReport,
    AspectWindowTotals,
    UntaggedCounts,
)
from api.sentiment.aspects import ASPECTS, ASPECTS_VERSION
from api.sentiment.periods import Granularity, next_period, period_starts
from api.sentiment.report import LABELS, MentionFilter, net_sentiment
from api.sentiment.schemas import SentimentFilters
from api.sentiment.service import client_selection


def share(part: int, whole: int) -> float | None:
    """part ÷ whole rounded to 4 places; None when whole is 0."""
    return round(part / whole, 4) if whole else None


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def aspect_rows(session: AsyncSession) -> Any:
    """The mention's aspects as a table of one `value` column (one row per aspect), joined to each mention."""
    aspects = col(StoredMention.aspects)
    if _is_postgres(session):
        return func.jsonb_array_elements_text(aspects).table_valued("value")
    return func.json_each(aspects).table_valued("value")


def _aspect_count(session: AsyncSession) -> Any:
    aspects = col(StoredMention.aspects)
    return func.jsonb_array_length(aspects) if _is_postgres(session) else func.json_array_length(aspects)


async def window_counts(session: AsyncSession, selection: MentionFilter) -> tuple[Counter[str], Counter[str], int]:
    """The window's mentions per label, its untagged mentions per label, and its unlabelled mentions."""
    label = col(StoredMention.sentiment_label)
    untagged = func.sum(case((_aspect_count(session) == 0, 1), else_=0))
    statement = select(label, func.count(), untagged).where(*selection.where()).group_by(label)
    labelled: Counter[str] = Counter()
    without_aspect: Counter[str] = Counter()
    unlabelled = 0
    for name, count, none in (await session.execute(statement)).all():
        if name in LABELS:
            labelled[name] += count
            without_aspect[name] += int(none or 0)
        else:
            unlabelled += count
    return labelled, without_aspect, unlabelled


async def aspect_label_counts(session: AsyncSession, selection: MentionFilter) -> dict[str, Counter[str]]:
    """Per aspect, its labelled mentions of the window per label."""
    aspect = aspect_rows(session)
    label = col(StoredMention.sentiment_label)
    statement = (
        select(aspect.c.value, label, func.count(distinct(col(StoredMention.id))))
        .select_from(StoredMention)
        .join(aspect, true())
        .where(*selection.where(), label.in_(LABELS))
        .group_by(aspect.c.value, label)
    )
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for name, label_name, count in (await session.execute(statement)).all():
        counts[name][label_name] += count
    return counts


async def aspect_period_counts(
    session: AsyncSession, selection: MentionFilter, granularity: Granularity
) -> dict[tuple[date, str], tuple[int, int]]:
    """Per (period start, aspect), its labelled mentions and negative mentions.

    A mention's period is found in SQL by comparing its publication time with the UTC instants at which the
    periods start in the client's zone, so both backends agree without either knowing time zones.
    """
    starts = period_starts(selection.first, selection.last, granularity)
    published = col(StoredMention.published_at)
    ends = [datetime.combine(next_period(start, granularity), time.min, selection.zone) for start in starts]
    whens = [(published < end, index) for index, end in enumerate(ends[:-1])]
    period = case(*whens, else_=len(starts) - 1) if whens else literal(0)
    aspect = aspect_rows(session)
    label = col(StoredMention.sentiment_label)
    rows = (
        select(
            period.label("period"),
            aspect.c.value.label("aspect"),
            col(StoredMention.id).label("mention_id"),
            label.label("label"),
        )
        .select_from(StoredMention)
        .join(aspect, true())
        .where(*selection.where(), label.in_(LABELS))
        .subquery()
    )
    negative = case((rows.c.label == "negative", rows.c.mention_id))
    statement = select(
        rows.c.period, rows.c.aspect, func.count(distinct(rows.c.mention_id)), func.count(distinct(negative))
    ).group_by(rows.c.period, rows.c.aspect)
    return {
        (starts[index], name): (total, negatives)
        for index, name, total, negatives in (await session.execute(statement)).all()
    }


async def read_aspects(
    session: AsyncSession,
    principal: Principal,
    client_id: uuid.UUID,
    days: AskedDays,
    granularity: Granularity | None,
    *,
    account_id: uuid.UUID | None,
    network: str | None,
    language: str | None,
) -> AspectReport:
    """The aspect report of the caller's client `client_id`; another tenant's client or account is a 404."""
    client, selection = await client_selection(
        session,
        principal,
        client_id,
        days,
        granularity or "day",
        account_id=account_id,
        network=network,
        language=language,
    )
    return await aspects_of(session, selection, granularity, client.timezone)


async def aspects_of(
    session: AsyncSession, selection: MentionFilter, granularity: Granularity | None, timezone: str
) -> AspectReport:
    """The aspect report of the mentions `selection` covers (its zone named `timezone`); the route's answer."""
    labelled, untagged, unlabelled = await window_counts(session, selection)
    per_aspect = await aspect_label_counts(session, selection)
    negatives = labelled["negative"]
    aspects = [aspect_counts(name, per_aspect.get(name, Counter()), negatives) for name in ASPECTS]
    aspects += [aspect_counts(name, counts, negatives) for name, counts in per_aspect.items() if name not in ASPECTS]
    aspects.sort(key=lambda counts: (-counts.negative, counts.aspect))
    periods = None
    if granularity is not None:
        per_period = await aspect_period_counts(session, selection, granularity)
        periods = [
            AspectPeriod(
                period_start=start,
                aspects=[
                    AspectPeriodCounts(aspect=counts.aspect, mentions=total, negative=negative)
                    for counts in aspects
                    for total, negative in [per_period.get((start, counts.aspect), (0, 0))]
                ],
            )
            for start in period_starts(selection.first, selection.last, granularity)
        ]
    untagged_total = sum(untagged.values())
    return AspectReport(
        client_id=selection.client_id,
        date_from=selection.first,
        date_to=selection.last,
        granularity=granularity,
        timezone=timezone,
        filters=SentimentFilters(
            account_id=selection.account_id, network=selection.network, language=selection.language
        ),
        aspects=aspects,
        untagged=UntaggedCounts(
            mentions=untagged_total,
            positive=untagged["positive"],
            negative=untagged["negative"],
            neutral=untagged["neutral"],
            net_sentiment=net_sentiment(untagged["positive"], untagged["negative"], untagged_total),
            share_of_negative=share(untagged["negative"], negatives),
        ),
        totals=AspectWindowTotals(mentions=sum(labelled.values()), negative=negatives, unlabelled=unlabelled),
        periods=periods,
        definition=aspect_definition(granularity, timezone),
    )


def aspect_counts(name: str, counts: Counter[str], negatives: int) -> AspectCounts:
    total = counts["positive"] + counts["negative"] + counts["neutral"]
    return AspectCounts(
        aspect=name,
        mentions=total,
        positive=counts["positive"],
        negative=counts["negative"],
        neutral=counts["neutral"],
        net_sentiment=net_sentiment(counts["positive"], counts["negative"], total),
        share_of_negative=share(counts["negative"], negatives),
    )


def aspect_definition(granularity: Granularity | None, timezone: str) -> AspectDefinition:
    """The report's `definition` block: every formula, and the catalogue version that tagged the mentions."""
    return AspectDefinition(
        aspects="the topics a mention speaks of, found when it is analysed by whole-word French and English "
        "terms (case and accents ignored, plurals and hashtags included) of the aspect catalogue; a mention "
        "may have several aspects, or none; mentions stored before tagging have none until re-analysed",
        mentions="an aspect's labelled mentions: positive + negative + neutral among the window's mentions "
        "tagged with it; mentions without a sentiment label are counted in totals.unlabelled only",
        net_sentiment="(positive - negative) ÷ mentions; null when mentions is 0; rounded to 4 decimal places",
        share_of_negative="the aspect's negative mentions ÷ every negative mention of the window "
        "(totals.negative); null when there is none; rounded to 4 decimal places; a mention with several "
        "aspects counts for each, so the shares may add up to more than 1",
        untagged="the window's labelled mentions with no aspect, counted like an aspect",
        order="aspects by negative mentions, most first, then by name; every catalogue aspect is listed",
        periods=(
            f"{granularity}s in the client's time zone ({timezone}), weeks from Monday, every period listed; "
            "a mention belongs to the period of its publication time"
            if granularity
            else "not asked: send granularity=day, week or month"
        ),
        catalogue={"name": "resonance-aspects", "version": ASPECTS_VERSION},
    )
