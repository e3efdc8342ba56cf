"""Response shapes of posts and mentions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec


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
    fetched_at: datetime


class MentionPage(msgspec.Struct):
    data: list[MentionOut]
    next_cursor: str | None
