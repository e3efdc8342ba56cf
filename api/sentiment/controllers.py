"""`GET /v1/clients/{client_id}/sentiment`: what people feel about a client, period by period;
`…/sentiment/aspects`: about which topics (price, service, delivery…)."""

from __future__ import annotations

import uuid

from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.client_analysis import ClientAnalysis, analysis
from api.metrics.window import AskedDays
from api.parameters import day_range
from api.sentiment.aspect_report import read_aspects
from api.sentiment.aspect_schemas import AspectReport
from api.sentiment.periods import Granularity
from api.sentiment.schemas import SentimentReport
from api.sentiment.service import DEFAULT_DAYS, read_sentiment
from api.services import Services

DAYS = day_range(
    "First day (client's time zone); default 29 days ago.",
    "Last day, included (client's time zone); today if absent.",
    default_days=DEFAULT_DAYS,
)


class SentimentController(ClientAnalysis):
    @analysis("sentiment", summary="Sentiment of a client's mentions over time", days=DAYS)
    async def client_sentiment(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        services: Services,
        days: AskedDays,
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
        return await read_sentiment(
            session,
            principal,
            services.sync_engine.analyzer,
            client_id,
            days,
            granularity,
            account_id=account_id,
            network=network,
            language=language,
            top=top,
        )

    @analysis(
        "sentiment/aspects", summary="Which topics a client's mentions speak of, and carry the negatives", days=DAYS
    )
    async def client_sentiment_aspects(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        days: AskedDays,
        granularity: Granularity | None = Parameter(
            default=None, description="day, week (from Monday) or month, for counts per period; none if absent."
        ),
        account_id: uuid.UUID | None = Parameter(default=None, description="Only mentions of this account."),
        network: str | None = Parameter(default=None, description="Only mentions from this source or network."),
        language: str | None = Parameter(default=None, description="Only mentions in this language (fr, en…)."),
    ) -> AspectReport:
        """Per aspect (price, service, delivery, quality, hiring, app, staff, billing): mentions by sentiment label,
        net sentiment and its share of the window's negative mentions, most negative first.

        Aspects are the topics a mention speaks of, tagged when it is analysed from a versioned catalogue of
        French and English terms. `untagged` counts the mentions with no aspect. With `granularity`, every
        period of the window lists each aspect's mentions and negative mentions. The `definition` block
        states every formula and the catalogue version.
        """
        return await read_aspects(
            session,
            principal,
            client_id,
            days,
            granularity,
            account_id=account_id,
            network=network,
            language=language,
        )
