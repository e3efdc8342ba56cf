"""`GET /v1/plans` and `GET /v1/subscription`: what is on sale, and the agency's plan, access and quota use."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, require
from api.billing.plans import QUOTAS, Plan
from api.billing.quotas import COUNTED, Quotas, usage_of
from api.billing.rate_limit_middleware import DECISION_STATE
from api.billing.rate_limits import QUOTA as REQUEST_RATE
from api.billing.rate_limits import RateDecision
from api.billing.schemas import AccessOut, PlanList, PlanOut, PlanQuota, QuotaUsage, SubscriptionOut
from api.client_keys import OPEN_TO_CLIENT_KEYS
from tenants.ids import utcnow


def plan_out(plan: Plan, current: bool) -> PlanOut:
    """The API shape of a plan."""
    return PlanOut(
        id=plan.id,
        name=plan.name,
        price=str(plan.price),
        currency=plan.currency,
        quotas={quota: PlanQuota(limit=plan.limit(quota), description=text) for quota, text in QUOTAS.items()},
        current=current,
    )


class PlanController(Controller):
    tags = ["billing"]

    # The price list is open to a key limited to a client; the agency's subscription and quota use are not.
    @get("/v1/plans", guards=[require("read")], summary="The plans on sale", opt={OPEN_TO_CLIENT_KEYS: True})
    async def plans(self, session: AsyncSession, principal: Principal, state: State) -> PlanList:
        """Every plan with its monthly price and quotas (null: unlimited); `current` marks the agency's."""
        quotas: Quotas = state.quotas
        current = (await quotas.standing(session, principal.tenant_id)).plan.id
        ordered = sorted(state.plans.values(), key=lambda plan: (plan.price, plan.id))
        return PlanList(data=[plan_out(plan, plan.id == current) for plan in ordered])

    @get("/v1/subscription", guards=[require("read")], summary="The agency's subscription and quota use")
    async def subscription(
        self, request: Request[Principal, object, State], session: AsyncSession, principal: Principal, state: State
    ) -> SubscriptionOut:
        """The agency's plan and subscription status (`local` when it never subscribed through Stripe), whether it
        may make changes (and until when, for a past-due subscription in its grace period), and for each quota the
        limit, the current use and what remains. Tracked accounts count every account but paused ones; syncs per
        day count the runs started since 00:00 UTC, scheduled or requested; API requests per minute count the
        requests of the last 60 seconds, this one included (null with billing off or a plan without that limit).
        The `RateLimit` headers carry the same figure once half the limit is used (by default)."""
        quotas: Quotas = state.quotas
        standing = await quotas.standing(session, principal.tenant_id)
        now = utcnow()
        usage: dict[str, QuotaUsage] = {}
        for quota, text in QUOTAS.items():
            limit = standing.plan.limit(quota)
            if quota in COUNTED:
                used: int | None = await usage_of(session, quota, now)
            else:  # the request rate: this request's own rate-limit decision (api/billing/rate_limit_middleware.py)
                decision: RateDecision | None = request.scope.get("state", {}).get(DECISION_STATE)
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
