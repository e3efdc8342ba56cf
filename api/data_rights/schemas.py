"""The audit log as the API shows it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from tenants.models import AuditEntry


class AuditEntryOut(msgspec.Struct):
    """One change to the agency's data: when, who (member, key or operator), what, on which object."""

    at: datetime
    actor: str
    """`key:<name>`, `member:<e-mail>`, `cli` or `system`."""
    api_key_id: uuid.UUID | None
    action: str
    """What was done, like `client.created` or `api_key.revoked`."""
    entity_type: str
    entity_id: str
    changes: dict[str, Any]
    """The fields changed (secrets never appear; empty for an erased client)."""
    request_id: str | None


class AuditLogPage(msgspec.Struct):
    data: list[AuditEntryOut]
    next_cursor: str | None


def audit_entry_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        at=entry.at,
        actor=entry.actor,
        api_key_id=entry.api_key_id,
        action=entry.action,
        entity_type=entry.entity_type,
        entity_id=entry.entity_id,
        changes=entry.changes,
        request_id=entry.request_id,
    )
