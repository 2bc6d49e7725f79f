"""Reads for the overview of an environment: every asset with its aliases, versions, and the change feed.

Each read is a fixed number of queries whatever the number of assets (the web matrix shows hundreds).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, select

from stageward.store.db.schema import audit_log
from stageward.store.db.schema_registry import aliases, asset_versions, assets


def assets_with_aliases(conn: Connection, project: str, environment: str) -> list[dict[str, Any]]:
    """Every asset of PROJECT in ENVIRONMENT, by name: kind, latest version, and each alias with the
    version it holds and where that version was promoted from. Three queries."""
    rows = [
        dict(r)
        for r in conn.execute(
            select(assets.c.id, assets.c.name, assets.c.kind)
            .where(assets.c.project == project, assets.c.environment == environment)
            .order_by(assets.c.name)
        ).mappings()
    ]
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    latest = dict(
        conn.execute(
            select(asset_versions.c.asset_id, func.max(asset_versions.c.version))
            .where(asset_versions.c.asset_id.in_(ids))
            .group_by(asset_versions.c.asset_id)
        ).all()
    )
    held: dict[int, list[dict[str, Any]]] = {}
    for row in conn.execute(
        select(
            aliases.c.asset_id,
            aliases.c.alias,
            aliases.c.version,
            asset_versions.c.promoted_from_env,
            asset_versions.c.promoted_from_name,
            asset_versions.c.promoted_from_version,
        )
        .join(
            asset_versions,
            (asset_versions.c.asset_id == aliases.c.asset_id) & (asset_versions.c.version == aliases.c.version),
        )
        .where(aliases.c.asset_id.in_(ids))
        .order_by(aliases.c.asset_id, aliases.c.alias)
    ).mappings():
        held.setdefault(row["asset_id"], []).append(
            {
                "alias": row["alias"],
                "version": row["version"],
                "promoted_from_env": row["promoted_from_env"],
                "promoted_from_name": row["promoted_from_name"],
                "promoted_from_version": row["promoted_from_version"],
            }
        )
    return [
        {"name": r["name"], "kind": r["kind"], "latest": latest.get(r["id"]), "aliases": held.get(r["id"], [])}
        for r in rows
    ]


def versions(conn: Connection, asset_id: int, limit: int, *, only: int | None = None) -> list[dict[str, Any]]:
    """The newest LIMIT versions of the asset (or version ONLY), newest first, without their files."""
    query = select(asset_versions).where(asset_versions.c.asset_id == asset_id)
    if only is not None:
        query = query.where(asset_versions.c.version == only)
    rows = conn.execute(query.order_by(asset_versions.c.version.desc()).limit(limit)).mappings()
    return [
        {
            "version": row["version"],
            "created_at": row["created_at"],
            "created_by": row["created_by"],
            "metrics": json.loads(row["metrics"]),
            "tags": json.loads(row["tags"]),
            "run": row["run_id"],
            "git_commit": row["git_commit"],
            "promoted_from_env": row["promoted_from_env"],
            "promoted_from_name": row["promoted_from_name"],
            "promoted_from_version": row["promoted_from_version"],
        }
        for row in rows
    ]


def changes_after(conn: Connection, environment: str, after: int, limit: int) -> list[tuple[int, str]]:
    """(sequence, action) of the audit entries in ENVIRONMENT after sequence AFTER, oldest first."""
    rows = conn.execute(
        select(audit_log.c.sequence, audit_log.c.action)
        .where(audit_log.c.sequence > after, audit_log.c.environment == environment)
        .order_by(audit_log.c.sequence)
        .limit(limit)
    ).all()
    return [(int(sequence), str(action)) for sequence, action in rows]


def last_change(conn: Connection, environment: str) -> int:
    """The sequence of ENVIRONMENT's latest audit entry (0: none)."""
    value = conn.execute(
        select(func.max(audit_log.c.sequence)).where(audit_log.c.environment == environment)
    ).scalar()
    return int(value or 0)

