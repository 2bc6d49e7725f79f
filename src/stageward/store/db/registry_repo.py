"""Reads and writes of assets, versions, their files and aliases. Never commits: the caller's unit does."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from stageward.registry.files import ManifestEntry
from stageward.store.db.schema_registry import alias_history, aliases, asset_versions, assets, version_files

# -- records: the shape of what this repository reads, written once (frozen, slotted: cheap to make) -------


@dataclass(frozen=True, slots=True)
class AssetRecord:
    id: int
    project: str
    environment: str
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class VersionSource:
    """The version a promoted one was copied from."""

    env: str
    name: str
    version: int


@dataclass(frozen=True, slots=True)
class VersionRecord:
    ref: str
    env: str
    name: str
    kind: str
    version: int
    size: int
    file_count: int
    manifest_digest: str
    metrics: dict[str, float]
    params: dict[str, str]
    tags: dict[str, str]
    run: str | None
    git_commit: str | None
    config_digest: str | None
    blob_store: str
    created_by: str
    created_at: str
    promoted_from: VersionSource | None
    promotion_id: int | None
    # Empty when read without its files (with_files=False).
    files: tuple[ManifestEntry, ...]


@dataclass(frozen=True, slots=True)
class Found:
    """What `lookup` found: the asset, the version with its files, the aliases holding it, the latest number."""

    asset: AssetRecord
    version: VersionRecord
    aliases: list[str]
    latest: int


@dataclass(frozen=True, slots=True)
class AssetListing:
    env: str
    name: str
    kind: str
    latest: int | None
    aliases: dict[str, int]
    created_at: str
    created_by: str


@dataclass(frozen=True, slots=True)
class AliasMoveRecord:
    id: int
    alias: str
    action: str
    version: int
    previous_version: int | None
    at: str
    by: str
    promotion_id: int | None


# The hot lookups are built once: SQLAlchemy then reuses their compiled form, and a resolve costs
# the round trips to the database, not the building of expressions.
_ASSET = select(assets).where(
    assets.c.project == bindparam("project"),
    assets.c.environment == bindparam("env"),
    assets.c.name == bindparam("name"),
)
_LATEST = select(func.max(asset_versions.c.version)).where(asset_versions.c.asset_id == bindparam("asset_id"))
_VERSION = select(asset_versions).where(
    asset_versions.c.asset_id == bindparam("asset_id"), asset_versions.c.version == bindparam("version")
)
_FILES = (
    select(version_files.c.path, version_files.c.size, version_files.c.sha256)
    .where(version_files.c.version_id == bindparam("version_id"))
    .order_by(version_files.c.path)
)
_ALIAS = select(aliases.c.version).where(
    aliases.c.asset_id == bindparam("asset_id"), aliases.c.alias == bindparam("alias")
)
_ALIASES = (
    select(aliases.c.alias, aliases.c.version)
    .where(aliases.c.asset_id == bindparam("asset_id"))
    .order_by(aliases.c.alias)
)


_LATEST_OF_ASSET = (
    select(func.max(asset_versions.c.version))
    .where(asset_versions.c.asset_id == assets.c.id)
    .correlate(assets)
    .scalar_subquery()
)
# The aliases that hold the version, as one comma-joined string (group_concat / string_agg).
_HELD_BY = (
    select(func.aggregate_strings(aliases.c.alias, ","))
    .where(aliases.c.asset_id == assets.c.id, aliases.c.version == asset_versions.c.version)
    .correlate(assets, asset_versions)
    .scalar_subquery()
)
_BY_ALIAS = (
    select(
        assets.c.environment,
        assets.c.name,
        assets.c.kind,
        asset_versions,
        _LATEST_OF_ASSET.label("latest"),
        _HELD_BY.label("held_by"),
    )
    .select_from(assets)
    .join(aliases, (aliases.c.asset_id == assets.c.id) & (aliases.c.alias == bindparam("alias")))
    .join(
        asset_versions,
        (asset_versions.c.asset_id == assets.c.id) & (asset_versions.c.version == aliases.c.version),
    )
    .where(
        assets.c.project == bindparam("project"),
        assets.c.environment == bindparam("env"),
        assets.c.name == bindparam("name"),
    )
)


def _version_of_asset(which_version: Any) -> Any:
    """One version of one asset with its latest number and the aliases that hold it."""
    return (
        select(
            assets.c.environment,
            assets.c.name,
            assets.c.kind,
            asset_versions,
            _LATEST_OF_ASSET.label("latest"),
            _HELD_BY.label("held_by"),
        )
        .select_from(assets)
        .join(asset_versions, asset_versions.c.asset_id == assets.c.id)
        .where(
            assets.c.project == bindparam("project"),
            assets.c.environment == bindparam("env"),
            assets.c.name == bindparam("name"),
            asset_versions.c.version == which_version,
        )
    )


_BY_VERSION = _version_of_asset(bindparam("version"))
_BY_LATEST = _version_of_asset(_LATEST_OF_ASSET)


def lookup(
    conn: Connection,
    project: str,
    environment: str,
    name: str,
    *,
    version: int | None = None,
    alias: str | None = None,
) -> Found | None:
    """The asset, the version with its files, the aliases holding it and the latest number in two queries.

    The hot path of resolving a reference; the caller finds out what is missing, slowly, only on None.
    """
    where: dict[str, Any] = {"project": project, "env": environment, "name": name}
    if alias is not None:
        row = conn.execute(_BY_ALIAS, {**where, "alias": alias}).mappings().first()
    elif version is not None:
        row = conn.execute(_BY_VERSION, {**where, "version": version}).mappings().first()
    else:
        row = conn.execute(_BY_LATEST, {"project": project, "env": environment, "name": name}).mappings().first()
    if row is None:
        return None
    asset = AssetRecord(row["asset_id"], project, row["environment"], row["name"], row["kind"])
    held = sorted(row["held_by"].split(",")) if row["held_by"] else []
    return Found(asset, _record(row, asset, files_of(conn, row["id"])), held, int(row["latest"]))


def get_asset(conn: Connection, project: str, environment: str, name: str) -> AssetRecord | None:
    row = conn.execute(_ASSET, {"project": project, "env": environment, "name": name}).first()
    return AssetRecord(row.id, row.project, row.environment, row.name, row.kind) if row else None


def create_asset(
    conn: Connection, project: str, environment: str, name: str, kind: str, *, at: str, by: str
) -> int:
    result = conn.execute(
        insert(assets).values(
            project=project, environment=environment, name=name, kind=kind, created_at=at, created_by=by
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def next_version(conn: Connection, asset_id: int) -> int:
    return (latest_version(conn, asset_id) or 0) + 1


def latest_version(conn: Connection, asset_id: int) -> int | None:
    latest = conn.execute(_LATEST, {"asset_id": asset_id}).scalar_one_or_none()
    return int(latest) if latest is not None else None


def insert_version(
    conn: Connection,
    *,
    asset_id: int,
    version: int,
    files: list[ManifestEntry],
    manifest_digest: str,
    metrics: dict[str, float],
    params: dict[str, str],
    tags: dict[str, str],
    run_id: str | None,
    git_commit: str | None,
    config_digest: str | None,
    blob_store: str,
    at: str,
    by: str,
    promoted_from: VersionSource | None = None,
    promotion_id: int | None = None,
) -> int:
    # Values passed as parameters, not baked into the statement: its compiled form is reused.
    result = conn.execute(
        insert(asset_versions),
        {
            "asset_id": asset_id,
            "version": version,
            "manifest_digest": manifest_digest,
            "file_count": len(files),
            "size": sum(f.size for f in files),
            "metrics": json.dumps(metrics, sort_keys=True),
            "params": json.dumps(params, sort_keys=True),
            "tags": json.dumps(tags, sort_keys=True),
            "run_id": run_id,
            "git_commit": git_commit,
            "config_digest": config_digest,
            "blob_store": blob_store,
            "created_by": by,
            "created_at": at,
            "promoted_from_env": promoted_from.env if promoted_from else None,
            "promoted_from_name": promoted_from.name if promoted_from else None,
            "promoted_from_version": promoted_from.version if promoted_from else None,
            "promotion_id": promotion_id,
        },
    )
    version_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    conn.execute(
        insert(version_files),
        [{"version_id": version_id, "path": f.path, "size": f.size, "sha256": f.sha256} for f in files],
    )
    return version_id


def _record(row: Any, asset: AssetRecord, files: list[ManifestEntry]) -> VersionRecord:
    promoted_from = None
    if row["promoted_from_env"] is not None:
        promoted_from = VersionSource(
            row["promoted_from_env"], row["promoted_from_name"], row["promoted_from_version"]
        )
    return VersionRecord(
        ref=f"{asset.environment}/{asset.name}:{row['version']}",
        env=asset.environment,
        name=asset.name,
        kind=asset.kind,
        version=row["version"],
        size=row["size"],
        file_count=row["file_count"],
        manifest_digest=row["manifest_digest"],
        metrics=json.loads(row["metrics"]),
        params=json.loads(row["params"]),
        tags=json.loads(row["tags"]),
        run=row["run_id"],
        git_commit=row["git_commit"],
        config_digest=row["config_digest"],
        blob_store=row["blob_store"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        promoted_from=promoted_from,
        promotion_id=row["promotion_id"],
        files=tuple(files),
    )


def get_version(
    conn: Connection, asset: AssetRecord, version: int, *, with_files: bool = True
) -> VersionRecord | None:
    row = conn.execute(_VERSION, {"asset_id": asset.id, "version": version}).mappings().first()
    if row is None:
        return None
    return _record(row, asset, files_of(conn, row["id"]) if with_files else [])


def referenced_blobs(conn: Connection) -> set[str]:
    """The digest of every blob any version of any project and environment in this store references."""
    return set(conn.execute(select(version_files.c.sha256).distinct()).scalars())


def files_of(conn: Connection, version_id: int) -> list[ManifestEntry]:
    return [ManifestEntry(*row) for row in conn.execute(_FILES, {"version_id": version_id})]


def list_assets(
    conn: Connection, project: str, environments: Iterable[str], kind: str | None
) -> list[AssetListing]:
    query = select(assets).where(assets.c.project == project, assets.c.environment.in_(list(environments)))
    if kind is not None:
        query = query.where(assets.c.kind == kind)
    rows = [dict(r) for r in conn.execute(query.order_by(assets.c.environment, assets.c.name)).mappings()]
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
    held: dict[int, dict[str, int]] = {}
    for asset_id, alias, version in conn.execute(
        select(aliases.c.asset_id, aliases.c.alias, aliases.c.version).where(aliases.c.asset_id.in_(ids))
    ):
        held.setdefault(asset_id, {})[alias] = version
    return [
        AssetListing(
            env=r["environment"],
            name=r["name"],
            kind=r["kind"],
            latest=latest.get(r["id"]),
            aliases=dict(sorted(held.get(r["id"], {}).items())),
            created_at=r["created_at"],
            created_by=r["created_by"],
        )
        for r in rows
    ]


def aliases_of(conn: Connection, asset_id: int) -> dict[str, int]:
    return {alias: version for alias, version in conn.execute(_ALIASES, {"asset_id": asset_id})}


def get_alias(conn: Connection, asset_id: int, alias: str) -> int | None:
    version = conn.execute(_ALIAS, {"asset_id": asset_id, "alias": alias}).scalar_one_or_none()
    return int(version) if version is not None else None


def move_alias(
    conn: Connection,
    asset_id: int,
    alias: str,
    version: int,
    *,
    action: str,
    at: str,
    by: str,
    promotion_id: int | None = None,
) -> int | None:
    """Point ALIAS at VERSION and record the move; returns the version that held it before."""
    previous = get_alias(conn, asset_id, alias)
    if previous is None:
        conn.execute(
            insert(aliases).values(
                asset_id=asset_id, alias=alias, version=version, updated_at=at, updated_by=by
            )
        )
    else:
        conn.execute(
            update(aliases)
            .where(aliases.c.asset_id == asset_id, aliases.c.alias == alias)
            .values(version=version, updated_at=at, updated_by=by)
        )
    conn.execute(
        insert(alias_history).values(
            asset_id=asset_id,
            alias=alias,
            action=action,
            version=version,
            previous_version=previous,
            at=at,
            by=by,
            promotion_id=promotion_id,
        )
    )
    return previous


def history(conn: Connection, asset_id: int, alias: str | None = None) -> list[AliasMoveRecord]:
    query = select(alias_history).where(alias_history.c.asset_id == asset_id)
    if alias is not None:
        query = query.where(alias_history.c.alias == alias)
    rows = conn.execute(query.order_by(alias_history.c.id))
    return [
        AliasMoveRecord(r.id, r.alias, r.action, r.version, r.previous_version, r.at, r.by, r.promotion_id)
        for r in rows
    ]

