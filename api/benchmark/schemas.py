"""Response shape of the benchmark read."""

from __future__ import annotations

import uuid
from datetime import date

import msgspec

from api.benchmark.percentiles import Position
from api.benchmark.share_of_voice import Voice
from api.benchmark.sides import AccountFigures, SideFigures


class Side(msgspec.Struct):
    """One side of the comparison: its accounts and their aggregate."""

    total: SideFigures
    accounts: list[AccountFigures]


class ShareOfVoice(msgspec.Struct):
    total: Voice
    networks: list[Voice]


class PeerPercentiles(msgspec.Struct):
    """The client's anonymised position among the agency's clients of its industry (null positions: see reason)."""

    industry: str | None
    min_group_size: int
    reason: str | None
    engagement_rate: Position | None
    growth_pct: Position | None
    posts_per_week: Position | None


class BenchmarkOut(msgspec.Struct, rename={"date_from": "from", "date_to": "to"}):
    """Owned against competitor accounts, share of voice and peer percentiles; `definitions` gives the formulas."""

    client_id: uuid.UUID
    timezone: str
    date_from: date
    date_to: date
    definitions: dict[str, str]
    owned: Side
    competitor: Side
    share_of_voice: ShareOfVoice
    percentiles: PeerPercentiles
