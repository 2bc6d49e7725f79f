"""Tables of secrets and API keys: wrapped data keys, secrets and their encrypted versions, API key digests."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from stageward.store.db.schema import metadata

# One data key per environment, wrapped (AES-GCM) by the master key, which never enters the database.
secret_data_keys = Table(
    "secret_data_keys",
    metadata,
    Column("environment", String(64), primary_key=True),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("master_key_id", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(128), nullable=False),
)

# A secret: a name in an environment, owned by one project (team "") or shared by a team's projects (project "").
secrets = Table(
    "secrets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("environment", String(64), nullable=False),
    Column("team", String(64), nullable=False),
    Column("name", String(128), nullable=False),
    Column("current_version", Integer, nullable=False),
    Column("ttl_seconds", Integer, nullable=True),
    Column("rotate_with", Text, nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("project", String(64), nullable=False, server_default=""),
    UniqueConstraint("environment", "team", "project", "name", name="uq_secret"),
)

secret_versions = Table(
    "secret_versions",
    metadata,
    Column("secret_id", Integer, ForeignKey("secrets.id", ondelete="CASCADE"), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("expires_at", String(32), nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("origin", String(16), nullable=False),  # set | rotate
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("prefix", String(96), nullable=False, unique=True),
    Column("digest", String(64), nullable=False),
    Column("principal", String(128), nullable=False),
    Column("environment", String(64), nullable=False),
    Column("ttl_seconds", Integer, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("last_used_at", String(32), nullable=True),
    Column("revoked_at", String(32), nullable=True),
    Column("revoked_by", String(128), nullable=True),
    Column("replaced_by", String(96), nullable=True),
    Index("ix_api_keys_environment", "environment"),
)
