"""The application factory: one place that wires settings, database, plugins, sync and routes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy.exc import IntegrityError

from api.accounts.controllers import AccountController
from api.alerts.controllers import AlertController, AlertRuleController
from api.alerts.evaluation import AlertEvaluator
from api.auth import ApiKeyMiddleware, KeyCache
from api.benchmark.controllers import BenchmarkController
from api.billing.access import document_access, subscription_access
from api.billing.backend import billing_backend
from api.billing.controllers import UsageController
from api.billing.plan_controllers import PlanController
from api.billing.plans import load_plans
from api.billing.quotas import Quotas
from api.billing.rate_limit_middleware import rate_limit_middleware
from api.billing.rate_limits import rate_limits_store
from api.billing.sessions import BillingSessionController
from api.billing.standing import Standings
from api.billing.stripe_webhook import document_stripe_webhook, stripe_webhook
from api.billing.usage_reporting import UsageReporter
from api.client_keys import client_key_access, document_client_keys
from api.clients.controllers import ClientController
from api.connectors.controllers import ConnectorController
from api.connectors.egress import egress_policy
from api.content.controllers import ContentController
from api.data_rights.controllers import DataRightsController
from api.dependencies import dependencies
from api.employer_brand.controllers import EmployerBrandController
from api.errors import exception_handlers, problem
from api.health import health, ready
from api.host_agencies import HostAgencies
from api.mention_import.importer import import_request_body
from api.metrics.controllers import MetricsController
from api.metrics.fast_path import cached_metrics_middleware
from api.oauth.controllers import OAuthController, document_callback
from api.objectives.alerting import ObjectivesChecker
from api.objectives.controllers import ObjectiveController
from api.observability import echo_request_id, request_id_middleware
from api.observability.endpoint import metrics_endpoint_for
from api.observability.http_metrics import count_request
from api.observability.tracing import configure_tracing, flush_tracing, name_server_span, tracing_plugin
from api.openapi import document_problems, document_request_body
from api.pagination import announce_page_limit
from api.portal.controllers import portal_router
from api.portal.dashboard import Dashboard
from api.portal.mail import mailer_from_url
from api.portal.throttle import email_link_throttle, sign_in_throttle
from api.presence.controllers import PresenceController
from api.rates.controllers import RatesController
from api.read_cache import ReadCache
from api.reports.controllers import GeneratedReportController, ReportController
from api.reports.generation import ReportGenerator
from api.request_body import JsonBodyRequest
from api.request_text import nul_guard_middleware
from api.roi.ledger_controllers import CostController, ValueController, document_imports
from api.roi.report_controllers import EmvRatesController, RoiController
from api.sentiment.controllers import SentimentController
from api.services import Services
from api.sync.controllers import SyncController
from api.sync.engine import SyncEngine
from api.sync.pacing import NetworkPacing
from api.sync.worker import SyncWorker
from api.tasks.background import BackgroundWork
from api.tasks.engines import task_engine_factory
from api.tasks.network_slots import NetworkSlots
from api.tenancy.brand import BrandController, DomainController
from api.tenancy.controllers import ApiKeyController, TenantController, signup
from api.webhooks.controllers import WebhookController
from api.webhooks.delivery import WebhookWorker
from api.webhooks.events import publish
from api.webhooks.urls import AddressPolicy
from plugins.registry import Registry, load_registry
from tenants.credentials import CredentialVault
from tenants.database import Database
from tenants.domains import DnsResolver
from tenants.settings import Settings, load_settings

API_VERSION = "1.0.0"
PORTAL = Path(__file__).parent / "portal"
PUBLIC_PATHS = [
    "^/portal/",
    "^/health$",
    "^/ready$",
    "^/v1/signup$",
    "^/v1/oauth/callback$",
    "^/docs",
    "^/v1/stripe/webhook$",
]


def _conflict(request: Request[Any, Any, Any], _error: IntegrityError) -> Response[dict[str, Any]]:
    return problem(
        request,
        status=409,
        code="conflict",
        title="Conflict",
        detail="This change conflicts with data written at the same time or already stored; "
        "read the current state and try again.",
    )


def build_services(settings: Settings, registry: Registry | None = None) -> Services:
    """Everything a process shares between requests: database, plugins, credentials, sync, webhooks."""
    settings.validate()
    # A running sync takes a connection now and then (claim, batches, heartbeat): about one per job at once.
    database = Database(settings.database_url, pool_size=max(10, settings.sync_concurrency))
    registry = registry or load_registry()
    vault = CredentialVault(settings.secret_keys)
    egress = egress_policy(settings)  # where connectors may connect besides the public internet
    engine = SyncEngine(
        database,
        registry,
        vault,
        timeout_seconds=settings.sync_timeout_seconds,
        interval=timedelta(minutes=settings.sync_interval_minutes),
        base_urls=settings.base_url_overrides(),
        settings=settings,
        egress=egress,
        pacing=NetworkPacing(database, settings.network_rates()),
    )
    plans = load_plans(settings)
    standings = Standings(database, plans, settings.default_plan, timedelta(days=settings.billing_grace_days))
    quotas = Quotas(standings, stripe_enabled=settings.stripe_enabled)
    worker = SyncWorker(database, engine, concurrency=settings.sync_concurrency, quotas=quotas)
    webhook_policy = AddressPolicy(https_only=settings.production, allow_private=settings.webhook_allow_private_urls)
    # Alert rules are evaluated after every sync; their events go out as webhooks, and objectives answer
    # `objective_off_track` rules.
    alert_evaluator = AlertEvaluator(
        database,
        lookback_days=settings.alert_lookback_days,
        on_event=publish,  # alert.opened / alert.resolved reach the tenant's webhook endpoints
        objective_checker=ObjectivesChecker(registry),
    )
    engine.on_run_finished = alert_evaluator.after_sync
    billing = billing_backend(settings)  # Stripe, or local mode; its connection pools close when the app stops
    network_default, network_limits = settings.network_limits()
    webhook_worker = WebhookWorker(database, vault, webhook_policy)
    usage_reporter = UsageReporter(database, billing)
    reports = ReportGenerator(database)
    background = BackgroundWork(
        database,
        worker,
        webhook_worker,
        usage_reporter,
        reports,
        task_engine_factory(settings),
        slots=NetworkSlots(database, limits=network_limits, default=network_default),
        dispatch_seconds=settings.dispatch_seconds,
    )
    services = Services(
        settings=settings,
        database=database,
        registry=registry,
        vault=vault,
        key_cache=KeyCache(),
        metrics_cache=ReadCache[bytes](ttl=settings.metrics_cache_seconds),
        # A dashboard holds every series of its period: fewer of them are kept than encoded metrics answers.
        dashboard_cache=ReadCache[Dashboard](ttl=settings.metrics_cache_seconds, size=256),
        sync_engine=engine,
        sync_worker=worker,
        webhook_policy=webhook_policy,
        egress_policy=egress,
        webhook_worker=webhook_worker,
        alert_evaluator=alert_evaluator,
        plans=plans,
        standings=standings,
        quotas=quotas,
        billing=billing,
        usage_reporter=usage_reporter,
        background=background,
        rate_limits=rate_limits_store(settings.redis_url, settings.redis_key_prefix)
        if settings.billing_enabled
        else None,
        mailer=mailer_from_url(settings.mail_url, settings.mail_from),
        sign_in_throttle=sign_in_throttle(settings.redis_url, settings.redis_key_prefix),
        email_link_throttle=email_link_throttle(settings.redis_url, settings.redis_key_prefix),
        domain_resolver=DnsResolver(),
        host_agencies=HostAgencies(database),
    )
    engine.on_data_changed = services.data_changed
    reports.services = services  # rendering reads the registry, the logo fetch policy and the outbound transport
    return services


def create_app(settings: Settings | None = None, *, registry: Registry | None = None) -> Litestar:
    """A Resonance application; the in-process sync worker runs when the scheduler setting is on."""
    settings = settings or load_settings()
    services = build_services(settings, registry)
    tracer_provider = configure_tracing(settings)  # None unless tracing is asked for (api/observability/tracing.py)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # Everything built so far lives as long as the process: keep it out of the collector's full passes,
        # which otherwise pause a busy server for tens of milliseconds every few dozen requests.
        gc.freeze()
        stop = asyncio.Event()
        stack = contextlib.AsyncExitStack()
        await stack.enter_async_context(metrics_endpoint_for(settings))  # on a port of its own, never the API's
        tasks: list[asyncio.Task[None]] = []
        if settings.scheduler_enabled:  # this process runs the background jobs too (the embedded default)
            run = services.background.run(stop, concurrency=settings.sync_concurrency)
            tasks.append(asyncio.create_task(run, name="task-engine"))
        rate_limits = services.rate_limits
        if rate_limits is not None:
            # Metering is part of serving: flushed whether or not this process runs the scheduler, and
            # flushed once more on the way out (run_forever's last pass).
            tasks.append(asyncio.create_task(rate_limits.run_forever(services.database, stop), name="api-calls-meter"))
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks)
            await stack.aclose()
            flush_tracing()
            if rate_limits is not None:
                await rate_limits.close()
            await services.sign_in_throttle.close()
            await services.email_link_throttle.close()
            await services.billing.close()
            await services.background.close()
            await services.database.dispose()

    openapi = OpenAPIConfig(
        title="Resonance API",
        version=API_VERSION,
        description=(
            "What an agency's clients' presence on social networks is worth. Authenticate with "
            "`Authorization: Bearer rsn_live_…` (POST /v1/signup gives a first key). Errors are "
            "application/problem+json; lists are cursor-paginated."
        ),
        path="/docs",
        render_plugins=[ScalarRenderPlugin(path="/")],
        use_handler_docstrings=True,
        components=Components(
            security_schemes={
                "ApiKey": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="rsn_live_…",
                    description="An API key created at signup or with POST /v1/api-keys.",
                ),
            }
        ),
        security=[{"ApiKey": []}],
    )
    app = Litestar(
        route_handlers=[
            health,
            ready,
            signup,
            TenantController,
            BrandController,
            DomainController,
            DataRightsController,
            ApiKeyController,
            ClientController,
            AccountController,
            SyncController,
            ConnectorController,
            MetricsController,
            ContentController,
            OAuthController,
            RatesController,
            PresenceController,
            BenchmarkController,
            EmployerBrandController,
            ReportController,
            GeneratedReportController,
            SentimentController,
            CostController,
            ValueController,
            EmvRatesController,
            RoiController,
            ObjectiveController,
            WebhookController,
            AlertRuleController,
            AlertController,
            UsageController,
            PlanController,
            BillingSessionController,
            stripe_webhook,
            portal_router(settings),
            create_static_files_router(
                path="/portal/static",
                directories=[PORTAL / "static"],
                include_in_schema=False,
                opt={"exclude_from_auth": True},
            ),
        ],
        template_config=TemplateConfig(directory=PORTAL / "templates", engine=JinjaTemplateEngine),
        state=State({"services": services}),  # the one shared object; handlers ask for `services`
        dependencies=dependencies,
        guards=[
            client_key_access,  # a key limited to a client is refused what concerns the whole agency
            subscription_access,  # a read-only agency's writes are refused (api/billing/access.py)
        ],
        middleware=[
            nul_guard_middleware,  # a NUL in the path, query or a header never reaches SQL (api/request_text.py)
            cached_metrics_middleware,
            request_id_middleware,
            DefineMiddleware(ApiKeyMiddleware, exclude=PUBLIC_PATHS),
            *([rate_limit_middleware] if settings.billing_enabled else []),
        ],
        exception_handlers={**exception_handlers, IntegrityError: _conflict},
        request_class=JsonBodyRequest,  # JSON bodies: UTF-8, bounded nesting, no NUL (api/request_body.py)
        openapi_config=openapi,
        # `count_request` after `echo_request_id`; `name_server_span` names the request's span after its route.
        before_send=[
            announce_page_limit,
            echo_request_id,
            count_request,
            *([name_server_span] if tracer_provider else []),
        ],
        plugins=[tracing_plugin(tracer_provider)] if tracer_provider else [],
        lifespan=[lifespan],
        logging_config=None,  # logging is ours: JSON lines set up by `resonance serve`
        debug=False,
    )
    document_problems(app)
    document_access(app)
    document_client_keys(app)
    document_request_body(app, "/v1/clients/{client_id}/mentions", "post", import_request_body())
    document_callback(app)
    document_imports(app)
    document_stripe_webhook(app)
    return app
