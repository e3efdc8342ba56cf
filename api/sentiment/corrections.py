"""A person's correction of a mention's sentiment: stored as the label, kept, and never relabelled by an analyser.

An analyser is wrong now and then; the agency corrects the mentions that matter (the ones a client will read). The
correction is stored as the mention's label with the provenance `person`, so it counts in every report like any
label, shows in `labelled_by`, survives re-syncs of the same text, and `resonance sentiment reanalyse` leaves it
alone. If the mention's text changes at its source, the new text is analysed again: the correction was about the
old one. Who corrected what, from which label, is in the audit log (`mention.sentiment_corrected`).
"""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.auth import Principal
from api.clients.service import get_client
from api.content.models import StoredMention
from api.errors import NotFound
from tenants.audit import Actor, record

PERSON = "person"
"""The `sentiment_analyzer` of a label a person gave."""
PERSON_VERSION = "1"

CORRECTED_SCORES = {"positive": 1.0, "negative": -1.0, "neutral": 0.0}
"""The score of a person's label: the ends of the scale (a person's verdict is not a degree), 0 for neutral."""

CorrectedLabel = Literal["positive", "negative", "neutral"]


async def correct_sentiment(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    client_id: uuid.UUID,
    mention_id: uuid.UUID,
    label: CorrectedLabel,
) -> StoredMention:
    """Give the client's mention `label` as a person's verdict; audited with the label it replaces."""
    await get_client(session, principal, client_id)
    statement = select(StoredMention).where(
        col(StoredMention.id) == mention_id, col(StoredMention.client_id) == client_id
    )
    mention = (await session.scalars(statement)).first()
    if mention is None:
        raise NotFound(f"There is no mention {mention_id} of this client.", field="mention_id")
    before = {
        "label": mention.sentiment_label,
        "score": mention.sentiment_score,
        "analyzer": mention.sentiment_analyzer,
        "version": mention.sentiment_version,
    }
    mention.sentiment_label = label
    mention.sentiment_score = CORRECTED_SCORES[label]
    mention.sentiment_analyzer = PERSON
    mention.sentiment_version = PERSON_VERSION
    record(session, actor, "mention.sentiment_corrected", mention, changes={"from": before, "to": label})
    return mention
