"""Which asset versions hold a blob: what lets a reader of an environment fetch the blob by its digest."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from stageward.store.db.schema_registry import asset_versions, assets, blob_claims, version_files
from stageward.store.db.schema_runs import run_log_chunks, runs


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


def held_by_another_project(conn: Connection, project: str, environment: str, digest: str) -> bool:
    """Whether blob DIGEST belongs, in ENVIRONMENT, to a version or a run log of a project other than PROJECT:
    a blob store may be shared by projects (one bucket per environment), and a digest is no capability."""
    in_version = (
        select(version_files.c.sha256)
        .select_from(
            version_files.join(asset_versions, asset_versions.c.id == version_files.c.version_id).join(
                assets, assets.c.id == asset_versions.c.asset_id
            )
        )
        .where(version_files.c.sha256 == digest, assets.c.environment == environment, assets.c.project != project)
        .limit(1)
    )
    in_log = (
        select(run_log_chunks.c.digest)
        .select_from(run_log_chunks.join(runs, runs.c.id == run_log_chunks.c.run_id))
        .where(run_log_chunks.c.digest == digest, runs.c.environment == environment, runs.c.project != project)
        .limit(1)
    )
    return conn.execute(in_version).first() is not None or conn.execute(in_log).first() is not None


def claim(conn: Connection, project: str, environment: str, digest: str, *, at: str, by: str) -> None:
    """PROJECT's caller sent the bytes of blob DIGEST into ENVIRONMENT's store (kept once)."""
    held = select(blob_claims.c.digest).where(
        blob_claims.c.project == project, blob_claims.c.environment == environment, blob_claims.c.digest == digest
    )
    if conn.execute(held).first() is None:
        conn.execute(
            insert(blob_claims).values(
                project=project, environment=environment, digest=digest, claimed_at=at, claimed_by=by
            )
        )


def may_reference(conn: Connection, project: str, environment: str, digest: str) -> bool:
    """Whether a version of PROJECT in ENVIRONMENT may name blob DIGEST without its bytes being sent: when no other
    project holds it there, when PROJECT holds it already, or when PROJECT's caller sent its bytes (a claim)."""
    if not held_by_another_project(conn, project, environment, digest):
        return True
    if size_in_environment(conn, project, environment, digest) is not None:
        return True
    claimed = select(blob_claims.c.digest).where(
        blob_claims.c.project == project, blob_claims.c.environment == environment, blob_claims.c.digest == digest
    )
    return conn.execute(claimed).first() is not None
