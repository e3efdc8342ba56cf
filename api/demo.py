"""The demo agency: three clients with owned and competitor accounts on the `demo` network."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from api.accounts.models import SocialAccount
from api.clients.models import Client
from api.sync.engine import SyncEngine
from api.sync.models import SyncRun
from tenants.audit import Actor
from tenants.database import Database
from tenants.ids import utcnow
from tenants.signup import create_tenant

DEMO_ACTOR = Actor(label="cli:demo")


@dataclass(frozen=True)
class DemoClient:
    name: str
    industry: str
    timezone: str
    language: str
    owned: tuple[str, ...]
    competitors: tuple[str, ...]


DEMO_CLIENTS = (
    DemoClient(
        "Boulangerie Martin",
        "food & beverage",
        "Europe/Paris",
        "fr",
        owned=("boulangerie_martin", "martin_recettes", "martin_pro"),
        competitors=("fournil_dupont",),
    ),
    DemoClient(
        "Northwind Outdoor",
        "retail",
        "America/New_York",
        "en",
        owned=("northwind", "northwind_trails", "northwind_deals"),
        competitors=("summit_gear",),
    ),
    DemoClient(
        "Helix Robotics",
        "industrial technology",
        "Europe/Berlin",
        "en",
        owned=("helix_robotics", "helix_careers", "helix_talent_stories"),
        competitors=("omnibot_jobs",),
    ),
)
"""Helix Robotics is the employer-brand case: its careers and talent accounts carry recruiting content."""


@dataclass(frozen=True)
class DemoAgency:
    tenant_id: uuid.UUID
    api_key: str
    client_ids: list[uuid.UUID]
    account_ids: list[uuid.UUID]


async def seed_demo(database: Database, *, agency_name: str = "Demo Agency") -> DemoAgency:
    """Create the demo agency, its clients and their accounts (not yet synced)."""
    tenant, _key, secret = await create_tenant(
        database, agency_name=agency_name, email="owner@demo-agency.example", actor=DEMO_ACTOR
    )
    client_ids: list[uuid.UUID] = []
    account_ids: list[uuid.UUID] = []
    async with database.tenant_session(tenant.id) as session:
        for spec in DEMO_CLIENTS:
            client = Client(
                name=spec.name,
                industry=spec.industry,
                timezone=spec.timezone,
                language=spec.language,
                currency="EUR" if spec.language == "fr" else "USD",
            )
            session.add(client)
            await session.flush()
            client_ids.append(client.id)
            handles = [(handle, "owned") for handle in spec.owned]
            handles += [(handle, "competitor") for handle in spec.competitors]
            for handle, kind in handles:
                account = SocialAccount(
                    client_id=client.id,
                    network="demo",
                    handle=handle,
                    kind=kind,
                    display_name=handle.replace("_", " ").title(),
                )
                session.add(account)
                await session.flush()
                account_ids.append(account.id)
    return DemoAgency(tenant_id=tenant.id, api_key=secret, client_ids=client_ids, account_ids=account_ids)


async def backfill(
    database: Database,
    engine: SyncEngine,
    agency: DemoAgency,
    *,
    days: int,
    on_account_done: Callable[[], None] = lambda: None,
) -> list[str]:
    """Sync every demo account over the last `days` days, one run each; returns the run statuses."""
    today = utcnow().date()
    statuses = []
    for account_id in agency.account_ids:
        async with database.tenant_session(agency.tenant_id) as session:
            run = SyncRun(
                account_id=account_id,
                trigger="demo",
                status="running",
                started_at=utcnow(),
                heartbeat_at=utcnow(),
                window_since=today - timedelta(days=days - 1),
                window_until=today,
            )
            session.add(run)
            await session.flush()
            run_id = run.id
        statuses.append(await engine.execute(agency.tenant_id, run_id))
        on_account_done()
    return statuses
