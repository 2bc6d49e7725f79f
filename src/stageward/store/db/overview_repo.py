"""Reads for the overview of an environment: every asset with its aliases, versions, and the change feed
(the events outbox of that environment).

Each read is a fixed number of queries whatever the number of assets (the web matrix shows hundreds).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from stageward.store.db.schema_events import events
from stageward.store.db.schema_registry import aliases, asset_versions, assets

_LATEST = (
    select(func.max(asset_versions.c.version))
    .where(asset_versions.c.asset_id == assets.c.id)
    .correlate(assets)
    .scalar_subquery()
)
_HOLDER = asset_versions.alias("holder")
# One statement, built once (SQLAlchemy reuses its compiled form): each asset, its latest version, and one row
# per alias with where the held version came from (an asset without aliases is one row of NULLs).
_MATRIX = (
    select(
        assets.c.name,
        assets.c.kind,
        _LATEST.label("latest"),
        aliases.c.alias,
        aliases.c.version,
        _HOLDER.c.promoted_from_env,
        _HOLDER.c.promoted_from_name,
        _HOLDER.c.promoted_from_version,
    )
    .select_from(assets)
    .outerjoin(aliases, aliases.c.asset_id == assets.c.id)
    .outerjoin(_HOLDER, (_HOLDER.c.asset_id == aliases.c.asset_id) & (_HOLDER.c.version == aliases.c.version))
    .where(assets.c.project == bindparam("project"), assets.c.environment == bindparam("env"))
    .order_by(assets.c.name, aliases.c.alias)
)


def assets_with_aliases(conn: Connection, project: str, environment: str) -> list[dict[str, Any]]:
    """Every asset of PROJECT in ENVIRONMENT, by name: kind, latest version, and each alias with the
    version it holds and where that version was promoted from. One query."""
    found: list[dict[str, Any]] = []
    for name, kind, latest, alias, version, source_env, source_name, source_version in conn.execute(
        _MATRIX, {"project": project, "env": environment}
    ):
        if not found or found[-1]["name"] != name:
            found.append({"name": name, "kind": kind, "latest": latest, "aliases": []})
        if alias is not None:
            found[-1]["aliases"].append(
                {
                    "alias": alias,
                    "version": version,
                    "promoted_from_env": source_env,
                    "promoted_from_name": source_name,
                    "promoted_from_version": source_version,
                }
            )
    return found


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
    """(id, type) of the outbox's events in ENVIRONMENT after id AFTER, oldest first."""
    rows = conn.execute(
        select(events.c.id, events.c.type)
        .where(events.c.environment == environment, events.c.id > after)
        .order_by(events.c.id)
        .limit(limit)
    ).all()
    return [(int(event_id), str(kind)) for event_id, kind in rows]


def last_change(conn: Connection, environment: str) -> int:
    """The id of ENVIRONMENT's latest event in the outbox (0: none yet)."""
    value = conn.execute(select(func.max(events.c.id)).where(events.c.environment == environment)).scalar()
    return int(value or 0)
