"""A stored mention keeps its label: a mention synced or imported again with the same text is not analysed again.

Its sentiment, the analyser that gave it, and its aspects are carried over from the stored row, so an analyser
upgrade never rewrites history silently, and a re-sync costs no analysis. A mention whose text changed, or that
was stored without a label, is analysed by today's analyser. Only `resonance sentiment reanalyse` relabels the
rest, when an operator asks.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.content.models import StoredMention

KEPT = ("sentiment_label", "sentiment_score", "sentiment_analyzer", "sentiment_version", "aspects")
"""What a mention whose text did not change keeps from its stored row."""

_KEY_CHUNK = 500

MentionKey = tuple[str, str]
"""A client's mention: (source, external id)."""


async def stored_mentions(
    session: AsyncSession, client_id: uuid.UUID, keys: Sequence[MentionKey], names: Sequence[str]
) -> dict[MentionKey, dict[str, Any]]:
    """The columns `names` of the client's stored mentions with these keys, by key."""
    columns = [col(getattr(StoredMention, name)) for name in names]
    found: dict[MentionKey, dict[str, Any]] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), _KEY_CHUNK):
        statement = select(col(StoredMention.source), col(StoredMention.external_id), *columns).where(
            col(StoredMention.client_id) == client_id,
            tuple_(col(StoredMention.source), col(StoredMention.external_id)).in_(unique[start : start + _KEY_CHUNK]),
        )
        for values in (await session.execute(statement)).all():
            found[(values[0], values[1])] = dict(zip(names, values[2:], strict=True))
    return found


async def stored_labels(
    session: AsyncSession, client_id: uuid.UUID, keys: Sequence[MentionKey]
) -> dict[MentionKey, dict[str, Any]]:
    """The text, language and `KEPT` columns of the client's stored mentions with these keys."""
    return await stored_mentions(session, client_id, keys, ("text", "language", *KEPT))


def carry_stored_labels(
    rows: Sequence[dict[str, Any]], stored: Mapping[MentionKey, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Give each row whose stored mention has the same text and a label that label, in place; return the others.

    A carried row without a language takes the stored one (the language its analysis detected).
    """
    to_analyse: list[dict[str, Any]] = []
    for row in rows:
        before = stored.get((row["source"], row["external_id"]))
        if before is None or before["text"] != row["text"] or before["sentiment_label"] is None:
            to_analyse.append(row)
            continue
        for name in KEPT:
            row[name] = before[name]
        row["language"] = row.get("language") or before["language"]
    return to_analyse
