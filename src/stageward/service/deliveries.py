"""Delivering the outbox to webhooks: signed per Standard Webhooks, retried with backoff, logged per attempt.

The HTTP client is passed in (`send`): the core makes no requests itself. A delivery is marked delivered only
after the receiver answered 2xx, so a process killed mid-delivery leaves it pending and the next leader sends
it again under the same `webhook-id`: a receiver that keeps the ids it processed sees each event once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from stageward.errors import Undeliverable
from stageward.service.clock import timestamp
from stageward.store.db import events_repo

if TYPE_CHECKING:
    from stageward.service.context import Context

# send(url, headers, body) -> the receiver's HTTP status; raises OSError-like errors for no answer.
Send = Callable[[str, dict[str, str], bytes], int]
MAX_ATTEMPTS = 12
FIRST_RETRY_SECONDS = 5
LONGEST_RETRY_SECONDS = 3600
BATCH = 20


def retry_delay(attempts: int) -> timedelta:
    """The wait after failed attempt number ATTEMPTS (1-based): 5 s, 10 s, 20 s, ... at most an hour."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), LONGEST_RETRY_SECONDS))


def sign(secret: str, message_id: str, sent_at: int, body: bytes) -> str:
    """The `webhook-signature` header of Standard Webhooks: v1, then base64 HMAC-SHA256 of `id.timestamp.body`
    keyed with the secret's base64 part. (Five lines of HMAC; receivers check it with any Standard Webhooks
    library, as the tests do with `standardwebhooks`.)"""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{sent_at}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def message(event: dict[str, Any]) -> tuple[str, bytes]:
    """(webhook-id, body) of EVENT: the id is the event's, the same for every attempt."""
    body = {
        "type": event["type"],
        "timestamp": event["occurred_at"],
        "data": {
            "id": event["id"],
            "project": event["project"],
            "environment": event["environment"],
            **event["data"],
        },
    }
    return f"evt_{event['id']}", json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def deliver_due(ctx: Context, send: Send, on_attempt: Callable[[str], None] | None = None) -> int:
    """Send the deliveries due now, each recorded in its own short write; how many were attempted."""
    from stageward.service.keyring import load_keyring
    from stageward.service.webhooks import open_secret

    now = ctx.clock.now()
    with ctx.database.transaction(write=False) as conn:
        due = events_repo.due_deliveries(conn, timestamp(now), BATCH)
        keyring = load_keyring(ctx, conn, create=False) if due else None
        events = {row["event_id"]: events_repo.get_event(conn, row["event_id"]) for row in due}
    for row in due:
        event = events[row["event_id"]]
        assert event is not None and keyring is not None
        message_id, body = message(event)
        sent_at = int(ctx.clock.now().timestamp())
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(sent_at),
            "webhook-signature": sign(open_secret(keyring, row), message_id, sent_at, body),
        }
        status: int | None = None
        error: str | None = None
        refused = False
        try:
            status = send(row["url"], headers, body)
        except Undeliverable as exc:
            error, refused = f"refused: {exc}", True
        except Exception as exc:  # no answer: refused, timed out, reset
            error = type(exc).__name__
        attempts = row["attempts"] + 1
        finished = timestamp(ctx.clock.now())
        if status is not None and 200 <= status < 300:
            outcome, state, next_at, delivered = "delivered", "delivered", finished, finished
        elif refused or attempts >= MAX_ATTEMPTS:
            outcome, state, next_at, delivered = "failed", "failed", finished, None
        else:
            outcome, state, delivered = "retry", "pending", None
            next_at = timestamp(ctx.clock.now() + retry_delay(attempts))
        with ctx.database.transaction(write=True) as conn:
            events_repo.record_attempt(
                conn,
                row["id"],
                state=state,
                attempts=attempts,
                next_attempt_at=next_at,
                status=status,
                error=error or (None if outcome == "delivered" else f"HTTP {status}"),
                delivered_at=delivered,
            )
        if on_attempt is not None:
            on_attempt(outcome)
    return len(due)
