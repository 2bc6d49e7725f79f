"""What someone who can write the database (but has no master key) can do to the audit chain."""

from __future__ import annotations

import json

from sqlalchemy import Engine, delete, select, update

from stageward.audit.chain import GENESIS, entry_hash
from stageward.store.db.schema import audit_head, audit_log, meta


def rehash_without_the_key(engine: Engine, start: int, *, legacy_details: bool = False) -> None:
    """Recompute plain sha256 hashes of entry START and every later one, relink them and fix the head.

    LEGACY_DETAILS stores details as a store did before the chain was keyed (with spaces).
    """
    with engine.begin() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.sequence)).all()
        previous = GENESIS
        for row in rows:
            if row.sequence < start:
                previous = row.hash
                continue
            details = json.loads(row.details)
            fields = dict(
                sequence=row.sequence, time=row.time, principal=row.principal, action=row.action,
                environment=row.environment, target=row.target, outcome=row.outcome, details=details,
                previous_hash=previous,
            )
            digest = entry_hash(None, **fields)
            stored = json.dumps(details, sort_keys=True, ensure_ascii=False) if legacy_details else row.details
            conn.execute(
                update(audit_log)
                .where(audit_log.c.sequence == row.sequence)
                .values(previous_hash=previous, hash=digest, details=stored)
            )
            previous = digest
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(sequence=rows[-1].sequence, hash=previous))


def make_legacy(engine: Engine) -> None:
    """Turn a store into one written before the chain was keyed: sha256 entries, no keyed-from record."""
    rehash_without_the_key(engine, 1, legacy_details=True)
    with engine.begin() as conn:
        conn.execute(delete(meta).where(meta.c.key.in_(["audit.keyed_from", "audit.keyed_from_mac"])))


def set_meta(engine: Engine, key: str, value: str | None) -> None:
    with engine.begin() as conn:
        conn.execute(delete(meta).where(meta.c.key == key))
        if value is not None:
            conn.execute(meta.insert().values(key=key, value=value))


def get_meta(engine: Engine, key: str) -> str | None:
    with engine.begin() as conn:
        return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar_one_or_none()


def edit_details(engine: Engine, sequence: int, details: dict) -> None:
    with engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.sequence == sequence).values(details=json.dumps(details)))


def truncate(engine: Engine, keep: int) -> None:
    """Remove every entry after KEEP and point the head at KEEP, as a careful attacker would."""
    with engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.sequence > keep))
        last = conn.execute(select(audit_log.c.hash).where(audit_log.c.sequence == keep)).scalar_one()
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(sequence=keep, hash=last))
