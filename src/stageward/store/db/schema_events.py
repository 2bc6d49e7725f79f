"""Tables of events: the outbox (written in the transaction of the change), webhooks per environment, deliveries."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, LargeBinary, String, Table, Text, UniqueConstraint

from stageward.store.db.schema import metadata

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("type", String(64), nullable=False),
    Column("project", String(64), nullable=True),
    Column("environment", String(64), nullable=True),
    Column("occurred_at", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Index("ix_events_environment", "environment", "id"),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("environment", String(64), nullable=False),
    Column("url", String(2048), nullable=False),
    # The signing secret, sealed with a data key of the environment (wrapped by the master key).
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("sealed_secret", LargeBinary, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("removed_at", String(32), nullable=True),
    Column("removed_by", String(128), nullable=True),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("webhook_id", Integer, ForeignKey("webhooks.id"), nullable=False),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False),
    Column("state", String(16), nullable=False),  # pending, delivered, failed (gave up)
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", String(32), nullable=False),
    Column("last_status", Integer, nullable=True),
    Column("last_error", String(256), nullable=True),
    Column("delivered_at", String(32), nullable=True),
    UniqueConstraint("webhook_id", "event_id", name="uq_delivery_webhook_event"),
    Index("ix_deliveries_due", "state", "next_attempt_at"),
)
