"""Record validation shared by the sync engine and the conformance kit: one rule book for both.

Each check raises `RecordRejected` naming the field, so the engine can report "connector X: record
#N (Post): field published_at must be timezone-aware" and a plugin author sees the same sentence in
their own tests.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

from resonance_sdk._connector import Connector, MetricDeclaration
from resonance_sdk._records import QUALITIES, Checkpoint, Mention, MetricPoint, Post, Window

MENTION_KINDS = ("mention", "comment", "reply")
TEXT_LIMIT = 100_000


class RecordRejected(ValueError):
    """A record a connector yielded is not valid; `field_name` names the offending field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name


def _aware(value: Any, field_name: str) -> datetime:
    if not isinstance(value, datetime):
        raise RecordRejected(field_name, f"must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None:
        raise RecordRejected(field_name, "must be a timezone-aware datetime (add tzinfo, e.g. UTC)")
    return value.astimezone(UTC)


def _text(value: Any, field_name: str, *, required: bool, limit: int) -> str | None:
    if value is None or value == "":
        if required:
            raise RecordRejected(field_name, "must not be empty")
        return None
    if not isinstance(value, str):
        raise RecordRejected(field_name, f"must be a string, got {type(value).__name__}")
    if len(value) > limit:
        raise RecordRejected(field_name, f"is {len(value)} characters long; the limit is {limit}")
    return value


def _number(value: Any, field_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RecordRejected(field_name, f"must be a finite number, got {value!r}")
    return float(value)


class RecordValidator:
    """Validates and normalises the records of one connector over one window."""

    def __init__(self, connector: type[Connector], window: Window) -> None:
        self.connector = connector
        self.window = window
        self.declared = connector.declared()

    def metric(self, point: MetricPoint) -> tuple[MetricDeclaration, float]:
        """The declaration the point's native metric maps to, and its value."""
        declaration = self.declared.get(point.native_metric)
        if declaration is None:
            raise RecordRejected(
                "native_metric", f"{point.native_metric!r} is not one of the metrics the connector declares"
            )
        if not isinstance(point.day, date) or isinstance(point.day, datetime):
            raise RecordRejected("day", f"must be a date, got {point.day!r}")
        if not self.window.since <= point.day <= self.window.until:
            raise RecordRejected("day", f"{point.day} is outside the window {self.window.since}..{self.window.until}")
        if point.quality not in QUALITIES:
            raise RecordRejected("quality", f"{point.quality!r} is not one of {', '.join(sorted(QUALITIES))}")
        value = _number(point.value, "value")
        if value < 0:
            raise RecordRejected("value", f"must not be negative, got {value}")
        return declaration, value

    def post(self, post: Post) -> dict[str, Any]:
        """The post's fields, checked and normalised (UTC timestamps, float metrics)."""
        external_id = _text(post.external_id, "external_id", required=True, limit=200)
        metrics = {str(name): _number(value, f"metrics.{name}") for name, value in dict(post.metrics).items()}
        undeclared = sorted(name for name in metrics if name not in self.declared)
        if undeclared:
            raise RecordRejected(f"metrics.{undeclared[0]}", "is not one of the metrics the connector declares")
        return {
            "external_id": external_id,
            "published_at": _aware(post.published_at, "published_at"),
            "text": _text(post.text, "text", required=False, limit=TEXT_LIMIT) or "",
            "url": _text(post.url, "url", required=False, limit=2000),
            "media_type": _text(post.media_type, "media_type", required=False, limit=40),
            "metrics": metrics,
            "tags": [str(tag) for tag in post.tags],
        }

    def mention(self, mention: Mention) -> dict[str, Any]:
        """The mention's fields, checked and normalised."""
        if mention.kind not in MENTION_KINDS:
            raise RecordRejected("kind", f"{mention.kind!r} is not one of {', '.join(MENTION_KINDS)}")
        return {
            "external_id": _text(mention.external_id, "external_id", required=True, limit=200),
            "kind": mention.kind,
            "published_at": _aware(mention.published_at, "published_at"),
            "text": _text(mention.text, "text", required=True, limit=TEXT_LIMIT),
            "author": _text(mention.author, "author", required=False, limit=200),
            "url": _text(mention.url, "url", required=False, limit=2000),
            "language": _text(mention.language, "language", required=False, limit=8),
            "post_external_id": _text(mention.post_external_id, "post_external_id", required=False, limit=200),
        }

    def check(self, record: object) -> None:
        """Raise `RecordRejected` when `record` is not a valid record of this connector."""
        if isinstance(record, MetricPoint):
            self.metric(record)
        elif isinstance(record, Post):
            self.post(record)
        elif isinstance(record, Mention):
            self.mention(record)
        elif isinstance(record, Checkpoint):
            if not isinstance(record.state, dict):
                raise RecordRejected("state", "must be a dict")
        else:
            raise RecordRejected("type", f"{type(record).__name__} is not a record type of resonance_sdk")
