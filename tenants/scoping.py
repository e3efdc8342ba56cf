"""The tenant wall inside the ORM: every tenant-owned model inherits `TenantScoped`.

Within a tenant session, every ORM query gets `tenant_id = :current` added (SQLAlchemy's
`with_loader_criteria`), and every new row is stamped with the current tenant; a row stamped with
another tenant is refused before it reaches the database.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKeyConstraint, event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlmodel import Field, SQLModel
from sqlmodel.main import default_registry


class TenantScoped(SQLModel):
    """Mixin of every tenant-owned table: `tenant_id` first in the primary key."""

    # Stamped from the session's tenant at flush (see `install`), so callers never pass it.
    tenant_id: uuid.UUID = Field(default=None, primary_key=True, foreign_key="tenants.id", ondelete="CASCADE")


class CrossTenantWriteError(RuntimeError):
    """Code tried to write a row belonging to another tenant than the session's."""


_installed = False


def _tenant_owned_classes() -> list[type[TenantScoped]]:
    """Every mapped tenant-owned model, in a stable order (it is part of the statement cache key)."""
    classes = [mapper.class_ for mapper in default_registry.mappers if issubclass(mapper.class_, TenantScoped)]
    return sorted(classes, key=lambda cls: cls.__name__)


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
        # The mixin itself is not mapped, so the criteria go on each tenant-owned class. All of them, not
        # only `state.all_mappers`: that misses entities named only in FROM, JOIN or a subquery, as in
        # `select(func.count()).select_from(Client)`; criteria for a class absent from the statement are no-ops.
        criteria = [
            with_loader_criteria(cls, lambda cls: cls.tenant_id == tenant_id, include_aliases=True)
            for cls in _tenant_owned_classes()
        ]
        state.statement = state.statement.options(*criteria)

    @event.listens_for(Session, "before_flush")
    def _stamp_tenant(session: Session, _context: Any, _instances: Any) -> None:
        tenant_id = session.info.get(info_key)
        for instance in list(session.new) + list(session.dirty):
            if not isinstance(instance, TenantScoped):
                continue
            current: uuid.UUID | None = instance.tenant_id
            if current is None and tenant_id is not None:
                instance.tenant_id = tenant_id
            elif tenant_id is not None and current != tenant_id:
                raise CrossTenantWriteError(f"{type(instance).__name__} belongs to another tenant than this session's")


def tenant_foreign_key(column: str, table: str, *, name: str) -> ForeignKeyConstraint:
    """A composite foreign key `(tenant_id, column)` → `table(tenant_id, id)`, deleted with its parent.

    Carrying `tenant_id` in every reference makes a row pointing into another tenant impossible.
    """
    return ForeignKeyConstraint(
        ["tenant_id", column], [f"{table}.tenant_id", f"{table}.id"], ondelete="CASCADE", name=name
    )
