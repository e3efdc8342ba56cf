"""A client's dashboard: the API's answers for a period, gathered through the same services, and the data of
each chart drawn from them (the browser only draws: `api/portal/frontend/src/portal.js`).

Each `*_chart` function is pure: an API answer in, the chart's data out (`line`: series of [day, value] points;
`bar`: categories and series of values; `pie`: slices), so what a chart shows is tested without a browser.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.benchmark.schemas import BenchmarkOut
from api.benchmark.service import read_benchmark
from api.clients.models import Client
from api.clients.service import get_client
from api.employer_brand.schemas import EmployerBrandOut
from api.employer_brand.service import read_employer_brand
from api.metrics.schemas import MetricsOut
from api.metrics.service import read_series
from api.metrics.window import AskedDays
from api.objectives.schemas import ObjectivePage
from api.objectives.service import list_objectives
from api.pagination import PageRequest
from api.presence.schemas import PresenceOut
from api.presence.service import read_presence
from api.roi.schemas import RoiOut
from api.roi.service import read_roi
from api.sentiment.aspect_report import read_aspects
from api.sentiment.aspect_schemas import AspectReport
from api.sentiment.schemas import SentimentReport
from api.sentiment.service import read_sentiment
from api.services import Services

DEFAULT_DAYS = 90
"""The period a dashboard shows when none is chosen: the last 90 days."""


@dataclass(frozen=True)
class Dashboard:
    """Everything a client's dashboard shows for one period."""

    client: Client
    first: date
    last: date
    followers: MetricsOut
    engagements: MetricsOut
    presence: PresenceOut
    sentiment: SentimentReport
    aspects: AspectReport
    benchmark: BenchmarkOut
    employer_brand: EmployerBrandOut
    objectives: ObjectivePage
    roi: RoiOut

    def charts(self) -> dict[str, dict[str, Any]]:
        """The data of every chart, by the chart's element id."""
        return {
            "chart-followers": followers_chart(self.followers),
            "chart-engagements": weekly_chart(self.engagements),
            "chart-regularity": regularity_chart(self.presence),
            "chart-sentiment": sentiment_chart(self.sentiment),
            "chart-aspects": aspects_chart(self.aspects),
            "chart-voice": voice_chart(self.benchmark),
            "chart-employer-brand": employer_brand_chart(self.employer_brand),
        }


async def load_dashboard(
    session: AsyncSession, principal: Principal, services: Services, client_id: uuid.UUID, days: AskedDays
) -> Dashboard:
    """The dashboard of the caller's client over the asked days (a 404 for another agency's or client's)."""
    client = await get_client(session, principal, client_id)
    registry = services.registry
    followers = await read_series(session, principal, registry, None, client.id, ["followers"], days, "day")
    engagements = await read_series(session, principal, registry, None, client.id, ["engagements"], days, "week")
    roi = await read_roi(session, principal, client.id, days, None)
    return Dashboard(
        client=client,
        first=followers.date_from,
        last=followers.date_to,
        followers=followers,
        engagements=engagements,
        presence=await read_presence(session, principal, registry, client.id, days, "owned"),
        sentiment=await read_sentiment(
            session,
            principal,
            services.sync_engine.analyzer,
            client.id,
            days,
            "week",
            account_id=None,
            network=None,
            language=None,
            top=3,
        ),
        aspects=await read_aspects(
            session, principal, client.id, days, None, account_id=None, network=None, language=None
        ),
        benchmark=await read_benchmark(session, principal, client.id, days),
        employer_brand=await read_employer_brand(session, principal, registry, client.id, days, None),
        objectives=await list_objectives(
            session, principal, registry.metrics, client.id, None, PageRequest(cursor=None, limit=20)
        ),
        roi=roi,
    )


async def cached_dashboard(
    services: Services, principal: Principal, client_id: uuid.UUID, first: date | None, last: date | None
) -> Dashboard:
    """The dashboard as `load_dashboard` makes it, through the process's dashboard cache: viewers of the same
    client and period within a few seconds (`RESONANCE_METRICS_CACHE_SECONDS`) share one computation, and a sync
    or a deletion in this process drops the agency's dashboards at once (`Services.data_changed`). Keyed by the
    client the viewer is limited to as well, so a client viewer only meets what was computed for its own limit.
    An error (another agency's or client's dashboard: a 404) is never kept."""
    tenant_id = principal.tenant_id
    days = AskedDays(first=first, last=last, default_days=DEFAULT_DAYS)

    async def compute() -> Dashboard:
        async with services.database.tenant_session(tenant_id) as session:
            return await load_dashboard(session, principal, services, client_id, days)

    asked = f"dashboard:{client_id}:{first}:{last}"
    return await services.dashboard_cache.load(tenant_id, asked, compute, principal.client_id)


def _label(network: str, handle: str) -> str:
    return f"{network} · {handle}"


def followers_chart(answer: MetricsOut) -> dict[str, Any]:
    """Followers per account, day by day."""
    return {
        "unit": "followers",
        "series": [
            {
                "name": _label(series.network, series.handle),
                "points": [[point.period.isoformat(), point.value] for point in series.points],
            }
            for series in answer.series
        ],
    }


def weekly_chart(answer: MetricsOut) -> dict[str, Any]:
    """A weekly metric summed per network, as bars by week."""
    weeks = sorted({point.period for series in answer.series for point in series.points})
    by_network: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for series in answer.series:
        for point in series.points:
            by_network[series.network][point.period] += point.value
    return {
        "unit": answer.series[0].unit if answer.series else "",
        "categories": [week.isoformat() for week in weeks],
        "series": [
            {"name": network, "values": [round(values.get(week, 0.0), 2) for week in weeks]}
            for network, values in sorted(by_network.items())
        ],
    }


def regularity_chart(answer: PresenceOut) -> dict[str, Any]:
    """Posts per week of each owned account (its regularity is the steadiness of these bars)."""
    longest = max((len(account.regularity.weekly_posts) for account in answer.accounts), default=0)
    return {
        "unit": "posts",
        "categories": [str(week + 1) for week in range(longest)],
        "series": [
            {"name": _label(account.network, account.handle), "values": list(account.regularity.weekly_posts)}
            for account in answer.accounts
        ],
    }


def sentiment_chart(answer: SentimentReport) -> dict[str, Any]:
    """Positive, neutral and negative mentions by period."""
    categories = [period.period_start.isoformat() for period in answer.periods]
    return {
        "unit": "mentions",
        "categories": categories,
        "series": [
            {"name": label, "values": [getattr(period, label) for period in answer.periods]}
            for label in ("positive", "neutral", "negative")
        ],
    }


def aspects_chart(answer: AspectReport) -> dict[str, Any]:
    """The topics the mentions speak of, most negative mentions first: negative, neutral and positive per topic
    (topics no mention speaks of are left out)."""
    spoken = [counts for counts in answer.aspects if counts.mentions]
    return {
        "unit": "mentions",
        "categories": [counts.aspect for counts in spoken],
        "series": [
            {"name": label, "values": [getattr(counts, label) for counts in spoken]}
            for label in ("negative", "neutral", "positive")
        ],
    }


def voice_chart(answer: BenchmarkOut) -> dict[str, Any]:
    """The client's mentions against its competitors' (share of voice)."""
    total = answer.share_of_voice.total
    return {
        "slices": [
            {"name": "owned", "value": total.owned_mentions},
            {"name": "competitors", "value": total.competitor_mentions},
        ]
    }


def employer_brand_chart(answer: EmployerBrandOut) -> dict[str, Any]:
    """The score of each component of the employer-brand index (0 to 100; none when its data is missing)."""
    return {
        "unit": "score",
        "categories": [component.name for component in answer.components],
        "series": [{"name": "score", "values": [component.score for component in answer.components]}],
    }
