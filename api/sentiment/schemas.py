"""Response shapes of the sentiment report."""

from __future__ import annotations

import uuid
from datetime import date

import msgspec

from api.content.schemas import MentionOut


class SentimentPeriod(msgspec.Struct):
    """One period's mentions by label."""

    period_start: date
    """The period's first day in the client's time zone (a Monday for weeks, the 1st for months)."""
    positive: int
    negative: int
    neutral: int
    total: int
    """positive + negative + neutral."""
    net_sentiment: float | None
    """(positive - negative) ÷ total, from -1 to 1; null when total is 0."""


class SentimentTotals(msgspec.Struct):
    positive: int
    negative: int
    neutral: int
    total: int
    net_sentiment: float | None
    unlabelled: int
    """Mentions in the window without a label (stored before analysis existed); not in total."""


class LabelledBy(msgspec.Struct):
    """One analyser that gave labels to the window's mentions, and how many."""

    analyzer: str | None
    """Its name; null for mentions labelled before the analyser of each label was kept."""
    version: str | None
    mentions: int
    current: bool
    """Whether it is the analyser that labels new mentions now (`definition.analyzer`)."""


class SentimentFilters(msgspec.Struct):
    account_id: uuid.UUID | None
    network: str | None
    language: str | None


class SentimentDefinition(msgspec.Struct):
    """How every number of the report is computed, and by what."""

    net_sentiment: str
    labels: str
    periods: str
    most_positive: str
    most_negative: str
    labelled_by: str
    analyzer: dict[str, str]


class SentimentReport(msgspec.Struct):
    client_id: uuid.UUID
    date_from: date = msgspec.field(name="from")
    date_to: date = msgspec.field(name="to")
    granularity: str
    timezone: str
    filters: SentimentFilters
    periods: list[SentimentPeriod]
    totals: SentimentTotals
    most_positive: list[MentionOut]
    most_negative: list[MentionOut]
    labelled_by: list[LabelledBy]
    definition: SentimentDefinition
