"""The mention import's flow: rows checked, analysed and stored for a client, all or none, summarised and audited.

The package sits above content, sentiment, sync and billing: an import analyses mentions (`api.sentiment`),
meters them (`api.billing.metering`) and upserts them through the sync store (`api.sync.store`) into content's
table, the way a connector's sync does.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.clients.service import get_client
from api.content.schemas import AnalyzerOut, MentionImportOut, SentimentCounts
from api.mention_import.importer import ImportResult, ParsedRow, import_mentions
from plugins.sdk import SentimentAnalyzer
from tenants.audit import Actor, record


async def import_client_mentions(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    analyzer: SentimentAnalyzer,
    client_id: uuid.UUID,
    rows: list[ParsedRow],
    strict: bool,
) -> MentionImportOut:
    """Store `rows` (parsed from JSON when `strict`, else from CSV) as the client's mentions, all or none, audited."""
    result: ImportResult = await import_mentions(
        session, tenant_id=principal.tenant_id, client_id=client_id, rows=rows, strict=strict, analyzer=analyzer
    )
    client = await get_client(session, principal, client_id)
    summary = MentionImportOut(
        received=result.received,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        analysed=result.analysed,
        sentiment=SentimentCounts(
            positive=result.sentiment["positive"],
            negative=result.sentiment["negative"],
            neutral=result.sentiment["neutral"],
        ),
        languages=dict(sorted(result.languages.items())),
        analyzer=AnalyzerOut(name=analyzer.name, version=analyzer.version),
    )
    record(
        session,
        actor,
        "mentions.imported",
        client,
        changes={
            "format": "csv" if not strict else "json",
            "received": result.received,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        },
    )
    return summary
