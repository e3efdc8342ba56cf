"""The typed records a connector yields, shaped like Airbyte/Singer stream messages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import msgspec

Quality = Literal["exact", "estimated", "backfilled", "public_only"]
"""How far a number can be trusted: measured by the network, estimated, backfilled, or seen from public data."""

QUALITIES: frozenset[str] = frozenset({"exact", "estimated", "backfilled", "public_only"})


class Window(msgspec.Struct, frozen=True, kw_only=True):
    """The days a fetch covers, both ends included."""

    since: date
    until: date


class AccountRef(msgspec.Struct, frozen=True, kw_only=True):
    """What a connector is told about the account it fetches."""

    handle: str
    external_id: str | None = None
    kind: Literal["owned", "competitor"] = "owned"
    credentials: dict[str, Any] = {}
    settings: dict[str, Any] = {}


class MetricPoint(msgspec.Struct, frozen=True, kw_only=True):
    """One day's value of one native metric of the account."""

    native_metric: str
    day: date
    value: float
    quality: Quality = "exact"


class Post(msgspec.Struct, frozen=True, kw_only=True):
    """A post published by the account, with its latest metrics keyed by native metric name."""

    external_id: str
    published_at: datetime
    text: str = ""
    url: str | None = None
    media_type: str | None = None
    metrics: dict[str, float] = {}
    tags: tuple[str, ...] = ()


class Mention(msgspec.Struct, frozen=True, kw_only=True):
    """Something someone else said about or to the account: a mention, a comment or a reply."""

    external_id: str
    published_at: datetime
    text: str
    author: str | None = None
    url: str | None = None
    language: str | None = None
    kind: Literal["mention", "comment", "reply"] = "mention"
    post_external_id: str | None = None


class Checkpoint(msgspec.Struct, frozen=True, kw_only=True):
    """State to resume from: everything yielded before it is safe to persist."""

    state: dict[str, Any]


Record = MetricPoint | Post | Mention | Checkpoint
"""Any record a connector's `fetch` yields."""
