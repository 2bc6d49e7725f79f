"""Request bodies read within bounds: a size (413) and a time (408), so no client can hold a worker.

Uvicorn bounds headers but not bodies, so both bounds are kept here, while the body arrives: the declared
Content-Length is refused before a byte is read, and a body that keeps coming is cut off where it passes
the limit.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
from starlette.requests import Request

from stageward.errors import BadInput, TimedOut, TooLarge


def declared_length(request: Request, limit: int, what: str) -> int | None:
    text = request.headers.get("content-length")
    if text is None:
        return None
    if not text.isascii() or not text.isdigit():
        raise BadInput(f"Content-Length {text[:20]!r}: expected a number of bytes")
    length = int(text)
    if length > limit:
        raise TooLarge(f"{what} of {length} bytes is over the limit of {limit} bytes")
    return length


async def chunks(request: Request, *, limit: int, idle_timeout: float, what: str) -> AsyncIterator[bytes]:
    """The body in the chunks it arrives in; TooLarge past LIMIT bytes, TimedOut after IDLE_TIMEOUT
    seconds without a byte."""
    declared_length(request, limit, what)
    received = 0
    stream = request.stream().__aiter__()
    while True:
        try:
            with anyio.fail_after(idle_timeout):
                chunk = await stream.__anext__()
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise TimedOut(f"{what}: no byte for {idle_timeout:g} s; the request was dropped") from None
        received += len(chunk)
        if received > limit:
            raise TooLarge(f"{what} is over the limit of {limit} bytes")
        if chunk:
            yield chunk


async def json_object(request: Request, *, limit: int, deadline: float) -> dict[str, Any]:
    """The body as a JSON object (an empty body is no arguments), read within LIMIT bytes and DEADLINE seconds."""
    parts: list[bytes] = []
    try:
        with anyio.fail_after(deadline):
            async for chunk in chunks(request, limit=limit, idle_timeout=deadline, what="the JSON body"):
                parts.append(chunk)
    except TimeoutError:
        raise TimedOut(f"the JSON body took over {deadline:g} s to arrive; the request was dropped") from None
    body = b"".join(parts)
    if not body.strip():
        return {}
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_no_constant)  # UTF-8 only (RFC 8259)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"the body is not JSON ({_reason(exc)})") from None
    except RecursionError:
        raise BadInput("the body nests too deeply to be read") from None
    if not isinstance(value, dict):
        raise BadInput(f"the body must be a JSON object of arguments, got {type(value).__name__}")
    return value


def _no_constant(name: str) -> Any:
    raise BadInput(f"the body is not JSON: {name} is not a number JSON allows")


def _reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return "not UTF-8"
