"""EMV rates and the ROI report over HTTP."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from litestar import Controller, get, put
from litestar.params import Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, require
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.clients.models import Client
from api.clients.service import get_client
from api.errors import InvalidInput
from api.metrics.window import resolve_range
from api.roi.emv import ACTION_METRICS, DEFAULTS_NOTE, EmvRates, rates_for
from api.roi.models import EmvRateCard
from api.roi.money import INPUT_MONEY_PLACES, checked, money, number
from api.roi.report import roi_report
from api.roi.schemas import EmvRatesIn, EmvRatesOut, RoiOut
from tenants.audit import Actor, record
from tenants.ids import utcnow

DEFAULT_DAYS = 30


def _rates_out(client: Client, rates: EmvRates, updated_at: datetime | None) -> EmvRatesOut:
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


def client_today(client: Client) -> date:
    """Today in the client's time zone."""
    return datetime.now(ZoneInfo(client.timezone)).date()


class EmvRatesController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    path = "/v1/clients/{client_id:uuid}/emv-rates"
    tags = ["roi"]

    @get("/", guards=[require("read")], summary="The client's EMV rates")
    async def get_rates(self, client_id: uuid.UUID, session: AsyncSession, principal: Principal) -> EmvRatesOut:
        """The rates EMV uses for this client, in its currency: its own where set (`customized`), the
        documented defaults elsewhere."""
        client = await get_client(session, principal, client_id)
        card, rates = await rates_for(session, client.id)
        return _rates_out(client, rates, card.updated_at if card else None)

    @put("/", guards=[require("write")], summary="Set the client's EMV rates")
    async def put_rates(
        self, client_id: uuid.UUID, data: EmvRatesIn, session: AsyncSession, principal: Principal, actor: Actor
    ) -> EmvRatesOut:
        """Replace the client's own rates: CPM by network, a CPM for other networks, and a value per action
        (reactions, comments, shares, saves, clicks, video_views, profile_views). Rates left out take the
        defaults; an empty body goes back to the defaults."""
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
        return _rates_out(client, rates, card.updated_at)


class RoiController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    path = "/v1/clients/{client_id:uuid}/roi"
    tags = ["roi"]

    @get("/", guards=[require("read")], summary="ROI, ROAS and EMV of a client")
    async def roi(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        date_from: Annotated[
            date | None, QueryParameter(name="from", description="First day (default: 29 days before `to`).")
        ] = None,
        date_to: Annotated[
            date | None, QueryParameter(name="to", description="Last day, included (default: today, client's zone).")
        ] = None,
        network: str | None = Parameter(default=None, description="Only this network's entries and EMV."),
    ) -> RoiOut:
        """ROI = (value − cost) ÷ cost and ROAS = conversion revenue ÷ ad spend over the window, with totals per
        cost type, value type and network, and earned media value on its own line (never in value or ROI).
        The answer carries the formulas, the inputs and the rates used; amounts are exact decimals in the
        client's currency, rounded only for display."""
        client = await get_client(session, principal, client_id)
        start, end = resolve_range(date_from, date_to, client_today(client), DEFAULT_DAYS)
        return await roi_report(session, client, start, end, network)
