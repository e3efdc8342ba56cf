"""Relabelling a client's mentions with today's analyser, when an operator asks (`resonance sentiment reanalyse`).

A stored label is history and is never rewritten by a sync or an import of the same text. After an analyser
upgrade, this is the one explicit way to relabel: it takes the client's mentions whose label was given by another
analyser or version (or by an unrecorded one, or none; never a person's correction), in id order and in batches,
one transaction each. With `everything` (after a change of the aspect catalogue) it takes every mention, a
person's correction too: that one keeps its label, score and provenance, and only its aspects are tagged again.
Each update is guarded by "text and provenance still as read", so a mention changed
meanwhile by a sync is left to it.
Stopped midway, a run is resumed by running it again: what is relabelled no longer qualifies.

Relabelling is not billed: `mentions_analysed` counts each mention once, ever.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, and_, bindparam, func, or_, update
from sqlmodel import col, select

from api.clients.models import Client
from api.content.models import StoredMention
from api.sentiment.corrections import PERSON
from api.sentiment.provenance import Provenance
from api.sentiment.selection import analyse_mention_rows
from plugins.sdk import SentimentAnalyzer
from tenants.audit import Actor, record
from tenants.database import Database

MENTION_TABLE: Table = StoredMention.__table__  # type: ignore[attr-defined]

DEFAULT_BATCH_SIZE = 500


class UnknownClient(LookupError):
    """The tenant has no such client."""


@dataclass
class Reanalysis:
    """What a re-analysis found and did (or, in a dry run, would do)."""

    current: Provenance
    dry_run: bool
    pending: int = 0
    """Mentions that qualified when the run started."""
    by_provenance: dict[tuple[str | None, str | None], int] = field(default_factory=dict)
    """Those mentions per (analyser, version) that labelled them; (None, None) when unrecorded or unlabelled."""
    examined: int = 0
    relabelled: int = 0
    """Mentions given today's analysis (the label may be the same, the provenance is new)."""
    changed: Counter[tuple[str | None, str]] = field(default_factory=Counter)
    """Mentions whose label changed, per (old label, new label)."""
    persons: int = 0
    """Examined mentions labelled by a person (only with `everything`): their label is kept, their aspects re-tagged."""
    retagged: int = 0
    """Of those, the ones whose aspects were written again (label, score and provenance kept)."""
    skipped: int = 0
    """Mentions changed by someone else between reading and writing, left as they are."""


def _qualifies(current: Provenance, client_id: uuid.UUID, since: datetime | None, everything: bool) -> list[Any]:
    """The conditions of a client's mention that today's analyser did not label, nor a person (with `everything`,
    any: a person's label is kept but its aspects are re-tagged)."""
    conditions: list[Any] = [col(StoredMention.client_id) == client_id]
    if not everything:
        conditions.append(col(StoredMention.sentiment_analyzer).is_distinct_from(PERSON))
        conditions.append(
            or_(
                col(StoredMention.sentiment_label).is_(None),
                col(StoredMention.sentiment_analyzer).is_distinct_from(current.analyzer),
                col(StoredMention.sentiment_version).is_distinct_from(current.version),
            )
        )
    if since is not None:
        conditions.append(col(StoredMention.published_at) >= since)
    return conditions


def _guarded_update() -> Any:
    """One mention's new analysis, written only if its text and provenance are still those that were read."""
    table = MENTION_TABLE
    return (
        update(table)
        .where(
            table.c.tenant_id == bindparam("w_tenant"),
            table.c.id == bindparam("w_id"),
            table.c.text == bindparam("w_text"),
            and_(
                table.c.sentiment_label.is_not_distinct_from(bindparam("w_label")),
                table.c.sentiment_analyzer.is_not_distinct_from(bindparam("w_analyzer")),
                table.c.sentiment_version.is_not_distinct_from(bindparam("w_version")),
            ),
        )
        .values(
            language=func.coalesce(table.c.language, bindparam("n_language")),
            sentiment_label=bindparam("n_label"),
            sentiment_score=bindparam("n_score"),
            sentiment_analyzer=bindparam("n_analyzer"),
            sentiment_version=bindparam("n_version"),
            aspects=bindparam("n_aspects", type_=table.c.aspects.type),
        )
    )


_UPDATE = _guarded_update()


async def reanalyse_client(
    database: Database,
    tenant_id: uuid.UUID,
    client_id: uuid.UUID,
    analyzer: SentimentAnalyzer,
    actor: Actor,
    *,
    since: date | None = None,
    everything: bool = False,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_start: Callable[[Reanalysis], None] = lambda _run: None,
    on_progress: Callable[[Reanalysis], None] = lambda _run: None,
) -> Reanalysis:
    """Relabel the client's mentions that `analyzer` did not label (with `everything`, all of them: after a change
    of the aspect catalogue), published from `since` (a day in the client's time zone); never a person's label. In
    a dry run, analyse them and count what would change, writing nothing. Audited (`mentions.reanalysed`) unless
    dry."""
    run = Reanalysis(current=Provenance.of(analyzer.name, analyzer.version), dry_run=dry_run)
    async with database.tenant_session(tenant_id) as session:
        client = (await session.scalars(select(Client).where(col(Client.id) == client_id))).first()
        if client is None:
            raise UnknownClient(client_id)
        start = datetime.combine(since, time(), ZoneInfo(client.timezone)) if since else None
        conditions = _qualifies(run.current, client_id, start, everything)
        analyser_column, version_column = col(StoredMention.sentiment_analyzer), col(StoredMention.sentiment_version)
        groups = await session.execute(
            select(analyser_column, version_column, func.count())
            .where(*conditions)
            .group_by(analyser_column, version_column)
        )
        run.by_provenance = {(name, version): count for name, version, count in groups.all()}
    run.pending = sum(run.by_provenance.values())
    on_start(run)
    after: uuid.UUID | None = None
    while True:
        async with database.tenant_session(tenant_id) as session:
            statement = select(StoredMention).where(*conditions).order_by(col(StoredMention.id)).limit(batch_size)
            if after is not None:
                statement = statement.where(col(StoredMention.id) > after)
            mentions = list((await session.scalars(statement)).all())
            if not mentions:
                break
            after = mentions[-1].id
            rows: list[dict[str, Any]] = [{"text": mention.text, "language": mention.language} for mention in mentions]
            # CPU-bound: off the event loop, as a sync does.
            await asyncio.to_thread(analyse_mention_rows, analyzer, rows)
            run.examined += len(mentions)
            for mention, row in zip(mentions, rows, strict=True):
                if mention.sentiment_analyzer == PERSON:
                    _keep_persons_label(mention, row)
                    run.persons += 1
                elif mention.sentiment_label != row["sentiment_label"]:
                    run.changed[(mention.sentiment_label, row["sentiment_label"])] += 1
            if not dry_run:
                await _write(session, tenant_id, mentions, rows, run)
                session.expunge_all()
        on_progress(run)
    if not dry_run and run.examined:
        async with database.tenant_session(tenant_id) as session:
            record(session, actor, "mentions.reanalysed", client, changes=summary(run))
    return run


def _keep_persons_label(mention: StoredMention, row: dict[str, Any]) -> None:
    """A person's correction is never relabelled: `row` keeps its label, score and provenance, only its aspects
    (today's catalogue) are new."""
    row["sentiment_label"] = mention.sentiment_label
    row["sentiment_score"] = mention.sentiment_score
    row["sentiment_analyzer"] = mention.sentiment_analyzer
    row["sentiment_version"] = mention.sentiment_version


async def _write(
    session: Any, tenant_id: uuid.UUID, mentions: list[StoredMention], rows: list[dict[str, Any]], run: Reanalysis
) -> None:
    for mention, row in zip(mentions, rows, strict=True):
        result = await session.execute(
            _UPDATE,
            {
                "w_tenant": tenant_id,
                "w_id": mention.id,
                "w_text": mention.text,
                "w_label": mention.sentiment_label,
                "w_analyzer": mention.sentiment_analyzer,
                "w_version": mention.sentiment_version,
                "n_language": row["language"],
                "n_label": row["sentiment_label"],
                "n_score": row["sentiment_score"],
                "n_analyzer": row["sentiment_analyzer"],
                "n_version": row["sentiment_version"],
                "n_aspects": row["aspects"],
            },
        )
        if result.rowcount == 1:
            if mention.sentiment_analyzer == PERSON:
                run.retagged += 1
            else:
                run.relabelled += 1
        else:
            run.skipped += 1
            if mention.sentiment_label != row["sentiment_label"]:
                run.changed[(mention.sentiment_label, row["sentiment_label"])] -= 1


def summary(run: Reanalysis) -> dict[str, Any]:
    """The run in JSON terms, as the audit log keeps it."""
    return {
        "analyzer": run.current.analyzer,
        "version": run.current.version,
        "dry_run": run.dry_run,
        "pending": run.pending,
        "examined": run.examined,
        "relabelled": run.relabelled,
        "aspects_retagged": run.retagged,
        "skipped": run.skipped,
        "changed": {
            f"{old or 'none'}->{new}": count for (old, new), count in sorted(run.changed.items(), key=str) if count
        },
        "previously": [
            {"analyzer": name, "version": version, "mentions": count}
            for (name, version), count in sorted(run.by_provenance.items(), key=lambda item: -item[1])
        ],
    }
