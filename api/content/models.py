"""Content: the accounts' posts and what other people say (mentions, comments)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlmodel import Field

from tenants.ids import new_id, utcnow
from tenants.scoping import TenantScoped, tenant_foreign_key
from tenants.types import JsonDocument, UTCDateTime


class StoredPost(TenantScoped, table=True):
    """A post published by an account, with its latest metrics (native names)."""

    __tablename__ = "posts"
    __table_args__ = (
        tenant_foreign_key("account_id", "accounts", name="fk_posts_account"),
        UniqueConstraint("tenant_id", "account_id", "external_id", name="uq_posts_account_external"),
        Index("ix_posts_account_published", "tenant_id", "account_id", "published_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    account_id: uuid.UUID
    external_id: str = Field(max_length=200)
    published_at: datetime = Field(sa_type=UTCDateTime)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    url: str | None = Field(default=None, max_length=2000)
    media_type: str | None = Field(default=None, max_length=40)
    metrics: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JsonDocument, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JsonDocument, nullable=False))
    fetched_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StoredMention(TenantScoped, table=True):
    """A mention, comment or reply about one of a client's accounts."""

    __tablename__ = "mentions"
    __table_args__ = (
        tenant_foreign_key("client_id", "clients", name="fk_mentions_client"),
        tenant_foreign_key("account_id", "accounts", name="fk_mentions_account"),
        UniqueConstraint("tenant_id", "client_id", "source", "external_id", name="uq_mentions_source_external"),
        Index("ix_mentions_client_published", "tenant_id", "client_id", "published_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    client_id: uuid.UUID
    account_id: uuid.UUID | None = None
    source: str = Field(max_length=64)
    external_id: str = Field(max_length=200)
    kind: str = Field(default="mention", max_length=20)
    published_at: datetime = Field(sa_type=UTCDateTime)
    text: str = Field(sa_column=Column(Text, nullable=False))
    author: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=2000)
    language: str | None = Field(default=None, max_length=8)
    sentiment_label: str | None = Field(default=None, max_length=16)
    """positive, negative or neutral, given by the sentiment analyser when the mention is stored."""
    sentiment_score: float | None = None
    """From -1 (most negative) to 1 (most positive)."""
    sentiment_analyzer: str | None = Field(default=None, max_length=64)
    """The name of the analyser that gave the sentiment; None for mentions labelled before it was recorded."""
    sentiment_version: str | None = Field(default=None, max_length=64)
    """That analyser's version: a newer one relabels a mention only through an explicit re-analysis."""
    aspects: list[str] = Field(
        default_factory=list, sa_column=Column(JsonDocument, nullable=False, server_default=sql_text("'[]'"))
    )
    """The topics the mention speaks of (price, service, delivery, hiring, …), found when it is analysed."""
    post_external_id: str | None = Field(default=None, max_length=200)
    fetched_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
