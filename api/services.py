"""What a process shares between requests, as one typed object handed to handlers as the `services` dependency.

`api.app.build_services` makes it once per application. A handler asks for `services: Services` instead of
reading untyped attributes of Litestar's `State`; middleware, which has no dependency injection, reads
`services_of(scope)`. Tests replace a member on the one instance (`app.state.services.outbound_transport = ...`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from litestar.datastructures import State

if TYPE_CHECKING:  # the members' classes import much of the service; only their names are needed here
    import httpx
    import stripe

    from api.alerts.evaluation import AlertEvaluator
    from api.auth import KeyCache
    from api.billing.plans import Plan
    from api.billing.quotas import Quotas
    from api.billing.rate_limits import RateLimits
    from api.billing.standing import Standings
    from api.billing.usage_reporting import UsageReporter
    from api.metrics.cache import MetricsCache
    from api.portal.mail import Mailer
    from api.sync.engine import SyncEngine
    from api.sync.worker import SyncWorker
    from api.webhooks.delivery import WebhookWorker
    from api.webhooks.urls import AddressPolicy
    from plugins.registry import Registry
    from plugins.sdk import EgressPolicy
    from tenants.credentials import CredentialVault
    from tenants.database import Database
    from tenants.settings import Settings


@dataclass(slots=True, eq=False)
class Services:
    """The process's settings, stores, plugins, workers and outbound clients."""

    settings: Settings
    database: Database
    registry: Registry
    vault: CredentialVault
    key_cache: KeyCache
    metrics_cache: MetricsCache
    sync_engine: SyncEngine
    sync_worker: SyncWorker
    webhook_policy: AddressPolicy
    egress_policy: EgressPolicy
    webhook_worker: WebhookWorker
    alert_evaluator: AlertEvaluator
    plans: dict[str, Plan]
    standings: Standings  # each agency's plan and access, cached per process
    quotas: Quotas  # counts and enforces the plans' quotas
    usage_reporter: UsageReporter | None  # sends the usage ledger to Stripe; None in local mode
    rate_limits: RateLimits | None  # per-agency request limits and the api_calls meter; None: billing off
    stripe_client: stripe.StripeClient | None  # checkout, portal and the webhook's look-ups; None in local mode
    stripe_http: stripe.HTTPXClient | None  # the connection pools every Stripe client of the process shares
    mailer: Mailer  # the portal's e-mails (RESONANCE_MAIL_URL)
    outbound_transport: httpx.AsyncBaseTransport | None = None  # tests: a fake transport for tenants' URLs


def services_of(source: State | dict[str, Any]) -> Services:
    """The services of an application, from its `State` or from an ASGI scope (in middleware)."""
    state = source if isinstance(source, State) else source["app"].state
    services: Services = state.services
    return services


async def provide_services(state: State) -> Services:
    """The `services` dependency."""
    return services_of(state)
