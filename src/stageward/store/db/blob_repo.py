"""Which asset versions hold a blob: what lets a reader of an environment fetch the blob by its digest."""

from __future__ import annotations

from sqlalchemy import Connection, select

from stageward.store.db.schema_registry import asset_versions, assets, version_files


def size_in_environment(conn: Connection, project: str, environment: str, digest: str) -> int | None:
    """The size of blob DIGEST when a version of PROJECT's assets in ENVIRONMENT holds it, else None."""
    row = conn.execute(
        select(version_files.c.size)
        .select_from(
            version_files.join(asset_versions, asset_versions.c.id == version_files.c.version_id).join(
                assets, assets.c.id == asset_versions.c.asset_id
            )
        )
        .where(
            version_files.c.sha256 == digest,
            assets.c.project == project,
            assets.c.environment == environment,
        )
        .limit(1)
    ).first()
    return int(row[0]) if row is not None else None
