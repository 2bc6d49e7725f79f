"""Appending to and reading the audit chain. Append runs under the writer lock the unit holds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from stageward.audit.chain import GENESIS, AuditEntry, entry_hash
from stageward.store.db.schema import audit_head, audit_log


def head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(select(audit_head.c.sequence, audit_head.c.hash).where(audit_head.c.id == 1)).first()
    return (row[0], row[1]) if row else (0, GENESIS)


def append(
    conn: Connection,
    *,
    time: str,
    principal: str,
    action: str,
    environment: str | None,
    target: str | None,
    outcome: str,
    details: dict[str, Any],
) -> AuditEntry:
    sequence, previous_hash = head(conn)
    sequence += 1
    digest = entry_hash(
        sequence=sequence,
        time=time,
        principal=principal,
        action=action,
        environment=environment,
        target=target,
        outcome=outcome,
        details=details,
        previous_hash=previous_hash,
    )
    conn.execute(
        insert(audit_log).values(
            sequence=sequence,
            time=time,
            principal=principal,
            action=action,
            environment=environment,
            target=target,
            outcome=outcome,
            details=json.dumps(details, sort_keys=True, ensure_ascii=False),
            previous_hash=previous_hash,
            hash=digest,
        )
    )
    if sequence == 1:
        conn.execute(insert(audit_head).values(id=1, sequence=sequence, hash=digest))
    else:
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(sequence=sequence, hash=digest))
    return AuditEntry(
        sequence, time, principal, action, environment, target, outcome,  # type: ignore[arg-type]
        details, previous_hash, digest,
    )


def _entry(row: Any) -> AuditEntry:
    try:
        details = json.loads(row.details)
    except ValueError:
        details = {"unreadable": row.details}
    return AuditEntry(
        sequence=row.sequence,
        time=row.time,
        principal=row.principal,
        action=row.action,
        environment=row.environment,
        target=row.target,
        outcome=row.outcome,
        details=details,
        previous_hash=row.previous_hash,
        hash=row.hash,
    )


def iter_entries(conn: Connection, batch: int = 2000) -> Iterator[AuditEntry]:
    """Every entry in sequence order, fetched in batches so a long log is not held at once."""
    after = 0
    while True:
        rows = conn.execute(
            select(audit_log).where(audit_log.c.sequence > after).order_by(audit_log.c.sequence).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield _entry(row)
        after = rows[-1].sequence


def query(
    conn: Connection,
    *,
    environments: set[str | None],
    principal: str | None = None,
    action: str | None = None,
    since: str | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """The latest LIMIT entries in ENVIRONMENTS (None: entries with no environment), oldest first."""
    named = [e for e in environments if e is not None]
    in_scope = [audit_log.c.environment.in_(named)]
    if None in environments:
        in_scope.append(audit_log.c.environment.is_(None))
    stmt = select(audit_log).where(or_(*in_scope))
    if principal is not None:
        stmt = stmt.where(audit_log.c.principal == principal)
    if action is not None:
        # Only '*' is a wildcard: '_' and '%' in what the user typed are themselves (escaped for LIKE).
        pattern = action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")
        stmt = stmt.where(
            audit_log.c.action.like(pattern, escape="\\") if "*" in action else audit_log.c.action == action
        )
    if since is not None:
        stmt = stmt.where(audit_log.c.time >= since)
    stmt = stmt.order_by(audit_log.c.sequence.desc()).limit(limit)
    return [_entry(row) for row in reversed(conn.execute(stmt).all())]
