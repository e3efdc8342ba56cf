"""One error hierarchy, rendered as `application/problem+json` (RFC 9457); never a stack trace."""

from __future__ import annotations

import enum
import logging
import re
import typing
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from api.observability import ensure_request_id

logger = logging.getLogger("resonance.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:resonance:problem:"


class ApiError(Exception):
    """An error the API reports to its caller; subclasses fix the status and the stable code."""

    status_code = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.headers = headers or {}
        self.extra = extra or {}


class MalformedBody(ApiError):
    """The body cannot be read at all (not JSON, not UTF-8, nested too deeply): same code as Litestar's 400."""

    status_code = 400
    code = "malformed_request"
    title = "Malformed request"


class Unauthorized(ApiError):
    status_code = 401
    code = "unauthorized"
    title = "Authentication required"


class Forbidden(ApiError):
    status_code = 403
    code = "forbidden"
    title = "Not allowed"


class NotFound(ApiError):
    status_code = 404
    code = "not_found"
    title = "Not found"


class Conflict(ApiError):
    status_code = 409
    code = "conflict"
    title = "Conflict"


class InvalidInput(ApiError):
    status_code = 422
    code = "validation_error"
    title = "Invalid input"


class IdempotencyKeyReused(ApiError):
    status_code = 422
    code = "idempotency_key_reused"
    title = "Idempotency-Key reused with another request"


class PayloadTooLarge(ApiError):
    status_code = 413
    code = "payload_too_large"
    title = "Payload too large"


class Unavailable(ApiError):
    status_code = 503
    code = "unavailable"
    title = "Service unavailable"


def problem(
    request: Request[Any, Any, Any],
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "code": code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if field is not None:
        body["field"] = field
    # An error raised before the middleware ran (unknown path, wrong method) gets its id here.
    body["request_id"] = ensure_request_id(request.scope)
    body.update(extra or {})
    return Response(content=body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _api_error(request: Request[Any, Any, Any], error: ApiError) -> Response[dict[str, Any]]:
    return problem(
        request,
        status=error.status_code,
        code=error.code,
        title=error.title,
        detail=error.detail,
        field=error.field,
        headers=error.headers,
        extra=error.extra,
    )


_NAMED_IN_MESSAGE = re.compile(r"^Object (?:missing required|contains unknown) field `([^`]+)`")


def _issue_source(issue: dict[str, Any]) -> str | None:
    """Where the value was: `body`, `query`, `path`… (Litestar gives some as enum members)."""
    source = issue.get("source")
    return None if source is None else str(getattr(source, "value", source))


def _public_name(request: Request[Any, Any, Any], key: str) -> str:
    """The name the caller uses for a parameter of the handler or of its dependencies (`from` for `date_from`,
    e.g. in `api.parameters.day_range`), else `key` itself."""
    try:
        handler = request.route_handler
        signatures = [handler.parsed_fn_signature]
        signatures += [provider.parsed_fn_signature for provider in handler.resolve_dependencies().values()]
    except Exception:  # no route (the error came before routing)
        return key
    for signature in signatures:
        definition = getattr(signature.parameters.get(key), "kwarg_definition", None)
        for attribute in ("name", "query", "header", "cookie"):
            alias = getattr(definition, attribute, None)
            if isinstance(alias, str) and alias:
                return alias
    return key


def _choices(request: Request[Any, Any, Any], field: str) -> list[str]:
    """The values a parameter of the handler (or of its dependencies) accepts, when its type is a choice."""
    try:
        handler = request.route_handler
        signatures = [handler.parsed_fn_signature]
        signatures += [provider.parsed_fn_signature for provider in handler.resolve_dependencies().values()]
    except Exception:  # no route (the error came before routing)
        return []
    for signature in signatures:
        for key, parameter in signature.parameters.items():
            if key == field or _public_name(request, key) == field:
                return _literal_values(parameter.annotation)
    return []


def _literal_values(annotation: Any) -> list[str]:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [str(member.value) for member in annotation]
    values: list[str] = []
    for argument in typing.get_args(annotation):
        if typing.get_origin(annotation) is typing.Literal:
            values.append(str(argument))
        elif argument is not type(None):
            values += _literal_values(argument)
    return values


def _in_users_words(request: Request[Any, Any, Any], field: str | None, message: str) -> str:
    """msgspec's message said as a person would: a date is YYYY-MM-DD, a wrong choice lists the right ones."""
    if message == "Invalid RFC3339 encoded date":
        return "write the date as YYYY-MM-DD, like 2026-03-31"
    if message == "Invalid RFC3339 encoded datetime":
        return "write the date and time like 2026-03-31T14:00:00Z (UTC) or with an offset, like +02:00"
    if message == "Invalid UUID":
        return "write an id as a UUID, like 0190c0de-5b6e-7a1d-9f3e-2c4b6a8d0e1f"
    wrong = re.match(r"^Invalid enum value (.+)$", message)
    if wrong and field and (choices := _choices(request, field)):
        return f"{wrong.group(1)} is not one of the choices: {', '.join(choices)}"
    return message


def _issue_field(request: Request[Any, Any, Any], issue: dict[str, Any]) -> str | None:
    """The offending field as the caller names it: not Litestar's `data` for the whole body, nor a Python name."""
    key = issue.get("key")
    named = _NAMED_IN_MESSAGE.match(str(issue.get("message") or ""))
    if named and _issue_source(issue) == "body":
        return named.group(1) if key in (None, "data") else f"{key}.{named.group(1)}"
    return _public_name(request, key) if isinstance(key, str) and _issue_source(issue) != "body" else key


def _validation_error(request: Request[Any, Any, Any], error: ValidationException) -> Response[dict[str, Any]]:
    issues = error.extra if isinstance(error.extra, list) else []
    first = issues[0] if issues and isinstance(issues[0], dict) else {}
    field = _issue_field(request, first)
    message = _in_users_words(request, field, str(first.get("message") or error.detail))
    source = _issue_source(first)
    where = f" in the {source}" if source else ""
    detail = f"{field}{where}: {message}" if field else str(message)
    status = 422 if source == "body" or field else 400
    return problem(
        request,
        status=status,
        code="validation_error",
        title="Invalid input",
        detail=f"{detail}. Fix this value and send the request again.",
        field=field,
        extra={
            "errors": [
                {
                    "field": _issue_field(request, i),
                    "message": _in_users_words(request, _issue_field(request, i), str(i.get("message"))),
                    "source": _issue_source(i),
                }
                for i in issues
                if isinstance(i, dict)
            ]
        },
    )


def _http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[dict[str, Any]]:
    codes = {
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "payload_too_large",
        415: "unsupported_media_type",
        429: "rate_limited",
    }
    code = codes.get(error.status_code, "http_error")
    detail = error.detail
    if error.status_code == 400:
        code = "malformed_request"
        detail = f"{error.detail}. Send a well-formed JSON body with Content-Type: application/json."
    if isinstance(error, NotFoundException):
        detail = f"There is no resource at {request.url.path}. Check the path against /docs."
    return problem(
        request,
        status=error.status_code,
        code=code,
        title=code.replace("_", " ").capitalize(),
        detail=detail,
        headers=error.headers,
    )


def _unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[dict[str, Any]]:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(
        request,
        status=HTTP_500_INTERNAL_SERVER_ERROR,
        code="internal_error",
        title="Internal error",
        detail="Something went wrong on our side. Retry later; if it persists, quote the request_id to support.",
    )


exception_handlers: dict[type[Exception] | int, Any] = {
    ApiError: _api_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "ApiError",
    "Conflict",
    "Forbidden",
    "IdempotencyKeyReused",
    "InvalidInput",
    "MalformedBody",
    "MediaType",
    "NotFound",
    "Unauthorized",
    "Unavailable",
    "exception_handlers",
    "problem",
]
