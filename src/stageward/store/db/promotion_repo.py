"""Reads and writes of promotion requests and their decisions. Never commits: the caller's unit does."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, insert, select, update

from stageward.store.db.schema_registry import promotion_decisions, promotions


def insert_promotion(conn: Connection, **fields: Any) -> int:
    fields["gates"] = json.dumps(fields.get("gates", []), sort_keys=True)
    result = conn.execute(insert(promotions).values(**fields))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def _record(row: Any) -> dict[str, Any]:
    record = dict(row)
    record["gates"] = json.loads(record["gates"])
    return record


def get_promotion(conn: Connection, promotion_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(promotions).where(promotions.c.id == promotion_id)).mappings().first()
    return _record(row) if row else None


def list_promotions(
    conn: Connection, project: str, environments: list[str], state: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    query = select(promotions).where(promotions.c.project == project, promotions.c.target_env.in_(environments))
    if state is not None:
        query = query.where(promotions.c.state == state)
    rows = conn.execute(query.order_by(promotions.c.id.desc()).limit(limit)).mappings()
    return [_record(row) for row in rows]


def decisions(conn: Connection, promotion_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(
            promotion_decisions.c.principal,
            promotion_decisions.c.decision,
            promotion_decisions.c.comment,
            promotion_decisions.c.at,
        )
        .where(promotion_decisions.c.promotion_id == promotion_id)
        .order_by(promotion_decisions.c.at, promotion_decisions.c.principal)
    ).mappings()
    return [dict(row) for row in rows]


def add_decision(
    conn: Connection, promotion_id: int, principal: str, decision: str, comment: str | None, *, at: str
) -> None:
    conn.execute(
        insert(promotion_decisions).values(
            promotion_id=promotion_id, principal=principal, decision=decision, comment=comment, at=at
        )
    )


def change_decision(
    conn: Connection, promotion_id: int, principal: str, decision: str, comment: str | None, *, at: str
) -> bool:
    """Replace PRINCIPAL's earlier decision on the promotion; False when they had none."""
    result = conn.execute(
        update(promotion_decisions)
        .where(
            promotion_decisions.c.promotion_id == promotion_id,
            promotion_decisions.c.principal == principal,
        )
        .values(decision=decision, comment=comment, at=at)
    )
    return (result.rowcount or 0) == 1


def set_run(conn: Connection, promotion_id: int, run_id: str) -> None:
    """Record the retrain run of a promotion."""
    conn.execute(update(promotions).where(promotions.c.id == promotion_id).values(run_id=run_id))


def set_state(
    conn: Connection,
    promotion_id: int,
    *,
    expected: str,
    state: str,
    at: str,
    note: str | None = None,
    gates: list[dict[str, Any]] | None = None,
    result_version: int | None = None,
) -> bool:
    """Move the request from EXPECTED to STATE; False when another writer moved it first."""
    values: dict[str, Any] = {"state": state, "updated_at": at}
    if note is not None:
        values["note"] = note
    if gates is not None:
        values["gates"] = json.dumps(gates, sort_keys=True)
    if result_version is not None:
        values["result_version"] = result_version
    result = conn.execute(
        update(promotions)
        .where(promotions.c.id == promotion_id, promotions.c.state == expected)
        .values(**values)
    )
    return (result.rowcount or 0) == 1
