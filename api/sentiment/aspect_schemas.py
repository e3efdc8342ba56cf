"""Response shapes of the aspect report: which topics a client's mentions speak of, and which carry the negatives."""

from __future__ import annotations

import uuid
from datetime import date

import msgspec

from api.sentiment.schemas import SentimentFilters


class AspectCounts(msgspec.Struct):
    """The labelled mentions of one aspect over the window."""

    aspect: str
    mentions: int
    """positive + negative + neutral: the labelled mentions tagged with this aspect."""
    positive: int
    negative: int
    neutral: int
    net_sentiment: float | None
    """(positive - negative) ÷ mentions, from -1 to 1; null when mentions is 0."""
    share_of_negative: float | None
    """This aspect's negative ÷ every negative mention of the window; null when the window has none."""


class UntaggedCounts(msgspec.Struct):
    """The labelled mentions of the window tagged with no aspect."""

    mentions: int
    positive: int
    negative: int
    neutral: int
    net_sentiment: float | None
    share_of_negative: float | None


class AspectWindowTotals(msgspec.Struct):
    """Every mention of the window, whatever its aspects."""

    mentions: int
    """Labelled mentions (positive + negative + neutral)."""
    negative: int
    unlabelled: int
    """Mentions without a sentiment label; counted nowhere else."""


class AspectPeriodCounts(msgspec.Struct):
    aspect: str
    mentions: int
    negative: int


class AspectPeriod(msgspec.Struct):
    """One period's labelled mentions and negative mentions per aspect (every aspect of the report listed)."""

    period_start: date
    """The period's first day in the client's time zone (a Monday for weeks, the 1st for months)."""
    aspects: list[AspectPeriodCounts]


class AspectDefinition(msgspec.Struct):
    """How every number of the report is computed, and by which catalogue."""

    aspects: str
    mentions: str
    net_sentiment: str
    share_of_negative: str
    untagged: str
    order: str
    periods: str
    catalogue: dict[str, str]
    """The aspect catalogue's name and `ASPECTS_VERSION`."""


class AspectReport(msgspec.Struct):
    client_id: uuid.UUID
    date_from: date = msgspec.field(name="from")
    date_to: date = msgspec.field(name="to")
    granularity: str | None
    timezone: str
    filters: SentimentFilters
    aspects: list[AspectCounts]
    """Every aspect of the catalogue (and any other aspect stored on the window's mentions), most negative first."""
    untagged: UntaggedCounts
    totals: AspectWindowTotals
    periods: list[AspectPeriod] | None
    """Per period when `granularity` is asked, every period of the window listed; null otherwise."""
    definition: AspectDefinition
