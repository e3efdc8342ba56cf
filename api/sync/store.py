"""Idempotent writes of synced records: re-syncing a window changes nothing and never duplicates.

Each upsert only rewrites a row whose content differs, so a repeated sync leaves the rows (and
their provenance) as they were.

On PostgreSQL, a large batch of metric points takes a fast path: the rows are streamed with
`COPY ... FROM STDIN (FORMAT BINARY)` into a temporary staging table made for the transaction, then
moved by one `INSERT INTO metric_points ... SELECT ... FROM staging ON CONFLICT ... DO UPDATE` with
exactly the conflict target, `SET` list and `WHERE ... IS DISTINCT FROM ...` condition of the
row-by-row upsert; or, when no stored row falls within the staged (account, metric, days) ranges,
by a plain `INSERT ... SELECT` in a savepoint, which falls back to the upsert on any unique
violation (a key twice in the batch, or a row inserted meanwhile by a concurrent transaction).
The staging table is private to the session and needs no row-level security; the INSERT into
`metric_points` is checked by the tenant policy like any other write. (`COPY` straight into a
table with row-level security is refused to the app role, hence the staging table.) A role that
may not create temporary tables (`REVOKE TEMPORARY ON DATABASE ... FROM PUBLIC`) keeps the
row-by-row upsert.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import Table, case, column, literal_column, or_, select, table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.content.models import StoredMention, StoredPost
from api.metrics.models import StoredMetricPoint
from api.sentiment.stored_labels import KEPT

METRIC_TABLE: Table = StoredMetricPoint.__table__  # type: ignore[attr-defined]
POST_TABLE: Table = StoredPost.__table__  # type: ignore[attr-defined]
MENTION_TABLE: Table = StoredMention.__table__  # type: ignore[attr-defined]

# SQLite allows 32,766 bound parameters per statement; stay well under it whatever the row width.
_CHUNK = 2000

FAST_PATH_MIN_ROWS = 1000
"""On PostgreSQL, batches of at least this many metric points go through COPY and a staging table.

Below it the row-by-row upsert is as quick (the staging table costs a few catalog writes per
transaction). Tests lower it to exercise the fast path with a handful of rows."""

MENTION_KEY = ("tenant_id", "client_id", "source", "external_id")
MENTION_COMPARED = (
    "published_at",
    "text",
    "author",
    "url",
    "language",
    "kind",
    "post_external_id",
    "account_id",
    "sentiment_label",
    "sentiment_score",
    "sentiment_analyzer",
    "sentiment_version",
    "aspects",
)
"""What a repeated mention is compared on: an unchanged mention (same text, same analyser) is not rewritten."""

MENTION_LABEL = KEPT
"""What a stored mention keeps when written again with the same text (api/sentiment/stored_labels.py): its label
is history, replaced only when the text changed or the mention had no label."""

METRIC_KEY = ("tenant_id", "account_id", "metric", "day")
METRIC_COMPARED = ("value", "native_metric", "quality")
METRIC_REFRESHED = ("fetched_at", "sync_run_id")

_METRIC_COLUMNS = (*METRIC_KEY, *METRIC_COMPARED, *METRIC_REFRESHED)
_METRIC_COPY_TYPES = ("uuid", "uuid", "text", "date", "float8", "text", "text", "timestamptz", "uuid")
"""The PostgreSQL types of `_METRIC_COLUMNS` as binary COPY sends them (varchar receives text)."""

_STAGING = "resonance_metric_points_staging"


def _on_conflict(
    statement: Any,
    table: Table,
    conflict: Sequence[str],
    compared: Sequence[str],
    refreshed: Sequence[str],
    kept: tuple[Sequence[str], Any] | None = None,
) -> Any:
    """Update a row already there with the incoming values, but only when its content differs.

    `kept`: columns that keep their stored values unless a condition on the stored and incoming rows holds.
    """
    excluded = statement.excluded
    changed = or_(*(table.c[name].is_distinct_from(excluded[name]) for name in compared))
    values: dict[str, Any] = {name: excluded[name] for name in (*compared, *refreshed)}
    if kept is not None:
        names, replace_when = kept
        for name in names:
            values[name] = case((replace_when(table, excluded), excluded[name]), else_=table.c[name])
    return statement.on_conflict_do_update(index_elements=list(conflict), set_=values, where=changed)


def _mention_relabelled(table: Table, excluded: Any) -> Any:
    """Whether a stored mention takes the incoming label: its text changed, or it had none."""
    return or_(table.c.text.is_distinct_from(excluded.text), table.c.sentiment_label.is_(None))


def _upsert(
    session: AsyncSession,
    table: Table,
    conflict: Sequence[str],
    compared: Sequence[str],
    refreshed: Sequence[str],
    kept: tuple[Sequence[str], Any] | None = None,
) -> Any:
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return _on_conflict(module.insert(table), table, conflict, compared, refreshed, kept)


async def _write(session: AsyncSession, statement: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _CHUNK):
        await session.execute(statement, rows[start : start + _CHUNK])


def _staging_statements() -> tuple[Any, Any, Any]:
    """The statements moving staged rows into `metric_points`.

    * `overlaps`: is any row already stored within the day range the staging table covers for one
      of its (tenant, account, metric)? One index probe per such triple.
    * `insert`: a plain `INSERT ... SELECT`, for when nothing overlaps (a first sync, a backfill):
      it does what the upsert would do, without the upsert's per-row conflict handling.
    * `upsert`: the same `ON CONFLICT ... DO UPDATE ... WHERE ... IS DISTINCT FROM ...` as the
      row-by-row path. When a batch names a key twice, the row-by-row upsert keeps the last row; so
      does this: one COPY fills the fresh staging table in row order, so its `ctid`s follow that order.
    """
    staging = table(_STAGING, *(column(name) for name in _METRIC_COLUMNS))
    key = [staging.c[name] for name in METRIC_KEY]
    overlaps = text(
        "SELECT EXISTS (SELECT 1 FROM (SELECT tenant_id, account_id, metric, min(day) AS first, max(day) AS last "
        "FROM resonance_metric_points_staging GROUP BY tenant_id, account_id, metric) AS staged CROSS JOIN LATERAL "
        "(SELECT 1 FROM metric_points AS stored WHERE stored.tenant_id = staged.tenant_id "
        "AND stored.account_id = staged.account_id AND stored.metric = staged.metric "
        "AND stored.day BETWEEN staged.first AND staged.last LIMIT 1) AS found)"
    )
    insert = postgresql.insert(METRIC_TABLE).from_select(list(_METRIC_COLUMNS), select(*staging.c))
    last_per_key = select(*staging.c).ext(postgresql.distinct_on(*key)).order_by(*key, literal_column("ctid").desc())
    upsert = _on_conflict(
        postgresql.insert(METRIC_TABLE).from_select(list(_METRIC_COLUMNS), last_per_key),
        METRIC_TABLE,
        METRIC_KEY,
        METRIC_COMPARED,
        METRIC_REFRESHED,
    )
    return overlaps, insert, upsert


_STAGING_OVERLAPS, _STAGING_INSERT, _STAGING_UPSERT = _staging_statements()
_CREATE_STAGING = text(f"CREATE TEMPORARY TABLE {_STAGING} (LIKE metric_points) ON COMMIT DROP")
_DROP_STAGING = text(f"DROP TABLE {_STAGING}")
_COPY_STAGING = f"COPY {_STAGING} ({', '.join(_METRIC_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_UNIQUE_VIOLATION = "23505"


async def _copy_upsert_metric_points(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """The PostgreSQL fast path: COPY into a staging table, then one INSERT ... SELECT."""
    await session.execute(_CREATE_STAGING)  # also begins the transaction, which sets the tenant
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection  # the psycopg AsyncConnection of this transaction
    as_tuple = operator.itemgetter(*_METRIC_COLUMNS)
    stamp_at = _METRIC_COLUMNS.index("fetched_at")
    async with driver.cursor() as cursor, cursor.copy(_COPY_STAGING) as copy:
        copy.set_types(list(_METRIC_COPY_TYPES))
        for row in map(as_tuple, rows):
            stamp = row[stamp_at]
            if stamp is not None and stamp.tzinfo is not UTC and stamp.utcoffset() is None:
                # `UTCDateTime` refuses naive timestamps on the row-by-row path; so does this one.
                raise ValueError("timestamps must be timezone-aware")
            await copy.write_row(row)
    inserted = False
    if not (await session.execute(_STAGING_OVERLAPS)).scalar():
        try:
            async with session.begin_nested():
                await session.execute(_STAGING_INSERT)
            inserted = True
        except IntegrityError as error:
            # A key twice in the batch, or a row written meanwhile by another transaction: upsert.
            if getattr(error.orig, "sqlstate", None) != _UNIQUE_VIOLATION:
                raise
    if not inserted:
        await session.execute(_STAGING_UPSERT)
    await session.execute(_DROP_STAGING)  # a later batch in the same transaction makes its own


_may_create_temporary_tables: dict[str, bool] = {}
"""Per database URL: whether the role may create the staging table (PUBLIC may by default)."""


async def _fast_path_available(session: AsyncSession) -> bool:
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    url = bind.engine.url.render_as_string(hide_password=True)
    if url not in _may_create_temporary_tables:
        allowed = await session.scalar(
            text("SELECT has_database_privilege(current_user, current_database(), 'TEMPORARY')")
        )
        _may_create_temporary_tables[url] = bool(allowed)
    return _may_create_temporary_tables[url]


async def upsert_metric_points(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert or update metric points keyed by (tenant, account, metric, day)."""
    if not rows:
        return
    if len(rows) >= FAST_PATH_MIN_ROWS and await _fast_path_available(session):
        await _copy_upsert_metric_points(session, rows)
        return
    statement = _upsert(session, METRIC_TABLE, METRIC_KEY, compared=METRIC_COMPARED, refreshed=METRIC_REFRESHED)
    await _write(session, statement, rows)


async def upsert_posts(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert or update posts keyed by (tenant, account, external id)."""
    if rows:
        statement = _upsert(
            session,
            POST_TABLE,
            ("tenant_id", "account_id", "external_id"),
            compared=("published_at", "text", "url", "media_type", "metrics", "tags"),
            refreshed=("fetched_at",),
        )
        await _write(session, statement, rows)


async def upsert_mentions(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert or update mentions keyed by (tenant, client, source, external id).

    A stored mention's label (`MENTION_LABEL`) is kept unless its text changed or it had none, even when two
    writers race: the rule is in the statement, not only in the callers that skip analysing such mentions.
    """
    if rows:
        statement = _upsert(
            session,
            MENTION_TABLE,
            MENTION_KEY,
            compared=MENTION_COMPARED,
            refreshed=("fetched_at",),
            kept=(MENTION_LABEL, _mention_relabelled),
        )
        await _write(session, statement, rows)
