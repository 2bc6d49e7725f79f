"""Reads and writes of promotion requests and their decisions. Never commits: the caller's unit does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from stageward.promotion.gates import GateResult
from stageward.store.db.schema_registry import promotion_decisions, promotions

# -- records: the shape of what this repository reads, written once (frozen, slotted: cheap to make) -------


@dataclass(frozen=True, slots=True)
class PromotionRecord:
    id: int
    project: str
    name: str
    kind: str
    source_env: str
    source_version: int
    target_env: str
    alias: str
    mode: str
    reason: str | None
    requested_by: str
    requested_at: str
    state: str
    required_approvals: int
    gates: tuple[GateResult, ...]
    result_version: int | None
    updated_at: str
    note: str | None
    run_id: str | None


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    principal: str
    decision: str
    comment: str | None
    at: str


def insert_promotion(
    conn: Connection,
    *,
    project: str,
    name: str,
    kind: str,
    source_env: str,
    source_version: int,
    target_env: str,
    alias: str,
    mode: str,
    reason: str | None,
    requested_by: str,
    requested_at: str,
    state: str,
    required_approvals: int,
    gates: list[GateResult],
    note: str | None,
) -> int:
    result = conn.execute(
        insert(promotions).values(
            project=project,
            name=name,
            kind=kind,
            source_env=source_env,
            source_version=source_version,
            target_env=target_env,
            alias=alias,
            mode=mode,
            reason=reason,
            requested_by=requested_by,
            requested_at=requested_at,
            state=state,
            required_approvals=required_approvals,
            gates=_gates_text(gates),
            updated_at=requested_at,
            note=note,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def _gates_text(gates: list[GateResult]) -> str:
    return json.dumps([gate.to_dict() for gate in gates], sort_keys=True)


def _record(row: Any) -> PromotionRecord:
    return PromotionRecord(
        id=row.id,
        project=row.project,
        name=row.name,
        kind=row.kind,
        source_env=row.source_env,
        source_version=row.source_version,
        target_env=row.target_env,
        alias=row.alias,
        mode=row.mode,
        reason=row.reason,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        state=row.state,
        required_approvals=row.required_approvals,
        gates=tuple(GateResult(**gate) for gate in json.loads(row.gates)),
        result_version=row.result_version,
        updated_at=row.updated_at,
        note=row.note,
        run_id=row.run_id,
    )


def get_promotion(conn: Connection, promotion_id: int) -> PromotionRecord | None:
    row = conn.execute(select(promotions).where(promotions.c.id == promotion_id)).first()
    return _record(row) if row else None


def list_promotions(
    conn: Connection, project: str, environments: list[str], state: str | None = None, limit: int = 200
) -> list[PromotionRecord]:
    query = select(promotions).where(promotions.c.project == project, promotions.c.target_env.in_(environments))
    if state is not None:
        query = query.where(promotions.c.state == state)
    rows = conn.execute(query.order_by(promotions.c.id.desc()).limit(limit))
    return [_record(row) for row in rows]


def decisions(conn: Connection, promotion_id: int) -> list[DecisionRecord]:
    rows = conn.execute(
        select(
            promotion_decisions.c.principal,
            promotion_decisions.c.decision,
            promotion_decisions.c.comment,
            promotion_decisions.c.at,
        )
        .where(promotion_decisions.c.promotion_id == promotion_id)
        .order_by(promotion_decisions.c.at, promotion_decisions.c.principal)
    )
    return [DecisionRecord(*row) for row in rows]


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
    gates: list[GateResult] | None = None,
    result_version: int | None = None,
) -> bool:
    """Move the request from EXPECTED to STATE; False when another writer moved it first."""
    values: dict[str, Any] = {"state": state, "updated_at": at}
    if note is not None:
        values["note"] = note
    if gates is not None:
        values["gates"] = _gates_text(gates)
    if result_version is not None:
        values["result_version"] = result_version
    result = conn.execute(
        update(promotions)
        .where(promotions.c.id == promotion_id, promotions.c.state == expected)
        .values(**values)
    )
    return (result.rowcount or 0) == 1
