"""Appending to and reading the audit chain. Append runs under the writer lock the unit holds.

Where a store's keyed chain starts is kept in stageward_meta (`audit.keyed_from`, with its
MAC under the chain key in `audit.keyed_from_mac`): 1 for a store created keyed, else the
first entry appended after the upgrade.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from stageward.audit.chain import GENESIS, AuditEntry, StoredRow, canonical_details, entry_hash, keyed_from_mac
from stageward.store.db.schema import audit_head, audit_log, meta

KEYED_FROM = "audit.keyed_from"
KEYED_FROM_MAC = "audit.keyed_from_mac"

# -- records: the shape of what this repository reads, written once (frozen, slotted: cheap to make) -------
# An entry is the chain's own `AuditEntry` (audit/chain.py); verify walks plain `StoredRow` tuples, for speed.


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The last entry's sequence and hash as the head row records them (0 and GENESIS for an empty chain)."""

    sequence: int
    hash: str


@dataclass(frozen=True, slots=True)
class KeyedFromRecord:
    """The stored `audit.keyed_from` and its MAC, as text; either may be missing (verify judges them)."""

    value: str | None
    mac: str | None


def head(conn: Connection) -> ChainHead:
    row = conn.execute(select(audit_head.c.sequence, audit_head.c.hash).where(audit_head.c.id == 1)).first()
    return ChainHead(row.sequence, row.hash) if row else ChainHead(0, GENESIS)


def keyed_from(conn: Connection) -> KeyedFromRecord:
    stmt = select(meta.c.key, meta.c.value).where(meta.c.key.in_([KEYED_FROM, KEYED_FROM_MAC]))
    rows: dict[str, str] = {key: value for key, value in conn.execute(stmt).all()}
    return KeyedFromRecord(rows.get(KEYED_FROM), rows.get(KEYED_FROM_MAC))


# The head and whether the chain is keyed yet, in one round trip: append runs on every write.
_STATE = select(
    select(audit_head.c.sequence).where(audit_head.c.id == 1).scalar_subquery(),
    select(audit_head.c.hash).where(audit_head.c.id == 1).scalar_subquery(),
    select(meta.c.value).where(meta.c.key == KEYED_FROM).scalar_subquery(),
)
_INSERT_ENTRY = insert(audit_log)
_UPDATE_HEAD = update(audit_head).where(audit_head.c.id == 1)


def append(
    conn: Connection,
    *,
    key: bytes,
    time: str,
    principal: str,
    action: str,
    environment: str | None,
    target: str | None,
    outcome: str,
    details: dict[str, Any],
) -> AuditEntry:
    last, previous_hash, keyed = conn.execute(_STATE).one()
    sequence = (last or 0) + 1
    previous_hash = previous_hash or GENESIS
    if keyed is None:
        # The first keyed entry of this store (entry 1 of a new one); earlier entries stay legacy sha256.
        conn.execute(insert(meta).values(key=KEYED_FROM, value=str(sequence)))
        conn.execute(insert(meta).values(key=KEYED_FROM_MAC, value=keyed_from_mac(key, sequence)))
    digest = entry_hash(
        key,
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
    # Statements built once and given their values as parameters: building them per call cost more than the SQL.
    conn.execute(
        _INSERT_ENTRY,
        {
            "sequence": sequence,
            "time": time,
            "principal": principal,
            "action": action,
            "environment": environment,
            "target": target,
            "outcome": outcome,
            "details": canonical_details(details),
            "previous_hash": previous_hash,
            "hash": digest,
        },
    )
    if sequence == 1:
        conn.execute(insert(audit_head), {"id": 1, "sequence": sequence, "hash": digest})
    else:
        conn.execute(_UPDATE_HEAD, {"sequence": sequence, "hash": digest})
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


_ROW_COLUMNS = ", ".join(
    f'"{name}"'  # quoted: "time" is a keyword in PostgreSQL
    for name in ("sequence", "time", "principal", "action", "environment", "target", "outcome", "details",
                 "previous_hash", "hash")
)


def iter_rows(conn: Connection, batch: int = 5000) -> Iterator[StoredRow]:
    """Every entry as a plain tuple, details as stored text, in sequence order and in batches: what verify walks.

    Read through the driver's cursor, in the unit's transaction: building a SQLAlchemy Row for each of a
    million entries cost as much as checking them. Batches by sequence keep memory flat on every engine
    (a PostgreSQL client cursor would otherwise hold the whole result).
    """
    cursor = conn.connection.cursor()
    try:
        after = 0
        while True:
            cursor.execute(
                f'SELECT {_ROW_COLUMNS} FROM audit_log WHERE "sequence" > {after:d} ORDER BY "sequence" LIMIT {batch:d}'
            )
            rows = cursor.fetchall()
            if not rows:
                return
            yield from rows
            after = rows[-1][0]
    finally:
        cursor.close()


def entry_at(conn: Connection, sequence: int) -> AuditEntry | None:
    row = conn.execute(select(audit_log).where(audit_log.c.sequence == sequence)).first()
    return _entry(row) if row is not None else None


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
