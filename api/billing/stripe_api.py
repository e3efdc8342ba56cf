"""Talking to Stripe: the client from the settings, meter event names, and one Stripe customer per agency.

Without `RESONANCE_STRIPE_API_KEY` there is no client and billing runs in local mode: the ledger, quotas
and usage API work, nothing is sent. `RESONANCE_STRIPE_API_BASE` points the SDK at another server (the
tests' fake Stripe, a local mock) with Stripe's wire format.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

import stripe
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.billing.metering import METERS
from api.billing.plans import Plan
from api.billing.subscriptions import LOCAL, Subscription, subscription_row
from tenants.ids import new_id, utcnow
from tenants.models import Tenant
from tenants.settings import Settings

METER_EVENT_NAMES: Final = {meter: f"resonance_{meter}" for meter in METERS}
"""The `event_name` of each meter's Billing Meter Events; the Stripe meters must be created with these names."""


def new_http_client() -> stripe.HTTPXClient:
    """The connection pools (async and sync) a `StripeClient` sends through; `close_http_client` closes them."""
    return stripe.HTTPXClient(timeout=30, allow_sync_methods=True)


async def close_http_client(client: stripe.HTTPXClient) -> None:
    """Close both pools of `client` (the SDK never closes a client it was given)."""
    await client.close_async()  # type: ignore[no-untyped-call]  # the SDK leaves them unannotated
    client.close()  # type: ignore[no-untyped-call]


def stripe_client(
    settings: Settings, *, max_network_retries: int = 2, http_client: stripe.HTTPXClient | None = None
) -> stripe.StripeClient | None:
    """A Stripe client (async-capable, over httpx, through `http_client` or pools of its own) when a key is set;
    None in local mode."""
    if not settings.stripe_enabled:
        return None
    options: dict[str, Any] = {}
    if settings.stripe_api_base:
        base = settings.stripe_api_base.rstrip("/")
        options["base_addresses"] = {"api": base, "connect": base, "files": base, "meter_events": base}
    return stripe.StripeClient(
        settings.stripe_api_key,
        http_client=http_client or new_http_client(),
        max_network_retries=max_network_retries,
        **options,
    )


async def ensure_customer(
    session: AsyncSession, client: stripe.StripeClient, tenant_id: uuid.UUID, default_plan: Plan
) -> str:
    """The agency's Stripe customer id, created (once, whoever asks first) and stored when it has none.

    The creation carries an idempotency key derived from the agency, so a retry after a crash within
    Stripe's 24 h idempotency window gets the same customer back instead of a second one.
    """
    row = await subscription_row(session, tenant_id)
    if row is not None and row.stripe_customer_id:
        return row.stripe_customer_id
    tenant = await session.get(Tenant, tenant_id)
    customer = await client.v1.customers.create_async(
        params={"name": tenant.name if tenant else str(tenant_id), "metadata": {"tenant_id": str(tenant_id)}},
        options={"idempotency_key": f"resonance-customer-{tenant_id}"},
    )
    table = Subscription.__table__  # type: ignore[attr-defined]
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = module.insert(table).values(
        tenant_id=tenant_id,
        id=new_id(),
        plan=default_plan.id,
        status=LOCAL,
        stripe_customer_id=customer.id,
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
