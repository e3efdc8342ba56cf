"""Request and response shapes of alert rules and alerts, and each rule kind's params."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

from api.alerts.baselines import DEFAULT_BASELINE_WEEKS

KindName = Annotated[
    Literal["mention_spike", "negative_share_spike", "sentiment_drop", "silence", "objective_off_track"],
    msgspec.Meta(description="What the rule watches; each kind's params and definition are in the README."),
]
SensitivityName = Annotated[
    Literal["low", "medium", "high"],
    msgspec.Meta(
        description="The robust z-score needed to fire (high fires most easily): mention_spike 4.5/6/8, "
        "negative_share_spike 3/4/5.5, sentiment_drop 2.5/3.5/5 for high/medium/low; silence and objectives ignore it."
    ),
]
CooldownHours = Annotated[
    int,
    msgspec.Meta(
        ge=0,
        le=8760,
        examples=[72],
        description="No new alert of this rule for a day starting less than this many hours from another alert's day.",
    ),
]
RuleName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, examples=["Bad buzz on Instagram"])]
BaselineWeeks = Annotated[
    int, msgspec.Meta(ge=3, le=12, description="How many previous weeks the same-weekday baseline looks at.")
]


class MentionSpikeParams(msgspec.Struct, forbid_unknown_fields=True):
    """`mention_spike`: the day's mention volume against the same weekday of previous weeks."""

    account_id: uuid.UUID | None = None
    min_mentions: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] = 10
    baseline_weeks: BaselineWeeks = DEFAULT_BASELINE_WEEKS


class NegativeShareParams(msgspec.Struct, forbid_unknown_fields=True):
    """`negative_share_spike`: the day's share of negative mentions against the same weekday of previous weeks."""

    account_id: uuid.UUID | None = None
    min_negative: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] = 5
    min_share_increase: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.05
    baseline_weeks: BaselineWeeks = DEFAULT_BASELINE_WEEKS


class SentimentDropParams(msgspec.Struct, forbid_unknown_fields=True):
    """`sentiment_drop`: the day's net sentiment against the same weekday of previous weeks."""

    account_id: uuid.UUID | None = None
    min_mentions: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] = 10
    min_drop: Annotated[float, msgspec.Meta(ge=0, le=2)] = 0.1
    baseline_weeks: BaselineWeeks = DEFAULT_BASELINE_WEEKS


class SilenceParams(msgspec.Struct, forbid_unknown_fields=True):
    """`silence`: no post on the account (or on any owned account of the client) for `days` days."""

    days: Annotated[int, msgspec.Meta(ge=1, le=365)]
    account_id: uuid.UUID | None = None


class ObjectiveParams(msgspec.Struct, forbid_unknown_fields=True):
    """`objective_off_track`: the objective is behind the pace needed to reach its target."""

    objective_id: uuid.UUID
    tolerance: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.1


PARAMS_BY_KIND: dict[str, type[msgspec.Struct]] = {
    "mention_spike": MentionSpikeParams,
    "negative_share_spike": NegativeShareParams,
    "sentiment_drop": SentimentDropParams,
    "silence": SilenceParams,
    "objective_off_track": ObjectiveParams,
}

PARAMS_DESCRIPTION = (
    "Per kind: mention_spike {account_id?, min_mentions=10, baseline_weeks=8}; negative_share_spike "
    "{account_id?, min_negative=5, min_share_increase=0.05, baseline_weeks=8}; sentiment_drop {account_id?, "
    "min_mentions=10, min_drop=0.1, baseline_weeks=8}; silence {days, account_id?}; objective_off_track "
    "{objective_id, tolerance=0.1}."
)


class AlertRuleIn(msgspec.Struct, forbid_unknown_fields=True):
    """A rule to watch one client."""

    client_id: uuid.UUID
    kind: KindName
    params: Annotated[dict[str, Any], msgspec.Meta(description=PARAMS_DESCRIPTION, examples=[{"min_mentions": 20}])] = (
        msgspec.field(default_factory=dict)
    )
    name: RuleName | None = None
    sensitivity: SensitivityName = "medium"
    cooldown_hours: CooldownHours = 72
    enabled: bool = True


class AlertRulePatch(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; those left out keep their value (params are replaced whole)."""

    params: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
    name: RuleName | msgspec.UnsetType | None = msgspec.UNSET
    sensitivity: SensitivityName | msgspec.UnsetType = msgspec.UNSET
    cooldown_hours: CooldownHours | msgspec.UnsetType = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET


class AlertRuleOut(msgspec.Struct):
    """A rule, with the definition it applies and the z-score threshold of its sensitivity."""

    id: uuid.UUID
    client_id: uuid.UUID
    name: str | None
    kind: str
    params: dict[str, Any]
    sensitivity: str
    threshold: float | None
    cooldown_hours: int
    enabled: bool
    definition: str
    cooldown_definition: str
    created_at: datetime
    updated_at: datetime


class AlertRulePage(msgspec.Struct):
    data: list[AlertRuleOut]
    next_cursor: str | None


class AlertOut(msgspec.Struct):
    """An alert: the day it fired for, its evidence (window, baseline, observed value, top mentions, the topics of
    the negative mentions), its lifecycle."""

    id: uuid.UUID
    rule_id: uuid.UUID
    client_id: uuid.UUID
    kind: str
    status: str
    bucket: date
    opened_at: datetime
    evidence: dict[str, Any]
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    resolution_note: str | None


class AlertPage(msgspec.Struct):
    data: list[AlertOut]
    next_cursor: str | None


class ResolveIn(msgspec.Struct, forbid_unknown_fields=True):
    """How the alert was handled."""

    note: Annotated[str, msgspec.Meta(max_length=5000, examples=["Apologised publicly; the thread calmed down."])] = ""


class EvaluateIn(msgspec.Struct, forbid_unknown_fields=True, rename={"date_from": "from", "date_to": "to"}):
    """The days to evaluate, in the client's time zone (default: the last few days up to today)."""

    date_from: date | None = None
    date_to: date | None = None


class Suppressed(msgspec.Struct):
    """A rule that fired on a day but opened no alert, and why."""

    rule_id: uuid.UUID
    bucket: date
    reason: Literal["already_alerted", "cooldown"]


class EvaluationOut(msgspec.Struct, rename={"date_from": "from", "date_to": "to"}):
    """What an evaluation did: the days and rules it looked at, the alerts it opened, the firings it held back."""

    client_id: uuid.UUID
    date_from: date
    date_to: date
    rules_evaluated: int
    opened: list[AlertOut]
    suppressed: list[Suppressed]
    cooldown_definition: str
