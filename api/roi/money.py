"""Exact money: decimal validation of inputs, high-precision arithmetic, rounding only at presentation."""

from __future__ import annotations

from contextlib import AbstractContextManager
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext

from api.errors import InvalidInput

MONEY_PLACES = 2
"""Money is presented with 2 decimal places, rounded half to even."""
RATIO_PLACES = 4
"""ROI and ROAS are presented with 4 decimal places, rounded half to even."""
INPUT_MONEY_PLACES = 4
"""Amounts, rates and unit values are accepted with up to 4 decimal places (stored with 6: hours × rate stays exact)."""
INPUT_HOURS_PLACES = 2
INPUT_RATE_PLACES = 10
MAX_INTEGER_DIGITS = 12
ROUNDING_NOTE = (
    f"Amounts are computed exactly in decimal and rounded only for display: money to {MONEY_PLACES} places, "
    f"ratios to {RATIO_PLACES} places, half to even."
)


def exact() -> AbstractContextManager[Context]:
    """A decimal context wide enough that sums and products of stored values are never rounded."""
    return localcontext(prec=80, rounding=ROUND_HALF_EVEN)


def checked(value: Decimal, field: str, *, places: int, positive: bool = False) -> Decimal:
    """`value` if it is a finite, non-negative number with at most `places` decimal places, else a 422."""
    if not value.is_finite():
        raise InvalidInput(f"{field} must be a number, not {value}.", field=field)
    if value < 0 or (positive and value == 0):
        bound = "greater than 0" if positive else "0 or more"
        raise InvalidInput(f"{field} must be {bound}; got {value}.", field=field)
    if value.adjusted() >= MAX_INTEGER_DIGITS:
        raise InvalidInput(f"{field} is too large ({value}); it must be below 10^{MAX_INTEGER_DIGITS}.", field=field)
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise InvalidInput(
            f"{field} has more than {places} decimal places ({value}); send it with at most {places}.", field=field
        )
    return value


def money(value: Decimal) -> str:
    """A money amount as shown: 2 places, half to even."""
    return f"{value.quantize(Decimal(1).scaleb(-MONEY_PLACES), rounding=ROUND_HALF_EVEN):f}"


def ratio(value: Decimal) -> str:
    """A ratio as shown: 4 places, half to even."""
    return f"{value.quantize(Decimal(1).scaleb(-RATIO_PLACES), rounding=ROUND_HALF_EVEN):f}"


def plain(value: Decimal) -> str:
    """A stored decimal without its padding zeros, keeping at least 2 places for amounts (10.500000 → 10.50)."""
    text = f"{value.normalize():f}"
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(MONEY_PLACES, '0')}"


def number(value: Decimal) -> str:
    """A stored decimal without trailing zeros (1.2500000000 → 1.25, 3.00 → 3)."""
    text = f"{value.normalize():f}"
    return text
