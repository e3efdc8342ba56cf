"""Alert rules and alerts: configure what to watch per client, read alerts, acknowledge and resolve them."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.accounts.models import SocialAccount
from api.alerts.detection import COOLDOWN_DEFINITION, DEFINITIONS, Z_THRESHOLDS
from api.alerts.evaluation import AlertEvaluator, local_today
from api.alerts.lifecycle import alert_out, resolve
from api.alerts.models import AlertRule
from api.alerts.schemas import (
    PARAMS_BY_KIND,
    AlertOut,
    AlertPage,
    AlertRuleIn,
    AlertRuleOut,
    AlertRulePage,
    AlertRulePatch,
    EvaluateIn,
    EvaluationOut,
    ResolveIn,
    Suppressed,
)
from api.alerts.service import acknowledge_alert, get_alert, list_alerts
from api.auth import Principal, require
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.clients.service import get_client
from api.errors import InvalidInput, NotFound
from api.idempotency import idempotent
from api.metrics.window import check_day
from api.objectives.progress import find_objective
from api.pagination import PAGE, PageRequest, fetch_requested_page
from api.services import Services
from tenants.audit import Actor, record
from tenants.ids import utcnow

MAX_EVALUATION_DAYS = 92
_AT_PATH = re.compile(r"at `\$\.([A-Za-z0-9_.\[\]]+)`")
_NAMED = re.compile(r"field `([^`]+)`")


def rule_out(rule: AlertRule) -> AlertRuleOut:
    """The API shape of a rule, with its definition and the z-score threshold of its sensitivity."""
    return AlertRuleOut(
        id=rule.id,
        client_id=rule.client_id,
        name=rule.name,
        kind=rule.kind,
        params=dict(rule.params),
        sensitivity=rule.sensitivity,
        threshold=Z_THRESHOLDS[rule.kind][rule.sensitivity] if rule.kind in Z_THRESHOLDS else None,  # type: ignore[index]
        cooldown_hours=rule.cooldown_hours,
        enabled=rule.enabled,
        definition=DEFINITIONS[rule.kind],  # type: ignore[index]
        cooldown_definition=COOLDOWN_DEFINITION,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


async def get_rule(session: AsyncSession, principal: Principal, rule_id: uuid.UUID) -> AlertRule:
    """The tenant's rule, or a 404 (also for another tenant's, and another client's for a key limited to a client)."""
    rule = await session.get(AlertRule, (principal.tenant_id, rule_id))
    if rule is None or not principal.sees_client(rule.client_id):
        raise NotFound(f"There is no alert rule {rule_id} in this agency.", field="rule_id")
    return rule


def _params_field(message: str) -> str:
    at = _AT_PATH.search(message)
    named = _NAMED.search(message)
    if named and at:
        return f"params.{at.group(1)}.{named.group(1)}"
    if named:
        return f"params.{named.group(1)}"
    if at:
        return f"params.{at.group(1)}"
    return "params"


async def validate_params(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID, kind: str, params: dict[str, Any]
) -> dict[str, Any]:
    """The params checked against the kind's shape, with defaults filled in; a 422 names the offending field."""
    try:
        shaped = msgspec.convert(params, PARAMS_BY_KIND[kind], strict=False)
    except msgspec.ValidationError as error:
        message = str(error)
        raise InvalidInput(
            f"params is not valid for a {kind} rule: {message}. Fix this value and send the request again.",
            field=_params_field(message),
        ) from None
    builtins: dict[str, Any] = msgspec.to_builtins(shaped)
    account_id = getattr(shaped, "account_id", None)
    if account_id is not None:
        account = await session.get(SocialAccount, (principal.tenant_id, account_id))
        if account is None or account.client_id != client_id:
            raise InvalidInput(
                f"params.account_id {account_id} is not an account of client {client_id}; "
                "use one of the ids listed by GET /v1/clients/{client_id}/accounts, or leave it out.",
                field="params.account_id",
            )
    objective_id = getattr(shaped, "objective_id", None)
    if objective_id is not None and await find_objective(session, client_id, objective_id) is None:
        # The same sentence for another client's, another agency's (row-level filtered) and an unknown objective:
        # nothing here says whether the id exists elsewhere.
        raise InvalidInput(
            f"params.objective_id {objective_id} is not an objective of client {client_id}; "
            "use one of the ids listed by GET /v1/clients/{client_id}/objectives.",
            field="params.objective_id",
        )
    return builtins


class AlertRuleController(Controller):
    path = "/v1/alert-rules"
    tags = ["alerts"]
    opt = {OPEN_TO_CLIENT_KEYS: True}

    @post("/", guards=[require("write")], status_code=201, summary="Create an alert rule")
    async def create_rule(
        self,
        data: AlertRuleIn,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        request: Request[Any, Any, Any],
    ) -> Response[AlertRuleOut]:
        """Watch one of the agency's clients: mention spikes, negative-share spikes, sentiment drops, silences
        or objectives off track. The response carries the definition the rule applies."""

        async def create() -> Response[AlertRuleOut]:
            await get_client(session, principal, data.client_id)
            params = await validate_params(session, principal, data.client_id, data.kind, data.params)
            rule = AlertRule(
                client_id=data.client_id,
                name=data.name,
                kind=data.kind,
                params=params,
                sensitivity=data.sensitivity,
                cooldown_hours=data.cooldown_hours,
                enabled=data.enabled,
            )
            session.add(rule)
            await session.flush()
            record(
                session, actor, "alert_rule.created", rule, changes=msgspec.structs.asdict(data) | {"params": params}
            )
            return Response(rule_out(rule), status_code=201)

        return await idempotent(request, session, create)

    @get("/", guards=[require("read")], summary="List alert rules", dependencies={"page": PAGE})
    async def list_rules(
        self,
        session: AsyncSession,
        principal: Principal,
        client_id: uuid.UUID | None = Parameter(default=None, description="Only the rules of this client."),
        *,  # the page parameters come last in the document, as before
        page: PageRequest,
    ) -> AlertRulePage:
        """The agency's alert rules, oldest first (for a key limited to a client, that client's)."""
        statement = select(AlertRule)
        if principal.client_id is not None:
            statement = statement.where(col(AlertRule.client_id) == principal.client_id)
        if client_id is not None:
            await get_client(session, principal, client_id)
            statement = statement.where(AlertRule.client_id == client_id)
        rows, next_cursor = await fetch_requested_page(session, statement, [col(AlertRule.id)], page)
        return AlertRulePage(data=[rule_out(row) for row in rows], next_cursor=next_cursor)

    @get("/{rule_id:uuid}", guards=[require("read")], summary="Get an alert rule")
    async def get_one(self, rule_id: uuid.UUID, session: AsyncSession, principal: Principal) -> AlertRuleOut:
        """One rule, with its definition."""
        return rule_out(await get_rule(session, principal, rule_id))

    @patch("/{rule_id:uuid}", guards=[require("write")], summary="Change an alert rule")
    async def update_rule(
        self, rule_id: uuid.UUID, data: AlertRulePatch, session: AsyncSession, principal: Principal, actor: Actor
    ) -> AlertRuleOut:
        """Change the fields sent; params are replaced whole and checked against the rule's kind."""
        rule = await get_rule(session, principal, rule_id)
        changes = {name: value for name, value in msgspec.structs.asdict(data).items() if value is not msgspec.UNSET}
        if "params" in changes:
            changes["params"] = await validate_params(session, principal, rule.client_id, rule.kind, changes["params"])
        for name, value in changes.items():
            setattr(rule, name, value)
        rule.updated_at = utcnow()
        record(session, actor, "alert_rule.updated", rule, changes=changes)
        return rule_out(rule)

    @delete("/{rule_id:uuid}", guards=[require("write")], summary="Delete an alert rule and its alerts")
    async def delete_rule(
        self, rule_id: uuid.UUID, session: AsyncSession, principal: Principal, actor: Actor
    ) -> Response[None]:
        """Delete the rule with every alert it opened; set `enabled` to false instead to keep its history."""
        rule = await get_rule(session, principal, rule_id)
        record(session, actor, "alert_rule.deleted", rule, changes={"kind": rule.kind, "client_id": rule.client_id})
        await session.delete(rule)
        return Response(None, status_code=204)


class AlertController(Controller):
    tags = ["alerts"]
    opt = {OPEN_TO_CLIENT_KEYS: True}

    @get("/v1/alerts", guards=[require("read")], summary="List alerts", dependencies={"page": PAGE})
    async def list_alerts(
        self,
        session: AsyncSession,
        principal: Principal,
        client_id: uuid.UUID | None = Parameter(default=None, description="Only the alerts of this client."),
        status: Literal["open", "acknowledged", "resolved"] | None = Parameter(
            default=None, description="Only alerts in this state."
        ),
        kind: Literal["mention_spike", "negative_share_spike", "sentiment_drop", "silence", "objective_off_track"]
        | None = Parameter(default=None, description="Only alerts of this rule kind."),
        *,  # the page parameters come last in the document, as before
        page: PageRequest,
    ) -> AlertPage:
        """The agency's alerts, newest first (by when they were opened), with their evidence (for a key limited to a
        client, that client's)."""
        rows, next_cursor = await list_alerts(
            session,
            principal,
            limit=page.limit,
            cursor=page.cursor,
            client_id=client_id,
            status=status,
            kind=kind,
        )
        return AlertPage(data=[alert_out(row) for row in rows], next_cursor=next_cursor)

    @get("/v1/alerts/{alert_id:uuid}", guards=[require("read")], summary="Get an alert")
    async def get_one(self, alert_id: uuid.UUID, session: AsyncSession, principal: Principal) -> AlertOut:
        """One alert with its evidence: the window, the baseline, the observed value, the top mentions."""
        return alert_out(await get_alert(session, principal, alert_id))

    @post(
        "/v1/alerts/{alert_id:uuid}/acknowledge",
        guards=[require("write")],
        status_code=200,
        summary="Acknowledge an alert",
    )
    async def acknowledge_alert(
        self, alert_id: uuid.UUID, session: AsyncSession, principal: Principal, actor: Actor
    ) -> AlertOut:
        """Say someone is handling an open alert; records who (the API key's name) and when. 409 unless open."""
        return alert_out(await acknowledge_alert(session, principal, alert_id, actor))

    @post("/v1/alerts/{alert_id:uuid}/resolve", guards=[require("write")], status_code=200, summary="Resolve an alert")
    async def resolve_alert(
        self,
        alert_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        services: Services,
        data: ResolveIn | None = None,
    ) -> AlertOut:
        """Close an open or acknowledged alert with a note; records who and when. 409 when already resolved."""
        alert = await get_alert(session, principal, alert_id)
        evaluator: AlertEvaluator = services.alert_evaluator
        note = data.note if data is not None else ""
        return alert_out(await resolve(session, alert, note, actor=actor, on_event=evaluator.on_event))

    @post(
        "/v1/clients/{client_id:uuid}/alerts/evaluate",
        guards=[require("write")],
        status_code=200,
        summary="Evaluate a client's alert rules now",
    )
    async def evaluate(
        self,
        client_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        services: Services,
        data: EvaluateIn | None = None,
    ) -> EvaluationOut:
        """Run the client's enabled rules over a range of days (default: the last few days up to today, as after
        every sync) and open the alerts they call for. Evaluating the same data again opens nothing new."""
        client = await get_client(session, principal, client_id)
        evaluator: AlertEvaluator = services.alert_evaluator
        date_from, date_to = evaluator.default_range(client)
        today = local_today(client)
        if data is not None and data.date_to is not None:
            if data.date_to > today:
                raise InvalidInput(
                    f"to ({data.date_to}) is after today ({today}) in the client's time zone; "
                    "choose a day that has begun.",
                    field="to",
                )
            date_to = data.date_to
            date_from = min(date_from, date_to)
        if data is not None and data.date_from is not None:
            date_from = data.date_from
        if date_from > date_to:
            raise InvalidInput(f"from ({date_from}) is after to ({date_to}).", field="from")
        if date_to - date_from >= timedelta(days=MAX_EVALUATION_DAYS):
            raise InvalidInput(
                f"from {date_from} to {date_to} spans more than {MAX_EVALUATION_DAYS} days; evaluate a shorter range.",
                field="from",
            )
        # Rules compare each day with a baseline of the days before it: keep those inside the calendar.
        check_day(date_from, "from")
        evaluation = await evaluator.evaluate(session, client, actor=actor, date_from=date_from, date_to=date_to)
        return EvaluationOut(
            client_id=client.id,
            date_from=evaluation.date_from,
            date_to=evaluation.date_to,
            rules_evaluated=evaluation.rules_evaluated,
            opened=[alert_out(alert) for alert in evaluation.opened],
            suppressed=[Suppressed(rule_id=h.rule_id, bucket=h.bucket, reason=h.reason) for h in evaluation.held],
            cooldown_definition=COOLDOWN_DEFINITION,
        )
