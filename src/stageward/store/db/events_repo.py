"""The outbox of events, the webhooks of each environment, and the delivery of each event to each webhook."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from stageward.store.db.schema_events import events, webhook_deliveries, webhooks


def insert_event(
    conn: Connection,
    *,
    type: str,
    project: str | None,
    environment: str | None,
    occurred_at: str,
    payload: dict[str, Any],
) -> int:
    """Record an event and, in the same transaction, a pending delivery to every webhook of its environment."""
    inserted = conn.execute(
        insert(events).values(
            type=type,
            project=project,
            environment=environment,
            occurred_at=occurred_at,
            payload=json.dumps(payload, sort_keys=True, separators=(",", ":")),
        )
    ).inserted_primary_key
    assert inserted is not None
    event_id = int(inserted[0])
    if environment is not None:
        for row in conn.execute(
            select(webhooks.c.id).where(webhooks.c.environment == environment, webhooks.c.removed_at.is_(None))
        ):
            conn.execute(
                insert(webhook_deliveries).values(
                    webhook_id=row.id, event_id=event_id, state="pending", attempts=0, next_attempt_at=occurred_at
                )
            )
    return event_id


def _event(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.type,
        "project": row.project,
        "environment": row.environment,
        "occurred_at": row.occurred_at,
        "data": json.loads(row.payload),
    }


def events_after(conn: Connection, after: int, environments: list[str], limit: int) -> list[dict[str, Any]]:
    """Events with an id above AFTER in ENVIRONMENTS, oldest first."""
    rows = conn.execute(
        select(events)
        .where(events.c.id > after, events.c.environment.in_(environments))
        .order_by(events.c.id)
        .limit(limit)
    )
    return [_event(row) for row in rows]


def get_event(conn: Connection, event_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(events).where(events.c.id == event_id)).first()
    return _event(row) if row is not None else None


def add_webhook(
    conn: Connection, *, environment: str, url: str, wrapped_key: bytes, sealed_secret: bytes, at: str, by: str
) -> int:
    inserted = conn.execute(
        insert(webhooks).values(
            environment=environment,
            url=url,
            wrapped_key=wrapped_key,
            sealed_secret=sealed_secret,
            created_at=at,
            created_by=by,
        )
    ).inserted_primary_key
    assert inserted is not None
    return int(inserted[0])


def get_webhook(conn: Connection, webhook_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(webhooks).where(webhooks.c.id == webhook_id)).first()
    return dict(row._mapping) if row is not None else None


def list_webhooks(conn: Connection, environments: list[str]) -> list[dict[str, Any]]:
    pending = (
        select(func.count())
        .where(webhook_deliveries.c.webhook_id == webhooks.c.id, webhook_deliveries.c.state == "pending")
        .scalar_subquery()
    )
    rows = conn.execute(
        select(
            webhooks.c.id,
            webhooks.c.environment,
            webhooks.c.url,
            webhooks.c.created_at,
            webhooks.c.created_by,
            pending.label("pending"),
        )
        .where(webhooks.c.environment.in_(environments), webhooks.c.removed_at.is_(None))
        .order_by(webhooks.c.id)
    )
    return [dict(row._mapping) for row in rows]


def remove_webhook(conn: Connection, webhook_id: int, *, at: str, by: str) -> None:
    conn.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(removed_at=at, removed_by=by))
    conn.execute(
        update(webhook_deliveries)
        .where(webhook_deliveries.c.webhook_id == webhook_id, webhook_deliveries.c.state == "pending")
        .values(state="failed", last_error="webhook removed")
    )


def deliveries(conn: Connection, webhook_id: int, limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(webhook_deliveries, events.c.type)
        .join(events, events.c.id == webhook_deliveries.c.event_id)
        .where(webhook_deliveries.c.webhook_id == webhook_id)
        .order_by(webhook_deliveries.c.id.desc())
        .limit(limit)
    )
    return [dict(row._mapping) for row in rows]


def due_deliveries(conn: Connection, now: str, limit: int) -> list[dict[str, Any]]:
    """Pending deliveries whose next attempt is due, oldest event first, with their webhook's URL and secret."""
    rows = conn.execute(
        select(
            webhook_deliveries.c.id,
            webhook_deliveries.c.event_id,
            webhook_deliveries.c.attempts,
            webhooks.c.id.label("webhook_id"),
            webhooks.c.environment,
            webhooks.c.url,
            webhooks.c.wrapped_key,
            webhooks.c.sealed_secret,
        )
        .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
        .where(
            and_(
                webhook_deliveries.c.state == "pending",
                webhook_deliveries.c.next_attempt_at <= now,
                webhooks.c.removed_at.is_(None),
            )
        )
        .order_by(webhook_deliveries.c.event_id, webhook_deliveries.c.id)
        .limit(limit)
    )
    return [dict(row._mapping) for row in rows]


def record_attempt(
    conn: Connection,
    delivery_id: int,
    *,
    state: str,
    attempts: int,
    next_attempt_at: str,
    status: int | None,
    error: str | None,
    delivered_at: str | None,
) -> None:
    conn.execute(
        update(webhook_deliveries)
        .where(webhook_deliveries.c.id == delivery_id)
        .values(
            state=state,
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            last_status=status,
            last_error=error[:256] if error else None,
            delivered_at=delivered_at,
        )
    )


def seal_secret(conn: Connection, webhook_id: int, sealed_secret: bytes) -> None:
    conn.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(sealed_secret=sealed_secret))
