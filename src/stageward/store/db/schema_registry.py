"""Tables of the registry and of promotions: assets, versions, their files, aliases with history, requests."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from stageward.store.db.schema import metadata

assets = Table(
    "assets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("environment", String(64), nullable=False),
    Column("name", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("project", String(64), nullable=False),
    UniqueConstraint("project", "environment", "name", name="uq_asset_name"),
)

asset_versions = Table(
    "asset_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asset_id", Integer, ForeignKey("assets.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("manifest_digest", String(64), nullable=False),
    Column("file_count", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    Column("metrics", Text, nullable=False),
    Column("params", Text, nullable=False),
    Column("tags", Text, nullable=False),
    Column("run_id", String(128), nullable=True),
    Column("git_commit", String(64), nullable=True),
    Column("config_digest", String(71), nullable=True),
    Column("blob_store", String(1024), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("promoted_from_env", String(64), nullable=True),
    Column("promoted_from_name", String(128), nullable=True),
    Column("promoted_from_version", Integer, nullable=True),
    Column("promotion_id", Integer, nullable=True),
    UniqueConstraint("asset_id", "version", name="uq_asset_version"),
)

version_files = Table(
    "version_files",
    metadata,
    Column("version_id", Integer, ForeignKey("asset_versions.id"), primary_key=True),
    Column("path", String(1024), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Index("ix_version_files_sha256", "sha256"),
)

aliases = Table(
    "aliases",
    metadata,
    Column("asset_id", Integer, ForeignKey("assets.id"), primary_key=True),
    Column("alias", String(63), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("updated_by", String(128), nullable=False),
)

alias_history = Table(
    "alias_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asset_id", Integer, ForeignKey("assets.id"), nullable=False),
    Column("alias", String(63), nullable=False),
    Column("action", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("previous_version", Integer, nullable=True),
    Column("at", String(32), nullable=False),
    Column("by", String(128), nullable=False),
    Column("promotion_id", Integer, nullable=True),
    Index("ix_alias_history_asset_alias", "asset_id", "alias"),
)

promotions = Table(
    "promotions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("source_env", String(64), nullable=False),
    Column("source_version", Integer, nullable=False),
    Column("target_env", String(64), nullable=False),
    Column("alias", String(63), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("requested_by", String(128), nullable=False),
    Column("requested_at", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("required_approvals", Integer, nullable=False),
    Column("gates", Text, nullable=False),
    Column("result_version", Integer, nullable=True),
    Column("updated_at", String(32), nullable=False),
    Column("note", Text, nullable=True),
    Column("project", String(64), nullable=False),
    Column("run_id", String(32), nullable=True),  # a retrain's run (migration 0005)
    Index("ix_promotions_target_state", "target_env", "state"),
)

promotion_decisions = Table(
    "promotion_decisions",
    metadata,
    Column("promotion_id", Integer, ForeignKey("promotions.id"), primary_key=True),
    Column("principal", String(128), primary_key=True),
    Column("decision", String(16), nullable=False),
    Column("comment", Text, nullable=True),
    Column("at", String(32), nullable=False),
)

# Blobs a project's caller sent the bytes of, through a server (migration 0007): on a blob store that projects
# share, a version may name a blob another project holds only once its own caller proved to have the bytes.
blob_claims = Table(
    "blob_claims",
    metadata,
    Column("project", String(64), primary_key=True),
    Column("environment", String(64), primary_key=True),
    Column("digest", String(64), primary_key=True),
    Column("claimed_at", String(32), nullable=False),
    Column("claimed_by", String(128), nullable=False),
)
