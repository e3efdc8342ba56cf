"""Assembling a client's report from the analytics, section by section."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.alerts.models import Alert
from api.benchmark.service import benchmark_of
from api.clients.models import Client
from api.employer_brand.service import DEFAULT_TAGS, employer_brand_of
from api.metrics.window import DayRange
from api.objectives.models import Objective
from api.objectives.progress import objective_status
from api.presence.service import presence_of
from api.reports.analysis_sections import (
    alerts_section,
    aspects_section,
    benchmark_section,
    objectives_section,
    presence_section,
    roi_section,
    sentiment_section,
)
from api.reports.document import Brand, Report
from api.reports.i18n import Language, Words
from api.reports.sections import employer_brand_section, summary_section
from api.roi.report import roi_report
from api.sentiment.aspect_report import aspects_of
from api.sentiment.report import MentionFilter, extremes, label_counts
from plugins.registry import Registry
from tenants.ids import utcnow

NEGATIVE_MENTIONS = 3
"""How many of the most negative mentions the report quotes."""
DEFAULT_COLOR = "#1F3A5F"
"""The report's colour when the client has none."""


async def build_report(
    session: AsyncSession, registry: Registry, client: Client, window: DayRange, language: Language
) -> Report:
    """The report of `client` over `window` (its own days), in `language`."""
    start, end = window.start, window.end
    words = Words(language)
    mentions = MentionFilter(client_id=client.id, first=start, last=end, zone=window.zone)
    periods, totals = await label_counts(session, mentions, "week")
    objectives = (await session.scalars(select(Objective).where(col(Objective.client_id) == client.id))).all()
    progress = [
        (objective, await objective_status(session, objective, end, catalog=registry.metrics))
        for objective in sorted(objectives, key=lambda objective: (objective.start, objective.id))
    ]
    alerts = (
        await session.scalars(
            select(Alert)
            .where(col(Alert.client_id) == client.id, col(Alert.bucket) >= start, col(Alert.bucket) <= end)
            .order_by(col(Alert.bucket), col(Alert.id))
        )
    ).all()
    sections = [
        await summary_section(session, client, window, words),
        objectives_section(progress, words),
        presence_section(await presence_of(session, registry, client, window), words),
        sentiment_section(periods, totals, await extremes(session, mentions, "negative", NEGATIVE_MENTIONS), words),
        aspects_section(await aspects_of(session, mentions, None, window.timezone), words),
        alerts_section(list(alerts), words),
        benchmark_section(await benchmark_of(session, client, window), words),
        employer_brand_section(await employer_brand_of(session, registry, client, window, set(DEFAULT_TAGS)), words),
        roi_section(await roi_report(session, client, start, end, None), words),
    ]
    return Report(
        client_id=client.id,
        client_name=client.name,
        title=words("report_title"),
        language=language,
        currency=client.currency,
        date_from=start,
        date_to=end,
        generated_at=utcnow(),
        brand=Brand(color=client.brand_color or DEFAULT_COLOR, logo_url=client.logo_url),
        sections=sections,
    )
