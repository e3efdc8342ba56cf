"""OpenAPI finishing touches: every error response documented as our problem+json shape.

Litestar documents its own default error body; ours is RFC 9457 problem details, so the error
responses of every operation are rewritten to point at one `Problem` schema, and the errors every
authenticated route can give (401, 403, 404, 422) are listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    Components,
    Example,
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
            wanted = ["422"] if public else list(_STANDARD_ERRORS)
            if path == "/ready":
                responses["503"] = _problem_response("unavailable", "The database does not answer.")
                wanted = []
            if "{" not in path and "404" in wanted:
                wanted.remove("404")
            for status in wanted:
                code, description = _STANDARD_ERRORS[status]
                responses[status] = _problem_response(code, description)
            if public:
                operation.security = []
            operation.responses = responses


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
