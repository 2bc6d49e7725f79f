"""Reading, verifying and exporting the audit chain."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stageward.audit.chain import first_break
from stageward.errors import BadInput, CheckFailed
from stageward.service.catalogue import verb
from stageward.service.clock import timestamp
from stageward.service.unit import Unit
from stageward.store.db import audit_repo


def _readable(unit: Unit, env: str | None) -> set[str | None]:
    if env is not None:
        unit.require("audit.read", env)
        return {env}
    # Entries with no environment (teams, store creation) go to anyone who may read audit anywhere.
    return {*unit.require_somewhere("audit.read"), None}


def _since(text: str) -> str:
    """--since as the store writes times (fixed-width UTC), so the comparison is exact; a time without offset is UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise BadInput(
            f"--since {shown!r}: expected an ISO date or time, for example 2026-11-01 or 2026-11-01T08:00:00+01:00"
        ) from None
    return timestamp(moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC))


@verb("audit.list", http=("GET", "/audit"))
def list_entries(
    unit: Unit,
    *,
    env: str | None = None,
    principal: str | None = None,
    action: str | None = None,
    since: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """The latest audit entries, oldest first, filtered."""
    if limit < 1 or limit > 100_000:
        raise BadInput(f"--limit {limit}: expected 1 to 100000")
    cutoff = _since(since) if since is not None else None
    readable = _readable(unit, env)
    entries = audit_repo.query(
        unit.conn, environments=readable, principal=principal, action=action, since=cutoff, limit=limit
    )
    return [e.to_dict() for e in entries]


@verb("audit.verify", http=("GET", "/audit/verify"))
def verify(unit: Unit) -> dict[str, Any]:
    """Recompute the whole chain; fail naming the first entry that does not hold."""
    unit.require_somewhere("audit.read")
    count = 0
    last_hash = None

    def counted() -> Any:
        nonlocal count, last_hash
        for entry in audit_repo.iter_entries(unit.conn):
            count += 1
            last_hash = entry.hash
            yield entry

    broken = first_break(counted())
    if broken is not None:
        raise CheckFailed(f"audit chain broken at entry {broken.sequence}: {broken.reason}")
    head_sequence, head_hash = audit_repo.head(unit.conn)
    if head_sequence != count or (count and head_hash != last_hash):
        raise CheckFailed(
            f"audit chain broken at entry {min(head_sequence, count) + 1}: the log ends at {count} "
            f"but its head records {head_sequence} (entries removed)"
        )
    return {"ok": True, "entries": count, "head": head_hash}


@verb("audit.export", http=("GET", "/audit/export"))
def export(unit: Unit, *, env: str | None = None) -> list[dict[str, Any]]:
    """Every entry the caller may read, in order, with hashes, for an outside copy."""
    readable = _readable(unit, env)
    return [e.to_dict() for e in audit_repo.iter_entries(unit.conn) if e.environment in readable]
