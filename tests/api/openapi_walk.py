"""The operations of the app's own OpenAPI document, each with the places where it names a tenant's object.

test_cross_tenant_openapi.py walks them with another agency's ids; nothing here is hand-listed per route
except what the document cannot say (`BODY_HINTS`, `FREE_FORM_SLOTS`), so a new route is walked the day
it is documented. A path parameter, query parameter or body field whose name says it is an id but that
this module does not know is reported by `unknown_id_names`, which the suite turns into a failure.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

HTTP_METHODS = ("get", "post", "put", "patch", "delete")

ID_KINDS = frozenset(
    {
        "client_id",
        "account_id",
        "sync_id",
        "key_id",
        "cost_id",
        "value_id",
        "objective_id",
        "endpoint_id",
        "delivery_id",
        "rule_id",
        "alert_id",
        "mention_id",
        "post_id",
        "authorization_id",
        "report_id",
        "host",
    }
)
"""Names (of path or query parameters and of body fields) that take the id of a tenant's own object; the id
of that kind is what fills them."""

NOT_OUR_IDS: Mapping[str, str] = {
    "external_id": "an object's id at its network or source, which no agency owns",
}
"""Names ending in `_id` that name no object of ours, with the reason."""

GLOBAL_PARAMETERS: Mapping[str, str] = {"connector_id": "demo"}
"""Path parameters naming something every tenant shares (installed connectors), with a value that exists."""

BODY_HINTS: Mapping[str, Mapping[str, Any]] = {
    # demo has no OAuth flow; parley (tests/oauth_fixtures) has one, and a new account needs a handle.
    "AuthorizationIn": {"network": "parley", "handle": "probe_handle"},
    # ad spend (the first type) needs an amount; the schema cannot say which fields go with which type.
    "CostIn": {"amount": "125.00"},
    # a conversion (the first type) needs its revenue.
    "ValueIn": {"amount": "125.00"},
    # the example's host needs DNS, which tests have not; a literal public address is accepted without it.
    "WebhookEndpointIn": {"url": "http://93.184.215.14/probe-hook"},
    # the example is the name of the client POST /v1/clients (walked first) creates: a 409, not a change.
    "ClientPatch": {"name": "a renamed client"},
    # a partial change is valid however few fields it names; naming these would need a network with them.
    "AccountPatch": {"credentials": None, "settings": None, "external_id": None},
    "ObjectivePatch": {"network": None, "start": None, "end": None},
    # params mean something per rule kind (the FREE_FORM_SLOTS set them where an id goes in).
    "AlertRulePatch": {"params": None},
}
"""Per request schema (its title): values the schema alone does not make valid; None leaves the field out."""

FREE_FORM_SLOTS: Mapping[str, tuple[tuple[str, tuple[str, ...], Mapping[str, Any]], ...]] = {
    # Alert rule params are a free-form object in the document; the README names the ids some kinds take.
    "AlertRuleIn": (
        ("account_id", ("params", "account_id"), {"kind": "silence", "params": {"days": 1}}),
        ("objective_id", ("params", "objective_id"), {"kind": "objective_off_track", "params": {}}),
    ),
    # The attacker's own rule (the one patched) is a silence rule.
    "AlertRulePatch": (("account_id", ("params", "account_id"), {"params": {"days": 1}}),),
}
"""Per request schema: ids inside free-form objects, as (kind, where in the body, what the body must also say)."""

LEAVE_OUT: Final = object()
"""In a slot's overrides: the body must not have this field."""

SLOT_RULES: Mapping[str, Mapping[str, tuple[str, Mapping[str, Any]]]] = {
    # Reconnecting takes an account on the network being connected (parley's, not the demo account), and no
    # handle: the account has its own.
    "AuthorizationIn": {"account_id": ("parley_account_id", {"handle": LEAVE_OUT})},
}
"""Per request schema and id field: the kind of id it takes when not the one its name says, and what the rest
of the body must say when it is sent."""

TEXT_BY_NAME: Mapping[str, str] = {
    "published_at": "2026-01-08T10:00:00+00:00",
    "text": "a probe from another agency",
    "source": "probe",
    "external_id": "probe-1",
}
"""Strings the schema gives no example or format for, by field name."""

DATE_BY_NAME: Mapping[str, str] = {
    "start": "2026-01-05",
    "since": "2026-01-05",
    "from": "2026-01-05",
    "end": "2026-01-11",
    "until": "2026-01-11",
    "to": "2026-01-11",
}


Where = Literal["path", "query", "body"]


@dataclass(frozen=True)
class Slot:
    """One place in a request that names a tenant's object."""

    where: Where
    name: str
    """The parameter's name, or the body field's."""
    kind: str
    """Which id fills it (a member of ID_KINDS)."""
    required: bool
    pointer: tuple[str | int, ...] = ()
    """In the body: the keys and indexes leading to the field."""
    overrides: tuple[tuple[str, Any], ...] = field(default=(), compare=False)
    """In the body: top-level fields the body must also have for this id to mean something."""

    @property
    def label(self) -> str:
        if self.where == "body":
            return "body " + ".".join(str(step) for step in self.pointer)
        return f"{self.where} {self.name}"


@dataclass(frozen=True)
class Operation:
    """One path × method of the document."""

    method: str
    path: str
    spec: Mapping[str, Any] = field(repr=False)
    slots: tuple[Slot, ...] = ()
    body: Any = None
    """A valid body without its ids (None: the operation takes none)."""
    media_type: str | None = None

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def public(self) -> bool:
        """Declared in the document as taking no credential (`security: []`)."""
        return self.spec.get("security") == []


@dataclass(frozen=True)
class Probe:
    """A request ready to send, and the ids it carries."""

    method: str
    url: str
    params: dict[str, str]
    json: Any = None
    content: str | None = None
    media_type: str | None = None
    sent: frozenset[str] = frozenset()


def _is_id_name(name: str, schema: Mapping[str, Any] | None = None) -> bool:
    if name in NOT_OUR_IDS:
        return False
    if name.endswith("_id"):
        return True
    return schema is not None and "uuid" in {alternative.get("format") for alternative in _alternatives(schema)}


def _alternatives(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The schema and the non-null schemas of its oneOf/anyOf."""
    found = [schema]
    for key in ("oneOf", "anyOf"):
        found.extend(option for option in schema.get(key, []) if option.get("type") != "null")
    return found


class Document:
    """The OpenAPI document, read into operations."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.unknown: list[str] = []
        """`METHOD path: where name` of every id-like name this module does not know."""
        self.operations = [
            self._operation(method.upper(), path, spec)
            for path, item in document["paths"].items()
            for method, spec in item.items()
            if method in HTTP_METHODS
        ]

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = self.document["components"]["schemas"][name]
        return schema

    def _operation(self, method: str, path: str, spec: Mapping[str, Any]) -> Operation:
        where = f"{method} {path}"
        slots: list[Slot] = []
        for parameter in spec.get("parameters", []):
            name, place = parameter["name"], parameter["in"]
            if place == "path" and name in GLOBAL_PARAMETERS:
                continue
            if place == "path" and name not in ID_KINDS:
                self.unknown.append(f"{where}: path parameter {name}")
            elif place == "query" and _is_id_name(name, parameter.get("schema", {})):
                if name in ID_KINDS:
                    slots.append(Slot("query", name, name, bool(parameter.get("required"))))
                else:
                    self.unknown.append(f"{where}: query parameter {name}")
            elif place == "path":
                slots.append(Slot("path", name, name, True))
        body: Any = None
        media_type = None
        content = spec.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            media_type = "application/json"
            body = self._sample(content["application/json"]["schema"], method, (), slots, where, top=True)
        elif content:
            # Not JSON (CSV imports): the document's own example is a valid body.
            media_type, media = next(iter(content.items()))
            body = media.get("example")
            if body is None:
                self.unknown.append(f"{where}: a {media_type} body without an example")
        return Operation(method, path, spec, tuple(slots), body, media_type)

    def _sample(
        self,
        schema: Mapping[str, Any],
        method: str,
        pointer: tuple[str | int, ...],
        slots: list[Slot],
        where: str,
        *,
        top: bool = False,
    ) -> Any:
        """A plausible value for `schema`; id fields are recorded in `slots` and left out."""
        schema = self.resolve(schema)
        # oneOf [X, null]: X (the null alternative is left out by _alternatives).
        schema = next((self.resolve(s) for s in _alternatives(schema)[1:]), schema)
        kind = schema.get("type")
        if kind == "array":
            return [self._sample(schema.get("items", {}), method, (*pointer, 0), slots, where)]
        if kind == "object" or "properties" in schema:
            return self._object(schema, method, pointer, slots, where, top=top)
        return None

    def _object(
        self,
        schema: Mapping[str, Any],
        method: str,
        pointer: tuple[str | int, ...],
        slots: list[Slot],
        where: str,
        *,
        top: bool,
    ) -> dict[str, Any]:
        title = str(schema.get("title", ""))
        hints = BODY_HINTS.get(title, {})
        required = set(schema.get("required", []))
        value: dict[str, Any] = {}
        for name, property_schema in schema.get("properties", {}).items():
            if _is_id_name(name, property_schema):
                if name in ID_KINDS:
                    kind, overrides = SLOT_RULES.get(title, {}).get(name, (name, {}))
                    slot = Slot("body", name, kind, name in required, (*pointer, name), tuple(overrides.items()))
                    slots.append(slot)
                else:
                    self.unknown.append(f"{where}: body field {'.'.join(map(str, (*pointer, name)))}")
                continue
            if name in hints:
                if hints[name] is not None:
                    value[name] = copy.deepcopy(hints[name])
                continue
            # A change (PATCH) names every field it can, so that a change that got through would show.
            if name in required or method == "PATCH":
                value[name] = self._scalar(name, property_schema, method, (*pointer, name), slots, where)
        for kind, at, overrides in FREE_FORM_SLOTS.get(title, ()) if top else ():
            slots.append(Slot("body", kind, kind, False, at, tuple(overrides.items())))
        return value

    def _scalar(
        self,
        name: str,
        schema: Mapping[str, Any],
        method: str,
        pointer: tuple[str | int, ...],
        slots: list[Slot],
        where: str,
    ) -> Any:
        schema = self.resolve(schema)
        if "examples" in schema:
            return copy.deepcopy(schema["examples"][0])
        for option in _alternatives(schema):
            option = self.resolve(option)
            if "const" in option:
                return option["const"]
            if "default" in option:
                return copy.deepcopy(option["default"])
            if option.get("enum"):
                return next(item for item in option["enum"] if item is not None)
        options = [self.resolve(option) for option in _alternatives(schema)]
        empty: Mapping[str, Any] = {}
        concrete = next((option for option in reversed(options) if "type" in option or "properties" in option), empty)
        kind = concrete.get("type")
        if kind == "array" or kind == "object" or "properties" in concrete:
            return self._sample(concrete, method, pointer, slots, where)
        if kind == "boolean":
            return True
        if kind in ("integer", "number"):
            return concrete.get("minimum", 1) or 1
        if concrete.get("format") == "date":
            return DATE_BY_NAME.get(name, "2026-01-08")
        if concrete.get("format") == "date-time":
            return "2026-01-08T10:00:00+00:00"
        return TEXT_BY_NAME.get(name, "a probe value")


def unknown_id_names(document: Document) -> list[str]:
    """Every id-like name of the document this module cannot fill."""
    return list(document.unknown)


def variants(operation: Operation) -> Iterator[tuple[str, frozenset[Slot]]]:
    """(label, the slots that get the victim's ids) for each request to try: every required id at once, each
    required id alone when there are several, and each optional id alone (optional ids are never combined:
    some operations take exactly one of them)."""
    required = [slot for slot in operation.slots if slot.required]
    optional = [slot for slot in operation.slots if not slot.required]
    if required:
        yield "every id", frozenset(required)
    if len(required) > 1:
        for slot in required:
            yield f"only {slot.label}", frozenset({slot})
    for slot in optional:
        yield slot.label, frozenset({slot})


def _put(body: Any, pointer: tuple[str | int, ...], value: str) -> None:
    target = body
    for step in pointer[:-1]:
        target = target[step] if isinstance(step, int) else target.setdefault(step, {})
    target[pointer[-1]] = value


def probe(operation: Operation, chosen: frozenset[Slot], ids: Mapping[Slot, str]) -> Probe:
    """The request of `operation` with every required slot and the optional ones in `chosen` filled from `ids`."""
    filled = [slot for slot in operation.slots if slot.required or slot in chosen]
    url = operation.path
    for name, value in GLOBAL_PARAMETERS.items():
        url = url.replace("{" + name + "}", value)
    params: dict[str, str] = {}
    body = copy.deepcopy(operation.body)
    for slot in filled:
        for key, value in slot.overrides:
            if value is LEAVE_OUT:
                body.pop(key, None)
            else:
                body[key] = copy.deepcopy(value)
    for slot in filled:
        if slot.where == "path":
            url = url.replace("{" + slot.name + "}", ids[slot])
        elif slot.where == "query":
            params[slot.name] = ids[slot]
        else:
            _put(body, slot.pointer, ids[slot])
    sent = frozenset(ids[slot] for slot in filled)
    if operation.media_type == "application/json":
        return Probe(operation.method, url, params, json=body, media_type=operation.media_type, sent=sent)
    return Probe(operation.method, url, params, content=body, media_type=operation.media_type, sent=sent)


def random_ids(slots: frozenset[Slot]) -> dict[Slot, str]:
    """A fresh random uuid for each slot: ids that name nothing anywhere."""
    return {slot: str(uuid.uuid4()) for slot in slots}


__all__ = [
    "BODY_HINTS",
    "FREE_FORM_SLOTS",
    "GLOBAL_PARAMETERS",
    "ID_KINDS",
    "LEAVE_OUT",
    "NOT_OUR_IDS",
    "SLOT_RULES",
    "Document",
    "Operation",
    "Probe",
    "Slot",
    "probe",
    "random_ids",
    "unknown_id_names",
    "variants",
]
