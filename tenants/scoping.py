"""The tenant wall inside the ORM: every tenant-owned model inherits `TenantScoped`.

Within a tenant session, every ORM query gets `tenant_id = :current` added (SQLAlchemy's
`with_loader_criteria`), and every new row is stamped with the current tenant; a row stamped with
another tenant is refused before it reaches the database.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlmodel import Field, SQLModel


class TenantScoped(SQLModel):
    """Mixin of every tenant-owned table: `tenant_id` first in the primary key."""

    tenant_id: uuid.UUID = Field(primary_key=True, foreign_key="tenants.id", ondelete="CASCADE")


class CrossTenantWriteError(RuntimeError):
    """Code tried to write a row belonging to another tenant than the session's."""


_installed = False


def install(info_key: str) -> None:
    """Register the session events once per process."""
    global _installed
    if _installed:
        return
    _installed = True

    @event.listens_for(Session, "do_orm_execute")
    def _filter_by_tenant(state: ORMExecuteState) -> None:
        tenant_id = state.session.info.get(info_key)
        if tenant_id is None or not (state.is_select or state.is_update or state.is_delete):
            return
        # The mixin itself is not mapped, so the criteria go on each tenant-owned entity in the statement.
        criteria = [
            with_loader_criteria(mapper.class_, lambda cls: cls.tenant_id == tenant_id, include_aliases=True)
            for mapper in state.all_mappers
            if issubclass(mapper.class_, TenantScoped)
        ]
        if criteria:
            state.statement = state.statement.options(*criteria)

    @event.listens_for(Session, "before_flush")
    def _stamp_tenant(session: Session, _context: Any, _instances: Any) -> None:
        tenant_id = session.info.get(info_key)
        for instance in list(session.new) + list(session.dirty):
            if not isinstance(instance, TenantScoped):
                continue
            if instance.tenant_id is None and tenant_id is not None:
                instance.tenant_id = tenant_id
            elif tenant_id is not None and instance.tenant_id != tenant_id:
                raise CrossTenantWriteError(f"{type(instance).__name__} belongs to another tenant than this session's")
