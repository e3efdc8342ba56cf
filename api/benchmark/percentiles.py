"""Where a client stands among the agency's clients of the same industry, without naming or showing them."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

MIN_GROUP = 3
"""Fewer clients with a value than this and the percentile is withheld: with two, it would give the other away."""

PERCENTILES = (
    "Among the agency's clients of the same industry (this one included) that have a value for the figure "
    "(computed from their owned accounts over the same dates, as the `owned` side): percentile = 100 * (clients "
    "with a lower value + ½ * other clients with the same value) ÷ (group_size - 1), so 0 is the lowest and 100 "
    f"the highest, to one decimal. Withheld (null, with a reason) when group_size is below {MIN_GROUP}. Other "
    "clients' names and values are never returned."
)


class Position(msgspec.Struct):
    percentile: float | None
    group_size: int
    reason: str | None


def position(own: float | None, others: Sequence[float | None], min_group: int = MIN_GROUP) -> Position:
    """The client's percentile among `others` (the peers' values, None for peers without one)."""
    peers = [value for value in others if value is not None]
    if own is None:
        return Position(None, len(peers), "this client has no value for this figure in the window.")
    size = len(peers) + 1
    if size < min_group:
        return Position(
            None, size, f"fewer than {min_group} clients of this industry have a value; too few to stay anonymous."
        )
    below = sum(1 for value in peers if value < own)
    ties = sum(1 for value in peers if value == own)
    return Position(round(100 * (below + 0.5 * ties) / (size - 1), 1), size, None)
