"""The CSV file of an import: the body of a `text/csv` request, or the `file` field of a `multipart/form-data` one.

The CSV imports (costs, values, mentions) take the file as the raw body, as curl sends it with
`--data-binary @file.csv`, or as a form upload, which is how generated clients and browsers send a file.
Either way the import then reads the same bytes, so its UTF-8, header and row rules do not depend on how
the file came. The part's filename and content type are the sender's say and decide nothing; the whole
request keeps the route's body size limit (Litestar's 413).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.openapi.spec import OpenAPIMediaType, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from multipart import MultipartError, MultipartSegment, ParserLimitReached, PushMultipartParser, parse_options_header

from api.errors import InvalidInput

CSV_MEDIA_TYPES = ("text/csv", "application/csv")
FORM_MEDIA_TYPE = "multipart/form-data"
UPLOAD_MEDIA_TYPES = (*CSV_MEDIA_TYPES, FORM_MEDIA_TYPE)
"""What a CSV import accepts as its Content-Type."""
FILE_FIELD = "file"
"""The form field that holds the CSV file."""
MAX_FORM_PARTS = 16
"""Parts a form may hold: the file and a few fields a client may add; more is not an import."""
MAX_PART_HEADERS = 8
"""Headers a part may have (RFC 7578 needs at most three)."""


def media_type(request: Request[Any, Any, Any]) -> str:
    """The request's Content-Type without its parameters, in lower case ('' when there is none)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def csv_file(request: Request[Any, Any, Any]) -> bytes:
    """The CSV bytes the request carries; its media type is one of `UPLOAD_MEDIA_TYPES` (the caller checked)."""
    body = await request.body()
    if media_type(request) != FORM_MEDIA_TYPE:
        return body
    return file_field(body, request.headers.get("content-type", ""))


def _malformed(reason: str) -> InvalidInput:
    return InvalidInput(
        f"The multipart/form-data body cannot be read: {reason}. Send the CSV file as the form field "
        f"`{FILE_FIELD}`, or send it as the body with Content-Type: text/csv.",
        field="body",
    )


def file_field(body: bytes, content_type: str) -> bytes:
    """The content of the one `file` part of a multipart/form-data `body` whose header is `content_type`."""
    _value, options = parse_options_header(content_type)
    boundary = options.get("boundary", "")
    if not boundary:
        raise _malformed("its Content-Type names no boundary")
    names: list[str] = []
    found: list[bytes] = []
    try:
        with PushMultipartParser(
            boundary.encode("latin-1"), max_segment_count=MAX_FORM_PARTS, max_header_count=MAX_PART_HEADERS
        ) as parser:
            segment: MultipartSegment | None = None
            content = bytearray()
            for event in (*parser.parse(body), *parser.parse(b"")):
                if isinstance(event, MultipartSegment):
                    segment, content = event, bytearray()
                elif event:
                    content.extend(event)
                elif segment is not None:  # the end of a part
                    names.append(segment.name)
                    if segment.name == FILE_FIELD:
                        found.append(bytes(content))
    except (MultipartError, UnicodeEncodeError) as error:
        # The parser's own words (its first argument: the rest may quote the sender's bytes back).
        said = error.args[0] if error.args and isinstance(error.args[0], str) else type(error).__name__
        limits = (
            f" (at most {MAX_FORM_PARTS} parts of at most {MAX_PART_HEADERS} headers)"
            if isinstance(error, ParserLimitReached)
            else ""
        )
        raise _malformed(f"{said[:1].lower()}{said[1:].rstrip('.')}{limits}") from None
    if not found:
        sent = f" (its fields: {', '.join(repr(name[:40]) for name in names)})" if names else " (it holds no field)"
        raise InvalidInput(
            f"The multipart/form-data body has no `{FILE_FIELD}` field{sent}: send the CSV file as the "
            f"form field `{FILE_FIELD}`.",
            field=FILE_FIELD,
        )
    if len(found) > 1:
        raise InvalidInput(
            f"The multipart/form-data body holds {len(found)} `{FILE_FIELD}` fields: send one CSV file per import.",
            field=FILE_FIELD,
        )
    return found[0]


def form_upload(description: str) -> dict[str, OpenAPIMediaType]:
    """The OpenAPI `content` entry of a CSV import's form upload: an object whose `file` is the CSV file.

    `format: binary` is what makes a generated client (openapi-python-client and the like) take a file there.
    """
    return {
        FORM_MEDIA_TYPE: OpenAPIMediaType(
            schema=Schema(
                type=OpenAPIType.OBJECT,
                required=[FILE_FIELD],
                properties={
                    FILE_FIELD: Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY, description=description)
                },
            )
        )
    }
