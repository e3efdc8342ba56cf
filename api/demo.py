"""The demo agency: three clients with owned and competitor accounts on the `demo` network."""

from __future__ import annotations

import math
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import msgspec
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.alerts.evaluation import AlertEvaluator
from api.alerts.models import AlertRule
from api.alerts.schemas import PARAMS_BY_KIND
from api.billing.plans import Plan
from api.billing.subscriptions import set_plan
from api.clients.models import Client
from api.metrics.models import StoredMetricPoint
from api.objectives.models import Objective
from api.roi.models import CostEntry, ValueEntry
from api.sync.engine import SyncEngine
from api.sync.models import SyncRun
from tenants.audit import Actor
from tenants.database import Database
from tenants.ids import utcnow
from tenants.models import Member
from tenants.passwords import hash_password
from tenants.signup import create_tenant

DEMO_ACTOR = Actor(label="cli:demo")


DEMO_OWNER = "owner@demo-agency.example"
DEMO_VIEWER = "viewer@demo-agency.example"


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
    portal_password: str = ""
    """The password of the portal's two demo members (the owner, and the first client's viewer), shown once."""


def demo_needs(sync_interval: timedelta) -> dict[str, int]:
    """What the demo agency uses of each quota: its clients, its accounts, and a day of syncs (the backfill run
    of each account plus its scheduled runs at `sync_interval`)."""
    accounts = sum(len(spec.owned) + len(spec.competitors) for spec in DEMO_CLIENTS)
    runs_per_day = math.ceil(timedelta(days=1) / sync_interval)
    return {
        "clients": len(DEMO_CLIENTS),
        "tracked_accounts": accounts,
        "syncs_per_day": accounts * (1 + runs_per_day),
        "webhook_endpoints": 0,
    }


def demo_plan(plans: dict[str, Plan], default_plan: str, sync_interval: timedelta) -> Plan | None:
    """The plan to put the demo agency on: the default one when the demo fits it, else the cheapest that fits."""
    needs = demo_needs(sync_interval)

    def fits(plan: Plan) -> bool:
        return all(plan.limit(quota) is None or (plan.limit(quota) or 0) >= used for quota, used in needs.items())

    if fits(plans[default_plan]):
        return plans[default_plan]
    return min((plan for plan in plans.values() if fits(plan)), key=lambda plan: (plan.price, plan.id), default=None)


async def seed_demo(database: Database, *, agency_name: str = "Demo Agency", plan: str | None = None) -> DemoAgency:
    """Create the demo agency (on `plan` when given), its clients and their accounts (not yet synced)."""
    tenant, _key, secret = await create_tenant(database, agency_name=agency_name, email=DEMO_OWNER, actor=DEMO_ACTOR)
    client_ids: list[uuid.UUID] = []
    account_ids: list[uuid.UUID] = []
    async with database.tenant_session(tenant.id) as session:
        if plan is not None:
            await set_plan(session, tenant.id, plan)
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
        # The portal's demo logins: the agency's owner, and a viewer of the first client only.
        password = secrets.token_urlsafe(12)
        owner = (await session.scalars(select(Member).where(col(Member.role) == "owner"))).one()
        owner.password_hash = hash_password(password)
        session.add(
            Member(email=DEMO_VIEWER, role="client_viewer", client_id=client_ids[0], password_hash=owner.password_hash)
        )
    return DemoAgency(
        tenant_id=tenant.id,
        api_key=secret,
        client_ids=client_ids,
        account_ids=account_ids,
        portal_password=password,
    )


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


DEMO_COLORS = {"Boulangerie Martin": "#8C4A2F", "Northwind Outdoor": "#2E6B3F", "Helix Robotics": "#1F4E8C"}
DEMO_RULES: tuple[tuple[str, str, dict[str, object]], ...] = (
    ("mention_spike", "medium", {}),
    ("negative_share_spike", "high", {}),
    ("sentiment_drop", "medium", {}),
    ("silence", "medium", {"days": 10}),
)


def _month_starts(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _ledger(client: Client, months: list[date], employer_brand: bool) -> list[CostEntry | ValueEntry]:
    """A month of an agency's typical costs and the value they brought, for each month of history."""
    currency = client.currency

    def cost(
        kind: str, day: date, amount: Decimal, hours: Decimal | None = None, rate: Decimal | None = None
    ) -> CostEntry:
        return CostEntry(
            client_id=client.id,
            type=kind,
            day=day,
            amount=amount,
            hours=hours,
            hourly_rate=rate,
            network="demo" if kind == "ad_spend" else None,
            currency=currency,
            base_currency=currency,
        )

    def value(kind: str, day: date, count: int, amount: Decimal, unit_value: Decimal | None = None) -> ValueEntry:
        return ValueEntry(
            client_id=client.id,
            type=kind,
            day=day,
            network="demo",
            count=count,
            amount=amount,
            unit_value=unit_value,
            currency=currency,
            base_currency=currency,
        )

    entries: list[CostEntry | ValueEntry] = []
    for index, month in enumerate(months):
        growth = Decimal(100 + 5 * index) / 100
        entries += [
            cost("ad_spend", month, Decimal(1200) * growth),
            cost("labor", month, Decimal(24 * 55), Decimal(24), Decimal(55)),
            cost("tools", month, Decimal(89)),
            cost("fees", month, Decimal(750)),
            value(
                "conversion",
                month + timedelta(days=14),
                30 + 2 * index,
                (Decimal(2850) * growth).quantize(Decimal("0.01")),
            ),
            value("lead", month + timedelta(days=20), 40 + index, Decimal(25 * (40 + index)), Decimal(25)),
        ]
        if employer_brand:
            entries.append(value("application", month + timedelta(days=10), 12 + index, Decimal(0)))
    return entries


async def seed_analytics(database: Database, evaluator: AlertEvaluator, agency: DemoAgency, *, days: int) -> int:
    """Give the demo agency what the analytics read: branding, cadence targets, alert rules (evaluated over
    the last 60 days), an objective per client and a ROI ledger; returns how many alerts opened."""
    today = utcnow().date()
    months = _month_starts(today - timedelta(days=days - 1), today)
    opened = 0
    async with database.tenant_session(agency.tenant_id) as session:
        for client_id, spec in zip(agency.client_ids, DEMO_CLIENTS, strict=True):
            client = await session.get(Client, (agency.tenant_id, client_id))
            assert client is not None
            client.brand_color = DEMO_COLORS[spec.name]
            accounts = (
                await session.scalars(select(SocialAccount).where(col(SocialAccount.client_id) == client_id))
            ).all()
            for account in accounts:
                if account.kind == "owned":
                    account.target_posts_per_week = 3.0
            for kind, sensitivity, params in DEMO_RULES:
                shaped = msgspec.to_builtins(msgspec.convert(params, PARAMS_BY_KIND[kind], strict=False))
                session.add(AlertRule(client_id=client_id, kind=kind, sensitivity=sensitivity, params=shaped))
            owned = [account.id for account in accounts if account.kind == "owned"]
            last_quarter = (
                await session.execute(
                    sa_select(func.sum(col(StoredMetricPoint.value))).where(
                        col(StoredMetricPoint.account_id).in_(owned),
                        col(StoredMetricPoint.metric) == "impressions",
                        col(StoredMetricPoint.day) > today - timedelta(days=90),
                    )
                )
            ).scalar_one()
            session.add(
                Objective(
                    client_id=client_id,
                    name="Impressions: +15 % on the last 90 days",
                    metric="impressions",
                    target=(Decimal(repr(float(last_quarter or 0))) * Decimal("1.15")).quantize(Decimal(1)),
                    start=today - timedelta(days=30),
                    end=today + timedelta(days=59),
                )
            )
            session.add_all(_ledger(client, months, employer_brand=spec.name == "Helix Robotics"))
            await session.flush()
            evaluation = await evaluator.evaluate(
                session, client, actor=DEMO_ACTOR, date_from=today - timedelta(days=59), date_to=today
            )
            opened += len(evaluation.opened)
    return opened
