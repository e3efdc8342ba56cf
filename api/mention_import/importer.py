"""Importing mentions from sources without a connector: a JSON array or a CSV file, all or nothing.

Every row is checked before anything is written; one bad row rejects the whole import with the list of
every bad row (its CSV line or JSON index, the field and what was wrong), so nothing is half-imported.
"""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar.openapi.spec import OpenAPIMediaType, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.billing.metering import mention_key, record_facts
from api.content.schemas import MentionImportRow
from api.errors import InvalidInput, MalformedBody, PayloadTooLarge
from api.openapi import schema_from_json_schema
from api.request_body import decode_json_body
from api.request_csv import form_upload
from api.request_text import nul_path
from api.sentiment import analyse_mention_rows
from api.sentiment.language import normalise_language
from api.sentiment.stored_labels import carry_stored_labels, stored_mentions
from api.sync import store
from plugins.sdk import SentimentAnalyzer
from tenants.ids import new_id, utcnow

IMPORT_MAX_BYTES = 10 * 1024 * 1024
"""The largest import body accepted (Litestar answers 413 past it)."""

COLUMNS = tuple(MentionImportRow.__struct_fields__)
REQUIRED = ("source", "external_id", "published_at", "text")
MAX_ERRORS_LISTED = 200


@dataclass
class ParsedRow:
    """One row as sent, with where it was: `line` (CSV, the header is line 1) or `index` (JSON, from 0)."""

    position: dict[str, int]
    values: Any
    """A dict when well formed; a JSON array may hold anything else, reported as that row's problem."""


@dataclass
class ImportResult:
    """What an import did."""

    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    analysed: int = 0
    sentiment: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)


def _problem(position: dict[str, int], field_name: str, reason: str) -> dict[str, Any]:
    return {**position, "field": field_name, "reason": reason}


def parse_json(body: bytes, max_rows: int) -> list[ParsedRow]:
    """A JSON array of mention objects."""
    try:
        document = decode_json_body(body)  # too deep, not UTF-8 or not JSON: refused before any row is read
    except MalformedBody as error:
        raise InvalidInput(
            f"{error.detail} An import is a JSON array of mentions, or a CSV file with Content-Type: text/csv "
            "(or as the field `file` of a multipart/form-data upload).",
            field="body",
        ) from None
    if not isinstance(document, list):
        raise InvalidInput("The body must be a JSON array of mention objects.", field="body")
    _check_size(len(document), max_rows)
    return [ParsedRow(position={"index": index}, values=row) for index, row in enumerate(document)]


def parse_csv(body: bytes, max_rows: int) -> list[ParsedRow]:
    """A CSV file whose header row names the columns (the JSON field names); empty cells are absent values."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"The CSV file is not UTF-8 ({error.reason} at byte {error.start}); save it as UTF-8 and send it again.",
            field="body",
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey="\x00extra")
    header = reader.fieldnames or []
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in REQUIRED if name not in header]
    if unknown or missing or not header:
        reasons = []
        if unknown:
            reasons.append(f"unknown columns {', '.join(map(repr, unknown))}")
        if missing:
            reasons.append(f"missing columns {', '.join(missing)}")
        raise InvalidInput(
            f"The CSV header (line 1) is wrong: {'; '.join(reasons) or 'it is empty'}. "
            f"Columns: {', '.join(COLUMNS)} ({', '.join(REQUIRED)} required).",
            field="header",
            extra={"errors": [{"line": 1, "field": "header", "reason": "; ".join(reasons) or "empty"}]},
        )
    rows: list[ParsedRow] = []
    previous_end = reader.line_num  # the header's last line
    try:
        for values in reader:
            if len(rows) >= max_rows:
                _check_size(max_rows + 1, max_rows)
            # A quoted cell may span lines: a row starts on the line after the previous row ended.
            position = {"line": previous_end + 1}
            previous_end = reader.line_num
            cells = {name: value for name, value in values.items() if value not in ("", None)}
            rows.append(ParsedRow(position=position, values=cells))
    except csv.Error as error:
        raise InvalidInput(f"The CSV file is malformed at line {reader.line_num}: {error}.", field="body") from None
    return rows


def _check_size(rows: int, max_rows: int) -> None:
    if rows > max_rows:
        raise PayloadTooLarge(
            f"An import holds at most {max_rows} mentions; this one has more. Split it into several imports.",
            field="body",
        )


def _validate(row: ParsedRow, strict: bool) -> tuple[MentionImportRow | None, dict[str, Any] | None]:
    if not isinstance(row.values, dict):
        return None, _problem(row.position, "body", "each mention must be a JSON object")
    if "\x00extra" in row.values:
        return None, _problem(row.position, "body", "the row has more cells than the header has columns")
    # Checked before anything else looks at the values: PostgreSQL cannot store a NUL in a text column.
    if (where := nul_path(row.values)) is not None:
        return None, _problem(row.position, where, "holds a NUL character (\\u0000), which text cannot contain")
    try:
        mention = msgspec.convert(row.values, MentionImportRow, strict=strict)
    except msgspec.ValidationError as error:
        message = str(error)
        field_name = "body"
        if " - at `$." in message:
            message, _, path = message.rpartition(" - at `$.")
            field_name = path.rstrip("`").split("[")[0].split(".")[0]
        elif message.startswith("Object missing required field `") or message.startswith("Object contains unknown"):
            field_name = message.split("`")[1]
        return None, _problem(row.position, field_name, message)
    if mention.published_at.tzinfo is None:
        return None, _problem(
            row.position, "published_at", "the date and time has no UTC offset; add one (2026-11-02T09:30:00Z)"
        )
    if not mention.text.strip():
        return None, _problem(row.position, "text", "the text is empty")
    return mention, None


async def _accounts_of_client(
    session: AsyncSession, client_id: uuid.UUID, account_ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    wanted = set(account_ids)
    if not wanted:
        return set()
    found = await session.scalars(
        select(SocialAccount.id).where(SocialAccount.client_id == client_id, col(SocialAccount.id).in_(wanted))
    )
    return set(found)


def validate_rows(
    rows: Sequence[ParsedRow], *, strict: bool, client_accounts: set[uuid.UUID] | None = None
) -> tuple[list[tuple[ParsedRow, MentionImportRow]], list[dict[str, Any]]]:
    """The valid rows, and a problem for each invalid one (duplicates of an earlier row included)."""
    valid: list[tuple[ParsedRow, MentionImportRow]] = []
    problems: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], dict[str, int]] = {}
    for row in rows:
        mention, problem = _validate(row, strict)
        if problem is not None or mention is None:
            problems.append(problem or _problem(row.position, "body", "invalid"))
            continue
        key = (mention.source, mention.external_id)
        if key in seen:
            where = ", ".join(f"{name} {value}" for name, value in seen[key].items())
            problems.append(_problem(row.position, "external_id", f"the same source and external_id as {where}"))
            continue
        seen[key] = row.position
        if client_accounts is not None and mention.account_id is not None and mention.account_id not in client_accounts:
            problems.append(
                _problem(row.position, "account_id", f"{mention.account_id} is not an account of this client")
            )
            continue
        valid.append((row, mention))
    return valid, problems


async def import_mentions(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    client_id: uuid.UUID,
    rows: Sequence[ParsedRow],
    strict: bool,
    analyzer: SentimentAnalyzer,
) -> ImportResult:
    """Check every row, then analyse and upsert them all in the caller's transaction; raise on any bad row."""
    if not rows:
        raise InvalidInput("The import holds no mentions.", field="body")
    candidates = [row.values.get("account_id") for row in rows if isinstance(row.values, dict)]
    account_ids: set[uuid.UUID] = set()
    for candidate in candidates:
        try:
            account_ids.add(uuid.UUID(str(candidate)))
        except ValueError:
            continue  # reported by the row's own validation
    client_accounts = await _accounts_of_client(session, client_id, account_ids)
    valid, problems = validate_rows(rows, strict=strict, client_accounts=client_accounts)
    if problems:
        first = problems[0]
        where = f"line {first['line']}" if "line" in first else f"index {first['index']}"
        raise InvalidInput(
            f"{len(problems)} of {len(rows)} mentions are invalid, so nothing was imported; the first is at "
            f"{where} ({first['field']}: {first['reason']}). Fix every row listed in `errors` and send the "
            "whole import again.",
            field=first["field"],
            extra={"errors": problems[:MAX_ERRORS_LISTED], "error_count": len(problems)},
        )
    now = utcnow()
    stored_rows: list[dict[str, Any]] = [
        {
            "tenant_id": tenant_id,
            "id": new_id(),
            "client_id": client_id,
            "account_id": mention.account_id,
            "source": mention.source,
            "external_id": mention.external_id,
            "kind": mention.kind,
            "published_at": mention.published_at,
            "text": mention.text,
            "author": mention.author,
            "url": mention.url,
            "language": normalise_language(mention.language),
            "post_external_id": None,
            "fetched_at": now,
        }
        for _row, mention in valid
    ]
    keys = [(row["source"], row["external_id"]) for row in stored_rows]
    existing = await stored_mentions(session, client_id, keys, store.MENTION_COMPARED)
    # A mention stored with the same text keeps its label; the others are analysed. CPU-bound (up to a few
    # seconds for a large import): off the event loop.
    to_analyse = carry_stored_labels(stored_rows, existing)
    if to_analyse:
        await asyncio.to_thread(analyse_mention_rows, analyzer, to_analyse)
    result = ImportResult(received=len(stored_rows), analysed=len(to_analyse))
    for row in stored_rows:
        before = existing.get((row["source"], row["external_id"]))
        if before is None:
            result.created += 1
        elif any(before[name] != row[name] for name in store.MENTION_COMPARED if name != "post_external_id"):
            result.updated += 1
        else:
            result.unchanged += 1
        result.sentiment[row["sentiment_label"]] += 1
        result.languages[row["language"] or "unknown"] += 1
    for row in stored_rows:
        # An imported mention never names a post; keep what a connector may have stored for the same key.
        before = existing.get((row["source"], row["external_id"]))
        row["post_external_id"] = before["post_external_id"] if before else None
    await store.upsert_mentions(session, stored_rows)
    # Billed in the import's transaction, each mention once, ever (a re-import or a sync of it is not billed again).
    await record_facts(
        session,
        meter="mentions_analysed",
        facts=[(mention_key(client_id, row["source"], row["external_id"]), client_id, 1) for row in stored_rows],
    )
    return result


CSV_EXAMPLE = (
    "source,external_id,published_at,text,author\n"
    'reviews,r-1042,2026-11-24T18:05:00+01:00,"Pain délicieux, accueil adorable !",claire\n'
)


def import_request_body() -> RequestBody:
    """The OpenAPI description of an import's body: a JSON array of mentions, or the same as CSV (or a CSV upload)."""
    row = msgspec.json.schema(list[MentionImportRow])
    return RequestBody(
        required=True,
        description="The mentions to import: a JSON array, or a CSV file (the body, or the form field `file`) with a "
        "header row of the same names.",
        content={
            "application/json": OpenAPIMediaType(
                schema=schema_from_json_schema(row),
                example=[
                    {
                        "source": "reviews",
                        "external_id": "r-1042",
                        "published_at": "2026-11-24T18:05:00+01:00",
                        "text": "Pain délicieux, accueil adorable !",
                        "author": "claire",
                    }
                ],
            ),
            "text/csv": OpenAPIMediaType(
                schema=Schema(type=OpenAPIType.STRING, description=f"UTF-8 CSV; columns: {', '.join(COLUMNS)}."),
                example=CSV_EXAMPLE,
            ),
            **form_upload(f"The mentions as a UTF-8 CSV file; columns: {', '.join(COLUMNS)}."),
        },
    )
