"""What a process shares between requests, as one typed object handed to handlers as the `services` dependency.

`api.app.build_services` makes it once per application (or per CLI command); it is the only attribute of the
application's `State`. A handler asks for `services: Services`; middleware, which has no dependency injection,
reads `services_of(scope)`. Tests replace a member on the one instance (`app.state.services.outbound_transport = ...`).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from litestar.datastructures import State

if TYPE_CHECKING:  # the members' classes import much of the service; only their names are needed here
    import httpx

    from api.alerts.evaluation import AlertEvaluator
    from api.auth import KeyCache
    from api.billing.backend import BillingBackend
    from api.billing.plans import Plan
    from api.billing.quotas import Quotas
    from api.billing.rate_limits import RateLimits
    from api.billing.standing import Standings
    from api.billing.usage_reporting import UsageReporter
    from api.host_agencies import HostAgencies
    from api.portal.dashboard import Dashboard
    from api.portal.mail import Mailer
    from api.portal.throttle import SignInThrottle
    from api.read_cache import ReadCache
    from api.sync.engine import SyncEngine
    from api.sync.worker import SyncWorker
    from api.tasks.background import BackgroundWork
    from api.webhooks.delivery import WebhookWorker
    from api.webhooks.urls import AddressPolicy
    from plugins.registry import Registry
    from plugins.sdk import EgressPolicy
    from tenants.credentials import CredentialVault
    from tenants.database import Database
    from tenants.domains import TxtResolver
    from tenants.settings import Settings


class Services:
    """The process's settings, stores, plugins, workers and outbound clients.

    A plain class rather than a dataclass: Litestar validates dependencies with msgspec, which would resolve a
    dataclass's annotations at request time, and these name classes imported for type checking only.
    """

    __slots__ = (
        "alert_evaluator",
        "background",
        "billing",
        "dashboard_cache",
        "database",
        "domain_resolver",
        "egress_policy",
        "email_link_throttle",
        "host_agencies",
        "key_cache",
        "mailer",
        "metrics_cache",
        "outbound_transport",
        "plans",
        "quotas",
        "rate_limits",
        "registry",
        "settings",
        "sign_in_throttle",
        "standings",
        "sync_engine",
        "sync_worker",
        "usage_reporter",
        "vault",
        "webhook_policy",
        "webhook_worker",
    )

    settings: Settings
    database: Database
    registry: Registry
    vault: CredentialVault
    key_cache: KeyCache
    metrics_cache: ReadCache[bytes]  # encoded GET /v1/metrics answers
    dashboard_cache: ReadCache[Dashboard]  # the portal's client dashboards
    sync_engine: SyncEngine
    sync_worker: SyncWorker
    webhook_policy: AddressPolicy
    egress_policy: EgressPolicy
    webhook_worker: WebhookWorker
    alert_evaluator: AlertEvaluator
    plans: dict[str, Plan]
    standings: Standings  # each agency's plan and access, cached per process
    quotas: Quotas  # counts and enforces the plans' quotas
    billing: BillingBackend  # Stripe, or local mode without a Stripe key (api/billing/backend.py)
    usage_reporter: UsageReporter  # sends the usage ledger to the billing backend; idle in local mode
    background: BackgroundWork  # the jobs (syncs, deliveries, usage reporting) and the task engine running them
    rate_limits: RateLimits | None  # per-agency request limits and the api_calls meter; None: billing off
    mailer: Mailer  # the portal's e-mails (RESONANCE_MAIL_URL)
    sign_in_throttle: SignInThrottle  # the portal's failed sign-ins, per account and per address
    email_link_throttle: SignInThrottle  # the portal's e-mailed links asked for, per account and per address
    domain_resolver: TxtResolver  # reads the TXT records that prove an agency's custom domain (tests: a fake)
    host_agencies: HostAgencies  # which agency a custom domain maps to, kept a while
    outbound_transport: httpx.AsyncBaseTransport | None  # tests: a fake transport for tenants' URLs

    def __init__(
        self,
        *,
        settings: Settings,
        database: Database,
        registry: Registry,
        vault: CredentialVault,
        key_cache: KeyCache,
        metrics_cache: ReadCache[bytes],
        dashboard_cache: ReadCache[Dashboard],
        sync_engine: SyncEngine,
        sync_worker: SyncWorker,
        webhook_policy: AddressPolicy,
        egress_policy: EgressPolicy,
        webhook_worker: WebhookWorker,
        alert_evaluator: AlertEvaluator,
        plans: dict[str, Plan],
        standings: Standings,
        quotas: Quotas,
        billing: BillingBackend,
        usage_reporter: UsageReporter,
        background: BackgroundWork,
        rate_limits: RateLimits | None,
        mailer: Mailer,
        sign_in_throttle: SignInThrottle,
        email_link_throttle: SignInThrottle,
        domain_resolver: TxtResolver,
        host_agencies: HostAgencies,
        outbound_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.registry = registry
        self.vault = vault
        self.key_cache = key_cache
        self.metrics_cache = metrics_cache
        self.dashboard_cache = dashboard_cache
        self.sync_engine = sync_engine
        self.sync_worker = sync_worker
        self.webhook_policy = webhook_policy
        self.egress_policy = egress_policy
        self.webhook_worker = webhook_worker
        self.alert_evaluator = alert_evaluator
        self.plans = plans
        self.standings = standings
        self.quotas = quotas
        self.billing = billing
        self.usage_reporter = usage_reporter
        self.background = background
        self.rate_limits = rate_limits
        self.mailer = mailer
        self.sign_in_throttle = sign_in_throttle
        self.email_link_throttle = email_link_throttle
        self.domain_resolver = domain_resolver
        self.host_agencies = host_agencies
        self.outbound_transport = outbound_transport

    def data_changed(self, tenant_id: uuid.UUID) -> None:
        """Forget the tenant's cached reads in this process: its stored data just changed (a sync wrote points,
        a client or an account was deleted)."""
        self.metrics_cache.invalidate(tenant_id)
        self.dashboard_cache.invalidate(tenant_id)


def services_of(source: State | dict[str, Any]) -> Services:
    """The services of an application, from its `State` or from an ASGI scope (in middleware)."""
    state = source if isinstance(source, State) else source["app"].state
    services: Services = state.services
    return services


async def provide_services(state: State) -> Services:
    """The `services` dependency."""
    return services_of(state)
