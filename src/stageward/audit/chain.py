"""Hashing and verifying the audit chain; pure functions over entries."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Outcome = Literal["ok", "denied", "failed"]
GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    sequence: int
    time: str
    principal: str
    action: str
    environment: str | None
    target: str | None
    outcome: Outcome
    details: dict[str, Any] = field(default_factory=dict)
    previous_hash: str = GENESIS
    hash: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def entry_hash(
    *,
    sequence: int,
    time: str,
    principal: str,
    action: str,
    environment: str | None,
    target: str | None,
    outcome: str,
    details: dict[str, Any],
    previous_hash: str,
) -> str:
    """sha256 over the canonical JSON of every field but the hash itself."""
    body = json.dumps(
        [sequence, time, principal, action, environment, target, outcome, details, previous_hash],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def recompute(entry: AuditEntry) -> str:
    return entry_hash(
        sequence=entry.sequence,
        time=entry.time,
        principal=entry.principal,
        action=entry.action,
        environment=entry.environment,
        target=entry.target,
        outcome=entry.outcome,
        details=entry.details,
        previous_hash=entry.previous_hash,
    )


@dataclass(frozen=True)
class ChainBreak:
    sequence: int
    reason: str


def first_break(entries: Iterable[AuditEntry]) -> ChainBreak | None:
    """The first entry whose content, link or position does not hold, or None for an intact chain."""
    previous_hash = GENESIS
    expected_sequence = 1
    for entry in entries:
        if entry.sequence != expected_sequence:
            return ChainBreak(
                expected_sequence,
                f"entry {expected_sequence} is missing (next present is {entry.sequence})",
            )
        if entry.previous_hash != previous_hash:
            return ChainBreak(entry.sequence, "its previous-hash does not match the entry before it")
        if recompute(entry) != entry.hash:
            return ChainBreak(entry.sequence, "its content does not match its hash (edited after writing)")
        previous_hash = entry.hash
        expected_sequence += 1
    return None
