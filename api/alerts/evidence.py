"""What the alert detectors read from the database, and what an opened alert shows as its evidence.

The client's daily mention counts by sentiment (and one account's, for a rule that watches it), the last post
before a day for the silence rule, and the window's most negative mentions and the topics (aspects) of its
negative mentions that an alert carries; days are the client's, in its time zone.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, distinct, func, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.alerts import detection
from api.alerts.baselines import DEFAULT_BASELINE_WEEKS, DayCounts, MentionSeries
from api.alerts.detection import Detection
from api.alerts.models import AlertRule
from api.clients.models import Client
from api.content.models import StoredMention, StoredPost
from api.sentiment.aspect_report import aspect_rows

TOP_MENTIONS = 5
TOP_ASPECTS = 5
"""How many topics of the window's negative mentions an alert names."""
EXCERPT_CHARS = 280
MENTION_KINDS = ("mention_spike", "negative_share_spike", "sentiment_drop")


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, zone).astimezone(UTC)


def account_filter(rule: AlertRule) -> uuid.UUID | None:
    """The account a rule watches (`params.account_id`), or None for the whole client."""
    raw = rule.params.get("account_id")
    return uuid.UUID(str(raw)) if raw else None


async def mention_series(
    session: AsyncSession,
    client: Client,
    rules: Sequence[AlertRule],
    date_from: date,
    date_to: date,
    zone: ZoneInfo,
) -> dict[uuid.UUID | None, MentionSeries]:
    """Daily mention counts by sentiment for the client (key None) and each account a rule filters on."""
    mention_rules = [rule for rule in rules if rule.kind in MENTION_KINDS]
    if not mention_rules:
        return {}
    weeks = max(int(rule.params.get("baseline_weeks", DEFAULT_BASELINE_WEEKS)) for rule in mention_rules)
    keys = {account_filter(rule) for rule in mention_rules}
    first_day = date_from - timedelta(weeks=weeks)
    start, end = _day_start(first_day, zone), _day_start(date_to + timedelta(days=1), zone)
    rows = await session.execute(
        select(StoredMention.account_id, StoredMention.published_at, StoredMention.sentiment_label).where(
            StoredMention.client_id == client.id,
            col(StoredMention.published_at) >= start,
            col(StoredMention.published_at) < end,
        )
    )
    tallies: dict[uuid.UUID | None, dict[date, dict[str, int]]] = {key: defaultdict(dict) for key in keys}
    for account_id, published_at, label in rows.all():
        day = published_at.astimezone(zone).date()
        bucket = label if label in ("positive", "negative", "neutral") else "unlabelled"
        for key in {None, account_id}:  # the client's series, and the account's when a rule watches it
            if key in tallies:
                counts = tallies[key][day]
                counts[bucket] = counts.get(bucket, 0) + 1
    series: dict[uuid.UUID | None, MentionSeries] = {}
    for key in keys:
        first = select(func.min(StoredMention.published_at)).where(StoredMention.client_id == client.id)
        if key is not None:
            first = first.where(StoredMention.account_id == key)
        earliest = (await session.execute(first)).scalar_one_or_none()
        series[key] = MentionSeries(
            days={day: DayCounts(**counts) for day, counts in tallies[key].items()},
            first_day=earliest.astimezone(zone).date() if earliest is not None else None,
        )
    return series


async def silence_detection(
    session: AsyncSession, client: Client, rule: AlertRule, today: date, zone: ZoneInfo
) -> Detection:
    """The silence detector fed with the last post of the watched account(s) before the end of `today`."""
    account_id = account_filter(rule)
    statement = select(SocialAccount).where(SocialAccount.client_id == client.id)
    if account_id is not None:
        statement = statement.where(SocialAccount.id == account_id)
    else:
        statement = statement.where(SocialAccount.kind == "owned")
    accounts = list((await session.scalars(statement)).all())
    if not accounts:
        return detection.detect_silence(None, None, today, days=int(rule.params["days"]))
    end = _day_start(today + timedelta(days=1), zone)
    last = (
        await session.execute(
            select(func.max(StoredPost.published_at)).where(
                col(StoredPost.account_id).in_([account.id for account in accounts]), col(StoredPost.published_at) < end
            )
        )
    ).scalar_one_or_none()
    since = min(account.created_at for account in accounts).astimezone(zone).date()
    found = detection.detect_silence(
        last.astimezone(zone).date() if last is not None else None,
        since,
        today,
        days=int(rule.params["days"]),
    )
    found.extra["accounts"] = [
        {"id": str(account.id), "network": account.network, "handle": account.handle} for account in accounts
    ]
    return found


async def alert_evidence(
    session: AsyncSession, client: Client, rule: AlertRule, found: Detection, zone: ZoneInfo
) -> dict[str, Any]:
    """The detection's evidence plus the window (in the client's time zone) and, for mentions, the top ones and
    the topics that carry the window's negative mentions."""
    start = datetime.combine(found.day, time.min, zone)
    end = datetime.combine(found.day + timedelta(days=1), time.min, zone)
    evidence = found.evidence()
    evidence["window"] = {"start": start.isoformat(), "end": end.isoformat(), "timezone": client.timezone}
    evidence["sensitivity"] = rule.sensitivity if rule.kind in MENTION_KINDS else None
    evidence["params"] = dict(rule.params)
    if rule.kind in MENTION_KINDS:
        evidence["top_mentions"] = await _top_mentions(session, client, rule, start, end)
        evidence["negative_aspects"] = await _negative_aspects(session, client, rule, start, end)
    return evidence


async def _top_mentions(
    session: AsyncSession, client: Client, rule: AlertRule, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """The window's most negative mentions first (by label, then score), newest first among equals."""
    statement = select(StoredMention).where(
        StoredMention.client_id == client.id,
        col(StoredMention.published_at) >= start.astimezone(UTC),
        col(StoredMention.published_at) < end.astimezone(UTC),
    )
    account_id = account_filter(rule)
    if account_id is not None:
        statement = statement.where(StoredMention.account_id == account_id)
    statement = statement.order_by(
        case((col(StoredMention.sentiment_label) == "negative", 0), else_=1),
        col(StoredMention.sentiment_score).is_(None),
        col(StoredMention.sentiment_score),
        col(StoredMention.published_at).desc(),
        col(StoredMention.id),
    ).limit(TOP_MENTIONS)
    mentions = (await session.scalars(statement)).all()
    return [
        {
            "id": str(mention.id),
            "account_id": str(mention.account_id) if mention.account_id else None,
            "published_at": mention.published_at.isoformat(),
            "excerpt": mention.text[:EXCERPT_CHARS],
            "url": mention.url,
            "sentiment_label": mention.sentiment_label,
            "sentiment_score": mention.sentiment_score,
        }
        for mention in mentions
    ]


async def _negative_aspects(
    session: AsyncSession, client: Client, rule: AlertRule, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """The aspects of the window's negative mentions with how many each carries, most first, then by name;
    at most `TOP_ASPECTS` (api/sentiment/aspects.py tags them)."""
    aspect = aspect_rows(session)
    mentions = func.count(distinct(col(StoredMention.id)))
    statement = (
        select(aspect.c.value, mentions)
        .select_from(StoredMention)
        .join(aspect, true())
        .where(
            StoredMention.client_id == client.id,
            StoredMention.sentiment_label == "negative",
            col(StoredMention.published_at) >= start.astimezone(UTC),
            col(StoredMention.published_at) < end.astimezone(UTC),
        )
        .group_by(aspect.c.value)
        .order_by(mentions.desc(), aspect.c.value)
        .limit(TOP_ASPECTS)
    )
    account_id = account_filter(rule)
    if account_id is not None:
        statement = statement.where(StoredMention.account_id == account_id)
    return [{"aspect": name, "negative": count} for name, count in (await session.execute(statement)).all()]
