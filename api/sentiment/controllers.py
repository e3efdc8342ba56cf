"""`GET /v1/clients/{client_id}/sentiment`: what people feel about a client, period by period."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, require
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.clients.service import get_client
from api.content.schemas import mention_out
from api.metrics.history import client_accounts
from api.metrics.window import resolve_range
from api.sentiment.default import POSITIVE_THRESHOLD
from api.sentiment.periods import Granularity
from api.sentiment.report import MentionFilter, extremes, label_counts
from api.sentiment.schemas import SentimentDefinition, SentimentFilters, SentimentReport

MAX_PERIODS = 1000
DEFAULT_DAYS = 30


class SentimentController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    tags = ["analytics"]

    @get(
        "/v1/clients/{client_id:uuid}/sentiment",
        guards=[require("read")],
        summary="Sentiment of a client's mentions over time",
    )
    async def client_sentiment(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        state: State,
        date_from: Annotated[
            date | None, QueryParameter(name="from", description="First day (client's time zone); default 29 days ago.")
        ] = None,
        date_to: Annotated[
            date | None,
            QueryParameter(name="to", description="Last day, included (client's time zone); today if absent."),
        ] = None,
        granularity: Granularity = Parameter(default="day", description="day, week (from Monday) or month."),
        account_id: uuid.UUID | None = Parameter(default=None, description="Only mentions of this account."),
        network: str | None = Parameter(default=None, description="Only mentions from this source or network."),
        language: str | None = Parameter(default=None, description="Only mentions in this language (fr, en…)."),
        top: int = Parameter(default=5, ge=0, le=50, description="How many most positive and most negative mentions."),
    ) -> SentimentReport:
        """Mentions per sentiment label and net sentiment per period, totals, and the extreme mentions.

        Periods are days, ISO weeks (Monday to Sunday) or calendar months in the client's time zone, and
        every period of the window is listed, empty ones included. Net sentiment is (positive - negative)
        ÷ total, from -1 (all negative) to 1 (all positive), null when there are no mentions. The
        `definition` block states the formulas and the analyser that labels mentions.
        """
        client = await get_client(session, principal, client_id)
        zone = ZoneInfo(client.timezone)
        today = datetime.now(zone).date()
        first, last = resolve_range(
            date_from, date_to, today, DEFAULT_DAYS, granularity=granularity, max_periods=MAX_PERIODS
        )
        if account_id is not None:
            # Like every other account_id of a client's routes: one that is not the client's is a 404.
            await client_accounts(session, client_id, account_id=account_id)
        selection = MentionFilter(
            client_id=client_id,
            first=first,
            last=last,
            zone=zone,
            account_id=account_id,
            network=network,
            language=language,
        )
        periods, totals = await label_counts(session, selection, granularity)
        most_positive = await extremes(session, selection, "positive", top) if top else []
        most_negative = await extremes(session, selection, "negative", top) if top else []
        analyzer = state.sync_engine.analyzer
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
                analyzer={"name": analyzer.name, "version": analyzer.version},
            ),
        )
