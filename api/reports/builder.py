"""Assembling a client's report from the analytics, section by section."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.clients.models import Client
from api.employer_brand.service import DEFAULT_TAGS, employer_brand_of
from api.metrics.window import Window
from api.reports.document import Brand, Report
from api.reports.i18n import Language, label
from api.reports.sections import employer_brand_section, summary_section
from plugins.registry import Registry
from tenants.ids import utcnow

DEFAULT_COLOR = "#1F3A5F"
"""The report's colour when the client has none."""


async def build_report(
    session: AsyncSession, registry: Registry, client: Client, window: Window, language: Language
) -> Report:
    """The report of `client` over `window` (its own days), in `language`."""
    start, end = window.start, window.end
    sections = [
        await summary_section(session, client, window, language),
        employer_brand_section(await employer_brand_of(session, registry, client, window, set(DEFAULT_TAGS)), language),
    ]
    return Report(
        client_id=client.id,
        client_name=client.name,
        title=label("report_title", language),
        language=language,
        currency=client.currency,
        date_from=start,
        date_to=end,
        generated_at=utcnow(),
        brand=Brand(color=client.brand_color or DEFAULT_COLOR, logo_url=client.logo_url),
        sections=sections,
    )
