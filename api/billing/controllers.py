"""`GET /v1/usage`: what the agency used in a month, per meter and per client, from the usage ledger."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from litestar import Controller, get
from litestar.params import Parameter
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth import require
from api.billing.metering import METERS, UsageEvent
from api.billing.schemas import ClientUsage, MeterTotal, UnreportedUsage, UsageOut
from api.billing.usage_reporting import unreported_usage
from api.clients.models import Client
from api.errors import InvalidInput
from api.metrics.window import FIRST_DAY, LAST_DAY
from tenants.ids import utcnow

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def month_bounds(period: str | None) -> tuple[str, date, date]:
    """The month `YYYY-MM` (default: the current one, UTC) and its first and last days."""
    if period is None:
        today = utcnow().date()
        period = f"{today.year:04d}-{today.month:02d}"
    match = _PERIOD.match(period)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise InvalidInput(f"period {period!r} is not a month; send it as YYYY-MM, e.g. 2026-11.", field="period")
    first = date(max(int(match.group(1)), 1), int(match.group(2)), 1)
    if not FIRST_DAY <= first <= LAST_DAY:  # year 0 does not exist, and no month follows 9999-12
        raise InvalidInput(
            f"period {period!r} is outside the months Resonance supports, {FIRST_DAY:%Y-%m} to {LAST_DAY:%Y-%m}; "
            "send a month in that range as YYYY-MM.",
            field="period",
        )
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return period, first, last


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
