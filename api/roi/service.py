"""The ROI context's flows: a client's EMV rates (read and replaced) and its ROI report over the asked days."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.clients.models import Client
from api.clients.service import get_client
from api.errors import InvalidInput
from api.metrics.window import AskedDays, today_in
from api.roi.emv import ACTION_METRICS, DEFAULTS_NOTE, EmvRates, rates_for
from api.roi.models import EmvRateCard
from api.roi.money import INPUT_MONEY_PLACES, checked, money, number
from api.roi.report import roi_report
from api.roi.schemas import EmvRatesIn, EmvRatesOut, RoiOut
from tenants.audit import Actor, record
from tenants.ids import utcnow

DEFAULT_DAYS = 30


def emv_rates_out(client: Client, rates: EmvRates, updated_at: datetime | None) -> EmvRatesOut:
    """The API shape of the rates EMV uses for `client`."""
    return EmvRatesOut(
        client_id=client.id,
        currency=client.currency,
        cpm={network: money(rate) for network, rate in sorted(rates.cpm.items())},
        default_cpm=money(rates.default_cpm),
        action_values={metric: number(value) for metric, value in rates.action_values.items()},
        customized=rates.customized,
        note=DEFAULTS_NOTE,
        updated_at=updated_at,
    )


def _text(value: Decimal, field: str) -> str:
    return f"{checked(value, field, places=INPUT_MONEY_PLACES):f}"


async def read_emv_rates(session: AsyncSession, principal: Principal, client_id: uuid.UUID) -> EmvRatesOut:
    """The EMV rates of the caller's client `client_id`: its own where set, the defaults elsewhere."""
    client = await get_client(session, principal, client_id)
    card, rates = await rates_for(session, client.id)
    return emv_rates_out(client, rates, card.updated_at if card else None)


async def replace_emv_rates(
    session: AsyncSession, principal: Principal, actor: Actor, client_id: uuid.UUID, data: EmvRatesIn
) -> EmvRatesOut:
    """Replace the client's own EMV rates by `data` (validated, audited); rates left out take the defaults."""
    client = await get_client(session, principal, client_id)
    unknown = [metric for metric in data.action_values if metric not in ACTION_METRICS]
    if unknown:
        raise InvalidInput(
            f"action_values has {unknown[0]!r}, which is not a valued action; use: {', '.join(ACTION_METRICS)}.",
            field=f"action_values.{unknown[0]}",
        )
    cpm = {network: _text(rate, f"cpm.{network}") for network, rate in data.cpm.items()}
    actions = {metric: _text(value, f"action_values.{metric}") for metric, value in data.action_values.items()}
    default_cpm = None if data.default_cpm is None else _text(data.default_cpm, "default_cpm")
    card, _rates = await rates_for(session, client.id)
    if card is None:
        card = EmvRateCard(client_id=client.id)
        session.add(card)
    card.cpm, card.action_values, card.default_cpm, card.updated_at = cpm, actions, default_cpm, utcnow()
    await session.flush()
    record(
        session,
        actor,
        "emv_rates.updated",
        client,
        changes={"cpm": cpm, "default_cpm": default_cpm, "action_values": actions},
    )
    _card, rates = await rates_for(session, client.id)
    return emv_rates_out(client, rates, card.updated_at)


async def read_roi(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID, days: AskedDays, network: str | None
) -> RoiOut:
    """The ROI report of the caller's client `client_id` over the asked days (the client's today by default)."""
    client = await get_client(session, principal, client_id)
    start, end = days.resolve(today_in(client.timezone))
    return await roi_report(session, client, start, end, network)
