"""Recording ledger entries: the rules every cost and value follows, whether sent as JSON or imported."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import TypedDict

from api.clients.models import Client
from api.errors import InvalidInput
from api.metrics.window import check_day
from api.roi.models import CostEntry, ValueEntry
from api.roi.money import INPUT_HOURS_PLACES, INPUT_MONEY_PLACES, INPUT_RATE_PLACES, checked, exact, plain
from api.roi.schemas import CostIn, CostOut, ValueIn, ValueOut


def _currency_and_rate(client: Client, currency: str | None, rate: Decimal | None) -> tuple[str, Decimal | None]:
    """The entry's currency and its exchange rate into the client's: required exactly when they differ."""
    currency = currency or client.currency
    if currency == client.currency:
        if rate is not None and rate != 1:
            raise InvalidInput(
                f"exchange_rate applies only to amounts in another currency than the client's ({client.currency}); "
                "leave it out for this entry.",
                field="exchange_rate",
            )
        return currency, None
    if rate is None:
        raise InvalidInput(
            f"the entry is in {currency} but the client counts in {client.currency}: send exchange_rate "
            f"(how many {client.currency} one {currency} is worth) or the amount in {client.currency}.",
            field="exchange_rate",
        )
    return currency, checked(rate, "exchange_rate", places=INPUT_RATE_PLACES, positive=True)


MAX_AMOUNT_DIGITS = 14


def _derived(amount: Decimal, field: str) -> Decimal:
    """A product of two inputs, refused when it is too large to store."""
    if amount.adjusted() >= MAX_AMOUNT_DIGITS:
        raise InvalidInput(f"the amount this gives ({amount}) is too large; check {field}.", field=field)
    return amount


def _forbid(value: object, field: str, why: str) -> None:
    if value is not None:
        raise InvalidInput(f"{field} does not apply here: {why}", field=field)


def _require(value: Decimal | int | None, field: str, why: str) -> Decimal | int:
    if value is None:
        raise InvalidInput(f"{field} is required: {why}", field=field)
    return value


class _EntryFields(TypedDict):
    """What a cost and a value both record besides their amounts."""

    client_id: uuid.UUID
    type: str
    day: date
    network: str | None
    campaign: str | None
    currency: str
    exchange_rate: Decimal | None
    base_currency: str
    note: str | None


def _entry_fields(client: Client, data: CostIn | ValueIn) -> _EntryFields:
    """The fields every entry takes from its request once its amounts are checked: the currency (and its rate into
    the client's) and the day are checked here, in that order, after the amounts."""
    currency, exchange_rate = _currency_and_rate(client, data.currency, data.exchange_rate)
    check_day(data.day, "date")
    return _EntryFields(
        client_id=client.id,
        type=data.type,
        day=data.day,
        network=data.network,
        campaign=data.campaign,
        currency=currency,
        exchange_rate=exchange_rate,
        base_currency=client.currency,
        note=data.note,
    )


def build_cost(client: Client, data: CostIn) -> CostEntry:
    """A cost entry for `client`, or a 422 naming the first field that is wrong."""
    hours = rate = None
    if data.type == "labor":
        _forbid(data.amount, "amount", "a labour cost is hours × hourly_rate; send those two instead.")
        hours = checked(
            Decimal(_require(data.hours, "hours", "a labour cost is hours × hourly_rate.")),
            "hours",
            places=INPUT_HOURS_PLACES,
        )
        rate = checked(
            Decimal(_require(data.hourly_rate, "hourly_rate", "a labour cost is hours × hourly_rate.")),
            "hourly_rate",
            places=INPUT_MONEY_PLACES,
        )
        with exact():
            amount = _derived(hours * rate, "hours")
    else:
        _forbid(data.hours, "hours", "only labour costs are counted in hours; send amount.")
        _forbid(data.hourly_rate, "hourly_rate", "only labour costs are counted in hours; send amount.")
        amount = checked(
            Decimal(_require(data.amount, "amount", f"a {data.type} cost needs its amount.")),
            "amount",
            places=INPUT_MONEY_PLACES,
        )
    return CostEntry(**_entry_fields(client, data), amount=amount, hours=hours, hourly_rate=rate)


def build_value(client: Client, data: ValueIn) -> ValueEntry:
    """A value entry for `client`, or a 422 naming the first field that is wrong."""
    unit_value: Decimal | None = None
    if data.type == "conversion":
        _forbid(data.unit_value, "unit_value", "a conversion carries its revenue in amount.")
        count = 1 if data.count is None else data.count
        amount = checked(
            Decimal(_require(data.amount, "amount", "a conversion needs its revenue.")),
            "amount",
            places=INPUT_MONEY_PLACES,
        )
    else:
        _forbid(data.amount, "amount", f"a {data.type} value is count × unit_value; send those instead.")
        count = int(_require(data.count, "count", f"say how many {data.type}s."))
        if data.type == "lead":
            _require(data.unit_value, "unit_value", "a lead value is count × the value of one lead.")
        if data.unit_value is not None:
            unit_value = checked(data.unit_value, "unit_value", places=INPUT_MONEY_PLACES)
        with exact():
            amount = _derived(count * unit_value, "count") if unit_value is not None else Decimal(0)
    return ValueEntry(**_entry_fields(client, data), count=count, unit_value=unit_value, amount=amount)


def in_client_currency(entry: CostEntry | ValueEntry, client: Client) -> Decimal | None:
    """The entry's amount in the client's current currency, exactly; None when there is no rate into it."""
    if entry.currency == client.currency:
        return entry.amount
    if entry.exchange_rate is None or entry.base_currency != client.currency:
        return None
    with exact():
        return entry.amount * entry.exchange_rate


def _optional(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


def _rate(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


class _OutFields(TypedDict):
    """What the API shows of a cost and of a value alike."""

    id: uuid.UUID
    client_id: uuid.UUID
    type: str
    day: date
    network: str | None
    campaign: str | None
    amount: str
    currency: str
    exchange_rate: str | None
    amount_in_client_currency: str | None
    note: str | None
    created_at: datetime


def _out_fields(entry: CostEntry | ValueEntry, client: Client) -> _OutFields:
    return _OutFields(
        id=entry.id,
        client_id=entry.client_id,
        type=entry.type,
        day=entry.day,
        network=entry.network,
        campaign=entry.campaign,
        amount=plain(entry.amount),
        currency=entry.currency,
        exchange_rate=_rate(entry.exchange_rate),
        amount_in_client_currency=_optional(in_client_currency(entry, client)),
        note=entry.note,
        created_at=entry.created_at,
    )


def cost_out(entry: CostEntry, client: Client) -> CostOut:
    """The API shape of a cost."""
    return CostOut(
        **_out_fields(entry, client),
        hours=None if entry.hours is None else f"{entry.hours.normalize():f}",
        hourly_rate=_optional(entry.hourly_rate),
    )


def value_out(entry: ValueEntry, client: Client) -> ValueOut:
    """The API shape of a value."""
    return ValueOut(**_out_fields(entry, client), count=entry.count, unit_value=_optional(entry.unit_value))
