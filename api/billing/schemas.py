"""Response shape of the usage read."""

from __future__ import annotations

import uuid
from datetime import date

import msgspec


class MeterTotal(msgspec.Struct):
    meter: str
    description: str
    quantity: int


class ClientUsage(msgspec.Struct):
    client_id: uuid.UUID | None
    """None for usage not tied to a client."""
    client_name: str | None
    """None when the client has been deleted since (its usage stays billed)."""
    meters: dict[str, int]


class UnreportedUsage(msgspec.Struct):
    """Usage of the period that Stripe will never count: `too_old` (older than the 35 days Stripe accepts
    when it could be sent) or `rejected` (refused by Stripe); the operator sees the same in
    `resonance billing reconcile`."""

    meter: str
    status: str
    events: int
    quantity: int


class UsageOut(msgspec.Struct, rename={"date_from": "from", "date_to": "to"}):
    """The agency's billable usage over one calendar month (UTC), per meter and per client."""

    period: str
    date_from: date
    date_to: date
    meters: list[MeterTotal]
    clients: list[ClientUsage]
    unreported: list[UnreportedUsage] = msgspec.field(default_factory=list)
    """Usage of the period not reported to Stripe and never to be (empty in local mode and when all is well)."""
