"""Results of the blob, event and webhook verbs (the team server's)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from stageward.service.results.base import Result


class BlobStatus(Result):
    """Whether a blob is in an environment's blob store already."""

    sha256: str
    present: bool
    store: str = Field(description="URL of the environment's blob store")


class BlobStatuses(Result):
    """Which of a manifest's blobs are in an environment's blob store already, for this project."""

    present: list[str] = Field(description="the digests asked about that an upload need not send, in asked order")
    store: str = Field(description="URL of the environment's blob store")


class BlobLocation(Result):
    """A blob a version in the environment holds."""

    sha256: str
    size: int
    store: str = Field(description="URL of the environment's blob store")


class Event(Result):
    """An event of the outbox: a promotion act, an alias move or rollback, a denial."""

    columns = ("id", "type", "environment", "occurred_at")

    id: int
    type: str = Field(description="promotion.requested, promotion.approved, promotion.rejected, "
                      "promotion.executed, alias.moved, alias.rolled_back or access.denied")
    project: str | None
    environment: str | None
    occurred_at: str
    data: dict[str, Any] = Field(description="action, principal, target, outcome and details of the act")


class WebhookAdded(Result):
    """A new webhook; its signing secret is shown here once."""

    id: int
    environment: str
    url: str
    secret: str = Field(description="whsec_...: the Standard Webhooks signing secret, shown once")


class Webhook(Result):
    """A webhook of an environment (never its secret)."""

    id: int
    environment: str
    url: str
    created_at: str
    created_by: str
    pending: int = Field(description="deliveries not yet made")


class WebhookRemoved(Result):
    id: int
    environment: str
    url: str
    removed_at: str


class Delivery(Result):
    """One event's delivery to one webhook, as its last attempt left it."""

    id: int
    webhook_id: int
    event_id: int
    type: str
    state: str = Field(description="pending, delivered or failed (given up)")
    attempts: int
    next_attempt_at: str
    last_status: int | None
    last_error: str | None
    delivered_at: str | None
