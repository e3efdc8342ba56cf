"""Query parameters that list and analytics routes share: a page (`cursor`, `limit`), a range of days (`from`, `to`).

A route declares each group once, as a dependency, instead of re-declaring the pair in its signature:

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
from litestar.params import Parameter, QueryParameter

from api.metrics.window import AskedDays
from api.pagination import PageRequest, page_size
from api.services import Services

LIMIT_DESCRIPTION = "Page size (capped)."


async def provide_page(
    services: Services,
    cursor: str | None = None,
    limit: Annotated[int | None, Parameter(ge=1, description=LIMIT_DESCRIPTION)] = None,
) -> PageRequest:
    """The `page` dependency: `cursor` and `limit`, capped at `RESONANCE_PAGE_SIZE_MAX`."""
    return PageRequest(cursor=cursor, limit=page_size(limit, services.settings.page_size_max))


PAGE = Provide(provide_page)
"""The page parameters of a list route, as the `page` dependency."""


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
