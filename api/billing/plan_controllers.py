"""`GET /v1/plans` and `GET /v1/subscription`: what is on sale, and the agency's plan, access and quota use."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, require
from api.billing.plans import QUOTAS, Plan, by_price
from api.billing.quotas import Quotas
from api.billing.rate_limit_middleware import DECISION_STATE
from api.billing.rate_limits import RateDecision
from api.billing.schemas import PlanList, PlanOut, PlanQuota, SubscriptionOut
from api.billing.subscription_status import read_subscription
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.services import Services


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
    async def plans(self, session: AsyncSession, principal: Principal, services: Services) -> PlanList:
        """Every plan with its monthly price and quotas (null: unlimited); `current` marks the agency's."""
        quotas: Quotas = services.quotas
        current = (await quotas.standing(session, principal.tenant_id)).plan.id
        ordered = by_price(services.plans)
        return PlanList(data=[plan_out(plan, plan.id == current) for plan in ordered])

    @get("/v1/subscription", guards=[require("read")], summary="The agency's subscription and quota use")
    async def subscription(
        self,
        request: Request[Principal, object, State],
        session: AsyncSession,
        principal: Principal,
        services: Services,
    ) -> SubscriptionOut:
        """The agency's plan and subscription status (`local` when it never subscribed through Stripe), whether it
        may make changes (and until when, for a past-due subscription in its grace period), and for each quota the
        limit, the current use and what remains. Tracked accounts count every account but paused ones; syncs per
        day count the runs started since 00:00 UTC, scheduled or requested; API requests per minute count the
        requests of the last 60 seconds, this one included (null with billing off or a plan without that limit).
        The `RateLimit` headers carry the same figure once half the limit is used (by default)."""
        # The request rate's use is this request's own rate-limit decision (api/billing/rate_limit_middleware.py).
        decision: RateDecision | None = request.scope.get("state", {}).get(DECISION_STATE)
        return await read_subscription(session, services.quotas, principal.tenant_id, decision)
