"""The ROI report of one client over a window: totals, breakdowns, EMV, and the definitions used."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.clients.models import Client
from api.roi.emv import ACTION_METRICS, DEFAULTS_NOTE, NetworkEmv, emv_inputs, rates_for
from api.roi.ledger import in_client_currency
from api.roi.models import COST_TYPES, VALUE_TYPES, CostEntry, ValueEntry
from api.roi.money import ROUNDING_NOTE, exact, money, number, ratio
from api.roi.schemas import (
    CostLine,
    EmvActionLine,
    EmvNetworkLine,
    EmvOut,
    ExcludedEntry,
    NetworkLine,
    RoiDefinition,
    RoiOut,
    RoiTotals,
    ValueLine,
)

UNATTRIBUTED = "unattributed"
EMV_LABEL = "Earned media value (estimate; not revenue, not counted in value or ROI)"


def definition(currency: str) -> RoiDefinition:
    """The formulas the report applies, as published in every answer."""
    return RoiDefinition(
        cost="cost = ad_spend + labor (Σ hours × hourly_rate) + tools + fees",
        value="value = conversion revenue + Σ leads × value per lead + Σ applications × value per application",
        roi="ROI = (value − cost) ÷ cost; null when cost is 0",
        roas="ROAS = conversion revenue ÷ ad_spend; null when ad_spend is 0",
        emv="EMV = Σ impressions ÷ 1000 × CPM(network) + Σ actions × value(action), over the client's owned "
        "accounts only; reported on its own line, never in value, revenue or ROI",
        currency=f"Every amount is in the client's currency ({currency}); an entry in another currency is "
        "converted with its own exchange_rate.",
        unattributed=f"Entries without a network count in the totals and appear as {UNATTRIBUTED!r} per network.",
        rounding=ROUNDING_NOTE,
    )


@dataclass
class _Bucket:
    cost: Decimal = Decimal(0)
    value: Decimal = Decimal(0)
    revenue: Decimal = Decimal(0)
    ad_spend: Decimal = Decimal(0)
    emv: Decimal = Decimal(0)


@dataclass
class _Tally:
    amount: Decimal = Decimal(0)
    entries: int = 0
    count: int = 0
    hours: Decimal = Decimal(0)


@dataclass
class _Ledger:
    costs: dict[str, _Tally] = field(default_factory=lambda: {t: _Tally() for t in COST_TYPES})
    values: dict[str, _Tally] = field(default_factory=lambda: {t: _Tally() for t in VALUE_TYPES})
    networks: dict[str, _Bucket] = field(default_factory=lambda: defaultdict(_Bucket))
    excluded: list[ExcludedEntry] = field(default_factory=list)


def _network_line(name: str, bucket: _Bucket) -> NetworkLine:
    with exact():
        return NetworkLine(
            network=name,
            cost=money(bucket.cost),
            value=money(bucket.value),
            revenue=money(bucket.revenue),
            ad_spend=money(bucket.ad_spend),
            roi=_shown(_ratio(bucket.value - bucket.cost, bucket.cost)),
            roas=_shown(_ratio(bucket.revenue, bucket.ad_spend)),
            emv=money(bucket.emv),
        )


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if denominator == 0:
        return None
    with exact():
        return numerator / denominator


def _shown(value: Decimal | None) -> str | None:
    return None if value is None else ratio(value)


def _excluded(entry: CostEntry | ValueEntry, client: Client) -> ExcludedEntry:
    return ExcludedEntry(
        id=entry.id,
        kind="cost" if isinstance(entry, CostEntry) else "value",
        currency=entry.currency,
        reason=f"recorded in {entry.currency} with a rate into {entry.base_currency}, but the client now counts in "
        f"{client.currency}: record it again with an exchange_rate into {client.currency}.",
    )


async def _ledger(session: AsyncSession, client: Client, start: date, end: date, network: str | None) -> _Ledger:
    ledger = _Ledger()
    costs = select(CostEntry).where(
        col(CostEntry.client_id) == client.id, col(CostEntry.day) >= start, col(CostEntry.day) <= end
    )
    values = select(ValueEntry).where(
        col(ValueEntry.client_id) == client.id, col(ValueEntry.day) >= start, col(ValueEntry.day) <= end
    )
    if network is not None:
        costs = costs.where(col(CostEntry.network) == network)
        values = values.where(col(ValueEntry.network) == network)
    with exact():
        for cost in (await session.scalars(costs)).all():
            amount = in_client_currency(cost, client)
            if amount is None:
                ledger.excluded.append(_excluded(cost, client))
                continue
            tally = ledger.costs[cost.type]
            tally.amount += amount
            tally.entries += 1
            tally.hours += cost.hours or 0
            bucket = ledger.networks[cost.network or UNATTRIBUTED]
            bucket.cost += amount
            if cost.type == "ad_spend":
                bucket.ad_spend += amount
        for value in (await session.scalars(values)).all():
            amount = in_client_currency(value, client)
            if amount is None:
                ledger.excluded.append(_excluded(value, client))
                continue
            tally = ledger.values[value.type]
            tally.amount += amount
            tally.entries += 1
            tally.count += value.count
            bucket = ledger.networks[value.network or UNATTRIBUTED]
            bucket.value += amount
            if value.type == "conversion":
                bucket.revenue += amount
    return ledger


def _emv_out(
    networks: list[NetworkEmv], rates_default: Decimal, customized: list[str], values: dict[str, Decimal]
) -> EmvOut:
    with exact():
        lines = []
        action_counts: dict[str, Decimal] = {m: Decimal(0) for m in ACTION_METRICS}
        impressions_value = actions_value = Decimal(0)
        for entry in networks:
            entry_actions = Decimal(0)
            for metric, count in entry.actions.items():
                action_counts[metric] += count
                entry_actions += count * values[metric]
            impressions_value += entry.impressions_value
            actions_value += entry_actions
            lines.append(
                EmvNetworkLine(
                    network=entry.network,
                    accounts=entry.accounts,
                    impressions=number(entry.impressions),
                    cpm=money(entry.cpm),
                    impressions_value=money(entry.impressions_value),
                    actions={metric: number(count) for metric, count in entry.actions.items()},
                    actions_value=money(entry_actions),
                    total=money(entry.impressions_value + entry_actions),
                )
            )
        actions = [
            EmvActionLine(
                metric=metric,
                count=number(count),
                value_per_action=number(values[metric]),
                amount=money(count * values[metric]),
            )
            for metric, count in action_counts.items()
        ]
        return EmvOut(
            label=EMV_LABEL,
            total=money(impressions_value + actions_value),
            impressions_value=money(impressions_value),
            actions_value=money(actions_value),
            networks=lines,
            actions=actions,
            default_cpm=money(rates_default),
            customized_rates=customized,
            note=DEFAULTS_NOTE,
        )


async def roi_report(session: AsyncSession, client: Client, start: date, end: date, network: str | None) -> RoiOut:
    """ROI, ROAS and EMV of `client` over [start, end], optionally for one network."""
    ledger = await _ledger(session, client, start, end, network)
    _card, rates = await rates_for(session, client.id)
    networks = await emv_inputs(session, client.id, start, end, network, rates)
    with exact():
        for entry in networks:
            ledger.networks[entry.network].emv += entry.total(rates)
        cost = sum((t.amount for t in ledger.costs.values()), Decimal(0))
        value = sum((t.amount for t in ledger.values.values()), Decimal(0))
        revenue = ledger.values["conversion"].amount
        ad_spend = ledger.costs["ad_spend"].amount
        roi = _ratio(value - cost, cost)
        roas = _ratio(revenue, ad_spend)
        totals = RoiTotals(
            cost=money(cost),
            value=money(value),
            net=money(value - cost),
            revenue=money(revenue),
            ad_spend=money(ad_spend),
            roi=_shown(roi),
            roi_note=None if roi is not None else "No cost recorded in this window: ROI is undefined.",
            roas=_shown(roas),
            roas_note=None if roas is not None else "No ad spend recorded in this window: ROAS is undefined.",
        )
        names = sorted(name for name in ledger.networks if name != UNATTRIBUTED)
        if UNATTRIBUTED in ledger.networks:
            names.append(UNATTRIBUTED)
        by_network = [_network_line(name, ledger.networks[name]) for name in names]
    return RoiOut(
        client_id=client.id,
        currency=client.currency,
        date_from=start,
        date_to=end,
        network=network,
        definition=definition(client.currency),
        totals=totals,
        costs=[
            CostLine(
                type=kind,
                amount=money(t.amount),
                entries=t.entries,
                hours=number(t.hours) if kind == "labor" else None,
            )
            for kind, t in ledger.costs.items()
        ],
        values=[
            ValueLine(type=kind, amount=money(t.amount), count=t.count, entries=t.entries)
            for kind, t in ledger.values.items()
        ],
        by_network=by_network,
        emv=_emv_out(networks, rates.default_cpm, rates.customized, rates.action_values),
        excluded=ledger.excluded,
    )
