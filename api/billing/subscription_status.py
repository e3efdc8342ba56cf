"""An agency's plan, subscription, access and use of each quota: what `GET /v1/subscription` answers and the
portal's plan page shows."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from api.billing.plans import QUOTAS
from api.billing.quotas import COUNTED, usage_of
from api.billing.rate_limits import QUOTA as REQUEST_RATE
from api.billing.schemas import AccessOut, QuotaUsage, SubscriptionOut
from tenants.ids import utcnow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from api.billing.quotas import Quotas
    from api.billing.rate_limits import RateDecision


async def read_subscription(
    session: AsyncSession, quotas: Quotas, tenant_id: uuid.UUID, decision: RateDecision | None
) -> SubscriptionOut:
    """The agency's subscription; `decision` is this request's rate-limit decision, whose count is the request
    rate's use (None when no limit was applied)."""
    standing = await quotas.standing(session, tenant_id)
    now = utcnow()
    usage: dict[str, QuotaUsage] = {}
    for quota, text in QUOTAS.items():
        limit = standing.plan.limit(quota)
        if quota in COUNTED:
            used: int | None = await usage_of(session, quota, now)
        else:
            used = decision.used if quota == REQUEST_RATE and decision is not None else None
        remaining = None if limit is None or used is None else max(0, limit - used)
        usage[quota] = QuotaUsage(limit=limit, usage=used, remaining=remaining, description=text)
    return SubscriptionOut(
        plan=standing.plan.id,
        plan_name=standing.plan.name,
        status=standing.status,
        stripe_customer_id=standing.stripe_customer_id,
        stripe_subscription_id=standing.stripe_subscription_id,
        current_period_end=standing.current_period_end,
        cancel_at_period_end=standing.cancel_at_period_end,
        access=AccessOut(
            writable=standing.access.writable,
            reason=standing.access.reason,
            read_only_from=standing.access.read_only_from,
        ),
        quotas=usage,
    )
