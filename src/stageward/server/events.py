"""GET /api/v1/events: the outbox as Server-Sent Events, resuming after `Last-Event-ID`.

Each poll runs the events.list verb as the caller, so the stream shows only environments the key may read.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from stageward.errors import BadInput, StagewardError
from stageward.server.auth import caller_of
from stageward.server.responses import error_response

if TYPE_CHECKING:
    from stageward.server.state import Caller, ServerState

POLL_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0


def _after(request: Request) -> int:
    text = request.headers.get("last-event-id") or request.query_params.get("after") or "0"
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise BadInput(f"Last-Event-ID {text[:30]!r}: expected the id of an event (digits)")
    return int(text)


class EventStream:
    def __init__(self, state: ServerState) -> None:
        self.state = state

    def _page(self, caller: Caller, after: int, env: str | None) -> list[dict[str, Any]]:
        from stageward.service.catalogue import lookup

        arguments: dict[str, Any] = {"after": after, **({"env": env} if env else {})}
        from stageward.service.results.base import to_json

        page: list[dict[str, Any]] = to_json(lookup("events.list").run(self.state.context_for(caller), arguments))
        return page

    async def stream(self, request: Request) -> Response:
        try:
            caller = await run_in_threadpool(caller_of, request, self.state)
            after = _after(request)
            env = request.query_params.get("env")
            first = await run_in_threadpool(self._page, caller, after, env)  # a denial answers 403 before streaming
        except StagewardError as error:
            return error_response(error)

        async def lines() -> AsyncIterator[bytes]:
            nonlocal after
            page, quiet = first, 0.0
            while True:
                for event in page:
                    after = event["id"]
                    data = json.dumps(event, separators=(",", ":"))
                    yield f"id: {event['id']}\nevent: {event['type']}\ndata: {data}\n\n".encode()
                if page:
                    quiet = 0.0
                else:
                    if await request.is_disconnected():
                        return
                    await anyio.sleep(POLL_SECONDS)
                    quiet += POLL_SECONDS
                    if quiet >= KEEPALIVE_SECONDS:
                        quiet = 0.0
                        yield b": keep-alive\n\n"
                try:
                    page = await run_in_threadpool(self._page, caller, after, env)
                except StagewardError:
                    return  # the key was revoked or lost its access: the stream ends

        return StreamingResponse(
            lines(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
