"""The audit log: every change to a tenant's data, with who made it and from which key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenants.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who is acting: an API key, a CLI operator or the system itself."""

    label: str
    api_key_id: uuid.UUID | None = None
    request_id: str | None = None


SYSTEM = Actor(label="system")


def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    entity: Any,
    *,
    changes: dict[str, Any] | None = None,
) -> None:
    """Add an audit entry for `action` on `entity` to the session's transaction."""
    session.add(
        AuditEntry(
            api_key_id=actor.api_key_id,
            # an e-mail may be 320 characters, the column 200: the full address stays in `changes` where it matters
            actor=_fit(actor.label, ACTOR_MAX_LENGTH),
            action=action,
            entity_type=type(entity).__tablename__ if hasattr(type(entity), "__tablename__") else type(entity).__name__,
            entity_id=str(getattr(entity, "id", "")),
            changes=_jsonable(changes or {}),
            request_id=actor.request_id,
        )
    )


ACTOR_MAX_LENGTH = 200
"""The width of `audit_log.actor`."""


def _fit(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
