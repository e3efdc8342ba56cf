"""Earned media value: what the owned accounts' organic audience would have cost to buy.

EMV = Σ impressions ÷ 1000 × CPM(network) + Σ actions × value(action), over the client's owned accounts
(competitors never count), from the daily metric points of the window. It is an estimate on its own
line: it is never revenue and never enters ROI.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.metrics.models import StoredMetricPoint
from api.roi.models import EmvRateCard
from api.roi.money import exact

DEFAULT_CPM: dict[str, Decimal] = {
    "facebook_pages": Decimal("7.00"),
    "instagram": Decimal("8.00"),
    "linkedin": Decimal("30.00"),
    "youtube": Decimal("9.00"),
    "x": Decimal("6.00"),
    "tiktok": Decimal("10.00"),
    "mastodon": Decimal("3.00"),
    "bluesky": Decimal("3.00"),
    "demo": Decimal("5.00"),
}
"""Cost per thousand impressions by network: rough paid-social market averages, to be tuned per client."""
FALLBACK_CPM = Decimal("5.00")
"""CPM of a network with neither a client rate nor a default."""
DEFAULT_ACTION_VALUES: dict[str, Decimal] = {
    "reactions": Decimal("0.10"),
    "comments": Decimal("0.50"),
    "shares": Decimal("1.00"),
    "saves": Decimal("0.50"),
    "clicks": Decimal("0.75"),
    "video_views": Decimal("0.02"),
    "profile_views": Decimal("0.05"),
}
"""Value of one action by canonical metric. `engagements` is not among them: it already sums the others."""
ACTION_METRICS = tuple(DEFAULT_ACTION_VALUES)
DEFAULTS_NOTE = (
    "Rates are in the client's currency. Those the client has not set are Resonance's defaults, rough "
    "paid-social averages meant to be tuned per client with PUT /v1/clients/{client_id}/emv-rates."
)


@dataclass(frozen=True)
class EmvRates:
    """The rates in force for one client: its own where it set them, the defaults elsewhere."""

    cpm: dict[str, Decimal]
    default_cpm: Decimal
    action_values: dict[str, Decimal]
    customized: list[str] = field(default_factory=list)

    def cpm_of(self, network: str) -> Decimal:
        """The CPM used for `network`."""
        return self.cpm.get(network, self.default_cpm)


def effective_rates(card: EmvRateCard | None) -> EmvRates:
    """Defaults overlaid with the client's own rates."""
    cpm = dict(DEFAULT_CPM)
    default_cpm = FALLBACK_CPM
    actions = dict(DEFAULT_ACTION_VALUES)
    customized: list[str] = []
    if card is not None:
        for network, rate in sorted(card.cpm.items()):
            cpm[network] = Decimal(rate)
            customized.append(f"cpm.{network}")
        if card.default_cpm is not None:
            default_cpm = Decimal(card.default_cpm)
            customized.append("default_cpm")
        for metric, value in sorted(card.action_values.items()):
            actions[metric] = Decimal(value)
            customized.append(f"action_values.{metric}")
    return EmvRates(cpm=cpm, default_cpm=default_cpm, action_values=actions, customized=customized)


async def rates_for(session: AsyncSession, client_id: uuid.UUID) -> tuple[EmvRateCard | None, EmvRates]:
    """The client's stored rate card (if any) and the rates in force."""
    card = (await session.scalars(select(EmvRateCard).where(col(EmvRateCard.client_id) == client_id))).first()
    return card, effective_rates(card)


@dataclass
class NetworkEmv:
    """EMV inputs and result of one network."""

    network: str
    accounts: int
    impressions: Decimal
    cpm: Decimal
    actions: dict[str, Decimal]

    @property
    def impressions_value(self) -> Decimal:
        with exact():
            return self.impressions / 1000 * self.cpm

    def actions_value(self, rates: EmvRates) -> Decimal:
        with exact():
            return sum((count * rates.action_values[m] for m, count in self.actions.items()), Decimal(0))

    def total(self, rates: EmvRates) -> Decimal:
        with exact():
            return self.impressions_value + self.actions_value(rates)


async def emv_inputs(
    session: AsyncSession, client_id: uuid.UUID, start: date, end: date, network: str | None, rates: EmvRates
) -> list[NetworkEmv]:
    """Impressions and actions of the client's owned accounts over [start, end], summed per network."""
    accounts = sa_select(col(SocialAccount.id), col(SocialAccount.network)).where(
        col(SocialAccount.client_id) == client_id, col(SocialAccount.kind) == "owned"
    )
    if network is not None:
        accounts = accounts.where(col(SocialAccount.network) == network)
    owned = {row[0]: row[1] for row in (await session.execute(accounts)).all()}
    per_network: dict[str, NetworkEmv] = {}
    for net in sorted(set(owned.values())):
        count = sum(1 for n in owned.values() if n == net)
        per_network[net] = NetworkEmv(
            net, count, Decimal(0), rates.cpm_of(net), {m: Decimal(0) for m in ACTION_METRICS}
        )
    if not owned:
        return []
    # Each point's float is read through its shortest decimal text, then summed exactly.
    statement = sa_select(
        col(StoredMetricPoint.account_id), col(StoredMetricPoint.metric), col(StoredMetricPoint.value)
    ).where(
        col(StoredMetricPoint.account_id).in_(list(owned)),
        col(StoredMetricPoint.metric).in_(("impressions", *ACTION_METRICS)),
        col(StoredMetricPoint.day) >= start,
        col(StoredMetricPoint.day) <= end,
    )
    totals: dict[tuple[uuid.UUID, str], Decimal] = defaultdict(Decimal)
    with exact():
        for account_id, metric, value in (await session.execute(statement)).all():
            totals[(account_id, metric)] += Decimal(repr(float(value)))
        for (account_id, metric), total in totals.items():
            entry = per_network[owned[account_id]]
            if metric == "impressions":
                entry.impressions += total
            else:
                entry.actions[metric] += total
    return list(per_network.values())
