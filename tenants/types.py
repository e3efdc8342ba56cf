"""Column types shared by every table."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Numeric, String
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stamp: datetime = value
        return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def sqlite_timestamp(value: datetime) -> str:
    """`value` as SQLite stores a `UTCDateTime`, for raw SQL comparisons."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


JsonDocument = JSON().with_variant(postgresql.JSONB(), "postgresql")
"""A JSON column: JSONB on PostgreSQL (comparable, indexable), JSON text on SQLite."""


class ExactDecimal(TypeDecorator[Decimal]):
    """A decimal number stored exactly: NUMERIC(precision, scale) on PostgreSQL, fixed-point text on SQLite.

    SQLite has no decimal type (a NUMERIC column there keeps 15 significant digits as a float), so the
    value is kept as its text, always written with `scale` decimal places. A value with more decimal
    places than `scale` is refused rather than rounded: callers validate their inputs first.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(self.precision + 2))
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Decimal | str | None:
        if value is None:
            return None
        exact = Decimal(value).quantize(self._quantum)
        if exact != value or len(exact.as_tuple().digits) > self.precision:
            raise ValueError(f"{value} does not fit NUMERIC({self.precision}, {self.scale}) exactly")
        return f"{exact:f}" if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(self._quantum)
