"""Response shape of the employer-brand index."""

from __future__ import annotations

import uuid
from datetime import date

import msgspec


class ComponentOut(msgspec.Struct):
    """One component of the index: its score 0-100 (null when unmeasured), weight, inputs and formula."""

    name: str
    score: float | None
    weight: float
    formula: str
    inputs: dict[str, float | int | None]
    missing_reason: str | None


class EmployerBrandOut(msgspec.Struct):
    """The employer-brand index of a client over a window, with everything it was computed from."""

    client_id: uuid.UUID
    date_from: date
    date_to: date
    index: float | None
    components: list[ComponentOut]
    employer_brand_posts: int
    workplace_mentions: int
    workplace_mentions_unanalysed: int
    definition: dict[str, str | list[str]]
