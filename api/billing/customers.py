"""The agency's customer at the billing backend: created once, whoever asks first, and kept in its subscription row."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.billing.backend import BillingBackend
from api.billing.plans import Plan
from api.billing.subscriptions import LOCAL, Subscription, subscription_row
from tenants.database import Database
from tenants.ids import new_id, utcnow
from tenants.models import Tenant


async def ensure_customer(
    session: AsyncSession, backend: BillingBackend, tenant_id: uuid.UUID, default_plan: Plan
) -> str:
    """The agency's customer id, created (once, whoever asks first) and stored when it has none.

    The backend gets the same customer back on a retry after a crash (Stripe: an idempotency key derived from the
    agency, within its 24 h window) instead of making a second one.
    """
    row = await subscription_row(session, tenant_id)
    if row is not None and row.stripe_customer_id:
        return row.stripe_customer_id
    tenant = await session.get(Tenant, tenant_id)
    customer = await backend.create_customer(tenant_id, tenant.name if tenant else str(tenant_id))
    table = Subscription.__table__  # type: ignore[attr-defined]
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = module.insert(table).values(
        tenant_id=tenant_id,
        id=new_id(),
        plan=default_plan.id,
        status=LOCAL,
        stripe_customer_id=customer,
        cancel_at_period_end=False,
        stripe_state_at=0,
        updated_at=utcnow(),
    )
    # Whoever stored a customer first wins; a concurrent creation got the same customer from Stripe anyway.
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["tenant_id"],
            set_={"stripe_customer_id": func.coalesce(table.c.stripe_customer_id, insert.excluded.stripe_customer_id)},
        )
    )
    stored = (
        await session.execute(select(table.c.stripe_customer_id).where(table.c.tenant_id == tenant_id))
    ).scalar_one()
    return str(stored)


async def agency_customer(database: Database, backend: BillingBackend, tenant_id: uuid.UUID, default_plan: Plan) -> str:
    """The agency's customer, created and committed in its own transaction when it has none, so a failed session
    never loses the customer the backend made."""
    async with database.tenant_session(tenant_id) as session:
        return await ensure_customer(session, backend, tenant_id, default_plan)
