"""CSV import of ledger entries: every row checked, all stored or none, each bad row reported by line."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import TypeVar

import msgspec

from api.clients.models import Client
from api.errors import InvalidInput
from api.request_text import nul_path
from api.roi.ledger import build_cost, build_value
from api.roi.models import CostEntry, ValueEntry
from api.roi.schemas import CostIn, ValueIn

COST_COLUMNS = (
    "type",
    "date",
    "network",
    "campaign",
    "amount",
    "hours",
    "hourly_rate",
    "currency",
    "exchange_rate",
    "note",
)
VALUE_COLUMNS = (
    "type",
    "date",
    "network",
    "campaign",
    "count",
    "amount",
    "unit_value",
    "currency",
    "exchange_rate",
    "note",
)
REQUIRED_COLUMNS = ("type", "date")
MAX_ROWS = 10_000
MAX_REPORTED = 100

Input = TypeVar("Input", CostIn, ValueIn)
Entry = TypeVar("Entry", CostEntry, ValueEntry)

_PATH = re.compile(r"at `\$\.([a-z_]+)`")


class RowError(msgspec.Struct):
    """Why one line of the file was refused."""

    line: int
    field: str
    reason: str


class ImportRefused(InvalidInput):
    """The file had bad rows: nothing was stored."""

    def __init__(self, errors: list[RowError], total: int) -> None:
        shown = errors[:MAX_REPORTED]
        first = shown[0]
        more = f" (the first {MAX_REPORTED} are listed)" if len(errors) > MAX_REPORTED else ""
        super().__init__(
            f"{len(errors)} of {total} rows are invalid{more}, so nothing was imported; the first is line "
            f"{first.line}, {first.field}: {first.reason} Fix every listed row and send the whole file again.",
            field=first.field,
            extra={"errors": [msgspec.to_builtins(error) for error in shown], "rows": total},
        )


def _reason(error: msgspec.ValidationError) -> tuple[str, str]:
    message = str(error)
    named = _PATH.search(message)
    field = named.group(1) if named else "row"
    if field == "day":
        field = "date"
    text = _PATH.sub("", message).strip(" -")
    return field, (text[0].upper() + text[1:] if text else message) + "."


def _read(body: bytes, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """The data rows with their line numbers (the header is line 1), or a 422 about the file itself."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            "the file is not UTF-8 text; save the CSV as UTF-8 and send it again.", field="body"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise InvalidInput(
            f"the file is empty; its first line must name the columns: {', '.join(columns)}.", field="body"
        )
    names = [name.strip().lower() for name in header]
    unknown = [name for name in names if name not in columns]
    if unknown:
        raise InvalidInput(
            f"line 1 names unknown column {unknown[0]!r}; the columns are: {', '.join(columns)}.", field=unknown[0]
        )
    repeated = [name for name in names if names.count(name) > 1]
    if repeated:
        raise InvalidInput(f"line 1 names the column {repeated[0]!r} twice; name each column once.", field=repeated[0])
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise InvalidInput(f"line 1 lacks the {missing[0]!r} column, which every row needs.", field=missing[0])
    rows: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise InvalidInput(f"the file has more than {MAX_ROWS} rows; split it.", field="body")
            if len(cells) != len(names):
                rows.append(
                    (start, {"__width__": f"It has {len(cells)} cells; the header names {len(names)} columns."})
                )
                continue
            rows.append((start, {name: cell.strip() for name, cell in zip(names, cells, strict=True) if cell.strip()}))
    except csv.Error as error:
        raise InvalidInput(f"line {reader.line_num} is not valid CSV ({error}).", field="body") from None
    if not rows:
        raise InvalidInput("the file has a header but no rows to import.", field="body")
    return rows


def _parse(
    body: bytes,
    columns: tuple[str, ...],
    shape: type[Input],
    build: Callable[[Client, Input], Entry],
    client: Client,
) -> list[Entry]:
    rows = _read(body, columns)
    entries: list[Entry] = []
    errors: list[RowError] = []
    for line, row in rows:
        if "__width__" in row:
            errors.append(RowError(line, "row", row["__width__"]))
            continue
        if (where := nul_path(row)) is not None:  # PostgreSQL cannot store a NUL in a text column
            errors.append(RowError(line, where, "It holds a NUL character (\\u0000), which text cannot contain."))
            continue
        try:
            data = msgspec.convert(row, shape, strict=False)
            entries.append(build(client, data))
        except msgspec.ValidationError as error:
            field, reason = _reason(error)
            errors.append(RowError(line, field, reason))
        except InvalidInput as error:
            errors.append(RowError(line, error.field or "row", error.detail[0].upper() + error.detail[1:]))
    if errors:
        raise ImportRefused(errors, len(rows))
    return entries


def parse_costs(body: bytes, client: Client) -> list[CostEntry]:
    """Cost entries from a CSV file, or an `ImportRefused` listing every bad row."""
    return _parse(body, COST_COLUMNS, CostIn, build_cost, client)


def parse_values(body: bytes, client: Client) -> list[ValueEntry]:
    """Value entries from a CSV file, or an `ImportRefused` listing every bad row."""
    return _parse(body, VALUE_COLUMNS, ValueIn, build_value, client)
