"""Reading a client's presence: cadence, silences, regularity, audience and best slots per account."""

from __future__ import annotations

import uuid

from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.client_analysis import ClientAnalysis, analysis
from api.content.history import AccountKind
from api.metrics.window import AskedDays
from api.parameters import local_days
from api.presence.schemas import PresenceOut
from api.presence.service import DEFAULT_DAYS, read_presence
from api.services import Services


class PresenceController(ClientAnalysis):
    @analysis("presence", summary="Read a client's presence", days=local_days(DEFAULT_DAYS))
    async def read_presence(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        services: Services,
        days: AskedDays,
        kind: AccountKind = Parameter(default="owned", description="owned (default) or competitor accounts."),
    ) -> PresenceOut:
        """Per account: posts per week, days since the last post, longest silence, regularity against the
        account's target cadence, audience growth, share of reach beyond its followers where the network
        reports it, and the best publishing slots from its own posts; `definitions` states each formula."""
        return await read_presence(session, principal, services.registry, client_id, days, kind)
