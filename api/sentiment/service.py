"""A client's sentiment report: mentions per label and net sentiment per period, totals, and the extremes."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.clients.models import Client
from api.clients.service import get_client
from api.content.history import client_accounts
from api.content.schemas import mention_out
from api.metrics.window import AskedDays, today_in
from api.sentiment.default import POSITIVE_THRESHOLD
from api.sentiment.periods import Granularity
from api.sentiment.provenance import Provenance
from api.sentiment.report import MentionFilter, extremes, label_counts, labelled_by
from api.sentiment.schemas import SentimentDefinition, SentimentFilters, SentimentReport
from plugins.sdk import SentimentAnalyzer

MAX_PERIODS = 1000
DEFAULT_DAYS = 30


async def client_selection(
    session: AsyncSession,
    principal: Principal,
    client_id: uuid.UUID,
    days: AskedDays,
    granularity: Granularity,
    *,
    account_id: uuid.UUID | None,
    network: str | None,
    language: str | None,
) -> tuple[Client, MentionFilter]:
    """The caller's client and the mentions a report of it covers: the asked days in its time zone, the filters.

    Another tenant's client is a 404, and so is an `account_id` that is not the client's, as on every route.
    """
    client = await get_client(session, principal, client_id)
    first, last = days.resolve(today_in(client.timezone), granularity=granularity, max_periods=MAX_PERIODS)
    if account_id is not None:
        await client_accounts(session, client_id, account_id=account_id)
    selection = MentionFilter(
        client_id=client_id,
        first=first,
        last=last,
        zone=ZoneInfo(client.timezone),
        account_id=account_id,
        network=network,
        language=language,
    )
    return client, selection


async def read_sentiment(
    session: AsyncSession,
    principal: Principal,
    analyzer: SentimentAnalyzer,
    client_id: uuid.UUID,
    days: AskedDays,
    granularity: Granularity,
    *,
    account_id: uuid.UUID | None,
    network: str | None,
    language: str | None,
    top: int,
) -> SentimentReport:
    """The sentiment report of the caller's client `client_id`; `analyzer` is the one that labels mentions."""
    client, selection = await client_selection(
        session, principal, client_id, days, granularity, account_id=account_id, network=network, language=language
    )
    first, last = selection.first, selection.last
    periods, totals = await label_counts(session, selection, granularity)
    most_positive = await extremes(session, selection, "positive", top) if top else []
    most_negative = await extremes(session, selection, "negative", top) if top else []
    return SentimentReport(
        client_id=client_id,
        date_from=first,
        date_to=last,
        granularity=granularity,
        timezone=client.timezone,
        filters=SentimentFilters(account_id=account_id, network=network, language=language),
        periods=periods,
        totals=totals,
        most_positive=[mention_out(row) for row in most_positive],
        most_negative=[mention_out(row) for row in most_negative],
        labelled_by=await labelled_by(session, selection, Provenance.of(analyzer.name, analyzer.version)),
        definition=SentimentDefinition(
            net_sentiment="(positive - negative) ÷ total, where total = positive + negative + neutral; "
            "null when total is 0; rounded to 4 decimal places",
            labels="each mention and comment is labelled when stored (synced or imported) from its "
            f"sentiment score in [-1, 1]; the default analyser calls a score ≥ {POSITIVE_THRESHOLD} "
            f"positive, ≤ -{POSITIVE_THRESHOLD} negative, neutral between, and labels languages other "
            "than English and French neutral with score 0; mentions without a label are counted in "
            "totals.unlabelled only",
            periods=f"{granularity}s in the client's time zone ({client.timezone}); a mention belongs to "
            "the period of its publication time; weeks start on Monday",
            most_positive="the mentions labelled positive with the highest score, ties to the most "
            "recently published, then the lowest id",
            most_negative="the mentions labelled negative with the lowest score, ties to the most "
            "recently published, then the lowest id",
            labelled_by="the analysers (name and version, as stored with each label) that labelled the window's "
            "mentions, with their counts, most first; null for labels given before each label's analyser was kept. "
            "A stored label is kept until its mention's text changes, so after an analyser upgrade old mentions "
            "keep their labels until `resonance sentiment reanalyse` relabels them; `current` marks the analyser "
            "that labels new mentions (`analyzer`)",
            analyzer={"name": analyzer.name, "version": analyzer.version},
        ),
    )
