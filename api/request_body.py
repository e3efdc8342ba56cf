"""Request bodies: JSON in UTF-8, nested at most `MAX_JSON_DEPTH` deep, and no NUL character in any text.

Every JSON body the API binds goes through `decode_json_body` (the app's request class uses it for
`Request.json()`, the mentions import calls it itself), so a hostile body is refused once, here, with a
problem that says what to send, before anything walks it: msgspec alone only stops at Python's recursion
limit (a RecursionError, a 500), lets invalid UTF-8 escape as a UnicodeDecodeError (another 500), and
decodes `\\u0000` into strings that PostgreSQL cannot store in a text column (a 500 there, stored on
SQLite); see `api/request_text.py` for NUL characters elsewhere in a request.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.types import Empty

from api.errors import MalformedBody
from api.request_text import nul_path, nul_refused

MAX_JSON_DEPTH = 64
"""How many arrays and objects a JSON body may nest inside each other; ours need four or five at most."""


def _nested_at_most(levels: int) -> re.Pattern[bytes]:
    """Brackets only: any sequence of balanced `[…]` nested at most `levels` deep (possessive: no backtracking)."""
    pattern = b""
    for _level in range(levels):
        pattern = rb"(?:\[" + pattern + rb"\])*+"
    return re.compile(pattern)


_SHALLOW = _nested_at_most(MAX_JSON_DEPTH)
_OBJECTS_AS_ARRAYS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_ESCAPED_NUL = b"\\u0000"


def nesting_too_deep(body: bytes) -> bool:
    """Whether the JSON text nests arrays and objects more than `MAX_JSON_DEPTH` deep, without decoding it.

    A few linear passes in C, about 100 ms for the largest body Litestar accepts (10 MB), far below what
    decoding it costs: a body with at most `MAX_JSON_DEPTH` openers cannot nest deeper (nearly every body
    stops there); otherwise the strings (which may hold brackets) and everything but brackets are dropped and
    one regular expression checks the nesting. Exact for well-formed JSON; a malformed body whose brackets
    do not even add up is left to the decoder to refuse with its own message.
    """
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return False
    # Outside strings JSON has no backslash, and inside them `\\` and `\"` are the only escapes that matter
    # here: without them, every other `"` starts a string and the one after it ends it.
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = b"".join(unescaped.split(b'"')[::2]).translate(_OBJECTS_AS_ARRAYS, _NOT_BRACKETS)
    if _SHALLOW.fullmatch(brackets) is not None:
        return False
    return brackets.count(b"[") * 2 == len(brackets)


def _too_deep() -> MalformedBody:
    return MalformedBody(
        f"The JSON body nests arrays or objects more than {MAX_JSON_DEPTH} levels deep. Send the documented "
        "shape of this request (see /docs): none needs more than a few levels."
    )


def decode_json_body(body: bytes) -> Any:
    """The decoded body, or a 400 `MalformedBody` when it is too deep, not UTF-8 or not JSON at all."""
    if nesting_too_deep(body):
        raise _too_deep()
    try:
        return msgspec.json.decode(body)
    except RecursionError:  # a malformed body the scan could not measure (e.g. only openers)
        raise _too_deep() from None
    except UnicodeDecodeError as error:
        raise MalformedBody(
            f"The body is not valid UTF-8 ({error.reason} at byte {error.start}). Send JSON encoded as UTF-8 "
            "with Content-Type: application/json."
        ) from None
    except msgspec.DecodeError as error:
        raise MalformedBody(f"The body is not valid JSON ({error}). Send a well-formed JSON body.") from None


def refuse_nul(value: Any, body: bytes) -> None:
    """A 422 naming the field whose text holds a NUL character (`\\u0000`), which no text column stores."""
    if _ESCAPED_NUL not in body:  # a raw NUL byte is not valid JSON: only the escape can bring one in
        return
    field = nul_path(value)
    if field is not None:
        raise nul_refused(field, "body")


class JsonBodyRequest(Request[Any, Any, Any]):
    """The app's request: its JSON body decoded by `decode_json_body` and free of NUL characters."""

    async def json(self) -> Any:
        """The decoded JSON body (null when empty), cached for the rest of the request like Litestar's."""
        if self._json is Empty:
            cached = self._connection_state.json
            if cached is not Empty:
                self._json = cached
            else:
                body = await self.body()
                value = decode_json_body(body or b"null")
                refuse_nul(value, body)
                self._json = self._connection_state.json = value
        return self._json


__all__ = ["MAX_JSON_DEPTH", "JsonBodyRequest", "decode_json_body", "nesting_too_deep", "refuse_nul"]
