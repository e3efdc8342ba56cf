"""`GET /v1/usage`: what the agency used in a month, per meter and per client, from the usage ledger."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

from litestar import Controller, get
from litestar.params import Parameter
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth import require
from api.billing.meter_events import unreported_usage
from api.billing.metering import METERS, UsageEvent
from api.billing.periods import month_bounds
from api.billing.schemas import ClientUsage, MeterTotal, UnreportedUsage, UsageOut
from api.clients.models import Client


class UsageController(Controller):
    tags = ["billing"]

    @get("/v1/usage", guards=[require("read")], summary="The agency's usage in a month")
    async def usage(
        self,
        session: AsyncSession,
        period: str | None = Parameter(default=None, description="The month, YYYY-MM (default: this month, UTC)."),
    ) -> UsageOut:
        """Totals per meter over the month (UTC), from the append-only usage ledger, and the same per client
        so the agency can bill its own clients. Each fact is counted once, whatever retries happened."""
        name, first, last = month_bounds(period)
        start = datetime.combine(first, time.min, UTC)
        end = datetime.combine(last + timedelta(days=1), time.min, UTC)
        rows = (
            await session.execute(
                sa_select(col(UsageEvent.client_id), col(UsageEvent.meter), func.sum(col(UsageEvent.quantity)))
                .where(col(UsageEvent.occurred_at) >= start, col(UsageEvent.occurred_at) < end)
                .group_by(col(UsageEvent.client_id), col(UsageEvent.meter))
            )
        ).all()
        totals: dict[str, int] = defaultdict(int)
        per_client: dict[uuid.UUID | None, dict[str, int]] = defaultdict(dict)
        for client_id, meter, quantity in rows:
            totals[meter] += int(quantity)
            per_client[client_id][meter] = int(quantity)
        names = {
            client.id: client.name
            for client in (
                await session.scalars(
                    sa_select(Client).where(col(Client.id).in_([key for key in per_client if key is not None]))
                )
            ).all()
        }
        return UsageOut(
            period=name,
            date_from=first,
            date_to=last,
            meters=[
                MeterTotal(meter=meter, description=text, quantity=totals.get(meter, 0))
                for meter, text in METERS.items()
            ],
            clients=[
                ClientUsage(client_id=client_id, client_name=names.get(client_id) if client_id else None, meters=meters)
                for client_id, meters in sorted(per_client.items(), key=lambda item: str(item[0]))
            ],
            unreported=[
                UnreportedUsage(meter=row.meter, status=row.status, events=row.events, quantity=row.quantity)
                for row in await unreported_usage(session, start, end)
            ],
        )
