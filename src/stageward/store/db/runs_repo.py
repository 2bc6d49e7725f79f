"""Reads and writes of runs, their log chunk index, metrics, schedules and the scheduler lease.

Never commits: the caller's unit (or the launcher's heartbeat transaction) does.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from stageward.store.db.schema_runs import run_log_chunks, run_metrics, runs, scheduler_leases, schedules

_JSON_COLUMNS = ("command", "tags", "reads", "writes")


def insert_run(conn: Connection, **fields: Any) -> None:
    for column in _JSON_COLUMNS:
        fields[column] = json.dumps(fields[column], sort_keys=True)
    conn.execute(insert(runs).values(**fields))


def _record(row: Any) -> dict[str, Any]:
    record = dict(row)
    for column in _JSON_COLUMNS:
        record[column] = json.loads(record[column])
    return record


def get_run(conn: Connection, run_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(runs).where(runs.c.id == run_id)).mappings().first()
    return _record(row) if row else None


def list_runs(
    conn: Connection,
    project: str,
    environments: list[str],
    *,
    status: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int | None = 200,
) -> list[dict[str, Any]]:
    query = select(runs).where(runs.c.project == project, runs.c.environment.in_(environments))
    if status is not None:
        query = query.where(runs.c.status == status)
    if since is not None:
        query = query.where(runs.c.started_at >= since)
    if until is not None:
        query = query.where(runs.c.started_at < until)
    query = query.order_by(runs.c.started_at.desc(), runs.c.id)
    if limit is not None:
        query = query.limit(limit)
    return [_record(row) for row in conn.execute(query).mappings()]


def running(conn: Connection, project: str, environment: str) -> list[dict[str, Any]]:
    query = select(runs).where(runs.c.project == project, runs.c.environment == environment, runs.c.status == "running")
    return [_record(row) for row in conn.execute(query).mappings()]


def spent_since(conn: Connection, project: str, environment: str, since: str) -> float:
    """What runs started since SINCE cost: their cost when ended, their estimate while running."""
    total = conn.execute(
        select(func.coalesce(func.sum(func.coalesce(runs.c.cost, runs.c.estimate)), 0.0)).where(
            runs.c.project == project, runs.c.environment == environment, runs.c.started_at >= since
        )
    ).scalar_one()
    return float(total)


def update_run(conn: Connection, run_id: str, **fields: Any) -> None:
    conn.execute(update(runs).where(runs.c.id == run_id).values(**fields))


def end_run_if_running(conn: Connection, run_id: str, **fields: Any) -> bool:
    """End RUN_ID only while it is still running: a run already found lost or ended keeps its outcome."""
    result = conn.execute(update(runs).where(runs.c.id == run_id, runs.c.status == "running").values(**fields))
    return bool(result.rowcount)


def heartbeat(conn: Connection, run_id: str, at: str) -> None:
    conn.execute(update(runs).where(runs.c.id == run_id, runs.c.status == "running").values(heartbeat_at=at))


def add_log_chunk(conn: Connection, run_id: str, sequence: int, offset: int, size: int, digest: str) -> None:
    conn.execute(
        insert(run_log_chunks).values(run_id=run_id, sequence=sequence, offset=offset, size=size, digest=digest)
    )
    conn.execute(update(runs).where(runs.c.id == run_id).values(log_bytes=offset + size))


def next_log_sequence(conn: Connection, run_id: str) -> int:
    """The sequence the next chunk of RUN_ID's log takes (0 for the first)."""
    found = conn.execute(select(func.max(run_log_chunks.c.sequence)).where(run_log_chunks.c.run_id == run_id)).scalar()
    return 0 if found is None else int(found) + 1


def log_chunks(conn: Connection, run_id: str, *, after: int = -1, limit: int = 64) -> list[dict[str, Any]]:
    """Chunks of RUN_ID's log with a sequence above AFTER, in order: a page, never the whole log."""
    query = (
        select(run_log_chunks.c.sequence, run_log_chunks.c.offset, run_log_chunks.c.size, run_log_chunks.c.digest)
        .where(run_log_chunks.c.run_id == run_id, run_log_chunks.c.sequence > after)
        .order_by(run_log_chunks.c.sequence)
        .limit(limit)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def versions_registered_by(conn: Connection, asset_id: int, run_id: str) -> list[int]:
    """The versions of ASSET_ID that RUN_ID registered, oldest first."""
    from stageward.store.db.schema_registry import asset_versions

    query = (
        select(asset_versions.c.version)
        .where(asset_versions.c.asset_id == asset_id, asset_versions.c.run_id == run_id)
        .order_by(asset_versions.c.version)
    )
    return [int(v) for v in conn.execute(query).scalars()]


def referenced_log_blobs(conn: Connection) -> set[str]:
    return set(conn.execute(select(run_log_chunks.c.digest).distinct()).scalars())


def put_metric(conn: Connection, run_id: str, key: str, step: int, value: float, at: str) -> None:
    found = conn.execute(
        select(run_metrics.c.value).where(
            run_metrics.c.run_id == run_id, run_metrics.c.key == key, run_metrics.c.step == step
        )
    ).first()
    if found is None:
        conn.execute(insert(run_metrics).values(run_id=run_id, key=key, step=step, value=value, at=at))
    else:
        conn.execute(
            update(run_metrics)
            .where(run_metrics.c.run_id == run_id, run_metrics.c.key == key, run_metrics.c.step == step)
            .values(value=value, at=at)
        )


def metrics_of(conn: Connection, run_id: str) -> list[dict[str, Any]]:
    query = (
        select(run_metrics.c.key, run_metrics.c.step, run_metrics.c.value, run_metrics.c.at)
        .where(run_metrics.c.run_id == run_id)
        .order_by(run_metrics.c.key, run_metrics.c.step)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


# -- schedules ---------------------------------------------------------------------------------------------------------


def insert_schedule(conn: Connection, **fields: Any) -> int:
    result = conn.execute(insert(schedules).values(**fields))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def get_schedule(conn: Connection, project: str, environment: str, name: str) -> dict[str, Any] | None:
    row = (
        conn.execute(
            select(schedules).where(
                schedules.c.project == project, schedules.c.environment == environment, schedules.c.name == name
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def list_schedules(
    conn: Connection, project: str | None, environments: list[str] | None = None
) -> list[dict[str, Any]]:
    query = select(schedules)
    if project is not None:
        query = query.where(schedules.c.project == project)
    if environments is not None:
        query = query.where(schedules.c.environment.in_(environments))
    return [dict(row) for row in conn.execute(query.order_by(schedules.c.environment, schedules.c.name)).mappings()]


def delete_schedule(conn: Connection, schedule_id: int) -> None:
    conn.execute(delete(schedules).where(schedules.c.id == schedule_id))


def mark_fired(conn: Connection, schedule_id: int, due: str, previous: str | None) -> bool:
    """Record DUE as fired, only if nobody fired since PREVIOUS was read: two schedulers never fire one time twice."""
    condition = schedules.c.last_fired_at.is_(None) if previous is None else schedules.c.last_fired_at == previous
    result = conn.execute(update(schedules).where(schedules.c.id == schedule_id, condition).values(last_fired_at=due))
    return bool(result.rowcount)


def take_lease(conn: Connection, name: str, holder: str, now: str, until: str) -> str:
    """Take or renew the lease NAME for HOLDER until UNTIL when it is free, expired or HOLDER's; the holder after."""
    row = conn.execute(select(scheduler_leases).where(scheduler_leases.c.name == name)).mappings().first()
    if row is None:
        conn.execute(insert(scheduler_leases).values(name=name, holder=holder, expires_at=until))
        return holder
    if row["holder"] == holder or row["expires_at"] <= now:
        conn.execute(
            update(scheduler_leases).where(scheduler_leases.c.name == name).values(holder=holder, expires_at=until)
        )
        return holder
    return str(row["holder"])


def release_lease(conn: Connection, name: str, holder: str) -> None:
    conn.execute(delete(scheduler_leases).where(scheduler_leases.c.name == name, scheduler_leases.c.holder == holder))
