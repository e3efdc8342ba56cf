"""The application factory: one place that wires settings, database, plugins, sync and routes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from sqlalchemy.exc import IntegrityError

from api.accounts.controllers import AccountController
from api.alerts.controllers import AlertController, AlertRuleController
from api.alerts.evaluation import AlertEvaluator
from api.auth import ApiKeyMiddleware, KeyCache
from api.clients.controllers import ClientController
from api.connectors.controllers import ConnectorController
from api.content.controllers import ContentController
from api.dependencies import dependencies
from api.errors import exception_handlers, problem
from api.health import health, ready
from api.metrics.cache import MetricsCache
from api.metrics.controllers import MetricsController
from api.oauth.controllers import OAuthController, document_callback
from api.observability import echo_request_id, request_id_middleware
from api.openapi import document_problems
from api.sync.controllers import SyncController
from api.sync.engine import SyncEngine
from api.sync.worker import SyncWorker
from api.tenancy.controllers import ApiKeyController, TenantController, signup
from plugins.registry import Registry, load_registry
from tenants.credentials import CredentialVault
from tenants.database import Database
from tenants.settings import Settings, load_settings

API_VERSION = "1.0.0"
PUBLIC_PATHS = ["^/health$", "^/ready$", "^/v1/signup$", "^/v1/oauth/callback$", "^/docs"]


def _conflict(request: Request[Any, Any, Any], _error: IntegrityError) -> Response[dict[str, Any]]:
    return problem(
        request,
        status=409,
        code="conflict",
        title="Conflict",
        detail="This change conflicts with data written at the same time or already stored; "
        "read the current state and try again.",
    )


def build_state(settings: Settings, registry: Registry | None = None) -> State:
    """Everything a process shares between requests: database, plugins, credentials, sync."""
    settings.validate()
    database = Database(settings.database_url)
    registry = registry or load_registry()
    vault = CredentialVault(settings.secret_keys)
    engine = SyncEngine(
        database,
        registry,
        vault,
        timeout_seconds=settings.sync_timeout_seconds,
        interval=timedelta(minutes=settings.sync_interval_minutes),
        base_urls=settings.base_url_overrides(),
        settings=settings,
    )
    worker = SyncWorker(database, engine, concurrency=settings.sync_concurrency)
    metrics_cache = MetricsCache(ttl=settings.metrics_cache_seconds)
    engine.on_data_changed = metrics_cache.invalidate
    # Alert rules are evaluated after every sync. The coordinator plugs webhooks into `on_event` and the
    # objectives module into `objective_checker`.
    alert_evaluator = AlertEvaluator(database, lookback_days=settings.alert_lookback_days)
    engine.on_run_finished = alert_evaluator.after_sync
    return State(
        {
            "settings": settings,
            "database": database,
            "registry": registry,
            "vault": vault,
            "key_cache": KeyCache(),
            "metrics_cache": metrics_cache,
            "sync_engine": engine,
            "sync_worker": worker,
            "alert_evaluator": alert_evaluator,
        }
    )


def create_app(settings: Settings | None = None, *, registry: Registry | None = None) -> Litestar:
    """A Resonance application; the in-process sync worker runs when the scheduler setting is on."""
    settings = settings or load_settings()
    state = build_state(settings, registry)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # Everything built so far lives as long as the process: keep it out of the collector's full passes,
        # which otherwise pause a busy server for tens of milliseconds every few dozen requests.
        gc.freeze()
        stop = asyncio.Event()
        task = None
        if settings.scheduler_enabled:
            task = asyncio.create_task(app.state.sync_worker.run_forever(stop), name="sync-worker")
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task
            await app.state.database.dispose()

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
            ApiKeyController,
            ClientController,
            AccountController,
            SyncController,
            ConnectorController,
            MetricsController,
            ContentController,
            OAuthController,
            AlertRuleController,
            AlertController,
        ],
        state=state,
        dependencies=dependencies,
        middleware=[
            request_id_middleware,
            DefineMiddleware(ApiKeyMiddleware, exclude=PUBLIC_PATHS),
        ],
        exception_handlers={**exception_handlers, IntegrityError: _conflict},
        openapi_config=openapi,
        before_send=[echo_request_id],
        lifespan=[lifespan],
        logging_config=None,  # logging is ours: JSON lines set up by `resonance serve`
        debug=False,
    )
    document_problems(app)
    document_callback(app)
    return app
