"""Results of the `audit.*` verbs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self

from pydantic import Field

from stageward.service.results.base import Result

if TYPE_CHECKING:
    from stageward.audit import chain


class AuditEntry(Result):
    """One entry of the hash-chained audit log."""

    columns: ClassVar[tuple[str, ...]] = ("sequence", "time", "principal", "action", "environment", "target", "outcome")

    sequence: int
    time: str
    principal: str
    action: str = Field(description="the verb, or the denied verb's name")
    environment: str | None
    target: str | None
    outcome: str = Field(description="ok, denied or failed")
    details: dict[str, Any] = Field(description="what the act was; never a secret's value")
    previous_hash: str
    hash: str = Field(description="HMAC-SHA256 over the entry and previous_hash (sha256 for legacy entries)")

    @classmethod
    def from_record(cls, entry: chain.AuditEntry) -> Self:
        return cls(
            sequence=entry.sequence,
            time=entry.time,
            principal=entry.principal,
            action=entry.action,
            environment=entry.environment,
            target=entry.target,
            outcome=entry.outcome,
            details=entry.details,
            previous_hash=entry.previous_hash,
            hash=entry.hash,
        )


class ChainVerified(Result):
    ok: bool
    entries: int = Field(description="entries recomputed")
    head: str = Field(description="the hash of the last entry")
    legacy: int = Field(description="entries written before the chain was keyed")
    keyed_from: int | None = Field(description="the first keyed entry")
    anchor: str | None = Field(description="the anchor checked, SEQUENCE:HASH")


class ChainAnchor(Result):
    """The chain's head, to keep outside the store."""

    format: str
    anchor: str = Field(description="SEQUENCE:HASH, what verify --anchor takes")
    sequence: int
    hash: str
    time: str = Field(description="the time of the anchored entry")
    store: str = Field(description="the store's file, or its URL without the password")
    store_created_at: str | None
    taken_at: str
