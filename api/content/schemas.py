"""Response shapes of posts and mentions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from api.content.models import StoredMention, StoredPost


class PostOut(msgspec.Struct):
    id: uuid.UUID
    account_id: uuid.UUID
    external_id: str
    published_at: datetime
    text: str
    url: str | None
    media_type: str | None
    metrics: dict[str, Any]
    tags: list[str]
    fetched_at: datetime


class PostPage(msgspec.Struct):
    data: list[PostOut]
    next_cursor: str | None


class MentionOut(msgspec.Struct):
    id: uuid.UUID
    client_id: uuid.UUID
    account_id: uuid.UUID | None
    source: str
    external_id: str
    kind: str
    published_at: datetime
    text: str
    author: str | None
    url: str | None
    language: str | None
    sentiment_label: str | None
    sentiment_score: float | None
    sentiment_analyzer: Annotated[
        str | None,
        msgspec.Meta(description="The analyser that gave the sentiment; null if it was labelled before this was kept."),
    ]
    sentiment_version: Annotated[str | None, msgspec.Meta(description="That analyser's version.")]
    aspects: Annotated[
        list[str], msgspec.Meta(description="The topics it speaks of (price, service, delivery…), found with it.")
    ]
    fetched_at: datetime


class SentimentCorrection(msgspec.Struct, forbid_unknown_fields=True):
    """A person's verdict on a mention's sentiment."""

    label: Annotated[
        Literal["positive", "negative", "neutral"],
        msgspec.Meta(description="The mention's sentiment as a person reads it: positive, negative or neutral."),
    ]


class MentionPage(msgspec.Struct):
    data: list[MentionOut]
    next_cursor: str | None


class MentionImportRow(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One mention to import (a JSON object, or a CSV row whose header uses these names)."""

    source: Annotated[
        str, msgspec.Meta(min_length=1, max_length=64, description="Where it was said: a network or tool name.")
    ]
    external_id: Annotated[
        str, msgspec.Meta(min_length=1, max_length=200, description="Its id at the source; with `source`, its key.")
    ]
    published_at: Annotated[datetime, msgspec.Meta(description="When it was published, with a UTC offset.")]
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=20000)]
    author: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    url: Annotated[str, msgspec.Meta(max_length=2000, pattern=r"^https?://")] | None = None
    language: (
        Annotated[str, msgspec.Meta(max_length=8, description="ISO 639-1 code; detected when absent.", examples=["fr"])]
        | None
    ) = None
    account_id: Annotated[uuid.UUID, msgspec.Meta(description="One of this client's accounts.")] | None = None
    kind: Literal["mention", "comment", "reply"] = "mention"


class SentimentCounts(msgspec.Struct):
    positive: int = 0
    negative: int = 0
    neutral: int = 0


class AnalyzerOut(msgspec.Struct):
    name: str
    version: str


class MentionImportOut(msgspec.Struct):
    """What an import stored."""

    received: int
    created: int
    updated: int
    unchanged: int
    analysed: int
    """Mentions given a sentiment by this import: the new ones, and those whose text changed or that had no label.
    A mention stored with the same text keeps its label (and the analyser that gave it)."""
    sentiment: SentimentCounts
    languages: dict[str, int]
    analyzer: AnalyzerOut


def mention_out(mention: StoredMention) -> MentionOut:
    """The API shape of a mention."""
    return MentionOut(
        id=mention.id,
        client_id=mention.client_id,
        account_id=mention.account_id,
        source=mention.source,
        external_id=mention.external_id,
        kind=mention.kind,
        published_at=mention.published_at,
        text=mention.text,
        author=mention.author,
        url=mention.url,
        language=mention.language,
        sentiment_label=mention.sentiment_label,
        sentiment_score=mention.sentiment_score,
        sentiment_analyzer=mention.sentiment_analyzer,
        sentiment_version=mention.sentiment_version,
        aspects=list(mention.aspects or []),
        fetched_at=mention.fetched_at,
    )


def post_out(post: StoredPost) -> PostOut:
    """The API shape of a post."""
    return PostOut(
        id=post.id,
        account_id=post.account_id,
        external_id=post.external_id,
        published_at=post.published_at,
        text=post.text,
        url=post.url,
        media_type=post.media_type,
        metrics=dict(post.metrics),
        tags=list(post.tags),
        fetched_at=post.fetched_at,
    )
