"""The range of days (`from`, `to`) that analytics and dated list routes share, as a dependency giving `AskedDays`.

A route declares the pair once, as a dependency, instead of re-declaring it in its signature (a list route's
page, `cursor` and `limit`, is `api.pagination.PAGE` the same way):

    @get("/...", dependencies={"page": PAGE, "days": day_range(FIRST, LAST, default_days=30)})
    async def handler(self, ..., days: AskedDays, page: PageRequest) -> ...

Litestar documents a dependency's parameters in place of the handler's parameter that asks for it, so the
OpenAPI document lists the same parameters, in the same order, with the same names, types, descriptions and
defaults as when each handler declared them (tests/api/test_parameters.py compares the two), and refuses bad
values with the same messages.

This module does not use `from __future__ import annotations`: the providers `day_range` builds carry their
route's descriptions inside their annotations, which must therefore be evaluated when the provider is defined.
"""

from datetime import date
from typing import Annotated

from litestar.di import Provide
from litestar.params import QueryParameter

from api.metrics.window import AskedDays


def day_range(first: str, last: str, *, default_days: int = 0) -> Provide:
    """The `from` and `to` parameters, documented as `first` and `last`, as a dependency giving `AskedDays`.

    `default_days` is how many days the range covers when `from` is absent (0 for a list filter, whose
    absent ends stay open: `AskedDays.bounds`).
    """

    async def provide_days(
        date_from: Annotated[date | None, QueryParameter(name="from", description=first)] = None,
        date_to: Annotated[date | None, QueryParameter(name="to", description=last)] = None,
    ) -> AskedDays:
        return AskedDays(first=date_from, last=date_to, default_days=default_days)

    return Provide(provide_days)


def local_days(default_days: int) -> Provide:
    """A range of the client's local days, `from` defaulting to `default_days` before `to` (rates, presence)."""
    return day_range(
        f"First local day (default: {default_days} days before to).",
        "Last local day, included (default: today).",
        default_days=default_days,
    )


def client_days(default_days: int) -> Provide:
    """A range of days in the client's time, `from` defaulting to `default_days` before `to` (reports)."""
    return day_range(
        f"First day (default: {default_days} days before `to`).",
        "Last day, included (default: today, client's time).",
        default_days=default_days,
    )
