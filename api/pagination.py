"""Keyset (cursor) pagination: stable under inserts, cheap at any depth.

A list route takes its page as the `page` dependency (`PAGE`: the `cursor` and `limit` query parameters, the
limit capped) and reads it with `fetch_requested_page`:

    @get("/...", dependencies={"page": PAGE})
    async def handler(self, session: AsyncSession, ..., page: PageRequest) -> ...:
        rows, next_cursor = await fetch_requested_page(session, statement, [col(Model.id)], page)

A page's answer carries `X-Page-Limit`, the page size applied, and `X-Page-Limit-Capped` when the asked limit was
above the maximum (`announce_page_limit`, a `before_send` hook of the app).

The handler asks for `page` last: Litestar documents a dependency's parameters in place of the handler's
parameter that asks for it, so `cursor` and `limit` stay the last query parameters in the OpenAPI document.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import Parameter
from litestar.types import Message, Scope
from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import InvalidInput
from api.services import services_of

DEFAULT_PAGE_SIZE = 50
LIMIT_DESCRIPTION = "Page size (capped)."

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageRequest:
    """The page a list request asks for: after `cursor` (None: the first page), `limit` rows at most (capped)."""

    cursor: str | None
    limit: int


def page_size(limit: int | None, maximum: int) -> int:
    """The page size to use: the caller's limit capped at `maximum`."""
    if limit is None:
        return min(DEFAULT_PAGE_SIZE, maximum)
    if limit < 1:
        raise InvalidInput("limit must be at least 1.", field="limit")
    return min(limit, maximum)


PAGE_LIMIT_HEADER = b"x-page-limit"
"""On every page a list route answers: the page size applied (the asked `limit`, the default, or the maximum)."""
PAGE_LIMIT_CAPPED_HEADER = b"x-page-limit-capped"
"""Only when the asked `limit` was above `RESONANCE_PAGE_SIZE_MAX`: a sentence saying so and what to do."""
_APPLIED, _ASKED = "page_limit", "page_limit_asked"


async def provide_page(
    request: Request[Any, Any, Any],
    state: State,
    cursor: str | None = None,
    limit: Annotated[int | None, Parameter(ge=1, description=LIMIT_DESCRIPTION)] = None,
) -> PageRequest:
    """The `page` dependency: `cursor` and `limit`, capped at `RESONANCE_PAGE_SIZE_MAX`.

    It asks for no other dependency (the app's `state`, not the `services` dependency), so Litestar resolves it
    in its first batch, before the `session` dependency opens a session: when `limit` is refused, no session
    generator is left half-used. Resolved beside it and abandoned by Litestar when a sibling fails, the session
    generator was closed later by the garbage collector, and asyncio logged "aclose(): asynchronous generator
    is already running".
    """
    applied = page_size(limit, services_of(state).settings.page_size_max)
    # A larger limit is capped rather than refused: a client asking for "everything" (limit=1000) still gets pages
    # to walk; `announce_page_limit` tells it the size it got, so it does not take a short page for the end.
    request.scope["state"][_APPLIED] = applied
    if limit is not None and limit > applied:
        request.scope["state"][_ASKED] = limit
    return PageRequest(cursor=cursor, limit=applied)


async def announce_page_limit(message: Message, scope: Scope) -> None:
    """`before_send` hook: the page size a list answer applied (`X-Page-Limit`), and when the asked `limit` was
    capped, a sentence saying so (`X-Page-Limit-Capped`)."""
    if message["type"] != "http.response.start" or (applied := scope.get("state", {}).get(_APPLIED)) is None:
        return
    headers = [*message.get("headers", []), (PAGE_LIMIT_HEADER, str(applied).encode("ascii"))]
    asked = scope.get("state", {}).get(_ASKED)
    if asked is not None:
        sentence = (
            f"limit {asked} is above the largest page size, {applied}: this page holds at most {applied} items. "
            "Follow next_cursor for the others."
        )
        headers.append((PAGE_LIMIT_CAPPED_HEADER, sentence.encode("ascii")))
    message["headers"] = headers


PAGE = Provide(provide_page)
"""The page parameters of a list route, as the `page` dependency."""


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"u": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and "t" in value:
        return datetime.fromisoformat(value["t"])
    if isinstance(value, dict) and "u" in value:
        return uuid.UUID(value["u"])
    return value


def encode_cursor(values: list[Any]) -> str:
    """An opaque cursor for the row whose sort key is `values`."""
    raw = json.dumps([_encode_value(value) for value in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _invalid_cursor() -> InvalidInput:
    return InvalidInput(
        "cursor is not a cursor this API gave out. Use the next_cursor of the previous page, unchanged.",
        field="cursor",
    )


def decode_cursor(cursor: str, width: int) -> list[Any]:
    """The sort key inside `cursor`, or a 422 naming the `cursor` parameter."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != width:
            raise ValueError("wrong width")
        return [_decode_value(value) for value in values]
    except (ValueError, TypeError):
        raise _invalid_cursor() from None


def _check_cursor_types(values: list[Any], keys: Sequence[Any]) -> None:
    """A decodable cursor whose values do not fit the sort columns is refused too, not sent to the database."""
    for value, key in zip(values, keys, strict=True):
        column_type = getattr(key.type, "impl_instance", key.type)
        try:
            expected = column_type.python_type
        except NotImplementedError:
            continue
        if not isinstance(value, expected) or (isinstance(value, datetime) and value.tzinfo is None):
            raise _invalid_cursor()


async def fetch_page(
    session: AsyncSession,
    statement: Select[Any],
    keys: Sequence[Any],
    *,
    limit: int,
    cursor: str | None,
    descending: bool = False,
) -> tuple[list[Any], str | None]:
    """One page of `statement` ordered by `keys`, and the cursor of the next page (None at the end)."""
    if cursor:
        after = decode_cursor(cursor, len(keys))
        _check_cursor_types(after, keys)
        clauses = []
        for index, key in enumerate(keys):
            equal = [keys[i] == after[i] for i in range(index)]
            beyond = key < after[index] if descending else key > after[index]
            clauses.append(and_(*equal, beyond))
        statement = statement.where(or_(*clauses))
    ordering = [key.desc() if descending else key.asc() for key in keys]
    rows = list((await session.execute(statement.order_by(*ordering).limit(limit + 1))).scalars().all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor([getattr(last, key.key) for key in keys])


async def fetch_requested_page(
    session: AsyncSession, statement: Select[Any], keys: Sequence[Any], page: PageRequest, *, descending: bool = False
) -> tuple[list[Any], str | None]:
    """`fetch_page` for the page a list request asked for."""
    return await fetch_page(session, statement, keys, limit=page.limit, cursor=page.cursor, descending=descending)
