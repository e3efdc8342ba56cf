"""Request and response shapes of the ROI ledger, the EMV rates and the ROI report."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

CostType = Literal["ad_spend", "labor", "tools", "fees"]
ValueType = Literal["conversion", "lead", "application"]
Network = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z0-9_]{1,64}$",
        examples=["linkedin"],
        description="The network (connector id) the entry belongs to; leave out for an unattributed entry.",
    ),
]
Campaign = Annotated[str, msgspec.Meta(min_length=1, max_length=200, examples=["Spring launch"])]
Currency = Annotated[
    str,
    msgspec.Meta(pattern=r"^[A-Z]{3}$", examples=["EUR"], description="ISO 4217 code; default: the client's."),
]
Note = Annotated[str, msgspec.Meta(max_length=2000)]
Money = Annotated[
    Decimal,
    msgspec.Meta(
        examples=["1250.00"],
        description="A decimal (a JSON string is safest; numbers are read exactly), up to 4 decimal places.",
    ),
]
ExchangeRate = Annotated[
    Decimal,
    msgspec.Meta(
        examples=["1.0842"],
        description="Units of the client's currency for 1 unit of `currency`; required when they differ.",
    ),
]


class CostIn(msgspec.Struct, forbid_unknown_fields=True):
    """A cost. Labour is `hours` × `hourly_rate` (the amount is derived); other types give `amount`."""

    type: CostType
    day: date = msgspec.field(name="date")
    network: Network | None = None
    campaign: Campaign | None = None
    amount: Money | None = None
    hours: Annotated[Decimal, msgspec.Meta(examples=["12.5"], description="Labour only, up to 2 places.")] | None = None
    hourly_rate: Money | None = None
    currency: Currency | None = None
    exchange_rate: ExchangeRate | None = None
    note: Note | None = None


class CostOut(msgspec.Struct):
    id: uuid.UUID
    client_id: uuid.UUID
    type: str
    day: date = msgspec.field(name="date")
    network: str | None
    campaign: str | None
    amount: str
    hours: str | None
    hourly_rate: str | None
    currency: str
    exchange_rate: str | None
    amount_in_client_currency: str | None
    """Exact; null when the client's currency changed since the entry was recorded (no rate into it)."""
    note: str | None
    created_at: datetime


class CostPage(msgspec.Struct):
    data: list[CostOut]
    next_cursor: str | None


class ValueIn(msgspec.Struct, forbid_unknown_fields=True):
    """A value. Conversions give their revenue as `amount` (and `count`, default 1); leads give `count` and
    `unit_value` (value per lead); applications give `count` and optionally `unit_value`."""

    type: ValueType
    day: date = msgspec.field(name="date")
    network: Network | None = None
    campaign: Campaign | None = None
    count: Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000, examples=[12])] | None = None
    amount: Money | None = None
    unit_value: Money | None = None
    currency: Currency | None = None
    exchange_rate: ExchangeRate | None = None
    note: Note | None = None


class ValueOut(msgspec.Struct):
    id: uuid.UUID
    client_id: uuid.UUID
    type: str
    day: date = msgspec.field(name="date")
    network: str | None
    campaign: str | None
    count: int
    unit_value: str | None
    amount: str
    currency: str
    exchange_rate: str | None
    amount_in_client_currency: str | None
    note: str | None
    created_at: datetime


class ValuePage(msgspec.Struct):
    data: list[ValueOut]
    next_cursor: str | None


class ImportOut(msgspec.Struct):
    imported: int
    ids: list[uuid.UUID]


class EmvRatesIn(msgspec.Struct, forbid_unknown_fields=True):
    """The client's EMV rates, in its currency; anything left out takes the default."""

    cpm: dict[Network, Money] = {}
    """Cost per thousand impressions, by network."""
    default_cpm: Money | None = None
    """CPM of networks not listed in `cpm`."""
    action_values: dict[str, Money] = {}
    """Value of one action, by canonical action metric (reactions, comments, shares, saves, clicks, video_views,
    profile_views)."""


class EmvRatesOut(msgspec.Struct):
    client_id: uuid.UUID
    currency: str
    cpm: dict[str, str]
    default_cpm: str
    action_values: dict[str, str]
    customized: list[str]
    """Which rates the client set (`cpm.linkedin`, `default_cpm`, `action_values.shares`…); the rest are defaults."""
    note: str
    updated_at: datetime | None


class RoiDefinition(msgspec.Struct):
    cost: str
    value: str
    roi: str
    roas: str
    emv: str
    currency: str
    unattributed: str
    rounding: str


class RoiTotals(msgspec.Struct):
    cost: str
    value: str
    net: str
    """value − cost."""
    revenue: str
    """Conversion revenue: the numerator of ROAS."""
    ad_spend: str
    roi: str | None
    roi_note: str | None
    roas: str | None
    roas_note: str | None


class CostLine(msgspec.Struct):
    type: str
    amount: str
    entries: int
    hours: str | None = None
    """Labour only: hours recorded."""


class ValueLine(msgspec.Struct):
    type: str
    amount: str
    count: int
    entries: int


class NetworkLine(msgspec.Struct):
    network: str
    """A network id, or `unattributed` for entries recorded without one."""
    cost: str
    value: str
    revenue: str
    ad_spend: str
    roi: str | None
    roas: str | None
    emv: str
    """This network's earned media value (not in `value`, not in ROI)."""


class EmvNetworkLine(msgspec.Struct):
    network: str
    accounts: int
    impressions: str
    cpm: str
    impressions_value: str
    actions: dict[str, str]
    actions_value: str
    total: str


class EmvActionLine(msgspec.Struct):
    metric: str
    count: str
    value_per_action: str
    amount: str


class EmvOut(msgspec.Struct):
    label: str
    total: str
    impressions_value: str
    actions_value: str
    networks: list[EmvNetworkLine]
    actions: list[EmvActionLine]
    default_cpm: str
    customized_rates: list[str]
    note: str


class ExcludedEntry(msgspec.Struct):
    id: uuid.UUID
    kind: Literal["cost", "value"]
    currency: str
    reason: str


class RoiOut(msgspec.Struct):
    client_id: uuid.UUID
    currency: str
    date_from: date = msgspec.field(name="from")
    date_to: date = msgspec.field(name="to")
    network: str | None
    """The network filter, if any: it applies to ledger entries and to EMV."""
    definition: RoiDefinition
    totals: RoiTotals
    costs: list[CostLine]
    values: list[ValueLine]
    by_network: list[NetworkLine]
    emv: EmvOut
    excluded: list[ExcludedEntry]
    """Entries left out of every total because they cannot be converted into the client's currency."""
