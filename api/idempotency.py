"""Idempotency-Key on creating POSTs: the same key and body replay the first response."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, Response
from sqlalchemy import Column
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, select

from api.errors import IdempotencyKeyReused, InvalidInput
from tenants.ids import utcnow
from tenants.scoping import TenantScoped
from tenants.types import JsonDocument, UTCDateTime


class IdempotencyRecord(TenantScoped, table=True):
    """The first response given to a creating request sent with an `Idempotency-Key`."""

    __tablename__ = "idempotency_keys"

    key: str = Field(primary_key=True, max_length=200)
    method: str = Field(max_length=10)
    path: str = Field(max_length=500)
    request_hash: str = Field(max_length=64)
    status_code: int
    response_body: Any = Field(default=None, sa_column=Column(JsonDocument, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


def _unchanged(body: Any) -> Any:
    return body


async def idempotent(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    create: Callable[[], Awaitable[Response[Any]]],
    *,
    redact: Callable[[Any], Any] | None = None,
    content: bytes | None = None,
) -> Response[Any]:
    """Run `create` once per `Idempotency-Key`: the same key and body replay its first response.

    The record is written in the creating transaction, so a crash leaves either both or neither.
    `redact` turns the response body into what is stored for replays, so that a secret shown once
    (a new API key) is never written to the database in clear. `content` stands for the body when the
    raw bytes would differ from one send of the same request to the next (a form upload's boundary).
    """
    key = request.headers.get(IDEMPOTENCY_HEADER.lower())
    if key is None:
        return await create()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            f"{IDEMPOTENCY_HEADER} must be 1 to {MAX_KEY_LENGTH} characters; a UUID is a good choice.",
            field=IDEMPOTENCY_HEADER,
        )
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b" " + request.url.path.encode() + b"\n")
    digest.update(await request.body() if content is None else content)
    request_hash = digest.hexdigest()
    previous = (await session.scalars(select(IdempotencyRecord).where(IdempotencyRecord.key == key))).first()
    if previous is not None:
        if previous.request_hash != request_hash:
            raise IdempotencyKeyReused(
                f"The {IDEMPOTENCY_HEADER} {key!r} was already used for a different request "
                f"({previous.method} {previous.path}). Use a new key for a new request.",
                field=IDEMPOTENCY_HEADER,
            )
        return Response(
            content=previous.response_body,
            status_code=previous.status_code,
            headers={"Idempotent-Replayed": "true"},
        )
    response = await create()
    session.add(
        IdempotencyRecord(
            key=key,
            method=request.method,
            path=request.url.path,
            request_hash=request_hash,
            status_code=response.status_code or 200,
            response_body=(redact or _unchanged)(msgspec.to_builtins(response.content)),
        )
    )
    return response
