"""The UI's live stream: Server-Sent Events telling a page that something changed in an environment it shows.

It polls each held environment's change feed (`overview.changes`, the audit entries of that environment: every
state change writes one in its own transaction, so a change that rolled back is never announced) and sends
only topics, never what changed: the page fetches its own fragment again, through the same permission checks.
The cursor of every environment travels as the event id, so a reconnecting EventSource (Last-Event-ID)
misses nothing. A stream ends after STREAM_SECONDS and the browser reconnects: a key revoked meanwhile is
refused then at the latest, and a stopping server is never held open by a page.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool

from stageward.errors import StagewardError

if TYPE_CHECKING:
    from stageward.web.held import Held

POLL_SECONDS = 0.25  # the queue reflects an approval made elsewhere within a second
STREAM_SECONDS = 25.0
HEARTBEAT_SECONDS = 10.0
_MAX_CURSOR_TEXT = 2048


def parse_cursors(text: str | None, environments: list[str]) -> dict[str, int]:
    """`ENV:SEQUENCE,...` (a page's data-cursor or an event id) for the ENVIRONMENTS held; anything else dropped."""
    cursors: dict[str, int] = {}
    if not text or len(text) > _MAX_CURSOR_TEXT:
        return cursors
    for part in text.split(","):
        env, _, sequence = part.partition(":")
        if env in environments and sequence.isascii() and sequence.isdigit() and len(sequence) < 19:
            cursors[env] = int(sequence)
    return cursors


def format_cursors(cursors: dict[str, int]) -> str:
    return ",".join(f"{env}:{sequence}" for env, sequence in sorted(cursors.items()))


def current_cursors(held: Held) -> dict[str, int]:
    """Where each held environment's feed stands now (a page renders it, so its stream starts from there)."""
    cursors: dict[str, int] = {}
    for env in held.environments:
        try:
            cursors[env] = int(held.run(env, "overview.changes", env=env)["cursor"])
        except StagewardError:
            continue  # a key whose principal lost env.read: that environment has nothing to announce
    return cursors


def _poll(held: Held, cursors: dict[str, int]) -> dict[str, list[str]]:
    topics: dict[str, list[str]] = {}
    for env, after in list(cursors.items()):
        try:
            feed = held.run(env, "overview.changes", env=env, after=after)
        except StagewardError:
            del cursors[env]
            continue
        if feed["changes"]:
            cursors[env] = int(feed["cursor"])
            topics[env] = sorted({change["topic"] for change in feed["changes"]})
    return topics


async def stream(
    held: Held, cursors: dict[str, int], still_valid: Callable[[], bool], disconnected: Callable[[], object]
) -> AsyncIterator[str]:
    yield "retry: 1000\n\n"
    started = last_sent = time.monotonic()
    while time.monotonic() - started < STREAM_SECONDS:
        if await disconnected():  # type: ignore[misc]
            return
        if not await run_in_threadpool(still_valid):
            yield "event: session\ndata: {}\n\n"
            return
        topics = await run_in_threadpool(_poll, held, cursors)
        if topics:
            data = json.dumps({"environments": topics}, separators=(",", ":"))
            yield f"id: {format_cursors(cursors)}\nevent: change\ndata: {data}\n\n"
            last_sent = time.monotonic()
        elif time.monotonic() - last_sent > HEARTBEAT_SECONDS:
            yield ": still here\n\n"
            last_sent = time.monotonic()
        await asyncio.sleep(POLL_SECONDS)
