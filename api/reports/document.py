"""A client report as data: sections of key figures, tables and charts, rendered as JSON, CSV or PDF.

The same document feeds every format, so the numbers in the PDF are exactly those in the JSON.
Labels are already in the report's language; values stay numbers (formatted only when rendered).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

import msgspec

Value = str | int | float | None


class Figure(msgspec.Struct):
    """One key figure, e.g. ("Impressions", 120000, "") or ("Engagement rate", 0.043, "%")."""

    label: str
    value: Value
    unit: Literal["", "%", "money", "days", "score"] = ""
    change: float | None = None
    """Relative change against the previous period of the same length, when it applies."""


class Table(msgspec.Struct):
    title: str
    columns: list[str]
    rows: list[list[Value]]
    units: list[Literal["", "%", "money", "days", "score"]] = msgspec.field(default_factory=list)
    """Per column, how its numbers read (as for `Figure.unit`); empty means plain numbers."""


class Chart(msgspec.Struct):
    """A chart: categories on the x axis (e.g. weeks) and one series of values per label."""

    title: str
    kind: Literal["line", "bar"]
    categories: list[str]
    series: dict[str, list[float | None]]


class Section(msgspec.Struct):
    key: str
    title: str
    summary: list[str] = msgspec.field(default_factory=list)
    figures: list[Figure] = msgspec.field(default_factory=list)
    tables: list[Table] = msgspec.field(default_factory=list)
    charts: list[Chart] = msgspec.field(default_factory=list)
    notes: list[str] = msgspec.field(default_factory=list)
    """Definitions and caveats, so the reader can check how each number was made."""


class Brand(msgspec.Struct):
    color: str
    logo_url: str | None


class Report(msgspec.Struct):
    """A client-ready report over a window, in the client's language and branding."""

    client_id: uuid.UUID
    client_name: str
    title: str
    language: Literal["en", "fr"]
    currency: str
    date_from: date
    date_to: date
    generated_at: datetime
    brand: Brand
    sections: list[Section]
