"""The plans on sale and their quotas: built in, or read from `RESONANCE_PLANS` (a JSON file or the JSON itself).

A plan in the JSON is an object by plan id, for example::

    {"starter": {"name": "Starter", "price": "49.00", "currency": "eur",
                 "quotas": {"clients": 5, "tracked_accounts": 25, "syncs_per_day": 200,
                            "api_requests_per_minute": 600, "webhook_endpoints": 2},
                 "stripe_price": "price_…", "stripe_metered_prices": {"syncs": "price_…"}}}

A quota left out, or `null`, is unlimited. The JSON replaces the built-in plans entirely.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

from api.billing.metering import METERS
from tenants.settings import Settings, SettingsError

QUOTAS: Final = {
    "clients": "client companies the agency manages",
    "tracked_accounts": "social accounts tracked across all clients",
    "syncs_per_day": "sync runs started per day (UTC), scheduled or requested",
    "api_requests_per_minute": "API requests per minute, all keys of the agency together",
    "webhook_endpoints": "webhook endpoints",
}
"""Each quota a plan sets, and what it counts."""


@dataclass(frozen=True)
class Plan:
    """A plan: its quotas (None is unlimited), its monthly price, and its prices at Stripe."""

    id: str
    name: str
    price: Decimal
    """The monthly base price, in `currency`, as shown to customers (Stripe's price is what is charged)."""
    currency: str
    quotas: dict[str, int | None]
    stripe_price: str | None = None
    """The Stripe price of the monthly base fee; checkout needs it."""
    stripe_metered_prices: dict[str, str] = field(default_factory=dict)
    """Stripe prices of the usage meters (meter → price id), added to the subscription at checkout."""

    def limit(self, quota: str) -> int | None:
        """The plan's limit for `quota`; None when unlimited."""
        return self.quotas.get(quota)


def _plan(plan_id: str, name: str, price: str, quotas: dict[str, int | None]) -> Plan:
    return Plan(id=plan_id, name=name, price=Decimal(price), currency="eur", quotas=quotas)


BUILT_IN: Final = {
    plan.id: plan
    for plan in (
        _plan(
            "starter",
            "Starter",
            "49.00",
            {
                "clients": 5,
                "tracked_accounts": 25,
                "syncs_per_day": 200,
                "api_requests_per_minute": 600,
                "webhook_endpoints": 2,
            },
        ),
        _plan(
            "agency",
            "Agency",
            "249.00",
            {
                "clients": 50,
                "tracked_accounts": 300,
                "syncs_per_day": 2500,
                "api_requests_per_minute": 3000,
                "webhook_endpoints": 10,
            },
        ),
        _plan(
            "scale",
            "Scale",
            "999.00",
            {
                "clients": None,
                "tracked_accounts": 3000,
                "syncs_per_day": 25000,
                "api_requests_per_minute": 20000,
                "webhook_endpoints": 50,
            },
        ),
    )
}


def _quota_value(where: str, quota: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SettingsError(f"{where} quota {quota!r} must be a whole number of 0 or more, or null for unlimited.")
    return value


def _parse_plan(plan_id: str, entry: Any) -> Plan:
    where = f"RESONANCE_PLANS plan {plan_id!r}"
    if not isinstance(entry, dict):
        raise SettingsError(f'{where} must be an object such as {{"name": "Starter", "quotas": {{"clients": 5}}}}.')
    known = {"name", "price", "currency", "quotas", "stripe_price", "stripe_metered_prices"}
    unknown = sorted(set(entry) - known)
    if unknown:
        raise SettingsError(
            f"{where} has unknown key(s) {', '.join(unknown)}; the keys are {', '.join(sorted(known))}."
        )
    quotas = entry.get("quotas", {})
    if not isinstance(quotas, dict):
        raise SettingsError(f"{where} quotas must be an object by quota name.")
    bad = sorted(set(quotas) - set(QUOTAS))
    if bad:
        raise SettingsError(f"{where} has unknown quota(s) {', '.join(bad)}; the quotas are {', '.join(QUOTAS)}.")
    try:
        price = Decimal(str(entry.get("price", "0")))
    except InvalidOperation:
        raise SettingsError(f'{where} price must be a decimal number such as "49.00".') from None
    if not price.is_finite() or price < 0:
        raise SettingsError(f"{where} price must be a decimal number of 0 or more.")
    metered = entry.get("stripe_metered_prices", {})
    if not isinstance(metered, dict) or not all(isinstance(value, str) and value for value in metered.values()):
        raise SettingsError(f"{where} stripe_metered_prices must be an object of meter → Stripe price id.")
    unknown_meters = sorted(set(metered) - set(METERS))
    if unknown_meters:
        raise SettingsError(
            f"{where} prices unknown meter(s) {', '.join(unknown_meters)}; the meters are {', '.join(METERS)}."
        )
    stripe_price = entry.get("stripe_price")
    if stripe_price is not None and (not isinstance(stripe_price, str) or not stripe_price):
        raise SettingsError(f"{where} stripe_price must be a Stripe price id such as price_123.")
    return Plan(
        id=plan_id,
        name=str(entry.get("name") or plan_id),
        price=price,
        currency=str(entry.get("currency", "eur")).lower(),
        quotas={quota: _quota_value(where, quota, quotas.get(quota)) for quota in QUOTAS},
        stripe_price=stripe_price,
        stripe_metered_prices=dict(metered),
    )


def by_price(plans: dict[str, Plan]) -> list[Plan]:
    """The plans from the cheapest up (by id at the same price), as they are listed for sale."""
    return sorted(plans.values(), key=lambda plan: (plan.price, plan.id))


def load_plans(settings: Settings) -> dict[str, Plan]:
    """The plans on sale by id, or `SettingsError` naming what is wrong (and never the default plan missing)."""
    raw = settings.plans_config.strip()
    if not raw:
        plans = dict(BUILT_IN)
    else:
        if not raw.startswith("{"):
            path = Path(raw)
            try:
                raw = path.read_text(encoding="utf-8")
            except OSError as error:
                raise SettingsError(
                    f"RESONANCE_PLANS names the file {str(path)!r}, which cannot be read ({error.strerror}); "
                    "set it to a readable JSON file or to the JSON itself."
                ) from None
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as error:
            raise SettingsError(
                f"RESONANCE_PLANS is not valid JSON ({error.msg} at character {error.pos}); "
                'write it as {"starter": {"name": "Starter", "quotas": {"clients": 5}}}.'
            ) from None
        if not isinstance(parsed, dict) or not parsed:
            raise SettingsError("RESONANCE_PLANS must be a JSON object with at least one plan by id.")
        plans = {str(plan_id): _parse_plan(str(plan_id), entry) for plan_id, entry in parsed.items()}
    if settings.default_plan not in plans:
        raise SettingsError(
            f"RESONANCE_DEFAULT_PLAN is {settings.default_plan!r}, which is not a plan; "
            f"use one of {', '.join(sorted(plans))}."
        )
    return plans
