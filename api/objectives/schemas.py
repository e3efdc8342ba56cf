"""Request and response shapes of objectives, and the mapping of progress to its API shape."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Literal

import msgspec

from api.objectives import progress as definitions
from api.objectives.progress import Contribution, ObjectiveProgress

Direction = Literal["at_least", "at_most"]
MetricId = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        examples=["followers"],
        description="A canonical metric id (GET /v1/metrics/catalog) or `engagement_rate`.",
    ),
]
Target = Annotated[
    Decimal,
    msgspec.Meta(
        examples=["12000"],
        description="The level (stocks), the total over the period (flows) or the rate (engagement_rate) to reach; "
        "up to 6 decimal places.",
    ),
]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, examples=["12k LinkedIn followers by June"])]
Network = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]{1,64}$", examples=["linkedin"])]


class ObjectiveIn(msgspec.Struct, forbid_unknown_fields=True):
    """A target on one metric over a period, on the client's owned accounts (all, one network, or one account)."""

    metric: MetricId
    target: Target
    start: date
    end: date
    direction: Direction = "at_least"
    name: Name | None = None
    account_id: uuid.UUID | None = None
    network: Network | None = None


class ObjectivePatch(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; those left out keep their value."""

    metric: MetricId | msgspec.UnsetType = msgspec.UNSET
    target: Target | msgspec.UnsetType = msgspec.UNSET
    start: date | msgspec.UnsetType = msgspec.UNSET
    end: date | msgspec.UnsetType = msgspec.UNSET
    direction: Direction | msgspec.UnsetType = msgspec.UNSET
    name: Name | msgspec.UnsetType | None = msgspec.UNSET
    account_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    network: Network | msgspec.UnsetType | None = msgspec.UNSET


class ContributionOut(msgspec.Struct):
    account_id: uuid.UUID
    network: str
    handle: str
    share: str
    """The account's share of the objective (0 to 1)."""
    actual: str
    expected: str
    shortfall: str
    """Positive when behind its share (over it, for at-most targets)."""


class ProgressOut(msgspec.Struct):
    as_of: date
    kind: str
    """flow (summed over the period), stock (latest level) or rate."""
    elapsed_days: int
    total_days: int
    value: str | None
    baseline: str | None
    """Stocks: the level at the start of the period."""
    expected_by_now: str | None
    forecast: str | None
    percent_of_target: str | None
    status: str
    """not_started, on_track, off_track, achieved, missed or no_data."""
    driver: ContributionOut | None
    """When off track: the account with the largest shortfall against its share."""
    contributions: list[ContributionOut]
    denominator: str | None
    definition: str
    rounding: str


class ObjectiveOut(msgspec.Struct):
    id: uuid.UUID
    client_id: uuid.UUID
    name: str | None
    metric: str
    target: str
    direction: str
    start: date
    end: date
    account_id: uuid.UUID | None
    network: str | None
    created_at: datetime
    updated_at: datetime
    progress: ProgressOut


class ObjectivePage(msgspec.Struct):
    data: list[ObjectiveOut]
    next_cursor: str | None


ROUNDING = (
    "Computed exactly in decimal; shown rounded half to even: metric values to 2 places (engagement_rate to 6), "
    "shares to 4, percentages to 2."
)
DEFINITION = (definitions.__doc__ or "").split("Definitions", 1)[-1].strip()


def _round(value: Decimal | None, places: int) -> str | None:
    if value is None:
        return None
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN):f}"


def _contribution_out(item: Contribution, places: int) -> ContributionOut:
    return ContributionOut(
        account_id=item.account_id,
        network=item.network,
        handle=item.handle,
        share=_round(item.share, 4) or "0",
        actual=_round(item.actual, places) or "0",
        expected=_round(item.expected, places) or "0",
        shortfall=_round(item.shortfall, places) or "0",
    )


def progress_out(progress: ObjectiveProgress) -> ProgressOut:
    """The API shape of an objective's progress."""
    places = 6 if progress.kind == "rate" else 2
    # A rate objective's contributions are engagements against target × denominator: counts, not rates.
    counts = 2
    return ProgressOut(
        as_of=progress.as_of,
        kind=progress.kind,
        elapsed_days=progress.elapsed_days,
        total_days=progress.total_days,
        value=_round(progress.value, places),
        baseline=_round(progress.baseline, places),
        expected_by_now=_round(progress.expected_by_now, places),
        forecast=_round(progress.forecast, places),
        percent_of_target=_round(progress.percent_of_target, 2),
        status=progress.status,
        driver=None if progress.driver is None else _contribution_out(progress.driver, counts),
        contributions=[_contribution_out(item, counts) for item in progress.contributions],
        denominator=progress.denominator,
        definition=DEFINITION,
        rounding=ROUNDING,
    )
