"""OpenAPI finishing touches: every error response documented as our problem+json shape.

Litestar documents its own default error body; ours is RFC 9457 problem details, so the error
responses of every operation are rewritten to point at one `Problem` schema, and the errors every
authenticated route can give (401, 403, 404, 422) are listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    Components,
    Example,
    Link,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Reference,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.routes import HTTPRoute

from api.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE

PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="An error, as RFC 9457 problem details.",
    required=["type", "code", "title", "status", "detail"],
    properties={
        "type": Schema(type=OpenAPIType.STRING, description="A stable URN naming the kind of problem."),
        "code": Schema(type=OpenAPIType.STRING, description="The same, short: e.g. validation_error, not_found."),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING, description="What was wrong and what to do, in a sentence."),
        "instance": Schema(type=OpenAPIType.STRING, description="The request path."),
        "field": Schema(type=OpenAPIType.STRING, description="The offending field or parameter, when one is."),
        "request_id": Schema(type=OpenAPIType.STRING, description="Quote it to support."),
    },
)

_STANDARD_ERRORS = {
    "401": ("unauthorized", "No API key, or a malformed, unknown or revoked one."),
    "403": ("forbidden", "The API key lacks the scope this operation needs."),
    "404": ("not_found", "No such object in the caller's agency (another agency's objects are never visible)."),
    "422": ("validation_error", "A field or parameter is invalid; `field` names it."),
    "429": (
        "rate_limited",
        "Over the plan's API requests per minute: `quota`, `usage`, `limit`, `plan` and `upgrade` say which and "
        "what allows more; retry after `Retry-After` seconds.",
    ),
}


_CONFLICTS: dict[tuple[str, str], str] = {
    ("post", "/v1/clients"): "A client with this name exists in the agency.",
    ("patch", "/v1/clients/{client_id}"): "A client with this name exists in the agency.",
    ("post", "/v1/clients/{client_id}/accounts"): "The client already tracks this handle on this network.",
    ("post", "/v1/clients/{client_id}/oauth/authorizations"): (
        "The client already tracks this handle on this network, or the authorization replayed by "
        "`Idempotency-Key` was completed or has expired."
    ),
    ("post", "/v1/accounts/{account_id}/syncs"): "The account is paused.",
    ("post", "/v1/tenant/domains"): "The host is already taken.",
    ("post", "/v1/tenant/domains/{host}/verify"): "The host is already taken.",
    ("post", "/v1/alerts/{alert_id}/acknowledge"): "The alert is not open.",
    ("post", "/v1/alerts/{alert_id}/resolve"): "The alert is already resolved.",
}
"""The operations that refuse a request clashing with the agency's current state (a 409 `conflict`), and why."""

_BINARY = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)

_OTHER_MEDIA_TYPES: dict[tuple[str, str, str], dict[str, Schema]] = {
    ("get", "/v1/clients/{client_id}/report", "200"): {
        "text/csv": Schema(type=OpenAPIType.STRING),
        "application/pdf": _BINARY,
    },
}
"""Successful answers that come in more media types than their JSON one (chosen by a `format` parameter)."""


def _problem_response(code: str, description: str) -> OpenAPIResponse:
    example = {
        "type": PROBLEM_TYPE_BASE + code,
        "code": code,
        "title": code.replace("_", " ").capitalize(),
        "status": {"unauthorized": 401, "forbidden": 403, "not_found": 404, "rate_limited": 429}.get(code, 422),
        "detail": description,
        "instance": "/v1/...",
    }
    return OpenAPIResponse(
        description=description,
        content={
            PROBLEM_MEDIA_TYPE: OpenAPIMediaType(
                schema=Reference(ref="#/components/schemas/Problem"),
                examples={code: Example(value=example)},
            )
        },
    )


def operations(app: Litestar) -> Iterator[tuple[HTTPRoute, HTTPRouteHandler, str, Operation]]:
    """Every documented operation with the route and handler serving it, and its method (upper case)."""
    paths = app.openapi_schema.paths or {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path_format not in paths:
            continue
        item = paths[route.path_format]
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods):
                operation = getattr(item, method.lower(), None)
                if operation is not None:
                    yield route, handler, method, operation


def document_problems(app: Litestar) -> None:
    """Rewrite the generated document so every error response is a Problem."""
    schema = app.openapi_schema
    components: Any = schema.components or Components()
    schema.components = components
    components.schemas = {**(components.schemas or {}), "Problem": PROBLEM_SCHEMA}
    for path, item in (schema.paths or {}).items():
        public = path in {"/health", "/ready", "/v1/signup"}
        for method in ("get", "post", "put", "patch", "delete"):
            operation = getattr(item, method, None)
            if operation is None:
                continue
            responses = operation.responses or {}
            for status in [status for status in responses if status.startswith(("4", "5"))]:
                if status == "400":
                    del responses[status]  # request errors are reported as 422 problems
                else:
                    responses[status] = _problem_response("error", responses[status].description)
            if "204" in responses:
                responses["204"].content = None  # a 204 has no body, so no media type either
            wanted = ["422"] if public else list(_STANDARD_ERRORS)
            if path == "/ready":
                responses["503"] = _problem_response("unavailable", "The database does not answer.")
                wanted = []
            if "{" not in path and "404" in wanted and not _names_an_id(operation, components.schemas):
                wanted.remove("404")
            if (method, path) in _CONFLICTS:
                responses["409"] = _problem_response("conflict", _CONFLICTS[method, path])
            for (other_method, other_path, status), media_types in _OTHER_MEDIA_TYPES.items():
                if (other_method, other_path) == (method, path) and status in responses:
                    content = responses[status].content or {}
                    content.update({name: OpenAPIMediaType(schema=media) for name, media in media_types.items()})
                    responses[status].content = content
            if operation.request_body is not None:
                # a body that does not parse (JSON with a syntax error) is refused before any field is read
                responses["400"] = _problem_response(
                    "malformed_request", "The body is not well-formed (e.g. JSON that does not parse)."
                )
            for status in wanted:
                code, description = _STANDARD_ERRORS[status]
                responses[status] = _problem_response(code, description)
            if public:
                operation.security = []
            operation.responses = responses
    for component in components.schemas.values():
        _numbers_any_of(component)
    _closed_request_bodies(app, components.schemas)
    # Links live on responses too, and every app that documents its problems wants them.
    document_links(app)


def _names_an_id(operation: Operation, schemas: dict[str, Any]) -> bool:
    """Whether the operation takes an object's id in its query or its JSON body (an unknown one is a 404)."""
    if any(getattr(parameter, "name", "").endswith("_id") for parameter in operation.parameters or []):
        return True
    body = operation.request_body
    media = (body.content or {}).get("application/json") if isinstance(body, RequestBody) else None
    schema = media.schema if media is not None else None
    if isinstance(schema, Reference):
        schema = schemas.get(schema.ref.rsplit("/", 1)[-1])
    return isinstance(schema, Schema) and any(name.endswith("_id") for name in schema.properties or {})


def _structs(annotation: Any, seen: set[type]) -> Iterator[type[msgspec.Struct]]:
    """The msgspec structs in a type annotation (unions, lists, nested fields), each once."""
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        if annotation in seen:
            return
        seen.add(annotation)
        yield annotation
        for field in msgspec.structs.fields(annotation):
            yield from _structs(field.type, seen)
        return
    for argument in get_args(annotation):
        yield from _structs(argument, seen)


def _closed_request_bodies(app: Litestar, schemas: dict[str, Any]) -> None:
    """Say `additionalProperties: false` for each request body struct that refuses unknown fields.

    The app answers 422 to a field it does not know (`forbid_unknown_fields`); a document that allows them
    invites clients (and generated tests) to send requests that can only fail.
    """
    seen: set[type] = set()
    for _, handler, _, _ in operations(app):
        data = handler.parsed_fn_signature.parameters.get("data")
        for struct in _structs(data.annotation, seen) if data is not None else ():
            schema = schemas.get(struct.__name__)
            if struct.__struct_config__.forbid_unknown_fields and isinstance(schema, Schema):
                schema.additional_properties = False


def _numbers_any_of(schema: Any) -> None:
    """Turn `oneOf` alternatives that include both integer and number into `anyOf`, in place.

    Litestar writes `int | float` as `oneOf`, but every JSON integer is also a number, so a value such as 0
    would match two alternatives and fail `oneOf` validation.
    """
    if not isinstance(schema, Schema):
        return
    alternatives = schema.one_of or []
    types = {getattr(alternative, "type", None) for alternative in alternatives}
    if {OpenAPIType.INTEGER, OpenAPIType.NUMBER} <= types:
        schema.any_of, schema.one_of = alternatives, None
    for child in [
        *(schema.one_of or []),
        *(schema.any_of or []),
        *(schema.all_of or []),
        *(schema.properties or {}).values(),
        schema.items,
        schema.additional_properties,
    ]:
        _numbers_any_of(child)


_SCHEMA_KEYS = {
    "type": "type",
    "title": "title",
    "description": "description",
    "required": "required",
    "enum": "enum",
    "default": "default",
    "maxLength": "max_length",
    "minLength": "min_length",
    "pattern": "pattern",
    "examples": "examples",
}


def schema_from_json_schema(document: dict[str, Any], definitions: dict[str, Any] | None = None) -> Schema:
    """A Litestar OpenAPI `Schema` from a JSON Schema made by `msgspec.json.schema` (its `$defs` inlined)."""
    definitions = definitions if definitions is not None else document.get("$defs", {})
    if "$ref" in document:
        return schema_from_json_schema(definitions[document["$ref"].rsplit("/", 1)[-1]], definitions)
    fields: dict[str, Any] = {}
    for key, name in _SCHEMA_KEYS.items():
        if key in document:
            fields[name] = document[key]
    if "type" in fields:
        fields["type"] = OpenAPIType(fields["type"])
    if "format" in document:
        fields["format"] = OpenAPIFormat(document["format"])
    if "properties" in document:
        fields["properties"] = {
            name: schema_from_json_schema(value, definitions) for name, value in document["properties"].items()
        }
    if "items" in document:
        fields["items"] = schema_from_json_schema(document["items"], definitions)
    if "anyOf" in document:
        fields["any_of"] = [schema_from_json_schema(value, definitions) for value in document["anyOf"]]
    if document.get("additionalProperties") is False:
        fields["additional_properties"] = False
    return Schema(**fields)


def document_request_body(app: Litestar, path: str, method: str, body: RequestBody) -> None:
    """Describe the body of an operation that reads its request itself (several media types)."""
    item = (app.openapi_schema.paths or {}).get(path)
    operation = getattr(item, method, None) if item is not None else None
    if operation is not None:
        operation.request_body = body


# Links the id-creating operations cannot be paired with by path alone: (source method, source path, status)
# → the operations reading the object and where its id is in the response body.
_EXTRA_LINKS: dict[tuple[str, str, str], list[tuple[str, str, str, str]]] = {
    # a test delivery can be redelivered; so can any delivery of the list
    ("post", "/v1/webhook-endpoints/{endpoint_id}/test", "202"): [
        ("post", "/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver", "delivery_id", "/id"),
    ],
    ("get", "/v1/webhook-endpoints/{endpoint_id}/deliveries", "200"): [
        ("post", "/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver", "delivery_id", "/data/0/id"),
    ],
    # an evaluation opens alerts, which can be read, acknowledged and resolved
    ("post", "/v1/clients/{client_id}/alerts/evaluate", "200"): [
        ("get", "/v1/alerts/{alert_id}", "alert_id", "/opened/0/id"),
        ("post", "/v1/alerts/{alert_id}/acknowledge", "alert_id", "/opened/0/id"),
        ("post", "/v1/alerts/{alert_id}/resolve", "alert_id", "/opened/0/id"),
    ],
    ("get", "/v1/alerts", "200"): [
        ("get", "/v1/alerts/{alert_id}", "alert_id", "/data/0/id"),
        ("post", "/v1/alerts/{alert_id}/acknowledge", "alert_id", "/data/0/id"),
        ("post", "/v1/alerts/{alert_id}/resolve", "alert_id", "/data/0/id"),
    ],
    # a custom domain is named by its host
    ("post", "/v1/tenant/domains", "201"): [
        ("post", "/v1/tenant/domains/{host}/verify", "host", "/host"),
        ("delete", "/v1/tenant/domains/{host}", "host", "/host"),
    ],
}


def _path_parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def _object_paths(paths: dict[str, Any], source: str) -> list[tuple[str, str]]:
    """Where the object a POST on the collection `source` makes lives: (its path, the parameter naming its id)."""
    last = source.rstrip("/").rsplit("/", 1)[-1]
    found = []
    for prefix in (source, f"/v1/{last}"):
        for path in paths:
            rest = path[len(prefix) :] if path.startswith(prefix + "/{") else ""
            parameter = rest[2 : rest.find("}")] if rest else ""
            if parameter and parameter not in _path_parameters(source):
                found.append((prefix + "/{" + parameter + "}", parameter))
    return list(dict.fromkeys(found))


def _link(operation: Operation, parameters: dict[str, str]) -> Link:
    return Link(operation_id=operation.operation_id, parameters=parameters)


def _add_link(response: OpenAPIResponse, name: str, link: Link) -> None:
    response.links = {**(response.links or {}), name: link}


def document_links(app: Litestar) -> None:
    """OpenAPI links from each operation that makes an object to the operations taking its id.

    A POST on a collection whose answer has an `id` is linked to every operation under the object's path
    (`/v1/clients` → `/v1/clients/{client_id}`, `/v1/clients/{client_id}/costs` → `…/costs/{cost_id}`,
    `/v1/clients/{client_id}/accounts` → `/v1/accounts/{account_id}/…`), the other path parameters taken
    from the request; `_EXTRA_LINKS` adds the pairs a path does not show. Clients and stateful API testers
    (schemathesis) follow them to reach the routes behind ids.
    """
    paths: dict[str, Any] = app.openapi_schema.paths or {}
    components = app.openapi_schema.components
    schemas: dict[str, Any] = (components.schemas if components is not None else None) or {}

    def has_id(response: OpenAPIResponse) -> bool:
        media = (response.content or {}).get("application/json")
        schema = media.schema if media is not None else None
        if isinstance(schema, Reference):
            schema = schemas.get(schema.ref.rsplit("/", 1)[-1])
        return isinstance(schema, Schema) and "id" in (schema.properties or {})

    for source, item in paths.items():
        post = item.post
        if post is None:
            continue
        for status, response in (post.responses or {}).items():
            if not status.startswith("2") or isinstance(response, Reference) or not has_id(response):
                continue
            for object_path, parameter in _object_paths(paths, source):
                for path, target_item in paths.items():
                    if path != object_path and not path.startswith(object_path + "/"):
                        continue
                    given = set(_path_parameters(source))
                    if not set(_path_parameters(path)) - {parameter} <= given:
                        continue
                    for method in ("get", "put", "patch", "delete", "post"):
                        target = getattr(target_item, method, None)
                        if target is None:
                            continue
                        values = {name: f"$request.path.{name}" for name in _path_parameters(path) if name != parameter}
                        values[parameter] = "$response.body#/id"
                        _add_link(response, f"{method.upper()} {path}", _link(target, values))
    for (method, source, status), targets in _EXTRA_LINKS.items():
        operation = getattr(paths.get(source), method, None) if source in paths else None
        response = (operation.responses or {}).get(status) if operation is not None else None
        if not isinstance(response, OpenAPIResponse):
            continue
        for target_method, path, parameter, pointer in targets:
            target = getattr(paths.get(path), target_method, None) if path in paths else None
            if target is None:
                continue
            values = {name: f"$request.path.{name}" for name in _path_parameters(path) if name != parameter}
            values[parameter] = f"$response.body#{pointer}"
            _add_link(response, f"{target_method.upper()} {path}", _link(target, values))
