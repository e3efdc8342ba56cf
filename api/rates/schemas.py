"""Response shape of the rates read."""

from __future__ import annotations

import uuid
from datetime import date

import msgspec

from api.rates.periods import PeriodRates


class AccountRates(msgspec.Struct):
    """One account's rates, period by period."""

    account_id: uuid.UUID
    network: str
    handle: str
    kind: str
    periods: list[PeriodRates]


class RatesOut(msgspec.Struct, rename={"date_from": "from", "date_to": "to"}):
    """Rates per account and period; `definitions` gives each formula."""

    client_id: uuid.UUID
    timezone: str
    granularity: str
    date_from: date
    date_to: date
    definitions: dict[str, str]
    accounts: list[AccountRates]
