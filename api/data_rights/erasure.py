"""Erasing an agency: every row of it, its stored credentials with them, its cached answers, its queued jobs, and
its Stripe customer.

The order makes a failure safe to retry: the Stripe customer is deleted first (Stripe then cancels its
subscriptions at once, so nothing more is billed), and only then the agency's rows, in one transaction: deleting
the agency's row deletes every tenant table's rows through their foreign keys (`ON DELETE CASCADE`), including
the accounts' encrypted credentials, the pending syncs, webhook deliveries and usage not yet reported. If Stripe
refuses, nothing is erased and the call can be made again. The erasure itself is written to the service's log
(agency id, who, how many rows), since the agency's own audit log goes with it.

A client is erased by deleting it (`DELETE /v1/clients/{id}`), which removes its rows the same way; the audit
log then keeps only ids and actions, not its name (`forget_client_in_audit_log`).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass

import stripe
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from api.billing.metering import UsageEvent
from api.billing.self_service import StripeUnavailable
from api.billing.subscriptions import subscription_row
from api.errors import InvalidInput, NotFound
from api.services import Services
from tenants.audit import Actor
from tenants.models import AuditEntry, Tenant

log = logging.getLogger("resonance.data_rights")


class ErasureFailed(Exception):
    """The erasure could not be done; nothing was erased."""


@dataclass(frozen=True)
class Erased:
    """What an erasure removed."""

    tenant_id: uuid.UUID
    rows: int
    stripe_customer_deleted: bool


async def _count_rows(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    total = 0
    for table in SQLModel.metadata.sorted_tables:
        if "tenant_id" in table.c:
            total += (
                await session.scalar(select(func.count()).select_from(table).where(table.c.tenant_id == tenant_id)) or 0
            )
    return total + 1  # the agency's own row


async def erase_agency(services: Services, tenant_id: uuid.UUID, actor: Actor) -> Erased | None:
    """Erase the agency `tenant_id` entirely; None when there is no such agency."""
    async with services.database.tenant_session(tenant_id) as session:
        if await session.get(Tenant, tenant_id) is None:
            return None
        row = await subscription_row(session, tenant_id)
        customer = row.stripe_customer_id if row is not None else None
    deleted = False
    if customer and services.billing.online:
        try:
            await services.billing.delete_customer(customer)
        except stripe.InvalidRequestError as error:
            raise ErasureFailed(f"Stripe refused to delete the agency's customer: {error.user_message}") from None
        except stripe.StripeError:
            raise ErasureFailed("Stripe could not be reached to delete the agency's customer; try again.") from None
        deleted = True
    async with services.database.tenant_session(tenant_id) as session:
        rows = await _count_rows(session, tenant_id)
        await session.execute(delete(Tenant).where(Tenant.id == tenant_id))  # type: ignore[arg-type]
    services.data_changed(tenant_id)
    services.key_cache.forget_tenant(tenant_id)
    log.info(
        "agency erased",
        extra={"tenant_id": str(tenant_id), "actor": actor.label, "rows": rows, "stripe_customer_deleted": deleted},
    )
    return Erased(tenant_id, rows, deleted)


async def forget_client_in_audit_log(session: AsyncSession, client_id: uuid.UUID) -> None:
    """What must outlive a client being erased keeps no trace of its content. Call it before deleting the client.

    - The audit log keeps the actions on the client and on its objects (accounts, rules, keys, viewers…), but not
      what they changed (its name, handles, settings).
    - The usage ledger keeps what was metered (billed to the agency), but the keys that made each event count once
      name the mentions by their networks' ids: they become digests of themselves, still unique.
    """
    ids = {str(client_id)}
    for table in SQLModel.metadata.sorted_tables:
        if "client_id" in table.c and "id" in table.c:
            found = await session.scalars(select(table.c.id).where(table.c.client_id == client_id))
            ids.update(str(value) for value in found)
    await session.execute(update(AuditEntry).where(col(AuditEntry.entity_id).in_(ids)).values(changes={}))
    prefix = f"mentions_analysed:{client_id}:"
    named = await session.execute(
        select(UsageEvent.id, UsageEvent.idempotency_key).where(  # type: ignore[call-overload]
            col(UsageEvent.client_id) == client_id, col(UsageEvent.idempotency_key).startswith(prefix)
        )
    )
    for event_id, key in named.all():
        digest = hashlib.sha256(key.encode()).hexdigest()
        await session.execute(
            update(UsageEvent).where(col(UsageEvent.id) == event_id).values(idempotency_key=f"{prefix}erased:{digest}")
        )


async def erase_confirmed(services: Services, tenant_id: uuid.UUID, confirm: str | None, actor: Actor) -> None:
    """`DELETE /v1/tenant`: erase the agency when `confirm` is its id; the API's errors otherwise."""
    if (confirm or "").strip().lower() != str(tenant_id):
        raise InvalidInput(
            "To erase the agency, send its id as the confirm parameter (?confirm=<tenant id>): this cannot be undone.",
            field="confirm",
        )
    try:
        erased = await erase_agency(services, tenant_id, actor)
    except ErasureFailed as error:
        raise StripeUnavailable(str(error)) from None
    if erased is None:
        raise NotFound("This agency no longer exists.")
